import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv } from 'yargs';
import { resolveTrackingUri } from '../effects/tracking-uri.js';
import type { Command } from '../command.js';
import { printJson, withJson, withModel, withProject, withYes } from '../command.js';
import { buildDeploymentStack, deploymentStackId, placeholderRelease } from '../builders/deployment.js';
import { createContainerEngine } from '../effects/container-engine.js';
import { createEcrRegistry, publishImage, type ImageBuildMode } from '../effects/container-image.js';
import { createMetricsPublisher } from '../effects/cloudwatch-metrics.js';
import { createDeploymentBucket } from '../effects/deployment-bucket.js';
import { MlflowClient, parseModelSpec, resolveModelVersion } from '../effects/mlflow.js';
import { downloadModel } from '../effects/model-artifacts.js';
import { readRunArtifact } from '../effects/run-artifacts.js';
import { createEndpointService, smokeTest, waitForInService, watchEndpointDuring } from '../effects/sagemaker-endpoint.js';
import { prepareServingImage, repositoryUri } from '../effects/serving-image.js';
import { createTerraformRunner, describePlan, resolveTerraformBinary, type PlanSummary } from '../effects/terraform.js';
import { ExternalError, UsageError } from '../errors.js';
import { baselineFromDescribe, signatureFeatures } from '../deployment/feature-statistics.js';
import { featureMetricData, modelMetricData } from '../deployment/metrics.js';
import { CUSTOM_METRICS, deploymentNames } from '../deployment/names.js';
import { metricsOfRun, orderedFeatures, type ReleaseRecord } from '../deployment/release-record.js';
import { describeTarget, endpointTarget } from '../deployment/target.js';
import { loadMlProject } from '../ml-project.js';
import { createReporter, type Reporter } from '../progress.js';
import { loadSettings, readEnvironment, type Environment } from '../settings/load.js';
import { parseRequirementEntries } from '../settings/resource-requirements.js';
import { destroyStack } from '../stack-lifecycle.js';
import { synthesize } from '../synth.js';
import { ENDPOINT_TAGS } from '../../stacks/deployment-stack.js';

/** Where training logs the per-feature statistics of its training data (see ml-projects/test-project/train.py). */
export const BASELINE_ARTIFACT = 'baseline/feature_statistics.json';

export const EMULATOR_WORKAROUNDS_FILE = 'emulator_deployment_override.tf.json';

/**
 * What moto (the test emulator) does not keep or cannot evaluate, by resource type. Without these,
 * every plan against it would show changes (or deny every request) that AWS would not.
 */
const EMULATOR_GAPS: { type: string; override: Record<string, unknown>; reason: string }[] = [
  {
    type: 'aws_s3_bucket_policy',
    override: { count: 0 },
    reason: "moto evaluates a bucket policy's conditions without request context, so a TLS-only deny denies every request",
  },
  { type: 'aws_s3_bucket', override: { lifecycle: { ignore_changes: ['tags', 'tags_all'] } }, reason: 'moto keeps no tags the provider sets on a bucket' },
  { type: 'aws_sagemaker_endpoint', override: { lifecycle: { ignore_changes: ['deployment_config'] } }, reason: "moto drops an endpoint's DeploymentConfig" },
  {
    type: 'aws_sagemaker_model',
    override: { lifecycle: { ignore_changes: ['enable_network_isolation', 'primary_container', 'tags'] } },
    reason: "moto always answers EnableNetworkIsolation=false and an empty container environment",
  },
];

/**
 * With AWS_ENDPOINT_URL pointing at an emulator (never against AWS; the file is removed otherwise),
 * an override file next to the synthesized stack bridges the emulator's gaps (EMULATOR_GAPS) for the
 * resources of those types; everything else is applied as written.
 */
export function writeEmulatorWorkarounds(stackDir: string, env: NodeJS.ProcessEnv): void {
  const file = join(stackDir, EMULATOR_WORKAROUNDS_FILE);
  if (!env.AWS_ENDPOINT_URL) {
    rmSync(file, { force: true });
    return;
  }
  const config = JSON.parse(readFileSync(join(stackDir, 'cdk.tf.json'), 'utf8')) as { resource?: Record<string, Record<string, unknown>> };
  const resource: Record<string, Record<string, unknown>> = {};
  for (const gap of EMULATOR_GAPS) {
    const ids = Object.keys(config.resource?.[gap.type] ?? {});
    if (ids.length > 0) resource[gap.type] = Object.fromEntries(ids.map((id) => [id, gap.override]));
  }
  writeFileSync(file, `${JSON.stringify(Object.keys(resource).length > 0 ? { resource } : {}, null, 2)}\n`);
}

