import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { Lb } from '@cdktf/provider-aws/lib/lb/index.js';
import { LbListener } from '@cdktf/provider-aws/lib/lb-listener/index.js';
import { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group/index.js';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group/index.js';
import type { ResourceNamer } from '../../core/naming.js';
import { throwIfViolations } from '../../core/errors.js';
import { cidrViolations } from './cidr.js';

export interface InternalLoadBalancerProps {
  readonly namer: ResourceNamer;
  readonly vpcId: string;
  readonly vpcCidr: string;
  /** Private subnets in at least two AZs. */
  readonly subnetIds: string[];
  /** Address ranges besides the VPC admitted on the listener port (the VPN clients', a peered network's). @default [] */
  readonly extraAllowedCidrs?: string[];
  /** The port the targets listen on. @default 5000 */
  readonly targetPort?: number;
  /** @default '/health' — MLflow's health endpoint, exempt from its host-header check */
  readonly healthCheckPath?: string;
  /** Seconds an idle connection stays open; long enough for large artifact uploads through the server. @default 300 */
  readonly idleTimeoutSeconds?: number;
  /** The ACM certificate of the HTTPS listener, issued by the project's CA for the load balancer's DNS name (the CLI imports it). */
  readonly certificateArn: string;
  /** Where the access logs go (stacks/mlflow-server/access-log-bucket.ts); the load balancer waits for the bucket's policy. */
  readonly accessLogs: { readonly bucketName: string; readonly prefix: string; readonly policy: ITerraformDependable };
  /** The TLS policy of the listener. @default 'ELBSecurityPolicy-TLS13-1-2-2021-06' — TLS 1.3 and 1.2 only */
  readonly sslPolicy?: string;
}

/**
 * The listener port: HTTPS only, with a certificate from the project's own CA (there is no public
 * name to get a public certificate for). No plain-HTTP listener: a client on an old http:// URI
 * fails at once instead of being redirected, which would turn its POSTs into GETs.
 */
export const LISTENER_PORT = 443;

/**
 * An internal application load balancer in the private subnets in front of the MLflow tasks. Its
 * security group admits the listener port from the VPC and the given ranges only. It also makes the
 * *client* security group that training and deployment tasks attach: egress to the load balancer
 * and to HTTPS (AWS APIs), nothing else.
 */
export class InternalLoadBalancer extends Construct {
  readonly dnsName: string;
  readonly url: string;
  readonly securityGroupId: string;
  readonly clientSecurityGroupId: string;
  readonly targetGroupArn: string;
  readonly targetPort: number;
  readonly healthCheckPath: string;
  /** The load balancer alone: the CLI applies it first, to issue its certificate for the DNS name AWS gives it. */
  readonly loadBalancer: Lb;
  /** Services registering targets depend on it (the target group must be attached to a load balancer). */
  readonly listener: LbListener;

  constructor(scope: Construct, id: string, props: InternalLoadBalancerProps) {
    super(scope, id);
    const extraCidrs = props.extraAllowedCidrs ?? [];
    const targetPort = props.targetPort ?? 5000;
    const healthCheckPath = props.healthCheckPath ?? '/health';
    const idleTimeout = props.idleTimeoutSeconds ?? 300;
    const violations: string[] = [];
    for (const cidr of extraCidrs) {
      for (const problem of cidrViolations(cidr, { minPrefix: 0, maxPrefix: 32 })) violations.push(`extraAllowedCidrs entry "${cidr}" ${problem}`);
    }
    if (extraCidrs.includes('0.0.0.0/0')) violations.push('extraAllowedCidrs must not contain 0.0.0.0/0: the load balancer is internal, reachable from the VPC and the VPN only');
    if (!/^arn:|^\$\{/.test(props.certificateArn)) violations.push(`certificateArn="${props.certificateArn}": must be an ACM certificate ARN`);
    if (!Number.isInteger(targetPort) || targetPort < 1 || targetPort > 65535) violations.push(`targetPort=${targetPort}: must be a TCP port (1–65535)`);
    if (!healthCheckPath.startsWith('/')) violations.push(`healthCheckPath="${healthCheckPath}": must start with /`);
    if (!Number.isInteger(idleTimeout) || idleTimeout < 1 || idleTimeout > 4000) violations.push(`idleTimeoutSeconds=${idleTimeout}: must be from 1 to 4000`);
    if (props.subnetIds.length < 2) violations.push(`subnetIds has ${props.subnetIds.length} subnet(s): an application load balancer needs two AZs`);
    throwIfViolations('InternalLoadBalancer', violations);
    const { namer } = props;

    const securityGroup = new SecurityGroup(this, 'security-group', {
      name: namer.name('securityGroup', 'mlflow-alb'),
      description: 'MLflow load balancer: HTTPS from the VPC and the VPN clients only',
      vpcId: props.vpcId,
      ingress: [
        { description: 'HTTPS from the VPC', protocol: 'tcp', fromPort: LISTENER_PORT, toPort: LISTENER_PORT, cidrBlocks: [props.vpcCidr] },
        ...(extraCidrs.length > 0
          ? [{ description: 'HTTPS from the VPN clients and allowed networks', protocol: 'tcp', fromPort: LISTENER_PORT, toPort: LISTENER_PORT, cidrBlocks: extraCidrs }]
          : []),
      ],
      egress: [{ description: 'To the MLflow tasks', protocol: 'tcp', fromPort: targetPort, toPort: targetPort, cidrBlocks: [props.vpcCidr] }],
      tags: { Name: namer.name('securityGroup', 'mlflow-alb') },
    });
    const clientSecurityGroup = new SecurityGroup(this, 'client-security-group', {
      name: namer.name('securityGroup', 'mlflow-client'),
      description: 'Attach to tasks that use MLflow: egress to its load balancer and to HTTPS only',
      vpcId: props.vpcId,
      egress: [
        { description: 'MLflow through its load balancer', protocol: 'tcp', fromPort: LISTENER_PORT, toPort: LISTENER_PORT, cidrBlocks: [props.vpcCidr] },
        { description: 'HTTPS: AWS APIs, S3, ECR, package indexes', protocol: 'tcp', fromPort: 443, toPort: 443, cidrBlocks: ['0.0.0.0/0'] },
      ],
      tags: { Name: namer.name('securityGroup', 'mlflow-client') },
    });

    const loadBalancer = new Lb(this, 'load-balancer', {
      name: namer.name('loadBalancer', 'mlflow'),
      internal: true,
      loadBalancerType: 'application',
      securityGroups: [securityGroup.id],
      subnets: props.subnetIds,
      dropInvalidHeaderFields: true,
      idleTimeout,
      enableDeletionProtection: false,
      accessLogs: { bucket: props.accessLogs.bucketName, prefix: props.accessLogs.prefix, enabled: true },
      dependsOn: [props.accessLogs.policy],
    });
    const targetGroup = new LbTargetGroup(this, 'target-group', {
      name: namer.name('targetGroup', 'mlflow'),
      port: targetPort,
      protocol: 'HTTP',
      targetType: 'ip',
      vpcId: props.vpcId,
      deregistrationDelay: '30',
      healthCheck: {
        enabled: true,
        path: healthCheckPath,
        protocol: 'HTTP',
        port: 'traffic-port',
        matcher: '200',
        interval: 15,
        timeout: 5,
        healthyThreshold: 2,
        unhealthyThreshold: 3,
      },
    });
    this.listener = new LbListener(this, 'listener', {
      loadBalancerArn: loadBalancer.arn,
      port: LISTENER_PORT,
      protocol: 'HTTPS',
      sslPolicy: props.sslPolicy ?? 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      certificateArn: props.certificateArn,
      defaultAction: [{ type: 'forward', targetGroupArn: targetGroup.arn }],
    });
    this.dnsName = loadBalancer.dnsName;
    this.url = `https://${loadBalancer.dnsName}`;
    this.loadBalancer = loadBalancer;
    this.securityGroupId = securityGroup.id;
    this.clientSecurityGroupId = clientSecurityGroup.id;
    this.targetGroupArn = targetGroup.arn;
    this.targetPort = targetPort;
    this.healthCheckPath = healthCheckPath;
  }
}
