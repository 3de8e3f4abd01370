import type { Argv } from 'yargs';
import type { Command } from '../command.js';
import { lazyHandler, withImageBuild, withJson } from '../command.js';
import type { SyncArgs } from '../workflows/sync.js';

export const sync: Command<SyncArgs> = {
  command: 'sync',
  describe:
    "For every ML project whose registered model has this environment's alias, deploy that version when the endpoint serves another; one line per project (unchanged, rolled out, skipped, failed), exit 1 if any failed. Projects without the alias are never touched",
  builder: (yargs) =>
    withImageBuild(withJson(yargs)).option('alias', {
      type: 'string',
      describe: 'The alias to follow. Default: the environment name (TF_VAR_env_name), e.g. @prod in prod',
    }) as unknown as Argv<SyncArgs>,
  handler: lazyHandler(async () => (await import('../workflows/sync.js')).runSync),
};
