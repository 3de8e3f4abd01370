import { CUSTOM_METRICS } from '../../core/deployment/names.js';
import { featureMetricData, modelMetricData } from '../../core/deployment/metrics.js';
import { describeTarget } from '../../core/deployment/target.js';
import { UsageError } from '../../core/errors.js';
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
import { planCounts } from '../effects/terraform.js';
import { resolveTrackingUri, ssmParameterReader, type ParameterReader } from '../effects/tracking-uri.js';
import { loadMlProject } from '../ml-project.js';
import { createReporter } from '../progress.js';
import { loadStepConfig } from '../settings/load.js';
import { reviewPlan } from '../stack-lifecycle.js';
import { synthesize } from '../synth.js';
import { prepareRelease, shadowTags, tagServingVersion } from './deployment-release.js';
import { currentDeployment, refuseServerlessShadow } from './deployment-shadow.js';
import { describeRollout, rollOut } from './deployment-rollout.js';
import { applyRepositoryThenImage } from './repository-then-image.js';
import { createStepEffects, type StepEffects } from './step-effects.js';

export interface DeployArgs {
  project: string;
  model: string;
  json: boolean;
  'image-build': ImageBuildMode;
  'plan-only'?: boolean;
  'max-monthly-usd'?: number;
  /** Run the version as a shadow beside the serving one instead of replacing it. */
  shadow?: boolean;
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
  if (args.shadow) refuseServerlessShadow(project.name, target);
  const trackingUri = await resolveTrackingUri(config.settings, config.environment, effects.env, effects.parameters);
  const mlflow = effects.mlflow(trackingUri);
  const version = await resolveModelVersion(mlflow, project.name, spec);
  const modelUri = `models:/${project.name}/${version.version}`;
  // A shadow runs beside what serves now: the serving version's release comes back from its record.
  const serving = args.shadow ? await currentDeployment(effects, config, project.name) : undefined;
  if (args.shadow) {
    if (!serving) {
      throw new UsageError(`${project.name} has no endpoint in ${config.environment.envName} yet: a shadow runs beside a serving version, so deploy one first (make deployment-job project=${project.name} model=N)`);
    }
    if (serving.production.version === version.version) {
      throw new UsageError(`version ${version.version} of ${project.name} already serves on its endpoint: a shadow is another version`);
    }
    if (serving.shadow && serving.shadow.version !== version.version) reporter.info(`Version ${version.version} replaces version ${serving.shadow.version} as the shadow.`);
  }
  reporter.info(`Deploying ${modelUri} (run ${version.run_id ?? 'unknown'}) on ${describeTarget(target)}${serving ? ` as a shadow beside version ${serving.production.version}` : ''}.`);
  const release = await prepareRelease(effects, trackingUri, version, reporter);
  try {
    const candidate = { imageTag: release.image.tag, record: release.record };
    let stack: DeploymentStack | undefined;
    const [stackDir] = synthesize((app) => [
      (stack = serving
        ? buildDeploymentStack(app, config, project, serving.production.version, serving.production.release, target, { modelVersion: version.version, release: candidate })
        : buildDeploymentStack(app, config, project, version.version, candidate, target)),
    ]);
    const { names } = stack!;
    const summary = { project: project.name, version: version.version, modelUri, endpoint: names.endpoint, target, ...(serving ? { shadowOf: serving.production.version } : {}) };
    const review = { region: config.environment.region, what: `the deployment stack of ${project.name}`, maxMonthlyUsd: args['max-monthly-usd'] };
    if (args['plan-only']) {
      await effects.terraform.init(stackDir);
      const plan = await effects.terraform.plan(stackDir);
      const cost = reviewPlan(plan, reporter, review);
      for (const line of describeRollout(plan)) reporter.info(line);
      reporter.info('Plan only: nothing was built, pushed or applied.');
      return { ...summary, imageTag: release.image.tag, planOnly: true, plan: planCounts(plan), cost };
    }
    const image = await applyRepositoryThenImage(
      effects,
      stackDir,
      { repository: stack!.repository, tag: release.image.tag, prepareContext: () => ({ dir: release.image.dir, cleanup: () => undefined }), mode: args['image-build'] },
      review,
    );
    const rollout = await rollOut(
      effects,
      stackDir,
      names,
      serving
        ? { version: serving.production.version, servingInputExample: serving.production.release.record.servingInputExample ?? undefined, projectName: project.name, shadowVersion: version.version }
        : { version: version.version, servingInputExample: release.servingInputExample, projectName: project.name },
      config.settings.deployment,
      review,
    );
    if (rollout.smokeTestAnswer !== undefined) {
      reporter.info(`Smoke test: ${names.endpoint} answered the input example${serving ? ` (version ${serving.production.version} answers; the shadow answers nobody)` : ''}:`);
      if (!args.json) process.stdout.write(`${rollout.smokeTestAnswer.trim()}\n`);
    }

    const now = new Date();
    if (serving) {
      for (const [key, value] of Object.entries(shadowTags(config.environment, names.endpoint, now))) await mlflow.setModelVersionTag(project.name, version.version, key, value);
      reporter.info(`Tagged ${modelUri} in MLflow as the shadow on ${names.endpoint}; make promote project=${project.name} makes it serve, make shadow-rm project=${project.name} drops it.`);
    } else {
      const alreadyTagged = version.tags?.some((tag) => tag.key.endsWith('.endpoint') && tag.value === names.endpoint);
      if (rollout.changed || rollout.previousVersion !== version.version || !alreadyTagged) {
        await tagServingVersion(mlflow, config.environment, names.endpoint, { name: project.name, version: version.version, previous: rollout.previousVersion }, now, reporter);
      }
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
      plan: planCounts(rollout.plan),
      cost: rollout.cost,
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