/** How often the endpoint's state is polled while waiting (MLOPS_POLL_SECONDS shortens it for tests). */
const pollMs = (env: NodeJS.ProcessEnv) => Math.max(1, Number(env.MLOPS_POLL_SECONDS ?? 15)) * 1000;

/** MLflow tags that say where and when a version serves, per environment. */
export function deploymentTags(environment: Environment, endpointName: string, at: Date): Record<string, string> {
  const prefix = `mlops.deployment.${environment.project}-${environment.envName}`;
  return {
    [`${prefix}.endpoint`]: endpointName,
    [`${prefix}.environment`]: environment.envName,
    [`${prefix}.region`]: environment.region,
    [`${prefix}.deployed_at`]: at.toISOString(),
  };
}

/** What a plan does to the endpoint, in words: a rollout updates it in place, never replaces it. */
export function describeRollout(plan: PlanSummary): string[] {
  const lines: string[] = [];
  const isEndpoint = (address: string) => address.startsWith('aws_sagemaker_endpoint.');
  const endpointUpdated = plan.updateInPlace.filter(isEndpoint);
  const endpointReplaced = plan.replace.filter(isEndpoint);
  const newRelease = plan.replace.filter((address) => /^aws_sagemaker_(model|endpoint_configuration)\./.test(address));
  if (endpointUpdated.length > 0) lines.push(`The endpoint is updated in place (blue/green, no downtime): ${endpointUpdated.join(', ')}`);
  if (endpointReplaced.length > 0) lines.push(`warning: the endpoint would be REPLACED (downtime): ${endpointReplaced.join(', ')}`);
  if (newRelease.length > 0) lines.push(`New model and endpoint configuration created before the old ones are destroyed: ${newRelease.join(', ')}`);
  return lines;
}

const withImageBuild = <T>(yargs: Argv<T>) =>
  yargs.option('image-build', {
    choices: ['auto', 'skip'] as const,
    default: 'auto' as const,
    describe: 'auto: build and push the serving image unless ECR has it; skip: never build (emulators, which cannot store image layers)',
  });

interface DeployArgs {
  project: string;
  model: string;
  json: boolean;
  'image-build': ImageBuildMode;
  'plan-only'?: boolean;
}

export const deploymentJob: Command<DeployArgs> = {
  command: 'deployment-job',
  describe:
    'Deploy one MLflow model version of a project to its SageMaker endpoint (blue/green with alarm rollback), smoke-test it, tag the version and publish its metrics',
  builder: (yargs) =>
    withImageBuild(withJson(withModel(withProject(yargs)))).option('plan-only', {
      type: 'boolean',
      default: false,
      describe: 'Resolve the version and show what the rollout would change (plan summary), without building, pushing or applying anything',
    }) as unknown as Argv<DeployArgs>,
  handler: async (args) => {
    const result = await runDeploymentJob(args, createReporter());
    if (args.json) printJson(result);
  },
};

