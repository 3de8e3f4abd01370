import { Construct } from 'constructs';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js';
import { CloudwatchLogStream } from '@cdktf/provider-aws/lib/cloudwatch-log-stream/index.js';
import { Ec2ClientVpnAuthorizationRule } from '@cdktf/provider-aws/lib/ec2-client-vpn-authorization-rule/index.js';
import { Ec2ClientVpnEndpoint } from '@cdktf/provider-aws/lib/ec2-client-vpn-endpoint/index.js';
import { Ec2ClientVpnNetworkAssociation } from '@cdktf/provider-aws/lib/ec2-client-vpn-network-association/index.js';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group/index.js';
import type { ResourceNamer } from '../../core/naming.js';
import { LOG_RETENTION_DAYS } from '../common/validation.js';
import { throwIfViolations } from '../../core/errors.js';
import { cidrsOverlap, cidrViolations } from './cidr.js';
import { VpnServerCertificate } from './vpn-server-certificate.js';

/** Session lengths Client VPN accepts (hours). */
export const VPN_SESSION_HOURS = [8, 10, 12, 24] as const;

export interface ClientVpnProps {
  readonly namer: ResourceNamer;
  readonly vpcId: string;
  readonly vpcCidr: string;
  /** Addresses handed to VPN clients: /12 to /22, not overlapping the VPC. */
  readonly clientCidr: string;
  /** Subnets the endpoint may be associated with (the private ones), in AZ order. */
  readonly subnetIds: string[];
  /** How many of `subnetIds` to associate (each is billed hourly). @default 1 */
  readonly associatedSubnets?: number;
  /** DNS servers pushed to clients (the VPC resolver, so private names resolve). */
  readonly dnsServers: string[];
  /** The SSM parameter holding the ARN of the server certificate the CLI imported into ACM (see vpnServerCertificateParameterName). */
  readonly serverCertificateParameter: string;
  /** @default 12 */
  readonly sessionTimeoutHours?: number;
  /** Retention of the connection log. @default 30 */
  readonly logRetentionDays?: number;
}

/**
 * An AWS Client VPN endpoint with mutual TLS: the server certificate (issued by the CLI's own CA) is
 * imported into ACM, and since the clients' certificates come from the same CA the same ACM
 * certificate is the client root chain. Split tunnel (only VPC traffic goes through the tunnel),
 * authorised for the VPC CIDR, every connection logged.
 */
export class ClientVpn extends Construct {
  readonly endpointId: string;
  /** `*.cvpn-endpoint-….clientvpn.<region>.amazonaws.com`; an .ovpn file drops the `*.`. */
  readonly dnsName: string;
  readonly securityGroupId: string;

  constructor(scope: Construct, id: string, props: ClientVpnProps) {
    super(scope, id);
    const associated = props.associatedSubnets ?? 1;
    const sessionHours = props.sessionTimeoutHours ?? 12;
    const retention = props.logRetentionDays ?? 30;
    const violations: string[] = [];
    const cidrProblems = cidrViolations(props.clientCidr, { minPrefix: 12, maxPrefix: 22 });
    for (const problem of cidrProblems) violations.push(`clientCidr="${props.clientCidr}" ${problem} (Client VPN takes /12 to /22)`);
    if (cidrProblems.length === 0 && cidrViolations(props.vpcCidr, { minPrefix: 0, maxPrefix: 32 }).length === 0 && cidrsOverlap(props.clientCidr, props.vpcCidr)) {
      violations.push(`clientCidr="${props.clientCidr}" overlaps the VPC (${props.vpcCidr}); pick a range outside it, e.g. 10.100.0.0/22`);
    }
    if (!Number.isInteger(associated) || associated < 1 || associated > props.subnetIds.length) {
      violations.push(`associatedSubnets=${associated}: must be from 1 to ${props.subnetIds.length} (the private subnets)`);
    }
    if (!(VPN_SESSION_HOURS as readonly number[]).includes(sessionHours)) {
      violations.push(`sessionTimeoutHours=${sessionHours}: Client VPN accepts ${VPN_SESSION_HOURS.join(', ')}`);
    }
    if (!(LOG_RETENTION_DAYS as readonly number[]).includes(retention) || retention === 0) {
      violations.push(`logRetentionDays=${retention}: CloudWatch accepts ${LOG_RETENTION_DAYS.filter((days) => days > 0).join(', ')}`);
    }
    throwIfViolations('ClientVpn', violations);
    const { namer } = props;

    const certificate = new VpnServerCertificate(this, 'server-certificate', { parameterName: props.serverCertificateParameter });
    const securityGroup = new SecurityGroup(this, 'security-group', {
      name: namer.name('securityGroup', 'vpn'),
      description: 'Client VPN endpoint: client traffic into the VPC',
      vpcId: props.vpcId,
      egress: [{ description: 'VPN clients into the VPC', protocol: '-1', fromPort: 0, toPort: 0, cidrBlocks: [props.vpcCidr] }],
      tags: { Name: namer.name('securityGroup', 'vpn') },
    });
    const logGroup = new CloudwatchLogGroup(this, 'connection-logs', {
      name: `/mlops/${namer.name('logGroup', 'client-vpn')}`,
      retentionInDays: retention,
    });
    const logStream = new CloudwatchLogStream(this, 'connection-log-stream', { name: 'connections', logGroupName: logGroup.name });
    const endpoint = new Ec2ClientVpnEndpoint(this, 'endpoint', {
      description: namer.name('securityGroup', 'mlflow-vpn'),
      serverCertificateArn: certificate.certificateArn,
      clientCidrBlock: props.clientCidr,
      authenticationOptions: [{ type: 'certificate-authentication', rootCertificateChainArn: certificate.certificateArn }],
      connectionLogOptions: { enabled: true, cloudwatchLogGroup: logGroup.name, cloudwatchLogStream: logStream.name },
      splitTunnel: true,
      transportProtocol: 'udp',
      vpnPort: 443,
      vpcId: props.vpcId,
      securityGroupIds: [securityGroup.id],
      dnsServers: props.dnsServers,
      sessionTimeoutHours: sessionHours,
      tags: { Name: namer.name('securityGroup', 'mlflow-vpn') },
    });
    props.subnetIds.slice(0, associated).forEach((subnetId, index) => {
      new Ec2ClientVpnNetworkAssociation(this, `association-${index}`, { clientVpnEndpointId: endpoint.id, subnetId });
    });
    new Ec2ClientVpnAuthorizationRule(this, 'vpc-access', {
      clientVpnEndpointId: endpoint.id,
      targetNetworkCidr: props.vpcCidr,
      authorizeAllGroups: true,
      description: 'VPN clients may reach the VPC',
    });
    this.endpointId = endpoint.id;
    this.dnsName = endpoint.dnsName;
    this.securityGroupId = securityGroup.id;
  }
}
