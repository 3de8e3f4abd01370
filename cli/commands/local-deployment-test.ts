import type { Command } from '../command.js';
import { lazyHandler, withJson, withProject } from '../command.js';

export const localDeploymentTest: Command<{ project: string; json: boolean }> = {
  command: 'local-deployment-test',
  describe: "Send the served model's input example to its local endpoint and print the predictions",
  builder: (yargs) => withJson(withProject(yargs)),
  handler: lazyHandler(async () => (await import('../workflows/local-deployment-test.js')).runLocalDeploymentTest),
};
