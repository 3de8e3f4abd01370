import { aliasEnvironment, LINEAGE_TAGS, parseAlias, promotionActor, promotionTags, registryForRecord, sourceStackToAsk } from '../../core/deployment/promotion.js';
import { UsageError } from '../../core/errors.js';
import { checkMlProjectName } from '../../core/ml-project.js';
import type { StackConfig } from '../../stacks/common/config.js';
import { createAwsContext } from '../effects/aws.js';
import { uniqueRunName, type MlflowClient, type ModelVersion } from '../effects/mlflow.js';
import { createMlflowConnections } from '../effects/mlflow-access.js';
import { copyModelVersion, type CopyRequest } from '../effects/model-copy.js';
import { explicitTrackingUri, resolveTrackingUri, ssmParameterReader } from '../effects/tracking-uri.js';
import { sharedParameterNames } from '../../core/naming.js';
import { printJson } from '../command.js';
import { createReporter, type Reporter } from '../progress.js';
import { loadStepConfig } from '../settings/load.js';
import { BASELINE_ARTIFACT, deploymentTagPrefix } from './deployment-release.js';

export interface PromoteModelArgs {
  project: string;
  from: string;
  /** Default: the environment's name. */
  to?: string;
  'from-tracking-uri'?: string;
  json: boolean;
}

/** What a promotion touches, injectable so tests can swap it. */
export interface PromotionEffects {
  readonly reporter: Reporter;
  readonly env: NodeJS.ProcessEnv;
  /** This environment's MLflow server, the target registry; fromStack: the URI its MLflow server stack published (not MLFLOW_TRACKING_URI or tracking_uri). */
  targetTrackingUri(): Promise<{ uri: string; fromStack: boolean }>;
  /** The tracking URI the MLflow server stack of another environment of this project published; undefined without one. */
  publishedTrackingUri(envName: string): Promise<string | undefined>;
  /** A client for either registry, with the credential and CA of the environment whose stack published it. */
  mlflow(trackingUri: string): MlflowClient;
  copyVersion(request: CopyRequest): Promise<{ version: string; runId: string }>;
  now(): Date;
}

export interface PromotionResult {
  readonly project: string;
  readonly from: string;
  readonly to: string;
  readonly sourceRegistry: string;
  readonly targetRegistry: string;
  readonly sourceVersion: string;
  readonly version: string;
  /** The version `@to` named before; undefined when the alias is new. */
  readonly previousVersion?: string;
  /** unchanged: `@to` already named it; promoted: the alias moved; copied: a new version was made in the target registry first. */
  readonly action: 'unchanged' | 'promoted' | 'copied';
}

const tagsOf = (version: ModelVersion) => Object.fromEntries((version.tags ?? []).map((tag) => [tag.key, tag.value]));

/** A version of the target registry copied earlier from this source version, so a second promotion reuses it. */
async function findCopy(target: MlflowClient, name: string, sourceRegistry: string, sourceVersion: string): Promise<ModelVersion | undefined> {
  if (!(await target.registeredModelExists(name))) return undefined;
  const versions = await target.searchModelVersions(`name='${name}'`);
  return versions.find((version) => {
    const tags = tagsOf(version);
    return tags[LINEAGE_TAGS.registry] === sourceRegistry && tags[LINEAGE_TAGS.version] === sourceVersion;
  });
}

/**
 * Points the target alias at the version the source alias names: in one registry by moving the
 * alias, across registries by copying the version first (once: a copy is found again by its
 * lineage tags). The tags say who promoted what from where; nothing changes when `@to` already
 * names the version.
 */
