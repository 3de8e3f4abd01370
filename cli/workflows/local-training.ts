import { join } from 'node:path';
import { printJson } from '../command.js';
import type { EnvManagerChoice } from '../../core/local-environment.js';
import { ExternalError } from '../../core/errors.js';
import { MlflowClient, findVersionRegisteredByRun, uniqueRunName } from '../effects/mlflow.js';
import { loadMlProject } from '../ml-project.js';
import { createReporter, type Reporter } from '../progress.js';
import { pythonEnv, pythonTool } from '../local/python-tools.js';
import { runStreaming } from '../local/run-process.js';
import { resolveEnvManager } from '../local/env-manager.js';
import { localFiles, requireLocalServer } from '../local/state.js';

export interface TrainingResult {
  readonly model: string;
  readonly version: string;
  readonly uri: string;
  readonly runId?: string;
  readonly runName: string;
}

/**
 * Runs the project's main entry point in the project's own environment (or the current Python with
 * `local`) and finds the version it registered.
 */
export async function trainLocally(name: string, envManager: EnvManagerChoice, reporter: Reporter): Promise<TrainingResult> {
  const project = loadMlProject(name);
  const server = requireLocalServer();
  const runName = uniqueRunName('local', project.name);
  const env = pythonEnv({ MLFLOW_TRACKING_URI: server.url, MLFLOW_EXPERIMENT_NAME: project.name });
  const manager = resolveEnvManager(envManager, project.environment, env, reporter);
  await runStreaming(
    pythonTool('mlflow'),
    ['run', project.dir, '--env-manager', manager, '--experiment-name', project.name, '--run-name', runName],
    { reporter, label: `training ${project.name} (run ${runName})`, env, logFile: join(localFiles.logs(project.name), `${runName}.log`), projectDir: project.dir },
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
export async function runLocalTraining({ project, json, 'env-manager': envManager }: { project: string; json: boolean; 'env-manager': EnvManagerChoice }): Promise<void> {
  const reporter = createReporter();
  const result = await trainLocally(project, envManager, reporter);
  reporter.info(`Next: make local-deployment project=${result.model} model=${result.version}`);
  if (json) printJson(result);
  else process.stdout.write(`${result.uri}\n`);
}
