import type { Command } from '../command.js';
import { lazyHandler, withJson } from '../command.js';

export const settings: Command<{ json: boolean }> = {
  command: 'settings',
  describe: 'Check the settings file and print every setting with its value and meaning',
  builder: (yargs) => withJson(yargs),
  handler: lazyHandler(async () => (await import('../workflows/settings.js')).runSettings),
};
