import { printJson } from '../command.js';
import { ExternalError } from '../../core/errors.js';
import { MlflowClient, findVersionRegisteredByRun, uniqueRunName } from '../effects/mlflow.js';
import { loadMlProject } from '../ml-project.js';
import { createReporter, type Reporter } from '../progress.js';
import { pythonEnv, pythonTool } from '../local/python-tools.js';
import { runStreaming } from '../local/run-process.js';
import { requireLocalServer } from '../local/state.js';

export interface TrainingResult {
  readonly model: string;
  readonly version: string;
  readonly uri: string;
  readonly runId?: string;
  readonly runName: string;
}

/** Runs the project's main entry point with the local env manager and finds the version it registered. */
export async function trainLocally(name: string, reporter: Reporter): Promise<TrainingResult> {
  const project = loadMlProject(name);
  const server = requireLocalServer();
  const runName = uniqueRunName('local', project.name);
  await runStreaming(
    pythonTool('mlflow'),
    ['run', project.dir, '--env-manager', 'local', '--experiment-name', project.name, '--run-name', runName],
    { reporter, label: `training ${project.name} (run ${runName})`, env: pythonEnv({ MLFLOW_TRACKING_URI: server.url, MLFLOW_EXPERIMENT_NAME: project.name }) },
  );
  const version = await findVersionRegisteredByRun(new MlflowClient(server.url), project.name, project.name, runName);
  if (!version) {
    throw new ExternalError(`the run ${runName} finished but registered no version of model "${project.name}": its code must register the model under the experiment's name`);
  }
  const uri = `models:/${project.name}/${version.version}`;
  reporter.info(`Registered ${uri}.`);
  return { model: project.name, version: version.version, uri, runId: version.run_id, runName };
}

/** `mlops local-training`. */
export async function runLocalTraining({ project, json }: { project: string; json: boolean }): Promise<void> {
  const reporter = createReporter();
  const result = await trainLocally(project, reporter);
  reporter.info(`Next: make local-deployment project=${result.model} model=${result.version}`);
  if (json) printJson(result);
  else process.stdout.write(`${result.uri}\n`);
}
