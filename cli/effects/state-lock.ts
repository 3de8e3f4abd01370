import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ExternalError } from '../../core/errors.js';
import { describeLock, formatDuration, lockObjectKey, operationName, parseLockObject, StateLockedError, type LockInfo } from '../../core/state-lock.js';
import type { Reporter } from '../progress.js';
import type { ObjectStore } from '../vpn/pki.js';

/** The state bucket's objects, as far as locks go. */
export type StateObjects = Pick<ObjectStore, 'read'>;

/** A synthesized stack's id (its folder's name) and the S3 key of its lock object (from its backend block). */
export function stackLockOf(stackDir: string): { stackId: string; lockKey: string } {
  const json = JSON.parse(readFileSync(join(stackDir, 'cdk.tf.json'), 'utf8')) as { terraform?: { backend?: { s3?: { key?: string } } } };
  const key = json.terraform?.backend?.s3?.key;
  if (!key) throw new ExternalError(`the stack in ${stackDir} has no S3 backend key`);
  return { stackId: basename(stackDir), lockKey: lockObjectKey(key) };
}

/** The lock of a stack's state; undefined when it is not locked. */
export async function readLock(store: StateObjects, lockKey: string): Promise<LockInfo | undefined> {
  const text = await store.read(lockKey);
  if (text === undefined) return undefined;
  try {
    return parseLockObject(text);
  } catch (error) {
    throw new ExternalError(`the lock object ${lockKey} in the state bucket is not a Terraform lock (${(error as Error).message}): look at it before anything else`);
  }
}

export interface LockWait {
  readonly stackId: string;
  readonly lockKey: string;
  readonly store: StateObjects;
  /** terraform.lock_wait_seconds. */
  readonly waitSeconds: number;
  readonly reporter: Reporter;
  /** @default 5 */
  readonly pollSeconds?: number;
  /** A countdown line at most this often (and whenever the holder changes). @default 10 */
  readonly printSeconds?: number;
  readonly now?: () => Date;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Waits while another run holds the stack's lock, with a countdown naming the holder; returns the
 * seconds of the wait left, which terraform gets as -lock-timeout (the lock can be taken by someone
 * else between this check and terraform's own attempt). Throws StateLockedError, naming the holder
 * and the unlock command, when the lock outlives the wait.
 */
export async function waitForStateLock(wait: LockWait): Promise<number> {
  const now = wait.now ?? (() => new Date());
  const sleep = wait.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const pollMs = (wait.pollSeconds ?? 5) * 1000;
  const printMs = (wait.printSeconds ?? 10) * 1000;
  let lock = await readLock(wait.store, wait.lockKey);
  if (!lock) return wait.waitSeconds;
  const started = now().getTime();
  const deadline = started + wait.waitSeconds * 1000;
  const step = wait.reporter.step(`Stack ${wait.stackId} is locked by ${describeLock(lock, now())}; waiting up to ${formatDuration(wait.waitSeconds)} (terraform.lock_wait_seconds)`);
  let printed = started;
  for (;;) {
    const left = deadline - now().getTime();
    if (left <= 0) {
      step.fail(`still locked by ${lock.who} after ${formatDuration(wait.waitSeconds)}; giving up`);
      throw new StateLockedError(wait.stackId, lock, now(), wait.waitSeconds);
    }
    await sleep(Math.min(pollMs, left));
    const current = await readLock(wait.store, wait.lockKey);
    if (!current) {
      step.done(`the lock of ${wait.stackId} was released; going on`);
      return Math.max(0, Math.floor((deadline - now().getTime()) / 1000));
    }
    const changed = current.id !== lock.id;
    lock = current;
    const remaining = deadline - now().getTime();
    if (remaining > 0 && (changed || now().getTime() - printed >= printMs)) {
      printed = now().getTime();
      step.update(`${changed ? 'now locked' : 'still locked'} by ${lock.who} (${operationName(lock.operation)}); ${formatDuration(remaining / 1000)} left`);
    }
  }
}
