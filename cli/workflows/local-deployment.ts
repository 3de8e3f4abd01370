import { join } from 'node:path';
import { printJson } from '../command.js';
import type { EnvManagerChoice } from '../../core/local-environment.js';
import { MlflowClient, parseModelSpec, resolveModelVersion } from '../effects/mlflow.js';
import { loadMlProject } from '../ml-project.js';
import { createReporter, type Reporter } from '../progress.js';
import { pythonEnv, pythonTool } from '../local/python-tools.js';
import { resolveEnvManager } from '../local/env-manager.js';
import { freePort, startDetached, stopProcessGroup, waitForHttp } from '../local/processes.js';
import { localFiles, readState, removeState, requireLocalServer, writeState, type LocalDeploymentState } from '../local/state.js';

/**
 * Serves one version with MLflow's scoring server; a running older version keeps serving until the
 * new one is healthy (a local rollout without downtime).
 */
export async function deployLocally(name: string, model: string, envManager: EnvManagerChoice, reporter: Reporter): Promise<LocalDeploymentState> {
  const project = loadMlProject(name);
  const spec = parseModelSpec(model);
  const server = requireLocalServer();
  const version = await resolveModelVersion(new MlflowClient(server.url), project.name, spec);
  const modelUri = `models:/${project.name}/${version.version}`;
  const running = readState<LocalDeploymentState>(localFiles.deployment(project.name));
  if (running?.version === version.version) {
    reporter.info(`${modelUri} is already served at ${running.url}`);
    return running;
  }
  const port = await freePort();
  const logFile = join(localFiles.dataDir(), 'deployments', `${project.name}.log`);
  const env = pythonEnv({ MLFLOW_TRACKING_URI: server.url });
  const manager = resolveEnvManager(envManager, 'model', env, reporter);
  const pid = startDetached(
    pythonTool('mlflow'),
    ['models', 'serve', '-m', modelUri, '--env-manager', manager, '-h', '127.0.0.1', '-p', String(port)],
    { logFile, env },
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    // Building the model's environment the first time takes minutes; the wait reports its phase from the log.
    await waitForHttp(`${url}/ping`, { timeoutMs: manager === 'local' ? 180_000 : 900_000, reporter, label: `${modelUri} scoring server`, pid, logFile });
  } catch (error) {
    await stopProcessGroup(pid);
    throw error;
  }
  if (running) {
    await stopProcessGroup(running.pid);
    reporter.info(`Replaced version ${running.version} with version ${version.version}.`);
  }
  const state: LocalDeploymentState = { pid, port, url, logFile, project: project.name, version: version.version, modelUri };
  writeState(localFiles.deployment(project.name), state);
  reporter.info(`Serving ${modelUri} at ${url}/invocations.`);
  return state;
}

/** `mlops local-deployment`. */
export async function runLocalDeployment({ project, model, json, 'env-manager': envManager }: { project: string; model: string; json: boolean; 'env-manager': EnvManagerChoice }): Promise<void> {
  const reporter = createReporter();
  const state = await deployLocally(project, model, envManager, reporter);
  reporter.info(`Next: make local-deployment-test project=${state.project}`);
  if (json) printJson(state);
}

/** `mlops local-deployment-rm`. */
export async function runLocalDeploymentRm({ project: name }: { project: string }): Promise<void> {
  const reporter = createReporter();
  const project = loadMlProject(name);
  const state = readState<LocalDeploymentState>(localFiles.deployment(project.name));
  if (!state) {
    reporter.info(`No local deployment of ${project.name} is running.`);
    return;
  }
  await stopProcessGroup(state.pid);
  removeState(localFiles.deployment(project.name));
  reporter.info(`Stopped serving ${state.modelUri}.`);
}
