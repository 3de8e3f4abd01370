import { ExternalError, UsageError } from '../../core/errors.js';
import { describePlacement } from '../../core/training/placement.js';
import type { StackConfig } from '../../stacks/common/config.js';
import type { TrainingStack } from '../../stacks/training-stack.js';
import { buildTrainingStack, trainingInputs, type TrainingInputs } from '../builders/training.js';
import { printJson } from '../command.js';
import type { ImageBuildMode } from '../effects/container-image.js';
import { type MlflowClient, uniqueRunName } from '../effects/mlflow.js';
import { createMlflowConnections } from '../effects/mlflow-access.js';
import { withMlflowCaFile } from '../../core/training/mlflow-ca.js';
import type { MlProject } from '../../core/ml-project.js';
import { loadMlProject } from '../ml-project.js';
import { createReporter } from '../progress.js';
import { loadStepConfig } from '../settings/load.js';
import { planAndApply } from '../stack-lifecycle.js';
import { synthesize } from '../synth.js';
import { describeNextRun, nextRun } from '../../core/training/schedule.js';
import { createBatchJobs, createJobLogs, createRetrainingSchedules, type RetrainingSchedules } from '../training/aws-clients.js';
import type { BatchJobs, JobLogs } from '../training/follow.js';
import { jobCommand, prepareBuildContext } from '../training/image.js';
import { applyRepositoryThenImage } from './repository-then-image.js';
import { createStepEffects, type StepEffects } from './step-effects.js';
import { followAndReport } from './training-follow.js';

export interface TrainingJobArgs {
  project: string;
  json: boolean;
  wait: boolean;
  'image-build': ImageBuildMode;
  'job-id'?: string;
  yes: boolean;
}

/** The effects of a training run, injectable so tests can swap them. */
export interface TrainingEffects extends StepEffects {
  readonly batch: BatchJobs;
  readonly logs: JobLogs;
  readonly schedules: RetrainingSchedules;
  /** The MLflow server the job registers its version with. */
  mlflow(trackingUri: string): MlflowClient;
}

/** The training stack's outputs the command uses (stacks/training-stack.ts). */
export interface TrainingOutputs {
  readonly repository_name: string;
  readonly repository_url: string;
  readonly image_uri: string;
  readonly job_queue: string;
  readonly job_definition: string;
  readonly log_group: string;
  readonly tracking_uri: string;
  /** Only when the project has a `schedule`. */
  readonly schedule_name?: string;
}

export interface LaunchedJob {
  readonly jobId: string;
  readonly jobName: string;
  readonly outputs: TrainingOutputs;
  /** The retraining schedule, when the project has one. */
  readonly schedule?: { readonly name: string; readonly expression: string; readonly state: string; readonly nextRun: string | null };
}

function readOutputs(outputs: Record<string, unknown>, project: string): TrainingOutputs {
  const keys: (keyof TrainingOutputs)[] = ['repository_name', 'repository_url', 'image_uri', 'job_queue', 'job_definition', 'log_group', 'tracking_uri'];
  const missing = keys.filter((key) => typeof outputs[key] !== 'string' || outputs[key] === '');
  if (missing.length === keys.length) throw new UsageError(`ML project "${project}" has no training infrastructure yet: run \`make training-job project=${project}\` first`);
  if (missing.length > 0) throw new ExternalError(`the training stack of "${project}" lacks the outputs ${missing.join(', ')}; apply it again`);
  return outputs as unknown as TrainingOutputs;
}

/** --job-id: the stack's outputs (no plan, no apply) and a job that ran in this project's queue. */
async function attachToJob(effects: TrainingEffects, project: MlProject, stackDir: string, jobId: string): Promise<LaunchedJob> {
  await effects.terraform.init(stackDir);
  const outputs = readOutputs(await effects.terraform.outputs(stackDir), project.name);
  const job = await effects.batch.describe(jobId);
  if (!job) throw new UsageError(`--job-id ${jobId}: AWS Batch knows no such job in ${effects.aws.region}`);
  if (job.jobQueue !== outputs.job_queue && !job.jobQueue.endsWith(`/${outputs.job_queue}`)) {
    throw new UsageError(`--job-id ${jobId} ran in queue ${job.jobQueue}, not in ${outputs.job_queue} of ML project "${project.name}"`);
  }
  return { jobId, jobName: job.jobName, outputs };
}

