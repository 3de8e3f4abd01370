import { Construct } from 'constructs';
import { Fn } from 'cdktf';
import { DataAwsSsmParameter } from '@cdktf/provider-aws/lib/data-aws-ssm-parameter/index.js';
import { DataAwsSubnets } from '@cdktf/provider-aws/lib/data-aws-subnets/index.js';
import { DataAwsVpc } from '@cdktf/provider-aws/lib/data-aws-vpc/index.js';
import { throwIfViolations } from '../../core/errors.js';

/** The SSM parameters the MLflow server stack publishes (stacks/common/config.ts sharedParameterNames). */
export interface MlflowServerParameterNames {
  readonly trackingUri: string;
  readonly vpcId: string;
  readonly privateSubnetIds: string;
  readonly mlflowClientSecurityGroupId: string;
  readonly trainingCredentialSecretArn: string;
  readonly caCertificate: string;
}

/** A team's own MLflow server (or Databricks): the URI from settings, and a network of their choosing. */
export interface OwnTrackingServer {
  readonly trackingUri: string;
  /** @default null — the region's default VPC */
  readonly vpcId?: string | null;
  /** @default [] — every subnet of the VPC */
  readonly subnetIds?: readonly string[];
  /**
   * Give Fargate jobs a public IP, which subnets without a NAT gateway need to pull the image and reach the server.
   * @default null — on in the default VPC (its subnets are public), off in a VPC named by vpcId
   */
  readonly assignPublicIp?: boolean | null;
}

export interface TrainingNetworkProps {
  /**
   * Where the network and the tracking URI come from: the MLflow server stack's SSM parameters
   * (private subnets, and the client security group the server lets in), or a team's own server.
   */
  readonly source: { readonly kind: 'mlflow-server'; readonly parameters: MlflowServerParameterNames } | ({ readonly kind: 'own-server' } & OwnTrackingServer);
}

/**
 * The network the jobs run in and the tracking URI they log to, read at plan time (data sources),
 * never copied by hand.
 */
export class TrainingNetwork extends Construct {
  readonly vpcId: string;
  readonly subnetIds: string[];
  /** Security groups to attach besides the jobs' own (the MLflow server's client group). */
  readonly extraSecurityGroupIds: string[];
  readonly trackingUri: string;
  readonly assignPublicIp: boolean;
  /**
   * The stack's own MLflow server has basic auth over HTTPS with the project's CA: the jobs' credential
   * secret and the CA certificate (PEM). Undefined for a team's own server.
   */
  readonly mlflowAuth?: { readonly credentialSecretArn: string; readonly caCertificate: string };

  constructor(scope: Construct, id: string, props: TrainingNetworkProps) {
    super(scope, id);
    const { source } = props;
    if (source.kind === 'mlflow-server') {
      const parameter = (name: string, path: string) => new DataAwsSsmParameter(this, name, { name: path });
      const { parameters } = source;
      this.trackingUri = parameter('tracking-uri', parameters.trackingUri).insecureValue;
      this.vpcId = parameter('vpc-id', parameters.vpcId).insecureValue;
      this.subnetIds = Fn.split(',', parameter('private-subnet-ids', parameters.privateSubnetIds).insecureValue);
      this.extraSecurityGroupIds = [parameter('client-security-group-id', parameters.mlflowClientSecurityGroupId).insecureValue];
      this.assignPublicIp = false;
      this.mlflowAuth = {
        credentialSecretArn: parameter('training-credential-secret-arn', parameters.trainingCredentialSecretArn).insecureValue,
        caCertificate: parameter('ca-certificate', parameters.caCertificate).insecureValue,
      };
      return;
    }
    const subnetIds = source.subnetIds ?? [];
    const vpcId = source.vpcId ?? null;
    const violations: string[] = [];
    if (!/^(https?:\/\/\S+|databricks(:\/\/\S*)?)$/.test(source.trackingUri)) violations.push(`source.trackingUri "${source.trackingUri}": an http(s) URL or databricks`);
    if (vpcId !== null && !/^vpc-[0-9a-f]+$/.test(vpcId)) violations.push(`source.vpcId "${vpcId}": a VPC id such as vpc-0123abcd`);
    if (subnetIds.length > 0 && vpcId === null) violations.push('source.subnetIds are given without source.vpcId: name the VPC they belong to');
    for (const subnet of subnetIds) if (!/^subnet-[0-9a-f]+$/.test(subnet)) violations.push(`source.subnetIds "${subnet}": a subnet id such as subnet-0123abcd`);
    throwIfViolations('TrainingNetwork', violations);

    this.trackingUri = source.trackingUri;
    this.extraSecurityGroupIds = [];
    this.vpcId = vpcId ?? new DataAwsVpc(this, 'default-vpc', { default: true }).id;
    this.subnetIds =
      subnetIds.length > 0 ? [...subnetIds] : new DataAwsSubnets(this, 'subnets', { filter: [{ name: 'vpc-id', values: [this.vpcId] }] }).ids;
    this.assignPublicIp = source.assignPublicIp ?? vpcId === null;
  }
}
