import type { Argv } from 'yargs';
import type { Command } from '../command.js';
import { lazyHandler, withImageBuild, withJson, withMaxMonthlyUsd, withModel, withProject, withYes } from '../command.js';
import type { DeployArgs } from '../workflows/deployment-job.js';

export const deploymentJob: Command<DeployArgs> = {
  command: 'deployment-job',
  describe:
    'Deploy one MLflow model version of a project to its SageMaker endpoint (blue/green with alarm rollback), smoke-test it, tag the version and publish its metrics',
  builder: (yargs) =>
    withMaxMonthlyUsd(withImageBuild(withJson(withModel(withProject(yargs)))))
      .option('plan-only', {
        type: 'boolean',
        default: false,
        describe: 'Resolve the version and show what the rollout would change (plan summary and estimated cost), without building, pushing or applying anything',
      })
      .option('shadow', {
        type: 'boolean',
        default: false,
        describe:
          'Run the version as a shadow beside the serving one: it gets a copy of live requests (settings deployment.shadow_sampling_percent), answers nobody, has its own data capture; then `mlops promote` or `mlops shadow-rm`. Not for serverless endpoints',
      }) as unknown as Argv<DeployArgs>,
  handler: lazyHandler(async () => (await import('../workflows/deployment-job.js')).runDeploymentJob),
};

export const deploymentJobRm: Command<{ project: string; yes: boolean; 'keep-data': boolean }> = {
  command: 'deployment-job-rm',
  describe: "Remove a project's deployment: endpoint, models, configurations, alarms, dashboard, role, ECR repository and its captured data",
  builder: (yargs) =>
    withYes(withProject(yargs)).option('keep-data', {
      type: 'boolean',
      default: false,
      describe: "Keep the captured requests and release records under the deployment's path of the artifact bucket",
    }),
  handler: lazyHandler(async () => (await import('../workflows/deployment-job-rm.js')).runDeploymentJobRm),
};