export async function runDeploymentJob(args: DeployArgs, reporter: Reporter, env: NodeJS.ProcessEnv = process.env) {
  // Everything the user named is checked before anything is built or applied.
  const settings = loadSettings();
  const environment = readEnvironment(env);
  const project = loadMlProject(args.project);
  const spec = parseModelSpec(args.model);
  const target = endpointTarget(project, parseRequirementEntries(settings.default_resource_requirements).values, settings.deployment.instance_count);
  const names = deploymentNames(environment, project.name, settings.deployment.metrics_namespace);
  const trackingUri = await resolveTrackingUri(settings, environment, env);
  const mlflow = new MlflowClient(trackingUri);
  const version = await resolveModelVersion(mlflow, project.name, spec);
  const modelUri = `models:/${project.name}/${version.version}`;
  reporter.info(`Deploying ${modelUri} (run ${version.run_id ?? 'unknown'}) to ${names.endpoint} on ${describeTarget(target)}.`);

  const model = await downloadModel(trackingUri, modelUri, env);
  let context: Awaited<ReturnType<typeof prepareServingImage>> | undefined;
  try {
    if (!model.servingInputExample) {
      throw new UsageError(`${modelUri} was logged without an input example, which the smoke test sends: log the model with input_example=…`);
    }
    const run = version.run_id ? await mlflow.run(version.run_id) : undefined;
    const baselineText = version.run_id ? await readRunArtifact(trackingUri, version.run_id, BASELINE_ARTIFACT, env) : undefined;
    const featureStatistics = baselineText ? baselineFromDescribe(JSON.parse(baselineText)) : null;
    if (!featureStatistics) reporter.info(`The run logged no ${BASELINE_ARTIFACT}: the dashboard's data row shows captured requests only.`);
    const record: ReleaseRecord = {
      mlProject: project.name,
      modelVersion: version.version,
      runId: version.run_id ?? null,
      modelMetrics: metricsOfRun(run?.data.metrics),
      features: orderedFeatures(signatureFeatures(model.mlmodel), featureStatistics),
      featureStatistics,
    };

    context = await prepareServingImage(model.dir, version.version, env);
    reporter.info(`Serving image: MLflow ${context.mlflowVersion} serving container with ${modelUri} baked in, tag ${context.tag}.`);

    const config = { environment, settings };
    let repositoryAddress = '';
    const [stackDir] = synthesize((app) => {
      const stack = buildDeploymentStack(app, config, project, version.version, { imageTag: context!.tag, record });
      repositoryAddress = `aws_ecr_repository.${stack.repository.repository.friendlyUniqueId}`;
      return [stack];
    });
    writeEmulatorWorkarounds(stackDir, env);
    const terraform = createTerraformRunner(await resolveTerraformBinary(env), reporter, env);
    await terraform.init(stackDir);
    if (args['plan-only']) {
      const plan = await terraform.plan(stackDir);
      reporter.info(describePlan(plan));
      for (const line of describeRollout(plan)) reporter.info(line);
      reporter.info('Plan only: nothing was built, pushed or applied.');
      return { project: project.name, version: version.version, modelUri, endpoint: names.endpoint, target, imageTag: context.tag, planOnly: true, plan };
    }

    // The repository first: the image must be in it before SageMaker is asked to run it.
    const repositoryPlan = await terraform.plan(stackDir, { targets: [repositoryAddress] });
    if (repositoryPlan.add + repositoryPlan.change + repositoryPlan.destroy > 0) {
      reporter.info(`Creating the serving image repository ${names.repository}.`);
      await terraform.applyPlan(stackDir);
    }
    const image = await publishImage({
      registry: createEcrRegistry(),
      docker: createContainerEngine(),
      repositoryName: names.repository,
      repositoryUri: await repositoryUri(names.repository),
      tag: context.tag,
      prepareContext: () => ({ dir: context!.dir, cleanup: () => undefined }),
      mode: args['image-build'],
      reporter,
    });

    const endpoints = createEndpointService();
    const before = await endpoints.describe(names.endpoint);
    const previousVersion = before?.tags[ENDPOINT_TAGS.modelVersion];
    const plan = await terraform.plan(stackDir);
    reporter.info(describePlan(plan));
    for (const line of describeRollout(plan)) reporter.info(line);
    const replacedEndpoint = plan.replace.filter((address) => address.startsWith('aws_sagemaker_endpoint.'));
    if (before && replacedEndpoint.length > 0) {
      throw new ExternalError(
        `refusing to apply: the plan replaces the endpoint ${names.endpoint} (${replacedEndpoint.join(', ')}), which would take it down; a rollout only updates it in place. Remove the deployment first (make deployment-job-rm project=${project.name}) if a new endpoint is really meant.`,
      );
    }
    const changed = plan.add + plan.change + plan.destroy > 0;
    if (changed) {
      if (before && previousVersion !== version.version) {
        reporter.info(`Rolling out version ${version.version} over version ${previousVersion ?? '?'}: blue/green, rolled back if ${names.alarm5xx} or ${names.alarmLatency} fires.`);
      }
      const apply = terraform.applyPlan(stackDir);
      await watchEndpointDuring(endpoints, names.endpoint, apply, { pollMs: pollMs(env), report: (message) => reporter.info(`  ${message}`) });
    } else {
      reporter.info(`No changes: ${names.endpoint} already serves ${modelUri} as configured.`);
    }
    const outputs = await terraform.outputs(stackDir);

    const step = reporter.step(`waiting for ${names.endpoint} to be InService`);
    const endpoint = await waitForInService(endpoints, names.endpoint, {
      timeoutMs: settings.deployment.endpoint_wait_minutes * 60_000,
      pollMs: pollMs(env),
      report: (message) => step.update(message),
    }).catch((error) => {
      step.fail();
      throw error;
    });
    step.done(`${names.endpoint} is InService`);
    if (outputs.endpoint_config_name && endpoint.configName !== outputs.endpoint_config_name) {
      throw new ExternalError(
        `the rollout of version ${version.version} was rolled back: ${names.endpoint} serves ${endpoint.configName}, not ${String(outputs.endpoint_config_name)} (a rollback alarm fired or the new fleet failed; see the dashboard)`,
      );
    }

    const answer = await smokeTest(endpoints, names.endpoint, model.servingInputExample);
    reporter.info(`Smoke test: ${names.endpoint} answered the input example:`);
    if (!args.json) process.stdout.write(`${answer.trim()}\n`);

    const now = new Date();
    if (changed || previousVersion !== version.version || !version.tags?.some((tag) => tag.key.endsWith('.endpoint') && tag.value === names.endpoint)) {
      for (const [key, value] of Object.entries(deploymentTags(environment, names.endpoint, now))) await mlflow.setModelVersionTag(project.name, version.version, key, value);
      if (previousVersion && previousVersion !== version.version) {
        const prefix = `mlops.deployment.${environment.project}-${environment.envName}`;
        await mlflow.setModelVersionTag(project.name, previousVersion, `${prefix}.retired_at`, now.toISOString()).catch((error) => {
          reporter.warn(`could not tag version ${previousVersion} as retired: ${(error as Error).message}`);
        });
      }
      reporter.info(`Tagged ${modelUri} in MLflow with ${names.endpoint}, ${environment.envName} and ${now.toISOString()}.`);
    }

    const metrics = createMetricsPublisher();
    const data = [
      ...modelMetricData(project.name, version.version, record.modelMetrics, now),
      ...(record.featureStatistics ? featureMetricData(project.name, version.version, CUSTOM_METRICS.sources.baseline, record.featureStatistics, now) : []),
    ];
    await metrics.publish(names.metricsNamespace, data);
    reporter.info(`Published ${Object.keys(record.modelMetrics).length} run metrics${record.featureStatistics ? ' and the training baseline' : ''} to CloudWatch namespace ${names.metricsNamespace}.`);
    reporter.info(`Dashboard: ${String(outputs.dashboard_url)}`);
    return {
      project: project.name,
      version: version.version,
      modelUri,
      endpoint: names.endpoint,
      target,
      image: image.imageUri,
      imageAction: image.action,
      plan,
      smokeTest: answer,
      dashboardUrl: outputs.dashboard_url,
      metricsNamespace: names.metricsNamespace,
    };
  } finally {
    context?.cleanup();
    model.cleanup();
  }
}

