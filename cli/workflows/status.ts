import { printJson } from '../command.js';
import { deploymentNames, ENDPOINT_TAGS } from '../../core/deployment/names.js';
import { ResourceNamer, stateKeys } from '../../core/naming.js';
import { formatStatus, latestVersion, servingVersion, type EnvironmentStatus, type Lookup, type ProjectStatus, type TaggedVersion, type TrainingJobStatus } from '../../core/status.js';
import { trainingResourceNames } from '../../core/training/names.js';
import type { StackConfig } from '../../stacks/common/config.js';
import { createAwsContext } from '../effects/aws.js';
import { createMlflowConnections } from '../effects/mlflow-access.js';
import { createEndpointService, type EndpointDescription } from '../effects/sagemaker-endpoint.js';
import { stateObjectChecker } from '../effects/state-bucket.js';
import { resolveTrackingUri, ssmParameterReader } from '../effects/tracking-uri.js';
import { listMlProjects } from '../ml-project.js';
import { createReporter, type Reporter } from '../progress.js';
import { loadStepConfig } from '../settings/load.js';
import { lastJobOfQueue } from '../training/aws-clients.js';
import { deploymentTagPrefix } from './deployment-release.js';

/** Every lookup `mlops status` makes, injectable so tests swap any of them. */
export interface StatusEffects {
  readonly reporter: Reporter;
  trackingUri(): Promise<string>;
  /** A registered model's versions (with their tags) and aliases; undefined when no model has that name. */
  registeredModel(trackingUri: string, name: string): Promise<{ versions: TaggedVersion[]; aliases: Record<string, string> } | undefined>;
  endpoint(name: string): Promise<EndpointDescription | undefined>;
  lastJob(jobQueue: string): Promise<TrainingJobStatus | undefined>;
  stateExists(key: string): Promise<boolean>;
}

/** Runs one lookup; whatever it throws becomes its cell's message. */
async function lookup<T>(run: () => Promise<T>): Promise<Lookup<T>> {
  try {
    return { value: await run() };
  } catch (error) {
    return { error: (error as Error).message ?? String(error) };
  }
}

/** Looks everything up at once (every project, every service), so the slowest lookup sets the wait. */
export async function collectStatus({ environment, settings }: StackConfig, projects: readonly string[], effects: StatusEffects): Promise<EnvironmentStatus> {
  const step = effects.reporter.step(`looking up ${projects.length} ML projects in ${environment.project}-${environment.envName}`);
  const trackingUri = await lookup(() => effects.trackingUri());
  const tagPrefix = deploymentTagPrefix(environment);
  const projectStatus = async (name: string): Promise<ProjectStatus> => {
    const [registry, endpoint, lastTrainingJob, trainingState, deploymentState] = await Promise.all([
      lookup(async () => {
        if (!('value' in trackingUri)) throw new Error('no MLflow server to ask (see the MLflow line above)');
        const model = await effects.registeredModel(trackingUri.value, name);
        return model && { latest: latestVersion(model.versions), serving: servingVersion(model.versions, tagPrefix), aliases: model.aliases };
      }),
      lookup(async () => {
        const endpointName = deploymentNames(environment, name, settings.deployment.metrics_namespace).endpoint;
        const found = await effects.endpoint(endpointName);
        return { name: endpointName, state: found?.status, version: found?.tags[ENDPOINT_TAGS.modelVersion], failureReason: found?.failureReason };
      }),
      lookup(() => effects.lastJob(trainingResourceNames(ResourceNamer.forEnvironment(environment.project, environment.envName).child(name)).jobQueue)),
      lookup(() => effects.stateExists(stateKeys.training(environment, name))),
      lookup(() => effects.stateExists(stateKeys.deployment(environment, name))),
    ]);
    return { project: name, registry, endpoint, lastTrainingJob, trainingState, deploymentState };
  };
  const [mlflowServerState, projectStatuses] = await Promise.all([
    lookup(() => effects.stateExists(stateKeys.mlflowServer(environment))),
    Promise.all(projects.map(projectStatus)),
  ]);
  step.done();
  const { project, envName, region, stateBucket } = environment;
  return { project, envName, region, stateBucket, trackingUri, mlflowServerState, projects: projectStatuses };
}

export function createStatusEffects({ environment, settings }: StackConfig, reporter: Reporter, env: NodeJS.ProcessEnv = process.env): StatusEffects {
  const aws = createAwsContext(environment.region, env);
  const endpoints = createEndpointService(aws);
  const mlflow = createMlflowConnections(aws, environment, env);
  return {
    reporter,
    trackingUri: () => resolveTrackingUri(settings, environment, env, ssmParameterReader(aws)),
    async registeredModel(trackingUri, name) {
      const client = mlflow.client(trackingUri);
      const aliases = await client.modelAliases(name);
      return aliases && { aliases, versions: await client.searchModelVersions(`name='${name.replace(/'/g, "\\'")}'`) };
    },
    endpoint: (name) => endpoints.describe(name),
    lastJob: lastJobOfQueue(aws),
    stateExists: stateObjectChecker(aws, environment.stateBucket),
  };
}

/** `mlops status`. */
export async function runStatus({ json }: { json: boolean }): Promise<void> {
  const config = loadStepConfig();
  const status = await collectStatus(config, listMlProjects(), createStatusEffects(config, createReporter()));
  // A script reads "nothing there" as null rather than a missing field.
  if (json) printJson(JSON.parse(JSON.stringify(status, (_key, value: unknown) => (value === undefined ? null : value))));
  else process.stdout.write(`${formatStatus(status)}\n`);
}
