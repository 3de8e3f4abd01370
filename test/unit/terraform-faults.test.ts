import { describe, expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InterruptedError } from '../../core/errors.js';
import { interruptionReport, operationsOf } from '../../core/interrupted-run.js';
import { StateLockedError } from '../../core/state-lock.js';
import { createTerraformRunner } from '../../cli/effects/terraform.js';
import { terraformProcessesIn } from '../../cli/effects/terraform-processes.js';
import { createRecordingReporter } from '../harness/reporter.js';

const APPLY_OUTPUT = [
  'aws_ecr_repository.images: Creating...',
  'aws_ecr_repository.images: Creation complete after 1s [id=acme-dev-wine]',
  'aws_iam_role.job: Modifying... [id=acme-dev-wine-job]',
  'aws_iam_role.job: Modifications complete after 0s [id=acme-dev-wine-job]',
  'aws_batch_compute_environment.compute: Creating...',
  'aws_batch_compute_environment.compute: Still creating... [10s elapsed]',
  'Error: execution halted',
].join('\n');

describe('interruptionReport', () => {
  it('reads what terraform finished and what it started but did not finish', () => {
    expect(operationsOf(APPLY_OUTPUT)).toEqual({ completed: ['aws_ecr_repository.images', 'aws_iam_role.job'], unfinished: ['aws_batch_compute_environment.compute'] });
  });

  it('says what was applied, what was not, and that the lock is released', () => {
    const report = interruptionReport({
      stackId: 'training-wine',
      command: 'apply',
      signal: 'SIGINT',
      output: APPLY_OUTPUT,
      planned: ['aws_ecr_repository.images', 'aws_iam_role.job', 'aws_batch_compute_environment.compute', 'aws_batch_job_queue.queue'].map((address) => ({ address, actions: ['create'] })),
    });
    expect(report).toBe(
      [
        'interrupted by SIGINT: apply of stack training-wine stopped gracefully (nothing new started, what was under way cancelled); the state lock is released.',
        'Applied (2): aws_ecr_repository.images, aws_iam_role.job',
        'Started but not finished (1; may exist in AWS without being in the state): aws_batch_compute_environment.compute',
        'Not applied (1): aws_batch_job_queue.queue',
        'Run the same command again to finish: Terraform continues from the state.',
      ].join('\n'),
    );
  });

  it('says nothing was applied when a plan was interrupted', () => {
    expect(interruptionReport({ stackId: 'mlflow-server', command: 'plan', signal: 'SIGTERM', output: '', planned: [] })).toContain('Nothing was applied (plan changes no resource)');
  });
});

/**
 * A fake tofu: `apply` reports two operations, then waits; on SIGINT/SIGTERM it appends the signal's
 * name to $FAKE_SIGNALS, finishes "its current operation" and exits 1 as terraform does. `plan`
 * fails with tofu's lock error.
 */
function fakeTofu(dir: string): string {
  const path = join(dir, 'tofu');
  writeFileSync(
    path,
    `#!/bin/sh
case "$1" in
  apply)
    trap 'kill $! 2>/dev/null; echo INT >> "$FAKE_SIGNALS"; echo "aws_iam_role.job: Creation complete after 1s [id=r]"; exit 1' INT
    trap 'kill $! 2>/dev/null; echo TERM >> "$FAKE_SIGNALS"; echo "aws_iam_role.job: Creation complete after 1s [id=r]"; exit 1' TERM
    echo "$@" > "$FAKE_ARGS"
    echo "aws_ecr_repository.images: Creating..."
    echo "aws_ecr_repository.images: Creation complete after 0s [id=acme-dev-wine]"
    echo "aws_iam_role.job: Creating..."
    sleep 20 &
    touch "$FAKE_READY"
    wait
    exit 0 ;;
  plan)
    echo "$@" > "$FAKE_ARGS"
    printf 'Error: Error acquiring the state lock\\n\\nLock Info:\\n  ID:        abc-123\\n  Path:      b/k.tflock\\n  Operation: OperationTypeApply\\n  Who:       ana@laptop\\n  Version:   1.10.10\\n  Created:   2026-12-01 09:02:03.5 +0000 UTC\\n  Info:\\n' >&2
    exit 1 ;;
esac
`,
  );
  chmodSync(path, 0o755);
  return path;
}

