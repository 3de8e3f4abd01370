import { ExternalError, UsageError } from './errors.js';
import { checkMlProjectName } from './ml-project.js';
import { stateKeys, type EnvironmentNames } from './naming.js';

/**
 * A Terraform state lock as terraform/tofu records it: the `<state key>.tflock` object of the S3
 * backend's `use_lockfile` locking (JSON), or the "Lock Info:" block of a failed command.
 */
export interface LockInfo {
  readonly id: string;
  /** `user@host` of the process that took it. */
  readonly who: string;
  /** Terraform's operation type, e.g. `OperationTypeApply`. */
  readonly operation: string;
  /** When it was taken, ISO 8601 in UTC. */
  readonly created: string;
  readonly version: string;
  readonly path: string;
}

/** A stack as its id names it: `mlflow-server`, `training-<ml-project>`, `deployment-<ml-project>`. */
export type StackRef = { readonly kind: 'mlflow-server' } | { readonly kind: 'training' | 'deployment'; readonly mlProject: string };

export const stackIds = {
  mlflowServer: 'mlflow-server',
  training: (mlProject: string) => `training-${mlProject}`,
  deployment: (mlProject: string) => `deployment-${mlProject}`,
};

/** Parses a stack id; refuses anything else, naming the three forms. */
export function parseStackId(id: string): StackRef {
  if (id === stackIds.mlflowServer) return { kind: 'mlflow-server' };
  const match = /^(training|deployment)-(.+)$/.exec(id);
  const forms = '`mlflow-server`, `training-<ml-project>` or `deployment-<ml-project>`';
  if (!match) throw new UsageError(`--stack "${id}" is not a stack id: use ${forms}`);
  checkMlProjectName(match[2], `--stack ${id}`);
  return { kind: match[1] as 'training' | 'deployment', mlProject: match[2] };
}

export function stackStateKey(environment: EnvironmentNames, stack: StackRef): string {
  return stack.kind === 'mlflow-server' ? stateKeys.mlflowServer(environment) : stateKeys[stack.kind](environment, stack.mlProject);
}

/** The lock object of a state key (S3-native locking). */
export const lockObjectKey = (stateKey: string) => `${stateKey}.tflock`;

/** `OperationTypeApply` → `apply`. */
export const operationName = (operation: string) => operation.replace(/^OperationType/, '').toLowerCase() || 'unknown operation';

/** The `.tflock` object's JSON. */
export function parseLockObject(text: string): LockInfo {
  const raw = JSON.parse(text) as Record<string, unknown>;
  const field = (name: string) => (typeof raw[name] === 'string' ? (raw[name] as string) : '');
  if (!field('ID')) throw new Error('the lock object has no ID');
  return { id: field('ID'), who: field('Who'), operation: field('Operation'), created: field('Created'), version: field('Version'), path: field('Path') };
}

/**
 * The "Lock Info:" block terraform/tofu prints when it cannot take a lock (box-drawing margins of
 * coloured output tolerated); undefined when the output has none. `Created` there is Go's
 * `2026-12-01 11:00:00.123456789 +0000 UTC`, turned into ISO 8601.
 */
export function parseLockInfoBlock(output: string): LockInfo | undefined {
  const start = output.indexOf('Lock Info:');
  if (start < 0) return undefined;
  const fields: Record<string, string> = {};
  for (const line of output.slice(start).split('\n').slice(1, 9)) {
    const match = /^[\s│]*(ID|Path|Operation|Who|Version|Created|Info):\s*(.*?)\s*$/.exec(line);
    if (match) fields[match[1]] = match[2];
  }
  if (!fields.ID) return undefined;
  const go = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(\.\d+)? \+0000 UTC$/.exec(fields.Created ?? '');
  const created = go ? `${go[1]}T${go[2]}${(go[3] ?? '').slice(0, 4)}Z` : (fields.Created ?? '');
  return { id: fields.ID, who: fields.Who ?? '', operation: fields.Operation ?? '', created, version: fields.Version ?? '', path: fields.Path ?? '' };
}

export const lockHost = (lock: LockInfo) => lock.who.slice(lock.who.lastIndexOf('@') + 1);

