import { hostname } from 'node:os';
import { ExternalError, UsageError, violationsMessage } from '../../core/errors.js';
import { describeLock, lockObjectKey, parseStackId, stackStateKey, unlockRefusals, type LockInfo, type StackRef } from '../../core/state-lock.js';
import type { StackConfig } from '../../stacks/common/config.js';
import { buildDeploymentStackForRemoval } from '../builders/deployment.js';
import { buildTrainingStackForRemoval } from '../builders/training.js';
import { printJson } from '../command.js';
import { readLock, type StateObjects } from '../effects/state-lock.js';
import type { TerraformRunner } from '../effects/terraform.js';
import { terraformProcessesIn } from '../effects/terraform-processes.js';
import { createReporter, type Reporter } from '../progress.js';
import { loadStepConfig } from '../settings/load.js';
import { confirmOnTerminal, type Confirm } from '../stack-lifecycle.js';
import { synthesize } from '../synth.js';
import { synthesizeServer } from './mlflow-server.js';
import { createStateStore, createStepEffects } from './step-effects.js';

export interface UnlockArgs {
  stack: string;
  yes: boolean;
  force: boolean;
  json: boolean;
}

/** What `unlock` touches, injectable so tests can swap it. */
export interface UnlockEffects {
  readonly reporter: Reporter;
  readonly stateObjects: StateObjects;
  readonly terraform: Pick<TerraformRunner, 'init' | 'forceUnlock'>;
  /** Synthesizes the stack (its removal variant: it reads nothing) and returns its folder. */
  synthesize(stack: StackRef): string;
  /** terraform/tofu processes running in a folder of this machine; undefined where that cannot be seen. */
  processesIn(dir: string): Promise<number[] | undefined>;
  readonly hostname: string;
  readonly now: () => Date;
  readonly confirm: Confirm;
}

export interface UnlockResult {
  readonly stack: string;
  /** The lock found (null: the stack was not locked). */
  readonly lock: LockInfo | null;
  readonly unlocked: boolean;
}

/**
 * Shows who holds a stack's state lock, since when and for which operation; refuses while the holder
 * may be alive (core/state-lock.ts unlockRefusals); asks; then `force-unlock -force <ID>` in the
 * synthesized stack's folder, which breaks only that very lock (a lock taken since has another ID).
 */
export async function unlock(effects: UnlockEffects, config: StackConfig, args: UnlockArgs): Promise<UnlockResult> {
  const ref = parseStackId(args.stack);
  const stateKey = stackStateKey(config.environment, ref);
  const lockKey = lockObjectKey(stateKey);
  const { reporter } = effects;
  const lock = await readLock(effects.stateObjects, lockKey);
  if (!lock) {
    reporter.info(`Stack ${args.stack} is not locked (no s3://${config.environment.stateBucket}/${lockKey}): nothing to do.`);
    return { stack: args.stack, lock: null, unlocked: false };
  }
  reporter.info(`Stack ${args.stack} (s3://${config.environment.stateBucket}/${stateKey}) is locked by ${describeLock(lock, effects.now())}; taken by ${lock.version ? `terraform/tofu ${lock.version}` : 'terraform/tofu'}.`);
  const dir = effects.synthesize(ref);
  const pids = await effects.processesIn(dir);
  if (pids === undefined) reporter.warn('this system has no /proc: whether terraform/tofu still runs here was not checked; the lock\'s age is');
  const refusals = unlockRefusals({
    lock,
    now: effects.now(),
    thisHost: effects.hostname,
    livePids: pids ?? [],
    minAgeMinutes: config.settings.terraform.unlock_min_age_minutes,
    force: args.force,
  });
  if (refusals.length > 0) throw new UsageError(violationsMessage(`Not breaking the lock of stack ${args.stack}: its holder may still be alive (nothing was changed)`, refusals));
  if (!args.yes && !(await effects.confirm(`Break the lock of stack ${args.stack} held by ${lock.who}? Only if that run is dead`))) {
    throw new UsageError('unlock cancelled; the lock stays');
  }
  await effects.terraform.init(dir);
  await effects.terraform.forceUnlock(dir, lock.id);
  const after = await readLock(effects.stateObjects, lockKey);
  if (after?.id === lock.id) throw new ExternalError(`force-unlock reported success but s3://${config.environment.stateBucket}/${lockKey} still holds lock ${lock.id}`);
  reporter.info(
    `Unlocked stack ${args.stack}. The state is as the interrupted run left it: run the same step again to converge. ` +
      'If it fails with "already exists", the interrupted run created that resource without recording it: the message says how to import it.',
  );
  return { stack: args.stack, lock, unlocked: true };
}

const synthesizeForUnlock = (config: StackConfig) => (ref: StackRef) => {
  if (ref.kind === 'mlflow-server') return synthesizeServer(config).dir;
  const build = ref.kind === 'training' ? buildTrainingStackForRemoval : buildDeploymentStackForRemoval;
  return synthesize((app) => [build(app, config, ref.mlProject)])[0];
};

/** `mlops unlock`. */
export async function runUnlock(args: UnlockArgs): Promise<void> {
  const reporter = createReporter();
  const config = loadStepConfig();
  const step = await createStepEffects(config, reporter);
  const result = await unlock(
    {
      reporter,
      stateObjects: createStateStore(config, step.aws),
      terraform: step.terraform,
      synthesize: synthesizeForUnlock(config),
      processesIn: terraformProcessesIn,
      hostname: hostname(),
      now: () => new Date(),
      confirm: confirmOnTerminal,
    },
    config,
    args,
  );
  if (args.json) printJson(result);
}
