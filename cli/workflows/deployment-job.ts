import { CUSTOM_METRICS } from '../../core/deployment/names.js';
import { featureMetricData, modelMetricData } from '../../core/deployment/metrics.js';
import { describeTarget } from '../../core/deployment/target.js';
import type { StackConfig } from '../../stacks/common/config.js';
import type { DeploymentStack } from '../../stacks/deployment-stack.js';
import { buildDeploymentStack, deploymentTarget } from '../builders/deployment.js';
import { printJson } from '../command.js';
import { createMetricsPublisher, type MetricsPublisher } from '../effects/cloudwatch-metrics.js';
import type { ImageBuildMode } from '../effects/container-image.js';
import { createDeploymentBucket, type DeploymentBucket } from '../effects/deployment-bucket.js';
import { type MlflowClient, parseModelSpec, resolveModelVersion } from '../effects/mlflow.js';
import { createMlflowConnections } from '../effects/mlflow-access.js';
import { downloadModel } from '../effects/model-artifacts.js';
import { readRunArtifact } from '../effects/run-artifacts.js';
import { createEndpointService, type EndpointService } from '../effects/sagemaker-endpoint.js';
import { prepareServingImage } from '../effects/serving-image.js';
import { describePlan } from '../effects/terraform.js';
import { resolveTrackingUri, ssmParameterReader, type ParameterReader } from '../effects/tracking-uri.js';
import { loadMlProject } from '../ml-project.js';
import { createReporter } from '../progress.js';
import { loadStepConfig } from '../settings/load.js';
import { synthesize } from '../synth.js';
import { deploymentTagPrefix, deploymentTags, prepareRelease } from './deployment-release.js';
import { describeRollout, rollOut } from './deployment-rollout.js';
import { applyRepositoryThenImage } from './repository-then-image.js';
import { createStepEffects, type StepEffects } from './step-effects.js';

export interface DeployArgs {
  project: string;
  model: string;
  json: boolean;
  'image-build': ImageBuildMode;
  'plan-only'?: boolean;
}

/** The effects of a deployment, injectable so tests can swap them. */
export interface DeploymentEffects extends StepEffects {
  readonly endpoints: EndpointService;
  readonly metrics: MetricsPublisher;
  readonly bucket: DeploymentBucket;
  readonly parameters: ParameterReader;
  mlflow(trackingUri: string): MlflowClient;
  /** MLflow's own client for model files (any artifact store) and MLflow's serving Dockerfile. */
  readonly artifacts: {
    downloadModel: (trackingUri: string, modelUri: string) => ReturnType<typeof downloadModel>;
    readRunArtifact: (trackingUri: string, runId: string, path: string) => Promise<string | undefined>;
    prepareServingImage: (modelDir: string, version: string) => ReturnType<typeof prepareServingImage>;
  };
  readonly env: NodeJS.ProcessEnv;
}

export async function createDeploymentEffects(config: StackConfig, reporter: StepEffects['reporter'], env: NodeJS.ProcessEnv = process.env): Promise<DeploymentEffects> {
  const step = await createStepEffects(config, reporter, env);
  const mlflow = createMlflowConnections(step.aws, config.environment, env);
  return {
    ...step,
    endpoints: createEndpointService(step.aws),
    metrics: createMetricsPublisher(step.aws),
    bucket: createDeploymentBucket(step.aws),
    parameters: ssmParameterReader(step.aws),
    mlflow: mlflow.client,
    artifacts: {
      downloadModel: async (uri, modelUri) => downloadModel(uri, modelUri, await mlflow.pythonEnv(uri)),
      readRunArtifact: async (uri, runId, path) => readRunArtifact(uri, runId, path, await mlflow.pythonEnv(uri)),
      prepareServingImage: (dir, version) => prepareServingImage(dir, version, env),
    },
    env,
  };
}

/**
 * Resolves the version, prepares its release (model, record, serving image), synthesizes the stack,
 * then the repository and image, the rollout, the MLflow tags and the metrics. Everything the user
 * named is checked before anything is built or applied.
 */