export async function promoteModel(effects: PromotionEffects, config: StackConfig, args: PromoteModelArgs): Promise<PromotionResult> {
  const { reporter } = effects;
  checkMlProjectName(args.project, 'project= (--project)');
  const from = parseAlias(args.from, 'from= (--from)');
  const to = parseAlias(args.to ?? config.environment.envName, args.to === undefined ? 'TF_VAR_env_name (the default of to=)' : 'to= (--to)');
  const targetRegistry = await effects.targetTrackingUri();
  const targetUri = targetRegistry.uri;
  const given = args['from-tracking-uri']?.trim();
  const sourceStack = sourceStackToAsk({ fromAlias: from, envName: config.environment.envName, targetFromStack: targetRegistry.fromStack, sourceGiven: Boolean(given) });
  const sourcePublished = sourceStack ? await effects.publishedTrackingUri(sourceStack) : undefined;
  const sourceUri = given || sourcePublished || targetUri;
  // Says where the source registry was found, in the messages that would otherwise puzzle.
  const sourceOrigin = given
    ? 'from_uri='
    : sourcePublished
      ? `published by the MLflow server stack of environment "${sourceStack}"`
      : `this environment's server: no from_uri=${sourceStack ? ` and no MLflow server stack of "${sourceStack}"` : ''}`;
  if (sourcePublished) reporter.info(`Source registry: ${registryForRecord(sourceUri)} (${sourceOrigin}).`);
  const sameRegistry = registryForRecord(sourceUri) === registryForRecord(targetUri);
  if (from === to && sameRegistry) throw new UsageError(`from= and to= are both @${from} in one registry: nothing to promote (name another alias, or the other environment's server with from_uri=)`);
  const name = args.project;
  const source = effects.mlflow(sourceUri);
  const target = sameRegistry ? source : effects.mlflow(targetUri);

  const aliases = await source.modelAliases(name);
  if (!aliases) throw new UsageError(`MLflow at ${sourceUri} (${sourceOrigin}) has no registered model "${name}": train and deploy it in the source environment first, or name its server with from_uri=`);
  const sourceVersion = await source.modelVersionByAlias(name, from);
  if (!sourceVersion) {
    const known = Object.entries(aliases).map(([alias, version]) => `@${alias} → ${version}`);
    throw new UsageError(`model "${name}" in ${sourceUri} (${sourceOrigin}) has no alias @${from} (aliases: ${known.join(', ') || 'none'}): give the version that serves there the alias first (MlflowClient().set_registered_model_alias("${name}", "${from}", N))`);
  }
  const sourceEndpoint = tagsOf(sourceVersion)[`${deploymentTagPrefix({ project: config.environment.project, envName: from })}.endpoint`];
  if (!sourceEndpoint) reporter.warn(`version ${sourceVersion.version} carries @${from}, but no deployment in environment "${from}" recorded it: it may never have served there`);

  let version = sourceVersion.version;
  let copied = false;
  if (!sameRegistry) {
    const sourceRegistry = registryForRecord(sourceUri);
    const existing = await findCopy(target, name, sourceRegistry, sourceVersion.version);
    if (existing) {
      version = existing.version;
      reporter.info(`Version ${sourceVersion.version} of ${sourceRegistry} was copied before: version ${version} of ${registryForRecord(targetUri)}.`);
    } else {
      const step = reporter.step(`copying models:/${name}/${sourceVersion.version} from ${sourceRegistry} to ${registryForRecord(targetUri)}`);
      const lineage = { [LINEAGE_TAGS.registry]: sourceRegistry, [LINEAGE_TAGS.version]: sourceVersion.version, [LINEAGE_TAGS.runId]: sourceVersion.run_id ?? '' };
      const copy = await effects
        .copyVersion({ name, version: sourceVersion.version, sourceUri, targetUri, runName: uniqueRunName('promote', name, effects.now()), tags: lineage, baselineArtifact: BASELINE_ARTIFACT })
        .catch((error) => {
          step.fail();
          throw error;
        });
      step.done(`copied as version ${copy.version} (run ${copy.runId})`);
      version = copy.version;
      copied = true;
    }
  }

  const previousVersion = (await target.modelAliases(name))?.[to];
  const result = { project: name, from, to, sourceRegistry: registryForRecord(sourceUri), targetRegistry: registryForRecord(targetUri), sourceVersion: sourceVersion.version, version, previousVersion };
  if (previousVersion === version) {
    reporter.info(`@${to} already names version ${version} of "${name}": nothing changed.`);
    return { ...result, action: 'unchanged' };
  }
  const actor = promotionActor(effects.env);
  const tags = promotionTags({
    toAlias: to,
    fromAlias: from,
    sourceVersion: sourceVersion.version,
    sourceRegistry: sameRegistry ? undefined : registryForRecord(sourceUri),
    sourceEndpoint,
    replacedVersion: previousVersion,
    by: actor.by,
    via: actor.via,
    at: effects.now(),
  });
  // The record first, then the alias: a failure in between leaves a tagged version and an unmoved alias, never a move without its record.
  for (const [key, value] of Object.entries(tags)) await target.setModelVersionTag(name, version, key, value);
  await target.setModelAlias(name, to, version);
  reporter.info(`models:/${name}@${to} → version ${version} (was ${previousVersion ?? 'unset'}), from @${from} version ${sourceVersion.version}${sameRegistry ? '' : ` of ${registryForRecord(sourceUri)}`}, by ${actor.by}.`);
  return { ...result, action: copied ? 'copied' : 'promoted' };
}

/** `mlops promote-model`. */
export async function runPromoteModel(args: PromoteModelArgs): Promise<void> {
  const reporter = createReporter();
  const config = loadStepConfig();
  const { environment, settings } = config;
  const aws = createAwsContext(environment.region);
  const parameters = ssmParameterReader(aws);
  // Each registry is reached with the credential and CA of the environment whose MLflow server stack
  // published it: this one's (the target) or the one the source alias is named after.
  const sourceEnvironment = aliasEnvironment(parseAlias(args.from, 'from= (--from)'));
  const stacks = [environment, ...(sourceEnvironment && sourceEnvironment !== environment.envName ? [{ project: environment.project, envName: sourceEnvironment }] : [])];
  const connections = createMlflowConnections(aws, stacks);
  const effects: PromotionEffects = {
    reporter,
    env: process.env,
    targetTrackingUri: async () => ({
      uri: await resolveTrackingUri(settings, environment, process.env, parameters),
      fromStack: explicitTrackingUri(settings) === undefined,
    }),
    publishedTrackingUri: (envName) => parameters(sharedParameterNames({ project: environment.project, envName }).trackingUri),
    mlflow: connections.client,
    copyVersion: async (request) => copyModelVersion(request, { source: await connections.pythonEnv(request.sourceUri), target: await connections.pythonEnv(request.targetUri) }),
    now: () => new Date(),
  };
  const result = await promoteModel(effects, config, args);
  if (args.json) printJson(result);
  else process.stdout.write(`models:/${result.project}@${result.to} ${result.version}\n`);
}
