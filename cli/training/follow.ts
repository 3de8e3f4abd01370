import { ExternalError } from '../../core/errors.js';
import { formatElapsed } from '../progress.js';

/** The states of a Batch job, in the order a job normally passes them. */
export const JOB_STATES = ['SUBMITTED', 'PENDING', 'RUNNABLE', 'STARTING', 'RUNNING', 'SUCCEEDED', 'FAILED'] as const;
export type JobState = (typeof JOB_STATES)[number];
export const isFinalState = (state: JobState) => state === 'SUCCEEDED' || state === 'FAILED';

/** What the follower reads of a job (DescribeJobs), whatever client produced it. */
export interface JobSnapshot {
  readonly state: JobState;
  readonly statusReason?: string;
  /** The CloudWatch stream of the current attempt, once its container has started. */
  readonly logStreamName?: string;
  readonly exitCode?: number;
  readonly attempts?: number;
}

/** AWS Batch, as far as launching and following a job needs it. */
export interface BatchJobs {
  submit(request: { jobName: string; jobQueue: string; jobDefinition: string; command: string[]; tags?: Record<string, string> }): Promise<{ jobId: string }>;
  /** undefined when Batch does not know the job. */
  describe(jobId: string): Promise<(JobSnapshot & { jobName: string; jobQueue: string }) | undefined>;
  terminate(jobId: string, reason: string): Promise<void>;
}

/** CloudWatch Logs, as far as following a job's output needs it. */
export interface JobLogs {
  /** New lines of a stream after `token` (from the start without one); no stream yet → no lines. */
  read(logGroup: string, logStream: string, token?: string): Promise<{ lines: string[]; token?: string }>;
}

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** Ctrl-C: whether one arrived since the last call, and the question whether to terminate the job. */
export interface Interrupts {
  takeRequest(): boolean;
  confirmTerminate(jobId: string): Promise<boolean>;
}

/** Where the follower writes what a person reads (stderr in the CLI). */
export interface FollowOutput {
  status(line: string): void;
  log(line: string): void;
}

export interface FollowOptions {
  readonly jobId: string;
  readonly logGroup: string;
  readonly batch: BatchJobs;
  readonly logs: JobLogs;
  readonly clock: Clock;
  readonly output: FollowOutput;
  readonly pollMs: number;
  /** After this long in RUNNABLE, say what usually holds a job there (once). */
  readonly runnableHintAfterSeconds: number;
  readonly interrupts?: Interrupts;
  /** How many of the last log lines to keep for a failure report. @default 20 */
  readonly keepLines?: number;
}

export interface FollowResult {
  /** DETACHED: the user pressed Ctrl-C and chose to leave the job running. */
  readonly outcome: 'SUCCEEDED' | 'FAILED' | 'DETACHED';
  readonly statusReason?: string;
  readonly exitCode?: number;
  readonly lastLogLines: string[];
  readonly transitions: { state: JobState; atSeconds: number }[];
  readonly elapsedSeconds: number;
  readonly terminatedByUser: boolean;
}

export const RUNNABLE_HINT =
  'still RUNNABLE: no capacity has taken the job yet. Usual causes: the compute environment is at its ' +
  'max vCPUs or the account at its Fargate/EC2 vCPU quota; no GPU instance of the configured families ' +
  'is available in these subnets; the compute environment is INVALID (its service role); or the ' +
  "subnets have no route out (NAT, VPC endpoints, or a public IP) to pull the image. Check with " +
  '`aws batch describe-compute-environments`.';

/**
 * Follows a job to its end: prints each state transition with the elapsed time, the job's log lines
 * as they arrive, a hint once it has waited in RUNNABLE too long; on Ctrl-C asks whether to terminate
 * the job (yes: terminate and keep following to the end; no: stop following, the job runs on).
 */
