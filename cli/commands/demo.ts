import type { Command } from '../command.js';
import { lazyHandler, withJson } from '../command.js';

export const demo: Command<{ project: string; json: boolean }> = {
  command: 'demo',
  describe: 'The whole local lifecycle on one machine: MLflow server, training, serving, a test request and batch scoring',
  builder: (yargs) =>
    withJson(yargs).option('project', { type: 'string', default: 'test-project', describe: 'ML project to take through the lifecycle' }),
  handler: lazyHandler(async () => (await import('../workflows/demo.js')).runDemo),
};
