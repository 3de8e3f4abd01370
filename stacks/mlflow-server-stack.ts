import type { Construct } from 'constructs';
import { TerraformOutput } from 'cdktf';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity/index.js';
import { MlopsStack } from './common/mlops-stack.js';
import { sharedParameterNames, stateKeys } from '../core/naming.js';
import { type StackConfig } from './common/config.js';
import { ArtifactBucket } from './mlflow-server/artifact-bucket.js';
import { ClientVpn } from './mlflow-server/client-vpn.js';
import { mlflowCredentialSecretNames, mlflowLoadBalancerCertificateParameterName, vpnServerCertificateParameterName } from '../core/naming.js';
import { AccessLogBucket } from './mlflow-server/access-log-bucket.js';
import { MlflowCredentials } from './mlflow-server/mlflow-credentials.js';
import { VpnServerCertificate } from './mlflow-server/vpn-server-certificate.js';
import { MlflowDatabase } from './mlflow-server/database.js';
import { InternalLoadBalancer } from './mlflow-server/internal-load-balancer.js';
import { MlflowNetwork } from './mlflow-server/network.js';
import { VpcFlowLogs } from './mlflow-server/flow-logs.js';
import { MlflowService } from './mlflow-server/mlflow-service.js';
import { ImageRepository } from './common/image-repository.js';
import { SharedParameters } from './mlflow-server/shared-parameters.js';

export interface MlflowServerStackProps extends StackConfig {
  /** The server image's tag: the content hash of stacks/mlflow-server/image/ (cli/builders/mlflow-server.ts). */
  readonly imageTag: string;
}

/**
 * The MLflow server: a VPC, the artifact bucket, the RDS backend store, MLflow with its basic-auth
 * app on ECS Fargate behind an internal HTTPS load balancer (certificate from the project's CA,
 * access logs to their own bucket), its users' credential secrets, a Client VPN endpoint (unless
 * switched off), and SSM parameters through which the training and deployment stacks find it.
 */
export class MlflowServerStack extends MlopsStack {
  readonly network: MlflowNetwork;
  readonly artifactBucket: ArtifactBucket;
  readonly database: MlflowDatabase;
  readonly imageRepository: ImageRepository;
  readonly loadBalancer: InternalLoadBalancer;
  readonly accessLogs: AccessLogBucket;
  readonly credentials: MlflowCredentials;
  readonly service: MlflowService;
  readonly vpn?: ClientVpn;
  readonly trackingUri: string;

