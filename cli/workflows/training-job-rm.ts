import { checkMlProjectName } from '../../core/ml-project.js';
import { buildTrainingStackForRemoval } from '../builders/training.js';
import { printJson } from '../command.js';
import { createReporter } from '../progress.js';
import { loadStepConfig } from '../settings/load.js';
import { destroyStack } from '../stack-lifecycle.js';
import { synthesize } from '../synth.js';
import { createStepEffects } from './step-effects.js';

/**
 * `mlops training-job-rm`: destroy works from the project's own state, so the project folder may be
 * gone or broken, or the MLflow server removed first, and its stack can still be removed; nothing of
 * other projects is touched.
 */
export async function runTrainingJobRm({ project: name, json, yes }: { project: string; json: boolean; yes: boolean }): Promise<void> {
  checkMlProjectName(name, 'project= (--project)');
  const reporter = createReporter();
  const config = loadStepConfig();
  const [stackDir] = synthesize((app) => [buildTrainingStackForRemoval(app, config, name)]);
  const { terraform } = await createStepEffects(config, reporter);
  const plan = await destroyStack(stackDir, terraform, reporter, { yes, what: `the training infrastructure of ML project "${name}"` });
  if (plan.destroy > 0) reporter.info(`Removed ${plan.destroy} resources of ML project "${name}"'s training.`);
  if (json) printJson({ project: name, destroyed: plan.destroy });
}
