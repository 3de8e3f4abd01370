import { describe, expect, it } from '@jest/globals';
import {
  describeLock,
  lockedMessage,
  parseLockInfoBlock,
  parseLockObject,
  parseStackId,
  stackStateKey,
  StateLockedError,
  unlockRefusals,
  type LockInfo,
} from '../../core/state-lock.js';
import { waitForStateLock } from '../../cli/effects/state-lock.js';
import { createMemoryObjectStore } from '../harness/object-store.js';
import { createReporter } from '../../cli/progress.js';

/** What tofu 1.10 prints when the S3 lock file is taken (internal/command/clistate, statemgr.LockInfo.String). */
const TOFU_LOCK_ERROR = `
Error: Error acquiring the state lock

Error message: operation error S3: PutObject, https response error StatusCode: 412, RequestID: x, api error PreconditionFailed: At least one of the pre-conditions you specified did not hold
Lock Info:
  ID:        0b6a8c3e-1f9e-7c41-2d55-9a0e6f3b1c77
  Path:      acme-tf-state/acme/dev/training/wine.tfstate.tflock
  Operation: OperationTypeApply
  Who:       ci@runner-42
  Version:   1.10.10
  Created:   2026-12-01 09:02:03.123456789 +0000 UTC
  Info:      

OpenTofu acquires a state lock to protect the state from being written
by multiple users at the same time.`;

const LOCK: LockInfo = {
  id: '0b6a8c3e-1f9e-7c41-2d55-9a0e6f3b1c77',
  who: 'ci@runner-42',
  operation: 'OperationTypeApply',
  created: '2026-12-01T09:02:03.123Z',
  version: '1.10.10',
  path: 'acme-tf-state/acme/dev/training/wine.tfstate.tflock',
};
const lockObject = (lock: LockInfo = LOCK) =>
  JSON.stringify({ ID: lock.id, Operation: lock.operation, Info: '', Who: lock.who, Version: lock.version, Created: lock.created, Path: lock.path });

describe('reading a Terraform lock', () => {
  it('parses the Lock Info block of a failed command, Go time turned into ISO 8601', () => {
    expect(parseLockInfoBlock(TOFU_LOCK_ERROR)).toEqual(LOCK);
  });

  it('parses it inside the box margins of coloured output, and finds none where there is none', () => {
    const boxed = TOFU_LOCK_ERROR.split('\n').map((line) => `│ ${line}`).join('\n');
    expect(parseLockInfoBlock(boxed)).toEqual(LOCK);
    expect(parseLockInfoBlock('Error: something else')).toBeUndefined();
  });

  it('parses the .tflock object', () => {
    expect(parseLockObject(lockObject())).toEqual(LOCK);
    expect(() => parseLockObject('{"Who":"x"}')).toThrow(/no ID/);
  });

  it('says who, since when, how long ago and for which operation', () => {
    expect(describeLock(LOCK, new Date('2026-12-01T11:07:03Z'))).toBe(
      'ci@runner-42 since 2026-12-01 09:02:03 UTC (2h05m ago), for apply (lock ID 0b6a8c3e-1f9e-7c41-2d55-9a0e6f3b1c77)',
    );
  });

  it('tells the operator which stack is locked, by whom, and the command that breaks it', () => {
    const message = lockedMessage('training-wine', LOCK, new Date('2026-12-01T09:12:03Z'), 300);
    expect(message).toContain('the Terraform state of stack training-wine is locked (waited 5m00s; terraform.lock_wait_seconds): held by ci@runner-42 since 2026-12-01 09:02:03 UTC (10m00s ago), for apply');
    expect(message).toContain('mlops unlock --stack training-wine   (or: make unlock stack=training-wine)');
  });
});

describe('stack ids', () => {
  const environment = { project: 'acme', envName: 'dev' };

  it.each([
    ['mlflow-server', 'acme/dev/mlflow-server.tfstate'],
    ['training-wine', 'acme/dev/training/wine.tfstate'],
    ['deployment-wine-2', 'acme/dev/deployment/wine-2.tfstate'],
  ])('%s has the state key %s', (id, key) => {
    expect(stackStateKey(environment, parseStackId(id))).toBe(key);
  });

  it('refuses ids that name no stack, and invalid ML project names', () => {
    expect(() => parseStackId('wine')).toThrow('--stack "wine" is not a stack id: use `mlflow-server`, `training-<ml-project>` or `deployment-<ml-project>`');
    expect(() => parseStackId('training-Wine')).toThrow(/--stack training-Wine: the ML project name "Wine" cannot be used/);
  });
});