export async function followJob(options: FollowOptions): Promise<FollowResult> {
  const { jobId, batch, logs, clock, output } = options;
  const keepLines = options.keepLines ?? 20;
  const started = clock.now();
  const elapsed = () => (clock.now() - started) / 1000;
  const stamp = () => `[${formatElapsed(elapsed())}]`;
  const transitions: { state: JobState; atSeconds: number }[] = [];
  const lastLogLines: string[] = [];
  let state: JobState | undefined;
  let runnableSince: number | undefined;
  let hinted = false;
  let terminatedByUser = false;
  let stream: string | undefined;
  let token: string | undefined;

  const readLogs = async (snapshot: JobSnapshot) => {
    if (!snapshot.logStreamName) return;
    if (snapshot.logStreamName !== stream) {
      stream = snapshot.logStreamName;
      token = undefined;
    }
    // A page at a time until no new lines: CloudWatch returns at most 10,000 events per call.
    for (;;) {
      const page = await logs.read(options.logGroup, stream, token);
      for (const line of page.lines) {
        output.log(line);
        lastLogLines.push(line);
        if (lastLogLines.length > keepLines) lastLogLines.shift();
      }
      const advanced = page.token !== undefined && page.token !== token;
      token = page.token ?? token;
      if (page.lines.length === 0 || !advanced) return;
    }
  };

  for (;;) {
    if (options.interrupts?.takeRequest()) {
      if (await options.interrupts.confirmTerminate(jobId)) {
        await batch.terminate(jobId, 'terminated by the user (Ctrl-C in mlops training-job)');
        terminatedByUser = true;
        output.status(`${stamp()} termination requested; following the job until it stops`);
      } else {
        output.status(`${stamp()} no longer following; job ${jobId} keeps running`);
        return { outcome: 'DETACHED', lastLogLines, transitions, elapsedSeconds: elapsed(), terminatedByUser };
      }
    }
    const snapshot = await batch.describe(jobId);
    if (!snapshot) throw new ExternalError(`AWS Batch does not know job ${jobId}`);
    if (snapshot.state !== state) {
      state = snapshot.state;
      transitions.push({ state, atSeconds: elapsed() });
      const reason = snapshot.statusReason && isFinalState(state) ? ` (${snapshot.statusReason})` : '';
      output.status(`${stamp()} ${state}${reason}`);
      runnableSince = state === 'RUNNABLE' ? clock.now() : undefined;
    }
    if (state === 'RUNNABLE' && !hinted && runnableSince !== undefined && clock.now() - runnableSince >= options.runnableHintAfterSeconds * 1000) {
      hinted = true;
      output.status(`${stamp()} hint: ${RUNNABLE_HINT}`);
    }
    await readLogs(snapshot);
    if (isFinalState(state)) {
      return {
        outcome: state === 'SUCCEEDED' ? 'SUCCEEDED' : 'FAILED',
        statusReason: snapshot.statusReason,
        exitCode: snapshot.exitCode,
        lastLogLines,
        transitions,
        elapsedSeconds: elapsed(),
        terminatedByUser,
      };
    }
    await clock.sleep(options.pollMs);
  }
}

/** Exit codes: 0 only for a job that succeeded (and registered a model); 1 a failed job; 130 detached by Ctrl-C. */
export function followExitCode(result: Pick<FollowResult, 'outcome'>): number {
  if (result.outcome === 'SUCCEEDED') return 0;
  if (result.outcome === 'DETACHED') return 130;
  return 1;
}

/** The message of a failed job: its status reason, exit code and last log lines. */
export function describeFailure(jobName: string, jobId: string, result: FollowResult): string {
  const reason = result.statusReason ?? 'AWS Batch gave no status reason';
  const code = result.exitCode === undefined ? '' : `, container exit code ${result.exitCode}`;
  const lines = result.lastLogLines.length > 0 ? `\nLast log lines:\n${result.lastLogLines.map((line) => `  | ${line}`).join('\n')}` : '\n(no log lines were written)';
  return `training job ${jobName} (${jobId}) FAILED after ${formatElapsed(result.elapsedSeconds)}: ${reason}${code}${lines}`;
}
