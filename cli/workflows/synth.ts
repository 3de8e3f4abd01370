import { printJson } from '../command.js';
import { PLACEHOLDER_MODEL_VERSION } from '../../core/deployment/names.js';
import { buildDeploymentStack } from '../builders/deployment.js';
import { buildMlflowServerStack } from '../builders/mlflow-server.js';
import { buildTrainingStack } from '../builders/training.js';
import { listMlProjects, loadMlProject } from '../ml-project.js';
import { createReporter } from '../progress.js';
import { loadSettings, readSynthEnvironment } from '../settings/load.js';
import { synthesize } from '../synth.js';

export interface SynthArgs {
  model?: string;
  json: boolean;
}

/** `mlops synth`. */
export async function runSynth({ model, json }: SynthArgs): Promise<void> {
  const reporter = createReporter();
  const config = { environment: readSynthEnvironment(process.env, reporter.info), settings: loadSettings() };
  const projects = listMlProjects().map((name) => loadMlProject(name));
  const started = performance.now();
  const dirs = synthesize((app) => [
    buildMlflowServerStack(app, config),
    ...projects.map((project) => buildTrainingStack(app, config, project)),
    ...projects.map((project) => buildDeploymentStack(app, config, project, model ?? PLACEHOLDER_MODEL_VERSION)),
  ]);
  reporter.info(`Synthesized ${dirs.length} stacks in ${Math.round(performance.now() - started)} ms:\n${dirs.map((dir) => `  ${dir}`).join('\n')}`);
  if (json) printJson({ stacks: dirs });
}
