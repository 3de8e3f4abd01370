import { baselineFromDescribe, signatureFeatures } from '../../core/deployment/feature-statistics.js';
import { metricsOfRun, orderedFeatures, type ReleaseRecord } from '../../core/deployment/release-record.js';
import type { Environment } from '../../core/environment.js';
import { UsageError } from '../../core/errors.js';
import type { MlflowClient, ModelVersion } from '../effects/mlflow.js';
import type { DownloadedModel } from '../effects/model-artifacts.js';
import type { ServingImageContext } from '../effects/serving-image.js';
import type { Reporter } from '../progress.js';
import type { DeploymentEffects } from './deployment-job.js';

/** Where training logs the per-feature statistics of its training data (see ml-projects/test-project/train.py). */
export const BASELINE_ARTIFACT = 'baseline/feature_statistics.json';

/** A version made ready to serve: its model files, its record, and the serving image's build context. */
export interface PreparedRelease {
  readonly model: DownloadedModel;
  readonly servingInputExample: string;
  readonly record: ReleaseRecord;
  readonly image: ServingImageContext;
  cleanup(): void;
}

/**
 * Downloads the version's model (it must carry an input example: the smoke test sends it), reads its
 * run's metrics and training baseline into the release record, and writes the serving image's
 * context with the model baked in.
 */
export async function prepareRelease(effects: DeploymentEffects, trackingUri: string, version: ModelVersion, reporter: Reporter): Promise<PreparedRelease> {
  const modelUri = `models:/${version.name}/${version.version}`;
  const model = await effects.artifacts.downloadModel(trackingUri, modelUri);
  try {
    if (!model.servingInputExample) {
      throw new UsageError(`${modelUri} was logged without an input example, which the smoke test sends: log the model with input_example=…`);
    }
    const run = version.run_id ? await effects.mlflow(trackingUri).run(version.run_id) : undefined;
    const baselineText = version.run_id ? await effects.artifacts.readRunArtifact(trackingUri, version.run_id, BASELINE_ARTIFACT) : undefined;
    const featureStatistics = baselineText ? baselineFromDescribe(JSON.parse(baselineText)) : null;
    if (!featureStatistics) reporter.info(`The run logged no ${BASELINE_ARTIFACT}: the dashboard's data row shows captured requests only.`);
    const record: ReleaseRecord = {
      mlProject: version.name,
      modelVersion: version.version,
      runId: version.run_id ?? null,
      modelMetrics: metricsOfRun(run?.data.metrics),
      features: orderedFeatures(signatureFeatures(model.mlmodel), featureStatistics),
      featureStatistics,
      servingInputExample: model.servingInputExample,
    };
    const image = await effects.artifacts.prepareServingImage(model.dir, version.version);
    reporter.info(`Serving image: MLflow ${image.mlflowVersion} serving container with ${modelUri} baked in, tag ${image.tag}.`);
    return {
      model,
      servingInputExample: model.servingInputExample,
      record,
      image,
      cleanup: () => {
        image.cleanup();
        model.cleanup();
      },
    };
  } catch (error) {
    model.cleanup();
    throw error;
  }
}

/** MLflow tags that say where and when a version serves, per environment. */
export function deploymentTags(environment: Environment, endpointName: string, at: Date): Record<string, string> {
  const prefix = deploymentTagPrefix(environment);
  return {
    [`${prefix}.endpoint`]: endpointName,
    [`${prefix}.environment`]: environment.envName,
    [`${prefix}.region`]: environment.region,
    [`${prefix}.deployed_at`]: at.toISOString(),
  };
}

export const deploymentTagPrefix = (environment: Pick<Environment, 'project' | 'envName'>) => `mlops.deployment.${environment.project}-${environment.envName}`;

/**
 * Tags `version` in MLflow as serving `endpointName` in this environment, and the version it replaced
 * (if another) as retired; a tag that cannot be set on the replaced version is a warning.
 */
export async function tagServingVersion(
  mlflow: MlflowClient,
  environment: Environment,
  endpointName: string,
  versions: { name: string; version: string; previous?: string },
  at: Date,
  reporter: Reporter,
): Promise<void> {
  for (const [key, value] of Object.entries(deploymentTags(environment, endpointName, at))) await mlflow.setModelVersionTag(versions.name, versions.version, key, value);
  const { previous } = versions;
  if (previous && previous !== versions.version) {
    await mlflow.setModelVersionTag(versions.name, previous, `${deploymentTagPrefix(environment)}.retired_at`, at.toISOString()).catch((error) => {
      reporter.warn(`could not tag version ${previous} as retired: ${(error as Error).message}`);
    });
  }
  reporter.info(`Tagged models:/${versions.name}/${versions.version} in MLflow with ${endpointName}, ${environment.envName} and ${at.toISOString()}.`);
}

/** MLflow tags of a version that runs as a shadow on an endpoint (it serves nobody, so it gets no `.endpoint` tag). */
export function shadowTags(environment: Environment, endpointName: string, at: Date): Record<string, string> {
  const prefix = deploymentTagPrefix(environment);
  return { [`${prefix}.shadow_endpoint`]: endpointName, [`${prefix}.shadow_since`]: at.toISOString() };
}
