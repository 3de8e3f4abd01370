import { deploymentNames, ENDPOINT_TAGS } from '../../core/deployment/names.js';
import { formatSyncOutcome, parseAlias, syncAction, type SyncOutcome } from '../../core/deployment/promotion.js';
import { ExternalError, UsageError } from '../../core/errors.js';
import type { StackConfig } from '../../stacks/common/config.js';
import { printJson } from '../command.js';
import type { ImageBuildMode } from '../effects/container-image.js';
import type { EndpointDescription } from '../effects/sagemaker-endpoint.js';
import { resolveTrackingUri } from '../effects/tracking-uri.js';
import { listMlProjects } from '../ml-project.js';
import { createReporter, type Reporter } from '../progress.js';
import { loadStepConfig } from '../settings/load.js';
import { createDeploymentEffects, deploymentJob, type DeploymentEffects } from './deployment-job.js';

export interface SyncArgs {
  alias?: string;
  json: boolean;
  'image-build': ImageBuildMode;
}

/** What sync looks up and does, injectable so tests swap any of it. */
export interface SyncEffects {
  readonly reporter: Reporter;
  projects(): string[];
  trackingUri(): Promise<string>;
  /** The version `@alias` names; undefined when the model or the alias does not exist. */
  aliasVersion(trackingUri: string, project: string, alias: string): Promise<string | undefined>;
  endpoint(name: string): Promise<EndpointDescription | undefined>;
  /** The same rollout `deployment-job` does, for one version. */
  deploy(project: string, version: string): Promise<void>;
}

/**
 * For every ML project: deploys the version this environment's alias names when the endpoint
 * serves another (or none), leaves it when it already serves it, and never touches a project
 * without the alias. One project's failure is reported and the others still run.
 */
export async function sync(effects: SyncEffects, config: StackConfig, args: Pick<SyncArgs, 'alias'>): Promise<SyncOutcome[]> {
  const { reporter } = effects;
  const alias = parseAlias(args.alias ?? config.environment.envName, args.alias ? '--alias' : 'TF_VAR_env_name (the alias sync follows)');
  const projects = effects.projects();
  const trackingUri = await effects.trackingUri();
  reporter.info(`Syncing ${projects.length} ML projects of ${config.environment.project}-${config.environment.envName} with @${alias} in ${trackingUri}.`);
  const outcomes: SyncOutcome[] = [];
  for (const project of projects) {
    let outcome: SyncOutcome;
    try {
      const aliasVersion = await effects.aliasVersion(trackingUri, project, alias);
      const endpointName = deploymentNames(config.environment, project, config.settings.deployment.metrics_namespace).endpoint;
      const endpoint = aliasVersion === undefined ? undefined : await effects.endpoint(endpointName);
      const action = syncAction(alias, aliasVersion, endpoint && { status: endpoint.status, version: endpoint.tags[ENDPOINT_TAGS.modelVersion] });
      if (action.kind === 'skip') outcome = { project, result: 'skipped', detail: action.reason };
      else if (action.kind === 'unchanged') outcome = { project, result: 'unchanged', version: action.version };
      else {
        reporter.info(`${project}: @${alias} names version ${action.version}, ${endpointName} serves ${action.previousVersion ?? 'nothing'}: rolling out.`);
        await effects.deploy(project, action.version);
        outcome = { project, result: 'rolled out', version: action.version, previousVersion: action.previousVersion };
      }
    } catch (error) {
      if (!(error instanceof UsageError || error instanceof ExternalError)) throw error;
      reporter.warn(`${project}: ${error.message}`);
      outcome = { project, result: 'failed', detail: error.message.split('\n')[0] };
    }
    outcomes.push(outcome);
  }
  return outcomes;
}

/** `mlops sync`. */
export async function runSync(args: SyncArgs): Promise<void> {
  const reporter = createReporter();
  const config = loadStepConfig();
  let deployment: DeploymentEffects | undefined;
  const deploymentEffects = async () => (deployment ??= await createDeploymentEffects(config, reporter));
  const outcomes = await sync(
    {
      reporter,
      projects: () => listMlProjects(),
      trackingUri: async () => resolveTrackingUri(config.settings, config.environment, process.env, (await deploymentEffects()).parameters),
      aliasVersion: async (uri, project, alias) => {
        const client = (await deploymentEffects()).mlflow(uri);
        return (await client.modelAliases(project))?.[alias];
      },
      endpoint: async (name) => (await deploymentEffects()).endpoints.describe(name),
      deploy: async (project, version) => {
        // --json keeps deployment-job's own output off stdout, which holds sync's lines.
        await deploymentJob(await deploymentEffects(), config, { project, model: version, json: true, 'image-build': args['image-build'] });
      },
    },
    config,
    args,
  );
  if (args.json) printJson({ alias: args.alias ?? config.environment.envName, projects: outcomes });
  else {
    const width = Math.max(0, ...outcomes.map((outcome) => outcome.project.length));
    for (const outcome of outcomes) process.stdout.write(`${formatSyncOutcome(outcome, width)}\n`);
  }
  const failed = outcomes.filter((outcome) => outcome.result === 'failed');
  if (failed.length > 0) throw new ExternalError(`sync: ${failed.length} of ${outcomes.length} ML projects failed: ${failed.map((outcome) => outcome.project).join(', ')}`);
}