interface RemoveArgs {
  project: string;
  yes: boolean;
  'keep-data': boolean;
}

export const deploymentJobRm: Command<RemoveArgs> = {
  command: 'deployment-job-rm',
  describe: "Remove a project's deployment: endpoint, models, configurations, alarms, dashboard, role, ECR repository and its captured data",
  builder: (yargs) =>
    withYes(withProject(yargs)).option('keep-data', {
      type: 'boolean',
      default: false,
      describe: "Keep the captured requests and release records under the deployment's path of the artifact bucket",
    }) as unknown as Argv<RemoveArgs>,
  handler: async (args) => {
    const reporter = createReporter();
    const settings = loadSettings();
    const environment = readEnvironment();
    const project = loadMlProject(args.project);
    const names = deploymentNames(environment, project.name, settings.deployment.metrics_namespace);
    const [stackDir] = synthesize((app) => [buildDeploymentStack(app, { environment, settings }, project, '1', placeholderRelease(project.name, '1'))]);
    writeEmulatorWorkarounds(stackDir, process.env);
    const terraform = createTerraformRunner(await resolveTerraformBinary(), reporter);
    await terraform.init(stackDir);
    const outputs = await terraform.outputs(stackDir);
    await destroyStack(stackDir, terraform, reporter, { yes: args.yes, what: `the deployment of ${project.name} (stack ${deploymentStackId(project.name)})` });
    const bucket = typeof outputs.artifact_bucket === 'string' ? outputs.artifact_bucket : undefined;
    // The deployment's own bucket went with the stack (force_destroy); the artifact bucket stays, so its path is emptied.
    if (bucket && bucket !== names.ownBucket && !args['keep-data']) {
      const removed = await createDeploymentBucket().deletePrefix(bucket, `${names.s3Prefix}/`);
      reporter.info(`Removed ${removed} objects (captured requests, release records) under s3://${bucket}/${names.s3Prefix}/.`);
    }
    reporter.info(`Removed the deployment of ${project.name}. CloudWatch keeps the custom metrics already published until they expire (15 months).`);
  },
};
