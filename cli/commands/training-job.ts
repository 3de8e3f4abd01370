import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline/promises';
import { BatchClient } from '@aws-sdk/client-batch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { ECRClient } from '@aws-sdk/client-ecr';
import type { Command } from '../command.js';
import { printJson, withJson, withProject, withYes } from '../command.js';
import { ExternalError, UsageError, violationsMessage } from '../errors.js';
import { buildTrainingStack, buildTrainingStackForRemoval, synthesizeTrainingStack, trainingInputs, type TrainingInputs } from '../builders/training.js';
import { createContainerEngine } from '../effects/container-engine.js';
import { createEcrRegistry, publishImage, type ImageBuildMode } from '../effects/container-image.js';
import { MlflowClient, findVersionRegisteredByRun, uniqueRunName } from '../effects/mlflow.js';
import { createTerraformRunner, resolveTerraformBinary, type TerraformRunner } from '../effects/terraform.js';
import { MAX_ML_PROJECT_NAME_LENGTH, loadMlProject, type MlProject } from '../ml-project.js';
import { createReporter, type Reporter } from '../progress.js';
import { loadSettings, readEnvironment, type Environment } from '../settings/load.js';
import type { Settings } from '../settings/schema.js';
import { applyStack, destroyStack } from '../stack-lifecycle.js';
import { createBatchJobs, createJobLogs } from '../training/aws-clients.js';
import {
  describeFailure,
  followExitCode,
  followJob,
  type BatchJobs,
  type Clock,
  type FollowResult,
  type Interrupts,
  type JobLogs,
} from '../training/follow.js';
import { jobCommand, prepareBuildContext } from '../training/image.js';
import { describePlacement } from '../training/placement.js';
import { namePartViolations, ResourceNamer } from '../../stacks/common/naming.js';
import { trainingResourceNames } from '../../stacks/training/names.js';

/** The training stack's outputs the command uses (stacks/training-stack.ts). */
interface TrainingOutputs {
  readonly repository_name: string;
  readonly repository_url: string;
  readonly image_uri: string;
  readonly job_queue: string;
  readonly job_definition: string;
  readonly log_group: string;
  readonly tracking_uri: string;
}

function readOutputs(outputs: Record<string, unknown>, project: string): TrainingOutputs {
  const keys: (keyof TrainingOutputs)[] = ['repository_name', 'repository_url', 'image_uri', 'job_queue', 'job_definition', 'log_group', 'tracking_uri'];
  const missing = keys.filter((key) => typeof outputs[key] !== 'string' || outputs[key] === '');
  if (missing.length === keys.length) throw new UsageError(`ML project "${project}" has no training infrastructure yet: run \`make training-job project=${project}\` first`);
  if (missing.length > 0) throw new ExternalError(`the training stack of "${project}" lacks the outputs ${missing.join(', ')}; apply it again`);
  return outputs as unknown as TrainingOutputs;
}

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

interface TrainingJobArgs {
  project: string;
  json: boolean;
  wait: boolean;
  'image-build': ImageBuildMode;
  'job-id'?: string;
  yes: boolean;
}

export const trainingJob: Command<TrainingJobArgs> = {
  command: 'training-job',
  describe:
    "Train an ML project on AWS Batch: check the project, apply its training stack (ECR, Batch, IAM, logs), publish its image, submit the job, follow it to the end and print the model version it registered (models:/<project>/N)",
  builder: (yargs) =>
    withYes(withJson(withProject(yargs)))
      .option('wait', { type: 'boolean', default: true, describe: 'Follow the job to its end (--no-wait: submit, print the job id and return)' })
      .option('image-build', {
        choices: ['auto', 'skip'] as const,
        default: 'auto' as const,
        describe: 'auto: build and push the image when ECR lacks its tag; skip: never build (emulators, or an image pushed elsewhere)',
      })
      .option('job-id', { type: 'string', describe: 'Follow a job submitted earlier (e.g. with --no-wait) instead of submitting one; nothing is applied' })
      .epilog(
        'Exit codes: 0 the job SUCCEEDED and registered a version; 1 the job FAILED, registered no version, or AWS/MLflow/Terraform failed; ' +
          '2 bad input (nothing created); 130 Ctrl-C and the job was left running. Ctrl-C asks whether to terminate the job (with --yes or without a terminal it does).',
      ),
  handler: async (args) => {
    const reporter = createReporter();
    const environment = readEnvironment();
    const settings = loadSettings();
    const config = { environment, settings };
    const project = loadMlProject(args.project);
    const inputs = trainingInputs(config, project);
    reporter.info(`ML project ${project.name}: ${describePlacement(inputs.placement)}; image tag ${inputs.imageTag}; job role policy ${inputs.jobPolicy.source}`);
    const stackDir = synthesizeTrainingStack((app) => buildTrainingStack(app, config, project, inputs));
    const runner = createTerraformRunner(await resolveTerraformBinary(), reporter);
    const batch = createBatchJobs(new BatchClient({ region: environment.region }));
    const context: JobContext = { args, project, inputs, stackDir, runner, batch, reporter, environment };

    const job = args['job-id'] ? await attachToJob(context, args['job-id']) : await applyPublishAndSubmit(context);
    if (!job) return;
    const result = await follow(context, job, createJobLogs(new CloudWatchLogsClient({ region: environment.region })), settings.training);
    await report(context, job, result);
  },
};

