import type { Command } from '../command.js';
import { lazyHandler, withJson } from '../command.js';

export const localMlflowServer: Command<{ json: boolean }> = {
  command: 'local-mlflow-server',
  describe: 'Start a local MLflow tracking server and registry (sqlite, artifacts under .mlops/); idempotent',
  builder: (yargs) => withJson(yargs),
  handler: lazyHandler(async () => (await import('../workflows/local-mlflow-server.js')).runLocalMlflowServer),
};

export const localMlflowServerRm: Command<object> = {
  command: 'local-mlflow-server-rm',
  describe: 'Stop the local MLflow server (its runs and models stay in .mlops/)',
  handler: lazyHandler(async () => (await import('../workflows/local-mlflow-server.js')).runLocalMlflowServerRm),
};
