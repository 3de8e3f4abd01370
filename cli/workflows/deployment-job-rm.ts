import type { DeploymentStack } from '../../stacks/deployment-stack.js';
import { checkMlProjectName } from '../../core/ml-project.js';
import { buildDeploymentStackForRemoval } from '../builders/deployment.js';
import { createReporter } from '../progress.js';
import { loadStepConfig } from '../settings/load.js';
import { destroyStack } from '../stack-lifecycle.js';
import { synthesize } from '../synth.js';
import { createDeploymentEffects } from './deployment-job.js';

/**
 * `mlops deployment-job-rm`, by the project's name alone (destroy works from the state: the project
 * folder may be gone, the MLflow server removed first): the stack (endpoint, models, configurations, alarms, dashboard, role,
 * repository, the deployment's own bucket), then its path of the artifact bucket unless --keep-data.
 */
export async function runDeploymentJobRm(args: { project: string; yes: boolean; 'keep-data': boolean }): Promise<void> {
  const reporter = createReporter();
  const config = loadStepConfig();
  const name = args.project;
  checkMlProjectName(name, 'project= (--project)');
  let stack: DeploymentStack | undefined;
  const [stackDir] = synthesize((app) => [(stack = buildDeploymentStackForRemoval(app, config, name))]);
  const { names } = stack!;
  const effects = await createDeploymentEffects(config, reporter);
  await effects.terraform.init(stackDir);
  const outputs = await effects.terraform.outputs(stackDir);
  await destroyStack(stackDir, effects.terraform, reporter, { yes: args.yes, what: `the deployment of ${name} (stack ${stack!.node.id})` });
  const bucket = typeof outputs.artifact_bucket === 'string' ? outputs.artifact_bucket : undefined;
  // The deployment's own bucket went with the stack (force_destroy); the artifact bucket stays, so its path is emptied.
  if (bucket && bucket !== names.ownBucket && !args['keep-data']) {
    const removed = await effects.bucket.deletePrefix(bucket, `${names.s3Prefix}/`);
    reporter.info(`Removed ${removed} objects (captured requests, release records) under s3://${bucket}/${names.s3Prefix}/.`);
  }
  reporter.info(`Removed the deployment of ${name}. CloudWatch keeps the custom metrics already published until they expire (15 months).`);
}