interface JobContext {
  readonly args: TrainingJobArgs;
  readonly project: MlProject;
  readonly inputs: TrainingInputs;
  readonly stackDir: string;
  readonly runner: TerraformRunner;
  readonly batch: BatchJobs;
  readonly reporter: Reporter;
  readonly environment: Environment;
}

interface LaunchedJob {
  readonly jobId: string;
  readonly jobName: string;
  readonly outputs: TrainingOutputs;
}

/** --job-id: the stack's outputs (no plan, no apply) and a job that ran in this project's queue. */
async function attachToJob({ project, stackDir, runner, batch, environment }: JobContext, jobId: string): Promise<LaunchedJob> {
  await runner.init(stackDir);
  const outputs = readOutputs(await runner.outputs(stackDir), project.name);
  const job = await batch.describe(jobId);
  if (!job) throw new UsageError(`--job-id ${jobId}: AWS Batch knows no such job in ${environment.region}`);
  if (job.jobQueue !== outputs.job_queue && !job.jobQueue.endsWith(`/${outputs.job_queue}`)) {
    throw new UsageError(`--job-id ${jobId} ran in queue ${job.jobQueue}, not in ${outputs.job_queue} of ML project "${project.name}"`);
  }
  return { jobId, jobName: job.jobName, outputs };
}

/**
 * Applies the stack, makes sure the image is in ECR, and submits a job named uniquely (its MLflow
 * run gets the same name). Refuses before applying when the image would have to be built and no
 * Docker engine answers. With --no-wait, prints the job and returns undefined.
 */
async function applyPublishAndSubmit({ args, project, inputs, stackDir, runner, batch, reporter, environment }: JobContext): Promise<LaunchedJob | undefined> {
  const registry = createEcrRegistry(new ECRClient({ region: environment.region }));
  const docker = createContainerEngine();
  const repositoryName = trainingResourceNames(ResourceNamer.forEnvironment(environment.project, environment.envName).child(project.name)).repository;
  if (args['image-build'] === 'auto' && !(await docker.engineAvailable())) {
    const published = await registry.imageExists(repositoryName, inputs.imageTag).catch(() => false);
    if (!published) {
      throw new ExternalError(
        `no Docker engine answers and ECR has no ${repositoryName}:${inputs.imageTag}, so the training image cannot be built; nothing was applied. ` +
          'Start Docker (or run where one is, e.g. CI), or pass --image-build skip if the image is pushed another way',
      );
    }
  }
  const outputs = readOutputs((await applyStack(stackDir, runner, reporter)).outputs, project.name);
  await publishImage({
    registry,
    docker,
    repositoryName: outputs.repository_name,
    repositoryUri: outputs.repository_url,
    tag: inputs.imageTag,
    prepareContext: () => prepareBuildContext(project, inputs.dockerfile),
    mode: args['image-build'],
    reporter,
  });
  const jobName = uniqueRunName('batch', project.name);
  const { jobId } = await batch.submit({
    jobName,
    jobQueue: outputs.job_queue,
    jobDefinition: outputs.job_definition,
    command: jobCommand(project.name, jobName),
    tags: { 'ml-project': project.name, 'managed-by': 'lean-mlops' },
  });
  reporter.info(`Submitted job ${jobName} (${jobId}) to ${outputs.job_queue}; logs in ${outputs.log_group}`);
  if (args.wait) return { jobId, jobName, outputs };
  reporter.info(`Not following it (--no-wait). Follow it with: mlops training-job --project ${project.name} --job-id ${jobId}`);
  if (args.json) {
    printJson({ project: project.name, jobId, jobName, jobQueue: outputs.job_queue, jobDefinition: outputs.job_definition, logGroup: outputs.log_group, imageUri: outputs.image_uri });
  } else {
    process.stdout.write(`${jobId}\n`);
  }
  return undefined;
}

