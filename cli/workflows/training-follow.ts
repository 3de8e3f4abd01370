import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline/promises';
import { ExternalError } from '../../core/errors.js';
import type { Settings } from '../../core/settings/schema.js';
import { printJson } from '../command.js';
import { findVersionRegisteredByRun } from '../effects/mlflow.js';
import type { Reporter } from '../progress.js';
import { describeFailure, followExitCode, followJob, type Clock, type Interrupts } from '../training/follow.js';
import type { LaunchedJob, TrainingEffects } from './training-job.js';

/** Ctrl-C while following: a flag the follower takes, a sleep that wakes up at once, and the question. */
function createInterrupts(yes: boolean, reporter: Reporter): Interrupts & { clock: Clock; dispose(): void } {
  const events = new EventEmitter();
  let requested = false;
  const onSigint = () => {
    requested = true;
    events.emit('interrupt');
  };
  process.on('SIGINT', onSigint);
  return {
    takeRequest() {
      const value = requested;
      requested = false;
      return value;
    },
    async confirmTerminate(jobId) {
      // Without a terminal (CI, a script) or with --yes, an interrupt means stop the job: nothing is left running unseen.
      if (yes || !process.stdin.isTTY) {
        reporter.info(`Ctrl-C: terminating job ${jobId}${yes ? ' (--yes)' : ' (no terminal to ask on)'}`);
        return true;
      }
      const prompt = createInterface({ input: process.stdin, output: process.stderr });
      const abort = new AbortController();
      prompt.on('SIGINT', () => abort.abort());
      try {
        const answer = await prompt.question(`Terminate job ${jobId}? (no: stop following and leave it running) [y/N] `, { signal: abort.signal });
        return /^y(es)?$/i.test(answer.trim());
      } catch {
        return false;
      } finally {
        prompt.close();
      }
    },
    clock: {
      now: () => Date.now(),
      sleep: (ms) =>
        new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            events.off('interrupt', done);
            resolve();
          };
          const timer = setTimeout(done, ms);
          events.on('interrupt', done);
        }),
    },
    dispose: () => process.off('SIGINT', onSigint),
  };
}

/**
 * Follows the job to its end (Ctrl-C handled), then exits 0 only for a job that SUCCEEDED and
 * registered a version of the model, printed as models:/x/N.
 */
export async function followAndReport(
  effects: TrainingEffects,
  training: Settings['training'],
  args: { project: string; json: boolean; yes: boolean },
  { jobId, jobName, outputs }: LaunchedJob,
): Promise<void> {
  const { reporter } = effects;
  const interrupts = createInterrupts(args.yes, reporter);
  let result;
  try {
    reporter.info(`Following job ${jobName} (${jobId}):`);
    result = await followJob({
      jobId,
      logGroup: outputs.log_group,
      batch: effects.batch,
      logs: effects.logs,
      clock: interrupts.clock,
      interrupts,
      output: { status: (line) => reporter.info(`  ${line}`), log: (line) => reporter.info(`  | ${line}`) },
      pollMs: training.job_poll_seconds * 1000,
      runnableHintAfterSeconds: training.runnable_hint_after_seconds,
    });
  } finally {
    interrupts.dispose();
  }
  const { project } = args;
  const summary = { project, jobId, jobName, status: result.outcome, statusReason: result.statusReason, elapsedSeconds: Math.round(result.elapsedSeconds) };
  if (result.outcome === 'DETACHED') {
    reporter.info(`Left job ${jobId} running. Follow it again with: mlops training-job --project ${project} --job-id ${jobId}`);
    if (args.json) printJson(summary);
    process.exitCode = followExitCode(result);
    return;
  }
  if (result.outcome === 'FAILED') {
    if (args.json) printJson({ ...summary, exitCode: result.exitCode, lastLogLines: result.lastLogLines });
    throw new ExternalError(describeFailure(jobName, jobId, result));
  }
  const version = await findVersionRegisteredByRun(effects.mlflow(outputs.tracking_uri), project, project, jobName).catch((error: Error) => {
    throw new ExternalError(
      `job ${jobName} SUCCEEDED, but its model version cannot be looked up: ${error.message}. ` +
        `From a machine that reaches the MLflow server (the VPN of the MLflow server stack: make vpn-config), run: mlops training-job --project ${project} --job-id ${jobId}`,
    );
  });
  if (!version) {
    if (args.json) printJson({ ...summary, model: project, version: null });
    throw new ExternalError(
      `job ${jobName} SUCCEEDED but MLflow at ${outputs.tracking_uri} has no version of model "${project}" registered by its run ${jobName}: ` +
        "the training code must register the model under the experiment's name (MLFLOW_EXPERIMENT_NAME)",
    );
  }
  const uri = `models:/${project}/${version.version}`;
  reporter.info(`Registered ${uri}. Next: make deployment-job project=${project} model=${version.version}`);
  if (args.json) printJson({ ...summary, model: project, version: version.version, uri, runId: version.run_id });
  else process.stdout.write(`${uri}\n`);
}
