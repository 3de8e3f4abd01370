import type { Argv } from 'yargs';
import type { Command } from '../command.js';
import { lazyHandler, withJson, withYes } from '../command.js';
import type { UnlockArgs } from '../workflows/unlock.js';

export const unlock: Command<UnlockArgs> = {
  command: 'unlock',
  describe:
    "Break a stack's stale Terraform state lock (left by a killed run): shows who took it, when and for which operation, refuses while its holder may be alive, asks, then runs force-unlock",
  builder: (yargs) =>
    withYes(withJson(yargs))
      .option('stack', { type: 'string', demandOption: true, describe: 'The stack: mlflow-server, training-<ml-project> or deployment-<ml-project>' })
      .option('force', {
        type: 'boolean',
        default: false,
        describe: 'Break a lock younger than terraform.unlock_min_age_minutes (once you know its run ended); never one held by a live terraform on this machine',
      })
      .epilog('Exit codes: 0 unlocked, or not locked; 1 AWS or terraform failed; 2 refused (the holder may be alive), cancelled, or a bad --stack.') as unknown as Argv<UnlockArgs>,
  handler: lazyHandler(async () => (await import('../workflows/unlock.js')).runUnlock),
};