/** The repository and image first, then the rest of the stack; then a job named uniquely (its MLflow run gets the same name). */
async function applyAndSubmit(effects: TrainingEffects, project: MlProject, stack: TrainingStack, stackDir: string, inputs: TrainingInputs, mode: ImageBuildMode): Promise<LaunchedJob> {
  await applyRepositoryThenImage(effects, stackDir, {
    repository: stack.repository,
    tag: inputs.imageTag,
    prepareContext: () => prepareBuildContext(project, inputs.dockerfile),
    mode,
  });
  const outputs = readOutputs((await planAndApply(stackDir, effects.terraform, effects.reporter)).outputs, project.name);
  const jobName = uniqueRunName('batch', project.name);
  const { jobId } = await effects.batch.submit({
    jobName,
    jobQueue: outputs.job_queue,
    jobDefinition: outputs.job_definition,
    // The job definition's command writes the MLflow server's CA first; an override must too.
    command: stack.mlflowAuth ? withMlflowCaFile(jobCommand(project.name, jobName)) : jobCommand(project.name, jobName),
    tags: { 'ml-project': project.name, 'managed-by': 'lean-mlops' },
  });
  effects.reporter.info(`Submitted job ${jobName} (${jobId}) to ${outputs.job_queue}; logs in ${outputs.log_group}`);
  return { jobId, jobName, outputs, schedule: await describeSchedule(effects, project, outputs) };
}

/** The project's retraining schedule as applied, with its next run (rate schedules count from their creation). */
async function describeSchedule(effects: TrainingEffects, project: MlProject, outputs: TrainingOutputs): Promise<LaunchedJob['schedule']> {
  const expected = project.requirementsFile?.schedule;
  if (!expected || !outputs.schedule_name) return undefined;
  const applied = await effects.schedules.describe(outputs.schedule_name);
  if (!applied) throw new ExternalError(`the retraining schedule ${outputs.schedule_name} is in the stack's outputs but EventBridge Scheduler does not know it; apply again`);
  const now = new Date();
  const next = nextRun(expected, now, applied.createdAt);
  effects.reporter.info(`Retraining schedule ${outputs.schedule_name}: ${expected.expression} (UTC), ${applied.state}; next run ${describeNextRun(next, now)}. training-job-rm removes it.`);
  return { name: outputs.schedule_name, expression: expected.expression, state: applied.state, nextRun: next?.toISOString() ?? null };
}

/** Checks the project, applies its stack, publishes its image and submits (or attaches to) a job; follows it unless --no-wait. */
export async function trainingJob(effects: TrainingEffects, config: StackConfig, args: TrainingJobArgs): Promise<void> {
  const project = loadMlProject(args.project);
  const inputs = trainingInputs(config, project);
  effects.reporter.info(`ML project ${project.name}: ${describePlacement(inputs.placement)}; image tag ${inputs.imageTag}; job role policy ${inputs.jobPolicy.source}`);
  let stack: TrainingStack | undefined;
  const [stackDir] = synthesize((app) => [(stack = buildTrainingStack(app, config, project, inputs))]);
  if (args['job-id']) {
    await followAndReport(effects, config.settings.training, args, await attachToJob(effects, project, stackDir, args['job-id']));
    return;
  }
  const job = await applyAndSubmit(effects, project, stack!, stackDir, inputs, args['image-build']);
  if (args.wait) {
    await followAndReport(effects, config.settings.training, args, job);
    return;
  }
  effects.reporter.info(`Not following it (--no-wait). Follow it with: mlops training-job --project ${project.name} --job-id ${job.jobId}`);
  const { outputs } = job;
  if (args.json) {
    printJson({
      project: project.name,
      jobId: job.jobId,
      jobName: job.jobName,
      jobQueue: outputs.job_queue,
      jobDefinition: outputs.job_definition,
      logGroup: outputs.log_group,
      imageUri: outputs.image_uri,
      schedule: job.schedule ?? null,
    });
  } else {
    process.stdout.write(`${job.jobId}\n`);
  }
}

/** `mlops training-job`. */
export async function runTrainingJob(args: TrainingJobArgs): Promise<void> {
  const reporter = createReporter();
  const config = loadStepConfig();
  const step = await createStepEffects(config, reporter);
  const mlflow = createMlflowConnections(step.aws, config.environment);
  await trainingJob(
    { ...step, batch: createBatchJobs(step.aws), logs: createJobLogs(step.aws), schedules: createRetrainingSchedules(step.aws), mlflow: mlflow.client },
    config,
    args,
  );
}
