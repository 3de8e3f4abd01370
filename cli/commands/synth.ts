import type { Command } from '../command.js';
import { printJson, withJson } from '../command.js';
import { buildDeploymentStack, PLACEHOLDER_MODEL_VERSION } from '../builders/deployment.js';
import { buildMlflowServerStack } from '../builders/mlflow-server.js';
import { buildTrainingStack } from '../builders/training.js';
import { listMlProjects, loadMlProject } from '../ml-project.js';
import { createReporter } from '../progress.js';
import { loadSettings, readEnvironment } from '../settings/load.js';
import { synthesize } from '../synth.js';

interface Args {
  model?: string;
  json: boolean;
}

export const synth: Command<Args> = {
  command: 'synth',
  describe:
    "Write every stack's Terraform JSON to cdktf.out/stacks/ (MLflow server, and training and deployment per ML project); no AWS credentials or network needed",
  builder: (yargs) =>
    withJson(yargs).option('model', {
      type: 'string',
      describe: `Model version number the deployment stacks are synthesized for (default: ${PLACEHOLDER_MODEL_VERSION}, a stand-in)`,
    }),
  handler: async ({ model, json }) => {
    const reporter = createReporter();
    const config = { environment: readEnvironment(), settings: loadSettings() };
    const projects = listMlProjects().map((name) => loadMlProject(name));
    const started = performance.now();
    const dirs = synthesize((app) => [
      buildMlflowServerStack(app, config),
      ...projects.map((project) => buildTrainingStack(app, config, project)),
      ...projects.map((project) => buildDeploymentStack(app, config, project, model ?? PLACEHOLDER_MODEL_VERSION)),
    ]);
    reporter.info(`Synthesized ${dirs.length} stacks in ${Math.round(performance.now() - started)} ms:\n${dirs.map((dir) => `  ${dir}`).join('\n')}`);
    if (json) printJson({ stacks: dirs });
  },
};
