import type { Command } from '../command.js';
import { lazyHandler, withJson, withProject } from '../command.js';

export const localTraining: Command<{ project: string; json: boolean }> = {
  command: 'local-training',
  describe: "Run an ML project's MLproject entry point locally against the local MLflow server and print the model version it registered",
  builder: (yargs) => withJson(withProject(yargs)),
  handler: lazyHandler(async () => (await import('../workflows/local-training.js')).runLocalTraining),
};
