import { describe, expect, it } from '@jest/globals';
import { ExternalError } from '../../core/errors.js';
import {
  RUNNABLE_HINT,
  describeFailure,
  followExitCode,
  followJob,
  type BatchJobs,
  type FollowOptions,
  type JobLogs,
  type JobSnapshot,
} from '../../cli/training/follow.js';

/**
 * A scripted Batch job: each DescribeJobs call returns the next snapshot (the last one repeats);
 * a clock that advances only when the follower sleeps; logs that appear per poll.
 */
function harness(script: JobSnapshot[], options: { logPages?: string[][]; interrupts?: boolean[]; answers?: boolean[] } = {}) {
  let now = 1_000_000;
  let describes = 0;
  const status: string[] = [];
  const logLines: string[] = [];
  const terminated: string[] = [];
  const logCalls: { stream: string; token?: string }[] = [];
  const pages = [...(options.logPages ?? [])];
  const interrupts = [...(options.interrupts ?? [])];
  const answers = [...(options.answers ?? [])];
  const batch: BatchJobs = {
    submit: async () => ({ jobId: 'job-1' }),
    describe: async () => {
      const snapshot = script[Math.min(describes, script.length - 1)];
      describes += 1;
      return { ...(terminated.length > 0 ? FAILED_BY_USER : snapshot), jobName: 'j', jobQueue: 'q' };
    },
    terminate: async (jobId, reason) => {
      terminated.push(`${jobId}: ${reason}`);
    },
  };
  let tokenCounter = 0;
  const logs: JobLogs = {
    read: async (_group, stream, token) => {
      logCalls.push({ stream, token });
      const lines = token === undefined || token.startsWith('t') ? pages.shift() ?? [] : [];
      if (lines.length === 0) return { lines: [], token };
      tokenCounter += 1;
      return { lines, token: `t${tokenCounter}` };
    },
  };
  const follow: FollowOptions = {
    jobId: 'job-1',
    logGroup: '/aws/batch/acme-dev-wine-training',
    batch,
    logs,
    clock: {
      now: () => now,
      sleep: async (ms) => {
        now += ms;
      },
    },
    output: { status: (line) => status.push(line), log: (line) => logLines.push(line) },
    pollMs: 10_000,
    runnableHintAfterSeconds: 300,
    interrupts: {
      takeRequest: () => interrupts.shift() ?? false,
      confirmTerminate: async () => answers.shift() ?? false,
    },
  };
  return { follow, status, logLines, terminated, logCalls, describes: () => describes };
}

const FAILED_BY_USER: JobSnapshot = { state: 'FAILED', statusReason: 'terminated by the user (Ctrl-C in mlops training-job)' };
const at = (state: JobSnapshot['state'], extra: Partial<JobSnapshot> = {}): JobSnapshot => ({ state, ...extra });

