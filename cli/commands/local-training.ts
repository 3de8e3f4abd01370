import type { Command } from '../command.js';
import { lazyHandler, withEnvManager, withJson, withProject } from '../command.js';
import type { EnvManagerChoice } from '../../core/local-environment.js';

export const localTraining: Command<{ project: string; json: boolean; 'env-manager': EnvManagerChoice }> = {
  command: 'local-training',
  describe: "Run an ML project's MLproject entry point locally against the local MLflow server and print the model version it registered",
  builder: (yargs) => withEnvManager(withJson(withProject(yargs))),
  handler: lazyHandler(async () => (await import('../workflows/local-training.js')).runLocalTraining),
};
