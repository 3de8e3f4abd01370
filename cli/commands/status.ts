import type { Command } from '../command.js';
import { lazyHandler, withJson } from '../command.js';

export const status: Command<{ json: boolean }> = {
  command: 'status',
  describe:
    "The AWS environment at a glance: each ML project's latest and serving versions, aliases, endpoint, last training job, and which stacks have state",
  builder: (yargs) => withJson(yargs),
  handler: lazyHandler(async () => (await import('../workflows/status.js')).runStatus),
};