function setUp() {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-tf-faults-'));
  const stackDir = join(dir, 'stacks', 'training-wine');
  mkdirSync(stackDir, { recursive: true });
  writeFileSync(join(stackDir, 'cdk.tf.json'), JSON.stringify({ terraform: { backend: { s3: { bucket: 'b', key: 'acme/dev/training/wine.tfstate' } } } }));
  const env = { ...process.env, FAKE_SIGNALS: join(dir, 'signals'), FAKE_READY: join(dir, 'ready'), FAKE_ARGS: join(dir, 'args') };
  const signals = new EventEmitter();
  const reporter = createRecordingReporter();
  const runner = createTerraformRunner({ path: fakeTofu(dir), flavor: 'tofu', version: '1.10.10' }, reporter, env, { signals, lockWaitSeconds: 42 });
  return { env, stackDir, signals, reporter, runner };
}

async function until(condition: () => boolean): Promise<void> {
  for (let tries = 0; !condition(); tries += 1) {
    if (tries > 200) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('the Terraform runner under faults', () => {
  it.each([
    ['SIGINT', 'INT', 130],
    ['SIGTERM', 'TERM', 143],
  ] as const)('passes one %s to terraform, lets it stop gracefully, and exits with the shell code for it', async (signal, trapped, code) => {
    const { env, stackDir, signals, reporter, runner } = setUp();
    const apply = runner.applyPlan(stackDir);
    await until(() => existsSync(env.FAKE_READY));
    signals.emit(signal);
    signals.emit(signal);
    const error = (await apply.catch((caught: unknown) => caught)) as InterruptedError;
    expect(error).toBeInstanceOf(InterruptedError);
    expect(error.exitCode).toBe(code);
    expect(readFileSync(env.FAKE_SIGNALS, 'utf8')).toBe(`${trapped}\n`);
    expect(error.message).toContain(`interrupted by ${signal}: apply of stack training-wine`);
    expect(error.message).toContain('Applied (2): aws_ecr_repository.images, aws_iam_role.job');
    expect(reporter.lines.join('\n')).toContain(`${signal} again: still waiting for tofu apply`);
    expect(signals.listenerCount(signal)).toBe(0);
  });

  it('passes the lock wait to terraform and turns its lock error into a message naming the holder and the unlock command', async () => {
    const { env, stackDir, runner } = setUp();
    const error = (await runner.plan(stackDir).catch((caught: unknown) => caught)) as StateLockedError;
    expect(readFileSync(env.FAKE_ARGS, 'utf8')).toMatch(/^plan -lock-timeout=42s /);
    expect(error).toBeInstanceOf(StateLockedError);
    expect(error.exitCode).toBe(1);
    expect(error.message).toContain('stack training-wine is locked (waited 42s; terraform.lock_wait_seconds): held by ana@laptop since 2026-12-01 09:02:03 UTC');
    expect(error.message).toContain('for apply (lock ID abc-123)');
    expect(error.message).toContain('mlops unlock --stack training-wine');
  });
});

describe('terraformProcessesIn', () => {
  it('finds a tofu process by its working folder, and no other', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlops-tf-procs-'));
    const elsewhere = mkdtempSync(join(tmpdir(), 'mlops-tf-procs-'));
    symlinkSync('/bin/sleep', join(dir, 'tofu'));
    const child = spawn(join(dir, 'tofu'), ['30'], { cwd: dir, stdio: 'ignore' });
    try {
      await until(() => readFileSync(`/proc/${child.pid}/comm`, 'utf8').trim() === 'tofu');
      expect(await terraformProcessesIn(dir)).toEqual([child.pid]);
      expect(await terraformProcessesIn(elsewhere)).toEqual([]);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('says it could not look where there is no /proc', async () => {
    expect(await terraformProcessesIn('/tmp', '/nonexistent-proc')).toBeUndefined();
  });
});
