import { TerraformOutput } from 'cdktf';
import type { Construct } from 'constructs';
import { MlopsStack } from './common/mlops-stack.js';
import { stateKeys } from '../core/naming.js';
import { type StackConfig } from './common/config.js';
import { deploymentNames, ENDPOINT_TAGS, releaseRecordKey, VARIANT_NAME, type DeploymentNames } from '../core/deployment/names.js';
import type { ReleaseRecord } from '../core/deployment/release-record.js';
import type { DeploymentPlacement } from '../core/deployment/placement.js';
import type { EndpointTarget } from '../core/deployment/target.js';
import { EndpointExecutionRole } from './deployment/execution-role.js';
import { EndpointLogGroup } from './deployment/endpoint-log-group.js';
import { EndpointSecurityGroup } from './deployment/endpoint-security-group.js';
import { ModelEndpoint } from './deployment/model-endpoint.js';
import { MonitoringDashboard } from './deployment/monitoring-dashboard.js';
import { ReleaseRecordObject } from './deployment/release-record-object.js';
import { RollbackAlarms } from './deployment/rollback-alarms.js';
import { ImageRepository } from './common/image-repository.js';
import { EndpointPlacement } from './deployment/endpoint-placement.js';

/** What the CLI learned about the version it deploys: its image, run metrics and training baseline. */
export interface DeploymentRelease {
  /** Tag of the serving image in the stack's ECR repository (`v<version>-<content hash>`). */
  readonly imageTag: string;
  /** Kept in the artifact bucket; its metric names and features shape the dashboard. */
  readonly record: ReleaseRecord;
}

export interface DeploymentStackProps extends StackConfig {
  /** The ML project whose model this stack serves. */
  readonly mlProject: string;
  /** The MLflow model version served. */
  readonly modelVersion: string;
  /** Instances or serverless, from the project's resource requirements. */
  readonly target: EndpointTarget;
  /** The MLflow server stack's network and artifact bucket, or the team's own. */
  readonly placement: DeploymentPlacement;
  readonly release: DeploymentRelease;
  /**
   * A candidate version served as a shadow beside `modelVersion` (instance endpoints only).
   * @default undefined — no shadow
   */
  readonly shadow?: { readonly modelVersion: string; readonly release: DeploymentRelease };
}

/**
 * Per-project deployment: an ECR repository for serving images, an execution role scoped to this
 * deployment, a SageMaker endpoint rolled out blue/green with alarm-driven rollback, data capture,
 * and a CloudWatch dashboard. Network and artifact bucket come from the MLflow server stack's SSM
 * parameters, or from the settings and a bucket of its own when the team runs its own MLflow.
 */
export class DeploymentStack extends MlopsStack {
  readonly names: DeploymentNames;
  /** Instances or serverless, as the stack was built for. */
  readonly target: EndpointTarget;
  readonly repository: ImageRepository;
  readonly endpoint: ModelEndpoint;
  readonly dashboard: MonitoringDashboard;

