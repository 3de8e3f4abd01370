import type { Argv, CommandModule } from 'yargs';

/** Every command is one typed yargs command module, registered explicitly in cli/main.ts. */
export type Command<Args> = CommandModule<object, Args>;

export const withProject = <T>(yargs: Argv<T>) =>
  yargs.option('project', {
    type: 'string',
    demandOption: true,
    describe: 'ML project: a folder of ml-projects/ with an MLproject file',
  });

export const withModel = <T>(yargs: Argv<T>) =>
  yargs.option('model', {
    type: 'string',
    demandOption: true,
    describe: 'Model version: a number, "latest", or an alias such as @champion',
  });

export const withJson = <T>(yargs: Argv<T>) =>
  yargs.option('json', { type: 'boolean', default: false, describe: 'Print a machine-readable result on stdout' });

export const withYes = <T>(yargs: Argv<T>) =>
  yargs.option('yes', {
    type: 'boolean',
    default: Boolean(process.env.CI),
    describe: 'Do not ask for confirmation (default on when CI is set)',
  });

/** Prints a result for scripts on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
