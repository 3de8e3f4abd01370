import { join } from 'node:path';
import { printJson } from '../command.js';
import type { EnvManagerChoice } from '../../core/local-environment.js';
import { loadMlProject } from '../ml-project.js';
import { createReporter } from '../progress.js';
import { localFiles } from '../local/state.js';
import { batchScore } from './local-batch-inference.js';
import { deployLocally } from './local-deployment.js';
import { testLocalDeployment } from './local-deployment-test.js';
import { ensureLocalMlflowServer } from './local-mlflow-server.js';
import { trainLocally } from './local-training.js';

const SAMPLE_INPUT = 'sample-input.csv';

/** `mlops demo`. */
export async function runDemo({ project: name, json, 'env-manager': envManager }: { project: string; json: boolean; 'env-manager': EnvManagerChoice }): Promise<void> {
  const reporter = createReporter();
  const project = loadMlProject(name);
  const started = Date.now();
  reporter.info(`== 1/5 local MLflow server`);
  const server = await ensureLocalMlflowServer(reporter);
  reporter.info(`== 2/5 training ${project.name}`);
  const training = await trainLocally(project.name, envManager, reporter);
  reporter.info(`== 3/5 serving ${training.uri}`);
  const deployment = await deployLocally(project.name, training.version, envManager, reporter);
  reporter.info(`== 4/5 test request`);
  const test = await testLocalDeployment(project.name, reporter);
  reporter.info(`== 5/5 batch scoring`);
  const batch = await batchScore(
    {
      project: project.name,
      model: training.version,
      input: join(project.dir, SAMPLE_INPUT),
      // The demo writes only into its own folder, so replacing its previous output loses nothing.
      output: join(localFiles.dataDir(), 'demo', `predictions-${project.name}-v${training.version}.json`),
      overwrite: true,
      envManager,
    },
    reporter,
  );
  reporter.info(
    [
      '',
      `Demo done in ${Math.round((Date.now() - started) / 1000)}s.`,
      `  MLflow UI (runs, metrics, registered model ${project.name}): ${server.url}`,
      `  ${training.uri} is served at ${deployment.url}/invocations`,
      `  batch predictions: ${batch.output}`,
      'Next:',
      ...[
        [`make local-deployment-test project=${project.name}`, 'send the input example again'],
        [`make local-deployment-rm project=${project.name}`, 'stop serving'],
        ['make local-mlflow-server-rm', 'stop the server (data stays in .mlops/)'],
        ['make mlflow-server', 'the same on AWS, starting with the MLflow server'],
        [`make training-job project=${project.name}`, 'train on AWS Batch'],
        [`make deployment-job project=${project.name} model=N`, 'serve on SageMaker'],
      ].map(([command, meaning]) => `  ${command.padEnd(52)} # ${meaning}`),
    ].join('\n'),
  );
  if (json) printJson({ trackingUri: server.url, training, deployment, predictions: test.predictions, batch });
}
