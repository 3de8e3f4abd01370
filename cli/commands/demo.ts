import type { Command } from '../command.js';
import { lazyHandler, withEnvManager, withJson } from '../command.js';
import type { EnvManagerChoice } from '../../core/local-environment.js';

export const demo: Command<{ project: string; json: boolean; 'env-manager': EnvManagerChoice }> = {
  command: 'demo',
  describe: 'The whole local lifecycle on one machine: MLflow server, training, serving, a test request and batch scoring',
  builder: (yargs) =>
    // The demo's project pins what the toolchain has, so its own environment would copy it: building
    // that (and the model's) first costs the demo minutes and shows nothing; env_manager=auto does it.
    withEnvManager(withJson(yargs), 'local').option('project', { type: 'string', default: 'test-project', describe: 'ML project to take through the lifecycle' }),
  handler: lazyHandler(async () => (await import('../workflows/demo.js')).runDemo),
};