/** Seconds since the lock was taken; undefined when its time cannot be read. */
export function lockAgeSeconds(lock: LockInfo, now: Date): number | undefined {
  const created = Date.parse(lock.created);
  return Number.isNaN(created) ? undefined : Math.max(0, (now.getTime() - created) / 1000);
}

export function formatDuration(seconds: number): string {
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole}s`;
  if (whole < 3600) return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s`;
  return `${Math.floor(whole / 3600)}h${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')}m`;
}

/** "root@ci-42 since 2026-12-01 11:00:00 UTC (2h05m ago), for apply (lock ID …)". */
export function describeLock(lock: LockInfo, now: Date): string {
  const age = lockAgeSeconds(lock, now);
  const since = age === undefined ? `since ${lock.created || 'an unknown time'}` : `since ${lock.created.slice(0, 19).replace('T', ' ')} UTC (${formatDuration(age)} ago)`;
  return `${lock.who || 'an unknown holder'} ${since}, for ${operationName(lock.operation)} (lock ID ${lock.id})`;
}

export const unlockCommand = (stackId: string) => `mlops unlock --stack ${stackId}   (or: make unlock stack=${stackId})`;

/** What a run that found a stack locked tells the operator: which stack, who, since when, what to do. */
export function lockedMessage(stackId: string, lock: LockInfo | undefined, now: Date, waitedSeconds?: number): string {
  const waited = waitedSeconds === undefined ? '' : ` (waited ${formatDuration(waitedSeconds)}; terraform.lock_wait_seconds)`;
  const holder = lock ? `held by ${describeLock(lock, now)}` : 'held by a holder terraform did not name';
  return [
    `the Terraform state of stack ${stackId} is locked${waited}: ${holder}. Nothing was changed by this run.`,
    'If that run is still going, wait for it and run again. If it died (a closed laptop, a cancelled CI job, a killed process), break the lock with:',
    `  ${unlockCommand(stackId)}`,
  ].join('\n');
}

export interface UnlockContext {
  readonly lock: LockInfo;
  readonly now: Date;
  /** This machine's host name. */
  readonly thisHost: string;
  /** Process ids of terraform/tofu processes running in the stack's folder on this machine (they matter when the lock was taken here). */
  readonly livePids: readonly number[];
  /** A lock younger than this may belong to a run that is still going (terraform.unlock_min_age_minutes). */
  readonly minAgeMinutes: number;
  readonly force: boolean;
}

/**
 * Why breaking the lock could hurt a run that is still alive; empty when it may be broken. A lock
 * taken on this machine while terraform/tofu still runs in the stack's folder is held by a live
 * run: nothing overrides that (on another machine, the same process may be a run waiting for it). A young lock may be a long apply elsewhere (an RDS instance, an endpoint
 * rollout): `--force` overrides that, once someone has checked.
 */
export function unlockRefusals(context: UnlockContext): string[] {
  const { lock, now } = context;
  const refusals: string[] = [];
  if (lockHost(lock) === context.thisHost && context.livePids.length > 0) {
    refusals.push(
      `it was taken on this machine and terraform/tofu still runs in the stack's folder (pid ${context.livePids.join(', ')}): that run holds the lock and releases it when it ends; ` +
        'stop it with Ctrl-C (or kill -INT <pid>) and wait for it',
    );
  }
  const age = lockAgeSeconds(lock, now);
  if (!context.force && (age === undefined || age < context.minAgeMinutes * 60)) {
    const howOld = age === undefined ? 'its age cannot be read' : `it is ${formatDuration(age)} old`;
    refusals.push(
      `${howOld}, younger than terraform.unlock_min_age_minutes (${context.minAgeMinutes}): its run may still be going on ${lockHost(lock) || 'another machine'}; ` +
        'check that it ended (its terminal, its CI job), then pass --force',
    );
  }
  return refusals;
}

/** A command could not take a stack's state lock (after waiting, when it waited). Exit code 1. */
export class StateLockedError extends ExternalError {
  constructor(
    readonly stackId: string,
    readonly lock: LockInfo | undefined,
    now: Date,
    waitedSeconds?: number,
  ) {
    super(lockedMessage(stackId, lock, now, waitedSeconds));
    this.name = 'StateLockedError';
  }
}