describe('unlockRefusals', () => {
  const at = (minutes: number) => new Date(Date.parse(LOCK.created) + minutes * 60_000);
  const base = { lock: LOCK, thisHost: 'laptop', livePids: [] as number[], minAgeMinutes: 60, force: false };

  it('lets an old lock go', () => {
    expect(unlockRefusals({ ...base, now: at(61) })).toEqual([]);
  });

  it('refuses a lock younger than the setting unless --force', () => {
    expect(unlockRefusals({ ...base, now: at(10) })).toEqual([expect.stringContaining('it is 10m00s old, younger than terraform.unlock_min_age_minutes (60)')]);
    expect(unlockRefusals({ ...base, now: at(10), force: true })).toEqual([]);
  });

  it('refuses, even with --force, a lock taken on this machine while terraform still runs in the stack folder', () => {
    const refusals = unlockRefusals({ ...base, thisHost: 'runner-42', livePids: [4242], now: at(120), force: true });
    expect(refusals).toEqual([expect.stringContaining("terraform/tofu still runs in the stack's folder (pid 4242)")]);
  });

  it('does not count a local terraform when the lock was taken elsewhere (it is a run waiting for the lock)', () => {
    expect(unlockRefusals({ ...base, livePids: [4242], now: at(120) })).toEqual([]);
  });
});

describe('waitForStateLock', () => {
  const LOCK_KEY = 'acme/dev/training/wine.tfstate.tflock';
  /** A clock that the fake sleep moves on; `release` removes the lock once that many seconds have passed. */
  function scenario(release?: number) {
    const store = createMemoryObjectStore(new Map([[LOCK_KEY, lockObject()]]));
    let clock = Date.parse('2026-12-01T09:03:03Z');
    const start = clock;
    const lines: string[] = [];
    const reporter = Object.assign(createReporter((line) => lines.push(line), () => clock), { lines });
    const wait = {
      stackId: 'training-wine',
      lockKey: LOCK_KEY,
      store,
      waitSeconds: 60,
      reporter,
      now: () => new Date(clock),
      sleep: async (ms: number) => {
        clock += ms;
        if (release !== undefined && clock - start >= release * 1000) store.objects.delete(LOCK_KEY);
      },
    };
    return { wait, reporter, store };
  }

  it('does not wait for an unlocked stack', async () => {
    const { wait, reporter, store } = scenario();
    store.objects.clear();
    await expect(waitForStateLock(wait)).resolves.toBe(60);
    expect(reporter.lines).toEqual([]);
  });

  it('counts down naming the holder, then goes on with the wait that is left', async () => {
    const { wait, reporter } = scenario(20);
    await expect(waitForStateLock(wait)).resolves.toBe(40);
    expect(reporter.lines[0]).toBe('Stack training-wine is locked by ci@runner-42 since 2026-12-01 09:02:03 UTC (1m00s ago), for apply (lock ID 0b6a8c3e-1f9e-7c41-2d55-9a0e6f3b1c77); waiting up to 1m00s (terraform.lock_wait_seconds) …');
    expect(reporter.lines).toContain('  [10s] still locked by ci@runner-42 (apply); 50s left');
    expect(reporter.lines.at(-1)).toBe('  [20s] the lock of training-wine was released; going on');
  });

  it('gives up after the wait, naming the holder and the unlock command', async () => {
    const { wait, reporter } = scenario();
    const failure = waitForStateLock(wait);
    await expect(failure).rejects.toThrow(StateLockedError);
    await expect(failure).rejects.toThrow(/stack training-wine is locked \(waited 1m00s; terraform.lock_wait_seconds\): held by ci@runner-42[\s\S]*mlops unlock --stack training-wine/);
    expect(reporter.lines).toContain('  [50s] still locked by ci@runner-42 (apply); 10s left');
    expect(reporter.lines.at(-1)).toBe('  [1m00s] still locked by ci@runner-42 after 1m00s; giving up');
  });

  it('says when another run took the lock meanwhile', async () => {
    const { wait, reporter, store } = scenario();
    const sleep = wait.sleep;
    let calls = 0;
    const result = waitForStateLock({
      ...wait,
      sleep: async (ms) => {
        await sleep(ms);
        calls += 1;
        if (calls === 1) store.objects.set(LOCK_KEY, lockObject({ ...LOCK, id: 'other', who: 'ana@laptop', operation: 'OperationTypePlan' }));
        if (calls === 2) store.objects.clear();
      },
    });
    await expect(result).resolves.toBe(50);
    expect(reporter.lines).toContain('  [5s] now locked by ana@laptop (plan); 55s left');
  });
});