/** Follows the job with Ctrl-C handled (see createInterrupts), whatever happens removing the handler. */
async function follow({ args, batch, reporter }: JobContext, job: LaunchedJob, logs: JobLogs, training: Settings['training']): Promise<FollowResult> {
  const interrupts = createInterrupts(args.yes, reporter);
  try {
    reporter.info(`Following job ${job.jobName} (${job.jobId}):`);
    return await followJob({
      jobId: job.jobId,
      logGroup: job.outputs.log_group,
      batch,
      logs,
      clock: interrupts.clock,
      interrupts,
      output: { status: (line) => reporter.info(`  ${line}`), log: (line) => reporter.info(`  | ${line}`) },
      pollMs: training.job_poll_seconds * 1000,
      runnableHintAfterSeconds: training.runnable_hint_after_seconds,
    });
  } finally {
    interrupts.dispose();
  }
}

/** Exit 0 only for a job that SUCCEEDED and registered a version of the model, printed as models:/x/N. */
async function report({ args, project, reporter }: JobContext, { jobId, jobName, outputs }: LaunchedJob, result: FollowResult): Promise<void> {
  const summary = { project: project.name, jobId, jobName, status: result.outcome, statusReason: result.statusReason, elapsedSeconds: Math.round(result.elapsedSeconds) };
  if (result.outcome === 'DETACHED') {
    reporter.info(`Left job ${jobId} running. Follow it again with: mlops training-job --project ${project.name} --job-id ${jobId}`);
    if (args.json) printJson(summary);
    process.exitCode = followExitCode(result);
    return;
  }
  if (result.outcome === 'FAILED') {
    if (args.json) printJson({ ...summary, exitCode: result.exitCode, lastLogLines: result.lastLogLines });
    throw new ExternalError(describeFailure(jobName, jobId, result));
  }
  const mlflow = new MlflowClient(outputs.tracking_uri);
  const version = await findVersionRegisteredByRun(mlflow, project.name, project.name, jobName).catch((error: Error) => {
    throw new ExternalError(
      `job ${jobName} SUCCEEDED, but its model version cannot be looked up: ${error.message}. ` +
        `From a machine that reaches the MLflow server (the VPN of the MLflow server stack: make vpn-config), run: mlops training-job --project ${project.name} --job-id ${jobId}`,
    );
  });
  if (!version) {
    if (args.json) printJson({ ...summary, model: project.name, version: null });
    throw new ExternalError(
      `job ${jobName} SUCCEEDED but MLflow at ${outputs.tracking_uri} has no version of model "${project.name}" registered by its run ${jobName}: ` +
        "the training code must register the model under the experiment's name (MLFLOW_EXPERIMENT_NAME)",
    );
  }
  const uri = `models:/${project.name}/${version.version}`;
  reporter.info(`Registered ${uri}. Next: make deployment-job project=${project.name} model=${version.version}`);
  if (args.json) printJson({ ...summary, model: project.name, version: version.version, uri, runId: version.run_id });
  else process.stdout.write(`${uri}\n`);
}

interface TrainingJobRmArgs {
  project: string;
  json: boolean;
  yes: boolean;
}

export const trainingJobRm: Command<TrainingJobRmArgs> = {
  command: 'training-job-rm',
  describe:
    "Remove an ML project's training infrastructure (its own Terraform state: ECR repository and images, Batch, IAM roles, log group, security group) and nothing of other projects",
  builder: (yargs) => withYes(withJson(withProject(yargs))),
  handler: async ({ project: name, json, yes }) => {
    const reporter = createReporter();
    const violations = namePartViolations(name, MAX_ML_PROJECT_NAME_LENGTH);
    if (violations.length > 0) throw new UsageError(violationsMessage(`ML project name "${name}" cannot be used in AWS resource names`, violations));
    const config = { environment: readEnvironment(), settings: loadSettings() };
    const stackDir = synthesizeTrainingStack((app) => buildTrainingStackForRemoval(app, config, name));
    const runner = createTerraformRunner(await resolveTerraformBinary(), reporter);
    const plan = await destroyStack(stackDir, runner, reporter, { yes, what: `the training infrastructure of ML project "${name}"` });
    if (plan.destroy > 0) reporter.info(`Removed ${plan.destroy} resources of ML project "${name}"'s training.`);
    if (json) printJson({ project: name, destroyed: plan.destroy });
  },
};