  constructor(scope: Construct, id: string, props: MlflowServerStackProps) {
    super(scope, id, { ...props, stateKey: stateKeys.mlflowServer(props.environment), stackTag: 'mlflow-server' });
    const { environment } = props;
    const settings = props.settings.mlflow_server;
    const namer = this.namer;
    const vpnSettings = settings.vpn;

    this.network = new MlflowNetwork(this, 'network', {
      namer,
      region: environment.region,
      cidr: settings.vpc_cidr,
      availabilityZones: settings.availability_zones,
      natGatewayPerAz: settings.nat_gateway_per_az,
    });
    new VpcFlowLogs(this, 'flow-logs', { namer, vpcId: this.network.vpcId, logRetentionDays: settings.log_retention_days });
    const account = new DataAwsCallerIdentity(this, 'account');
    this.artifactBucket = new ArtifactBucket(this, 'artifact-bucket', {
      namer,
      accountId: account.accountId,
      forceDestroy: settings.artifact_bucket_force_destroy,
    });
    this.database = new MlflowDatabase(this, 'database', {
      namer,
      vpcId: this.network.vpcId,
      subnetIds: this.network.isolatedSubnetIds,
      engine: settings.db_engine,
      engineVersion: settings.db_engine_version,
      instanceClass: settings.db_instance_class,
      allocatedStorageGib: settings.db_allocated_storage_gib,
      backupRetentionDays: settings.db_backup_retention_days,
      deletionProtection: settings.db_deletion_protection,
      finalSnapshot: settings.db_final_snapshot,
      multiAz: settings.db_multi_az,
    });
    this.imageRepository = new ImageRepository(this, 'image-repository', { name: namer.name('ecrRepository', 'mlflow-server'), keepImages: settings.ecr_keep_images });
    this.credentials = new MlflowCredentials(this, 'credentials', { secretNames: mlflowCredentialSecretNames(environment) });
    this.accessLogs = new AccessLogBucket(this, 'access-logs', { namer, accountId: account.accountId, forceDestroy: settings.artifact_bucket_force_destroy });
    const certificate = new VpnServerCertificate(this, 'load-balancer-certificate', { parameterName: mlflowLoadBalancerCertificateParameterName(environment) });
    this.loadBalancer = new InternalLoadBalancer(this, 'load-balancer', {
      certificateArn: certificate.certificateArn,
      accessLogs: this.accessLogs,
      namer,
      vpcId: this.network.vpcId,
      vpcCidr: this.network.vpcCidr,
      subnetIds: this.network.privateSubnetIds,
      extraAllowedCidrs: [...(vpnSettings.enabled ? [vpnSettings.client_cidr] : []), ...settings.allowed_cidrs],
    });
    this.service = new MlflowService(this, 'service', {
      namer,
      region: environment.region,
      vpcId: this.network.vpcId,
      subnetIds: this.network.privateSubnetIds,
      image: `${this.imageRepository.repositoryUrl}:${props.imageTag}`,
      repositoryArn: this.imageRepository.repositoryArn,
      loadBalancer: this.loadBalancer,
      database: {
        engine: this.database.engine,
        address: this.database.address,
        port: this.database.port,
        databaseName: this.database.databaseName,
        masterUserSecretArn: this.database.masterUserSecretArn,
        securityGroupId: this.database.securityGroupId,
      },
      artifactBucket: this.artifactBucket,
      credentialSecretArns: this.credentials.secretArns,
      cpu: settings.task_cpu,
      memoryMiB: settings.task_memory_mib,
      minTasks: settings.min_tasks,
      maxTasks: settings.max_tasks,
      cpuTargetPercent: settings.autoscaling_cpu_percent,
      logRetentionDays: settings.log_retention_days,
    });
    this.database.allowDefaultPortFrom(this.service.securityGroupId, 'MLflow tasks');
    this.trackingUri = this.loadBalancer.url;

    if (vpnSettings.enabled) {
      this.vpn = new ClientVpn(this, 'vpn', {
        namer,
        vpcId: this.network.vpcId,
        vpcCidr: this.network.vpcCidr,
        clientCidr: vpnSettings.client_cidr,
        subnetIds: this.network.privateSubnetIds,
        associatedSubnets: vpnSettings.associated_subnets,
        dnsServers: [this.network.resolverAddress],
        serverCertificateParameter: vpnServerCertificateParameterName(environment),
        sessionTimeoutHours: vpnSettings.session_timeout_hours,
        logRetentionDays: settings.log_retention_days,
      });
    }

    new SharedParameters(this, 'shared-parameters', {
      names: sharedParameterNames(environment),
      trackingUri: this.trackingUri,
      vpcId: this.network.vpcId,
      privateSubnetIds: this.network.privateSubnetIds,
      mlflowClientSecurityGroupId: this.loadBalancer.clientSecurityGroupId,
      artifactBucket: this.artifactBucket.bucketName,
      trainingCredentialSecretArn: this.credentials.secretArns.training,
    });

    const outputs: Record<string, { value: unknown; description: string }> = {
      tracking_uri: { value: this.trackingUri, description: 'MLflow tracking URI (reachable from the VPC and the VPN)' },
      vpc_id: { value: this.network.vpcId, description: 'VPC of the MLflow server' },
      private_subnet_ids: { value: this.network.privateSubnetIds, description: 'Private subnets (egress through NAT)' },
      client_security_group_id: { value: this.loadBalancer.clientSecurityGroupId, description: 'Security group for tasks that use MLflow' },
      load_balancer_security_group_id: { value: this.loadBalancer.securityGroupId, description: 'Security group of the internal load balancer' },
      artifact_bucket: { value: this.artifactBucket.bucketName, description: 'MLflow artifact bucket' },
      access_log_bucket: { value: this.accessLogs.bucketName, description: 'Access logs of the MLflow load balancer' },
      load_balancer_dns_name: { value: this.loadBalancer.dnsName, description: 'The name the load balancer certificate is issued for' },
      ecr_repository_name: { value: this.imageRepository.repositoryName, description: 'ECR repository of the server image' },
      ecr_repository_url: { value: this.imageRepository.repositoryUrl, description: 'ECR repository URL of the server image' },
      ecs_cluster_name: { value: this.service.clusterName, description: 'ECS cluster of the MLflow service' },
      ecs_service_name: { value: this.service.serviceName, description: 'ECS service running MLflow' },
      database_identifier: { value: this.database.identifier, description: 'RDS instance of the backend store' },
      shared_parameter_prefix: { value: sharedParameterNames(environment).prefix, description: 'SSM path of the published values' },
    };
    if (this.vpn) {
      outputs.vpn_endpoint_id = { value: this.vpn.endpointId, description: 'Client VPN endpoint' };
      outputs.vpn_dns_name = { value: this.vpn.dnsName, description: 'Client VPN endpoint DNS name (`mlops vpn-config` writes the .ovpn file)' };
    }
    for (const [name, output] of Object.entries(outputs)) new TerraformOutput(this, name, output);
  }
}