  constructor(scope: Construct, id: string, props: DeploymentStackProps) {
    super(scope, id, { ...props, stateKey: stateKeys.deployment(props.environment, props.mlProject), stackTag: `deployment/${props.mlProject}` });
    const { environment, settings, mlProject, modelVersion, target, placement, release, shadow } = props;
    const deployment = settings.deployment;
    const names = deploymentNames(environment, mlProject, deployment.metrics_namespace);
    this.names = names;
    this.target = target;
    const serverless = target.kind === 'serverless';

    const where = new EndpointPlacement(this, 'placement', { environment, placement, ownBucketName: names.ownBucket });
    const vpcId = serverless ? undefined : where.vpcId;
    this.repository = new ImageRepository(this, 'serving-images', { name: names.repository, keepImages: deployment.ecr_keep_images });
    const logs = new EndpointLogGroup(this, 'logs', { endpointName: names.endpoint, retentionDays: deployment.log_retention_days });
    const role = new EndpointExecutionRole(this, 'execution-role', {
      roleName: names.executionRole,
      repositoryArn: this.repository.repositoryArn,
      artifactBucketName: where.bucketName,
      artifactPrefix: names.s3Prefix,
      logGroupArn: logs.logGroupArn,
      vpcId,
    });
    const network =
      vpcId === undefined
        ? undefined
        : {
            subnetIds: where.subnetIds!,
            securityGroupIds: [new EndpointSecurityGroup(this, 'network', { securityGroupName: names.securityGroup, vpcId }).securityGroupId],
          };
    const alarms = new RollbackAlarms(this, 'rollback-alarms', {
      endpointName: names.endpoint,
      variantName: VARIANT_NAME,
      errorsAlarmName: names.alarm5xx,
      latencyAlarmName: names.alarmLatency,
      max5xxErrorsPerMinute: deployment.alarm_5xx_errors,
      maxModelLatencyMs: deployment.alarm_model_latency_ms,
    });
    const capture = !serverless && deployment.data_capture_sampling_percent > 0;
    this.endpoint = new ModelEndpoint(this, 'endpoint', {
      endpointName: names.endpoint,
      modelVersion,
      imageUri: `${this.repository.repositoryUrl}:${release.imageTag}`,
      executionRoleArn: role.roleArn,
      target,
      rollbackAlarmNames: alarms.alarmNames,
      network,
      networkIsolation: serverless ? false : deployment.network_isolation,
      dataCapture: capture
        ? { bucketName: where.bucketName, prefix: names.dataCapturePrefix, samplingPercent: deployment.data_capture_sampling_percent }
        : undefined,
      bakeSeconds: deployment.blue_green_wait_seconds,
      maxRolloutMinutes: deployment.endpoint_wait_minutes,
      shadow: shadow && {
        modelVersion: shadow.modelVersion,
        imageUri: `${this.repository.repositoryUrl}:${shadow.release.imageTag}`,
        samplingPercent: deployment.shadow_sampling_percent,
      },
      endpointTags: {
        [ENDPOINT_TAGS.mlProject]: mlProject,
        [ENDPOINT_TAGS.modelVersion]: modelVersion,
        ...(shadow ? { [ENDPOINT_TAGS.shadowModelVersion]: shadow.modelVersion } : {}),
      },
      dependsOn: [role.policy, logs.logGroup],
    });
    new ReleaseRecordObject(this, 'release-record', {
      bucketName: where.bucketName,
      key: releaseRecordKey(names, modelVersion),
      record: release.record,
    });
    if (shadow) {
      new ReleaseRecordObject(this, 'shadow-release-record', {
        bucketName: where.bucketName,
        key: releaseRecordKey(names, shadow.modelVersion),
        record: shadow.release.record,
      });
    }
    this.dashboard = new MonitoringDashboard(this, 'dashboard', {
      dashboardName: names.dashboard,
      region: environment.region,
      endpointName: names.endpoint,
      variantName: this.endpoint.variantName,
      serverless,
      metricsNamespace: names.metricsNamespace,
      mlProject,
      modelVersion,
      modelMetricNames: Object.keys(release.record.modelMetrics),
      features: release.record.features,
      dataCapture: capture,
      alarmArns: alarms.alarmArns,
      shadow: shadow && { variantName: this.endpoint.shadowVariantName!, modelVersion: shadow.modelVersion },
    });

    const output = (name: string, value: string | number, description: string) => new TerraformOutput(this, name, { value, description });
    output('endpoint_name', this.endpoint.endpointName, 'The SageMaker endpoint (stable across versions)');
    output('model_name', this.endpoint.modelName, 'The SageMaker model of the served version');
    output('endpoint_config_name', this.endpoint.endpointConfigName, 'The endpoint configuration of the served version');
    output('model_version', modelVersion, 'The MLflow model version served');
    output('shadow_model_version', shadow?.modelVersion ?? '', 'The MLflow model version running as a shadow (empty when none)');
    output('shadow_image_uri', shadow ? `${this.repository.repositoryUrl}:${shadow.release.imageTag}` : '', 'The shadow version’s serving image (empty when none)');
    output('repository_name', this.repository.repositoryName, 'ECR repository of the serving images');
    output('repository_url', this.repository.repositoryUrl, 'ECR repository URL of the serving images');
    output('image_uri', `${this.repository.repositoryUrl}:${release.imageTag}`, 'The serving image');
    output('dashboard_name', this.dashboard.dashboardName, 'CloudWatch dashboard of the endpoint');
    output('dashboard_url', this.dashboard.dashboardUrl, 'Console URL of the dashboard');
    output('data_capture_uri', this.endpoint.dataCaptureUri ?? '', 'Where captured requests go (empty when capture is off)');
    output('metrics_namespace', names.metricsNamespace, 'CloudWatch namespace of the model and data metrics');
    output('artifact_bucket', where.bucketName, 'The bucket of captured requests and release records (the artifact bucket, or the deployment’s own)');
  }
}