describe('followJob', () => {
  it('prints each state transition once with the elapsed time and ends SUCCEEDED with exit code 0', async () => {
    const { follow, status } = harness([at('SUBMITTED'), at('RUNNABLE'), at('RUNNABLE'), at('STARTING'), at('RUNNING'), at('RUNNING'), at('SUCCEEDED')]);
    const result = await followJob(follow);
    expect(status).toEqual(['[0s] SUBMITTED', '[10s] RUNNABLE', '[30s] STARTING', '[40s] RUNNING', '[1m00s] SUCCEEDED']);
    expect(result.transitions.map((transition) => transition.state)).toEqual(['SUBMITTED', 'RUNNABLE', 'STARTING', 'RUNNING', 'SUCCEEDED']);
    expect(result.outcome).toBe('SUCCEEDED');
    expect(result.elapsedSeconds).toBe(60);
    expect(followExitCode(result)).toBe(0);
  });

  it('ends FAILED with exit code 1, the status reason, the exit code and the last log lines', async () => {
    const { follow, status } = harness(
      [at('RUNNING', { logStreamName: 'training/default/abc' }), at('FAILED', { logStreamName: 'training/default/abc', statusReason: 'Essential container in task exited', exitCode: 3 })],
      { logPages: [['loading data', 'training'], ['Traceback (most recent call last):', 'ValueError: bad input']] },
    );
    const result = await followJob(follow);
    expect(result.outcome).toBe('FAILED');
    expect(followExitCode(result)).toBe(1);
    expect(status.at(-1)).toBe('[10s] FAILED (Essential container in task exited)');
    expect(result.lastLogLines).toEqual(['loading data', 'training', 'Traceback (most recent call last):', 'ValueError: bad input']);
    const message = describeFailure('batch-wine-1', 'job-1', result);
    expect(message).toContain('FAILED after 10s: Essential container in task exited, container exit code 3');
    expect(message).toContain('  | ValueError: bad input');
  });

  it('keeps only the last lines for the failure report', async () => {
    const many = Array.from({ length: 30 }, (_, index) => `line ${index}`);
    const { follow } = harness([at('FAILED', { logStreamName: 's' })], { logPages: [many] });
    const result = await followJob({ ...follow, keepLines: 5 });
    expect(result.lastLogLines).toEqual(['line 25', 'line 26', 'line 27', 'line 28', 'line 29']);
  });

  it('prints log lines as they arrive, reading on from the last token, and none before the stream exists', async () => {
    const { follow, logLines, logCalls } = harness(
      [at('STARTING'), at('RUNNING', { logStreamName: 's' }), at('RUNNING', { logStreamName: 's' }), at('SUCCEEDED', { logStreamName: 's' })],
      { logPages: [['epoch 1'], [], ['epoch 2']] },
    );
    await followJob(follow);
    expect(logLines).toEqual(['epoch 1', 'epoch 2']);
    expect(logCalls[0]).toEqual({ stream: 's', token: undefined });
    expect(logCalls.slice(1).every((call) => call.token === 't1' || call.token === 't2')).toBe(true);
  });

  it('hints once at what holds a job that stays RUNNABLE past the setting', async () => {
    const script = [at('SUBMITTED'), ...Array.from({ length: 40 }, () => at('RUNNABLE')), at('RUNNING'), at('SUCCEEDED')];
    const { follow, status } = harness(script);
    await followJob(follow);
    const hints = status.filter((line) => line.includes('hint:'));
    expect(hints).toHaveLength(1);
    expect(hints[0]).toBe(`[5m10s] hint: ${RUNNABLE_HINT}`);
  });

  it('gives no hint to a job that leaves RUNNABLE in time', async () => {
    const { follow, status } = harness([at('RUNNABLE'), at('RUNNABLE'), at('RUNNING'), at('SUCCEEDED')]);
    await followJob(follow);
    expect(status.some((line) => line.includes('hint:'))).toBe(false);
  });

  it('on Ctrl-C answered yes terminates the job and follows it to FAILED (exit 1)', async () => {
    const { follow, terminated, status } = harness([at('RUNNING'), at('RUNNING'), at('RUNNING')], { interrupts: [false, true], answers: [true] });
    const result = await followJob(follow);
    expect(terminated).toEqual(['job-1: terminated by the user (Ctrl-C in mlops training-job)']);
    expect(result).toMatchObject({ outcome: 'FAILED', terminatedByUser: true });
    expect(status).toContain('[10s] termination requested; following the job until it stops');
    expect(followExitCode(result)).toBe(1);
  });

  it('on Ctrl-C answered no stops following and leaves the job running (exit 130)', async () => {
    const { follow, terminated, describes } = harness([at('RUNNING')], { interrupts: [false, false, true], answers: [false] });
    const result = await followJob(follow);
    expect(terminated).toEqual([]);
    expect(result.outcome).toBe('DETACHED');
    expect(describes()).toBe(2);
    expect(followExitCode(result)).toBe(130);
  });

  it('fails with an outside error when Batch does not know the job', async () => {
    const { follow } = harness([]);
    await expect(followJob({ ...follow, batch: { ...follow.batch, describe: async () => undefined } })).rejects.toBeInstanceOf(ExternalError);
  });
});
