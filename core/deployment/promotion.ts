import { MAX_ENV_NAME_LENGTH } from '../environment.js';
import { UsageError } from '../errors.js';
import { environmentPartViolations } from '../naming.js';

/**
 * Promotion and sync work on MLflow registered-model aliases: the alias named after an environment
 * (`@dev`, `@prod`) marks the version meant to serve there. `promote-model` moves the target
 * environment's alias to the version the source environment's alias names; `sync` deploys, in each
 * environment, the version its alias names.
 */

/** MLflow's alias rule (letters, digits, _ and -, not starting with a digit); `latest` and `v<N>` are reserved by MLflow. */
const ALIAS_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]{0,254}$/;

/** An alias as the user types it (`prod` or `@prod`), checked; `given` names the flag or make variable. */
export function parseAlias(text: string, given: string): string {
  const alias = text.trim().replace(/^@/, '');
  if (alias === '') throw new UsageError(`${given} is required: an MLflow model alias such as dev or @prod (usually the environment's name)`);
  if (!ALIAS_PATTERN.test(alias)) {
    throw new UsageError(`${given}="${text}" is not an MLflow alias: letters, digits, _ and -, starting with a letter or _ (e.g. dev, @prod)`);
  }
  if (alias.toLowerCase() === 'latest' || /^v\d+$/i.test(alias)) {
    throw new UsageError(`${given}="${text}": MLflow reserves "latest" and "v<N>" and refuses them as aliases; use the environment's name (e.g. prod)`);
  }
  return alias;
}

/** The environment an alias is named after, when it can be an environment's name (TF_VAR_env_name's rule); undefined otherwise. */
export function aliasEnvironment(alias: string): string | undefined {
  return environmentPartViolations(alias, MAX_ENV_NAME_LENGTH).length === 0 ? alias : undefined;
}

/**
 * Whose MLflow server stack to ask for the source registry: the environment the source alias is
 * named after, when the target registry is this environment's stack's server (a person who named
 * the servers with MLFLOW_TRACKING_URI or tracking_uri names the source's with from_uri=, else it
 * is the same server), no source server was given, and the alias names another environment.
 * Undefined: the source registry is the given one, or the target's (one server shared by both).
 */
export function sourceStackToAsk(options: { fromAlias: string; envName: string; targetFromStack: boolean; sourceGiven: boolean }): string | undefined {
  if (options.sourceGiven || !options.targetFromStack || options.fromAlias === options.envName) return undefined;
  return aliasEnvironment(options.fromAlias);
}

/** The tags a promotion writes on the version that now carries `@to`, one set per target alias. */
export interface PromotionRecord {
  readonly toAlias: string;
  readonly fromAlias: string;
  /** The version in the source registry that carried `@from`. */
  readonly sourceVersion: string;
  /** The source registry, when it is another MLflow server than the target's. */
  readonly sourceRegistry?: string;
  /** The endpoint the source version serves in the source environment, when a deployment recorded one. */
  readonly sourceEndpoint?: string;
  /** The target alias's version before the promotion; undefined when the alias is new. */
  readonly replacedVersion?: string;
  readonly by: string;
  readonly at: Date;
  /** The CI run that promoted it, when one did. */
  readonly via?: string;
}

export const promotionTagPrefix = (toAlias: string) => `mlops.promotion.${toAlias}`;

export function promotionTags(record: PromotionRecord): Record<string, string> {
  const prefix = promotionTagPrefix(record.toAlias);
  const tags: Record<string, string> = {
    [`${prefix}.from_alias`]: record.fromAlias,
    [`${prefix}.source_version`]: record.sourceVersion,
    [`${prefix}.promoted_by`]: record.by,
    [`${prefix}.promoted_at`]: record.at.toISOString(),
  };
  if (record.sourceRegistry) tags[`${prefix}.source_registry`] = record.sourceRegistry;
  if (record.sourceEndpoint) tags[`${prefix}.source_endpoint`] = record.sourceEndpoint;
  if (record.replacedVersion) tags[`${prefix}.replaced_version`] = record.replacedVersion;
  if (record.via) tags[`${prefix}.via`] = record.via;
  return tags;
}

/** Lineage of a version copied from another registry: where it came from, so a second promotion finds it instead of copying again. */
export const LINEAGE_TAGS = { registry: 'mlops.source.registry', version: 'mlops.source.model_version', runId: 'mlops.source.run_id' } as const;

/** A tracking URI as it may be recorded: without any user:password it carries. */
export function registryForRecord(trackingUri: string): string {
  try {
    const url = new URL(trackingUri);
    url.username = '';
    url.password = '';
    return url.toString().replace(/\/$/, '');
  } catch {
    return trackingUri;
  }
}

/** Who promotes: an explicit MLOPS_ACTOR, the GitHub actor in Actions, else the login name. */
export function promotionActor(env: Readonly<Record<string, string | undefined>>): { by: string; via?: string } {
  const via =
    env.GITHUB_ACTIONS === 'true' && env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID
      ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
      : undefined;
  const by = env.MLOPS_ACTOR || (env.GITHUB_ACTIONS === 'true' && env.GITHUB_ACTOR ? `github:${env.GITHUB_ACTOR}` : env.USER || env.LOGNAME || 'unknown');
  return { by, via };
}

/** What `sync` does for one project, decided from the alias's version and what the endpoint serves. */
export type SyncAction =
  | { readonly kind: 'skip'; readonly reason: string }
  | { readonly kind: 'unchanged'; readonly version: string }
  | { readonly kind: 'roll-out'; readonly version: string; readonly previousVersion?: string };

/** The endpoint as sync sees it: its state and the version its tag says it serves. */
export interface ServingEndpoint {
  readonly status: string;
  readonly version?: string;
}

/** SageMaker states in which another update is under way: sync waits for the next round rather than queue behind it. */
const BUSY_STATES = ['Creating', 'Updating', 'SystemUpdating', 'RollingBack', 'Deleting'];

/**
 * A project without the alias is never touched; an endpoint that serves the alias's version and is
 * InService is left alone; a busy endpoint is left for the next round; anything else (no endpoint,
 * another version, a Failed endpoint) is rolled out.
 */
export function syncAction(alias: string, aliasVersion: string | undefined, endpoint: ServingEndpoint | undefined): SyncAction {
  if (aliasVersion === undefined) return { kind: 'skip', reason: `no alias @${alias}` };
  if (endpoint && BUSY_STATES.includes(endpoint.status)) {
    return { kind: 'skip', reason: `the endpoint is ${endpoint.status} (another change is under way); the next sync decides` };
  }
  if (endpoint && endpoint.version === aliasVersion && endpoint.status === 'InService') return { kind: 'unchanged', version: aliasVersion };
  return { kind: 'roll-out', version: aliasVersion, previousVersion: endpoint?.version };
}

/** One line of `sync`'s outcome per project. */
export interface SyncOutcome {
  readonly project: string;
  readonly result: 'unchanged' | 'rolled out' | 'skipped' | 'failed';
  readonly version?: string;
  readonly previousVersion?: string;
  readonly detail?: string;
}

export function formatSyncOutcome(outcome: SyncOutcome, width: number): string {
  const what =
    outcome.result === 'rolled out'
      ? `version ${outcome.version} (was ${outcome.previousVersion ?? 'not deployed'})`
      : outcome.result === 'unchanged'
        ? `version ${outcome.version}`
        : (outcome.detail ?? '');
  return `${outcome.project.padEnd(width)}  ${outcome.result.padEnd(10)}  ${what}`.trimEnd();
}