export async function deploymentJob(effects: DeploymentEffects, config: StackConfig, args: DeployArgs) {
  const { reporter } = effects;
  const project = loadMlProject(args.project);
  const spec = parseModelSpec(args.model);
  const target = deploymentTarget(config, project);
  const trackingUri = await resolveTrackingUri(config.settings, config.environment, effects.env, effects.parameters);
  const mlflow = effects.mlflow(trackingUri);
  const version = await resolveModelVersion(mlflow, project.name, spec);
  const modelUri = `models:/${project.name}/${version.version}`;
  reporter.info(`Deploying ${modelUri} (run ${version.run_id ?? 'unknown'}) on ${describeTarget(target)}.`);
  const release = await prepareRelease(effects, trackingUri, version, reporter);
  try {
    let stack: DeploymentStack | undefined;
    const [stackDir] = synthesize((app) => [(stack = buildDeploymentStack(app, config, project, version.version, { imageTag: release.image.tag, record: release.record }, target))]);
    const { names } = stack!;
    const summary = { project: project.name, version: version.version, modelUri, endpoint: names.endpoint, target };
    if (args['plan-only']) {
      await effects.terraform.init(stackDir);
      const plan = await effects.terraform.plan(stackDir);
      reporter.info(describePlan(plan));
      for (const line of describeRollout(plan)) reporter.info(line);
      reporter.info('Plan only: nothing was built, pushed or applied.');
      return { ...summary, imageTag: release.image.tag, planOnly: true, plan };
    }
    const image = await applyRepositoryThenImage(effects, stackDir, {
      repository: stack!.repository,
      tag: release.image.tag,
      prepareContext: () => ({ dir: release.image.dir, cleanup: () => undefined }),
      mode: args['image-build'],
    });
    const rollout = await rollOut(effects, stackDir, names, { version: version.version, servingInputExample: release.servingInputExample, projectName: project.name }, config.settings.deployment);
    reporter.info(`Smoke test: ${names.endpoint} answered the input example:`);
    if (!args.json) process.stdout.write(`${rollout.smokeTestAnswer.trim()}\n`);

    const now = new Date();
    const alreadyTagged = version.tags?.some((tag) => tag.key.endsWith('.endpoint') && tag.value === names.endpoint);
    if (rollout.changed || rollout.previousVersion !== version.version || !alreadyTagged) {
      for (const [key, value] of Object.entries(deploymentTags(config.environment, names.endpoint, now))) await mlflow.setModelVersionTag(project.name, version.version, key, value);
      const previous = rollout.previousVersion;
      if (previous && previous !== version.version) {
        await mlflow.setModelVersionTag(project.name, previous, `${deploymentTagPrefix(config.environment)}.retired_at`, now.toISOString()).catch((error) => {
          reporter.warn(`could not tag version ${previous} as retired: ${(error as Error).message}`);
        });
      }
      reporter.info(`Tagged ${modelUri} in MLflow with ${names.endpoint}, ${config.environment.envName} and ${now.toISOString()}.`);
    }

    const { record } = release;
    await effects.metrics.publish(names.metricsNamespace, [
      ...modelMetricData(project.name, version.version, record.modelMetrics, now),
      ...(record.featureStatistics ? featureMetricData(project.name, version.version, CUSTOM_METRICS.sources.baseline, record.featureStatistics, now) : []),
    ]);
    reporter.info(`Published ${Object.keys(record.modelMetrics).length} run metrics${record.featureStatistics ? ' and the training baseline' : ''} to CloudWatch namespace ${names.metricsNamespace}.`);
    reporter.info(`Dashboard: ${String(rollout.outputs.dashboard_url)}`);
    return {
      ...summary,
      image: image.imageUri,
      imageAction: image.action,
      plan: rollout.plan,
      smokeTest: rollout.smokeTestAnswer,
      dashboardUrl: rollout.outputs.dashboard_url,
      metricsNamespace: names.metricsNamespace,
    };
  } finally {
    release.cleanup();
  }
}

/** `mlops deployment-job`. */
export async function runDeploymentJob(args: DeployArgs): Promise<void> {
  const reporter = createReporter();
  const config = loadStepConfig();
  const result = await deploymentJob(await createDeploymentEffects(config, reporter), config, args);
  if (args.json) printJson(result);
}
