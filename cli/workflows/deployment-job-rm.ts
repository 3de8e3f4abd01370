import type { DeploymentStack } from '../../stacks/deployment-stack.js';
import { PLACEHOLDER_MODEL_VERSION } from '../../core/deployment/names.js';
import { buildDeploymentStack } from '../builders/deployment.js';
import { loadMlProject } from '../ml-project.js';
import { createReporter } from '../progress.js';
import { loadStepConfig } from '../settings/load.js';
import { destroyStack } from '../stack-lifecycle.js';
import { synthesize } from '../synth.js';
import { createDeploymentEffects } from './deployment-job.js';

/**
 * `mlops deployment-job-rm`: the stack (endpoint, models, configurations, alarms, dashboard, role,
 * repository, the deployment's own bucket), then its path of the artifact bucket unless --keep-data.
 */
export async function runDeploymentJobRm(args: { project: string; yes: boolean; 'keep-data': boolean }): Promise<void> {
  const reporter = createReporter();
  const config = loadStepConfig();
  const project = loadMlProject(args.project);
  let stack: DeploymentStack | undefined;
  const [stackDir] = synthesize((app) => [(stack = buildDeploymentStack(app, config, project, PLACEHOLDER_MODEL_VERSION))]);
  const { names } = stack!;
  const effects = await createDeploymentEffects(config, reporter);
  await effects.terraform.init(stackDir);
  const outputs = await effects.terraform.outputs(stackDir);
  await destroyStack(stackDir, effects.terraform, reporter, { yes: args.yes, what: `the deployment of ${project.name} (stack ${stack!.node.id})` });
  const bucket = typeof outputs.artifact_bucket === 'string' ? outputs.artifact_bucket : undefined;
  // The deployment's own bucket went with the stack (force_destroy); the artifact bucket stays, so its path is emptied.
  if (bucket && bucket !== names.ownBucket && !args['keep-data']) {
    const removed = await effects.bucket.deletePrefix(bucket, `${names.s3Prefix}/`);
    reporter.info(`Removed ${removed} objects (captured requests, release records) under s3://${bucket}/${names.s3Prefix}/.`);
  }
  reporter.info(`Removed the deployment of ${project.name}. CloudWatch keeps the custom metrics already published until they expire (15 months).`);
}
