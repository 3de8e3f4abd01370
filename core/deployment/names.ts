import { ResourceNamer } from '../naming.js';

/**
 * The one production variant of every endpoint. Blue/green updates require the new endpoint
 * configuration to keep the variant name of the old one, so it never changes.
 */
export const VARIANT_NAME = 'primary';

/**
 * The shadow variant of an endpoint that carries one: a candidate version that gets a copy of live
 * requests, answers nobody, and has its captured data under its own variant path.
 */
export const SHADOW_VARIANT_NAME = 'shadow';

/** SageMaker writes an endpoint's container logs to this log group; the stack creates it first so it owns it. */
export const endpointLogGroupName = (endpointName: string) => `/aws/sagemaker/Endpoints/${endpointName}`;

/** Names of one ML project's deployment in one environment, shared by the stack and the commands. */
export interface DeploymentNames {
  readonly endpoint: string;
  readonly repository: string;
  readonly executionRole: string;
  readonly securityGroup: string;
  /** The deployment's own bucket, made only when there is no MLflow server stack (and so no artifact bucket). */
  readonly ownBucket: string;
  readonly dashboard: string;
  readonly alarm5xx: string;
  readonly alarmLatency: string;
  readonly logGroup: string;
  /** Key prefix in the artifact bucket under which everything of this deployment lives. */
  readonly s3Prefix: string;
  readonly dataCapturePrefix: string;
  /** CloudWatch namespace of the model and data metrics of this environment. */
  readonly metricsNamespace: string;
}

export function deploymentNames(environment: { project: string; envName: string }, mlProject: string, metricsNamespaceRoot: string): DeploymentNames {
  const namer = ResourceNamer.forEnvironment(environment.project, environment.envName).child(mlProject);
  const endpoint = namer.name('sagemaker');
  const s3Prefix = `deployments/${mlProject}`;
  return {
    endpoint,
    repository: namer.name('ecrRepository', 'serving'),
    executionRole: namer.name('iamRole', 'serving'),
    securityGroup: namer.name('securityGroup', 'serving'),
    ownBucket: namer.name('s3Bucket', 'serving'),
    dashboard: namer.name('dashboard', 'endpoint'),
    alarm5xx: namer.name('alarm', 'invocation-5xx'),
    alarmLatency: namer.name('alarm', 'model-latency'),
    logGroup: endpointLogGroupName(endpoint),
    s3Prefix,
    dataCapturePrefix: `${s3Prefix}/data-capture`,
    metricsNamespace: `${metricsNamespaceRoot}/${environment.project}-${environment.envName}`,
  };
}

/**
 * Where the record of a deployed version (its run metrics and training baseline) is kept in the
 * artifact bucket, so that `mlops monitor` needs S3 and CloudWatch only.
 */
export const releaseRecordKey = (names: DeploymentNames, version: string) => `${names.s3Prefix}/releases/v${version}.json`;

/** The console page of a dashboard. */
export const dashboardUrl = (region: string, dashboardName: string) =>
  `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards/dashboard/${encodeURIComponent(dashboardName)}`;

/** Metric and dimension names of the model and data rows, shared by the dashboard and the publishers. */
export const CUSTOM_METRICS = {
  dimensions: { project: 'Project', version: 'Version', feature: 'Feature', source: 'Source' },
  featureMean: 'FeatureMean',
  featureStd: 'FeatureStd',
  featureCount: 'FeatureCount',
  sources: { baseline: 'baseline', captured: 'captured' },
  /** Published by `mlops monitor` when a shadow runs: its answers against production's, on the same requests. */
  shadow: {
    dimensions: { variant: 'Variant', productionVersion: 'ProductionVersion', predictedClass: 'Class' },
    comparedPredictions: 'ShadowComparedPredictions',
    agreementPercent: 'ShadowAgreementPercent',
    meanAbsoluteError: 'ShadowMeanAbsoluteError',
    rootMeanSquaredError: 'ShadowRootMeanSquaredError',
    maxAbsoluteError: 'ShadowMaxAbsoluteError',
    meanError: 'ShadowMeanError',
    predictionMean: 'PredictionMean',
    predictionShare: 'PredictionSharePercent',
  },
} as const;

/** Endpoint tags the CLI reads back (which version an endpoint serves). */
export const ENDPOINT_TAGS = { mlProject: 'ml-project', modelVersion: 'model-version', shadowModelVersion: 'shadow-model-version' } as const;

/** For `mlops synth` and `-rm` without a model: a stand-in version number, for synthesis only. */
export const PLACEHOLDER_MODEL_VERSION = '1';
