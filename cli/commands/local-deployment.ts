import type { Command } from '../command.js';
import { lazyHandler, withEnvManager, withJson, withModel, withProject } from '../command.js';
import type { EnvManagerChoice } from '../../core/local-environment.js';

export const localDeployment: Command<{ project: string; model: string; json: boolean; 'env-manager': EnvManagerChoice }> = {
  command: 'local-deployment',
  describe: 'Serve one model version on 127.0.0.1 (MLflow scoring server) and wait until it is healthy',
  builder: (yargs) => withEnvManager(withJson(withModel(withProject(yargs)))),
  handler: lazyHandler(async () => (await import('../workflows/local-deployment.js')).runLocalDeployment),
};

export const localDeploymentRm: Command<{ project: string }> = {
  command: 'local-deployment-rm',
  describe: "Stop serving a project's model locally",
  builder: (yargs) => withProject(yargs),
  handler: lazyHandler(async () => (await import('../workflows/local-deployment.js')).runLocalDeploymentRm),
};
