import type { Command } from '../command.js';
import { printJson, withJson, withProject } from '../command.js';
import { ExternalError } from '../errors.js';
import { MlflowClient, findVersionRegisteredByRun } from '../effects/mlflow.js';
import { loadMlProject } from '../ml-project.js';
import { createReporter } from '../progress.js';
import { pythonEnv, pythonTool } from '../local/python-tools.js';
import { runStreaming } from '../local/run-process.js';
import { requireLocalServer } from '../local/state.js';

/** A run name no other run has, so the version this run registers can be found afterwards. */
export function uniqueRunName(kind: string, project: string, now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  return `${kind}-${project}-${stamp}-${Math.random().toString(36).slice(2, 6)}`;
}

export const localTraining: Command<{ project: string; json: boolean }> = {
  command: 'local-training',
  describe: "Run an ML project's MLproject entry point locally against the local MLflow server and print the model version it registered",
  builder: (yargs) => withJson(withProject(yargs)),
  handler: async ({ project: name, json }) => {
    const reporter = createReporter();
    const project = loadMlProject(name);
    const server = requireLocalServer();
    const runName = uniqueRunName('local', project.name);
    const env = pythonEnv({ MLFLOW_TRACKING_URI: server.url, MLFLOW_EXPERIMENT_NAME: project.name });
    await runStreaming(
      pythonTool('mlflow'),
      ['run', project.dir, '--env-manager', 'local', '--experiment-name', project.name, '--run-name', runName],
      { reporter, label: `training ${project.name} (run ${runName})`, env },
    );
    const client = new MlflowClient(server.url);
    const version = await findVersionRegisteredByRun(client, project.name, project.name, runName);
    if (!version) {
      throw new ExternalError(`the run ${runName} finished but registered no version of model "${project.name}": its code must register the model under the experiment's name`);
    }
    const uri = `models:/${project.name}/${version.version}`;
    reporter.info(`Registered ${uri}. Next: make local-deployment project=${project.name} model=${version.version}`);
    if (json) printJson({ model: project.name, version: version.version, uri, runId: version.run_id, runName });
    else process.stdout.write(`${uri}\n`);
  },
};
