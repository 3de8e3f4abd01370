import type { Argv } from 'yargs';
import type { Command } from '../command.js';
import { lazyHandler, withImageBuild, withJson, withMaxMonthlyUsd, withProject, withYes } from '../command.js';
import type { TrainingJobArgs } from '../workflows/training-job.js';

export const trainingJob: Command<TrainingJobArgs> = {
  command: 'training-job',
  describe:
    'Train an ML project on AWS Batch: check the project, apply its training stack (ECR, Batch, IAM, logs), publish its image, submit the job, follow it to the end and print the model version it registered (models:/<project>/N)',
  builder: (yargs) =>
    withMaxMonthlyUsd(withImageBuild(withYes(withJson(withProject(yargs)))))
      .option('wait', { type: 'boolean', default: true, describe: 'Follow the job to its end (--no-wait: submit, print the job id and return)' })
      .option('job-id', { type: 'string', describe: 'Follow a job submitted earlier (e.g. with --no-wait) instead of submitting one; nothing is applied' })
      .epilog(
        'Exit codes: 0 the job SUCCEEDED and registered a version; 1 the job FAILED, registered no version, or AWS/MLflow/Terraform failed; ' +
          '2 bad input, or the stack over --max-monthly-usd (nothing created); 130 Ctrl-C and the job was left running. Ctrl-C asks whether to terminate the job (with --yes or without a terminal it does).',
      ) as unknown as Argv<TrainingJobArgs>,
  handler: lazyHandler(async () => (await import('../workflows/training-job.js')).runTrainingJob),
};

export const trainingJobRm: Command<{ project: string; json: boolean; yes: boolean }> = {
  command: 'training-job-rm',
  describe:
    "Remove an ML project's training infrastructure (its own Terraform state: ECR repository and images, Batch, IAM roles, log group, security group) and nothing of other projects",
  builder: (yargs) => withYes(withJson(withProject(yargs))),
  handler: lazyHandler(async () => (await import('../workflows/training-job-rm.js')).runTrainingJobRm),
};
