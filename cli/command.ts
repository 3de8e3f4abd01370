import type { Argv, CommandModule } from 'yargs';
import { ENV_MANAGER_CHOICES, type EnvManagerChoice } from '../core/local-environment.js';
import type { ImageBuildMode } from './effects/container-image.js';

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

export const withEnvManager = <T>(yargs: Argv<T>, byDefault: EnvManagerChoice = 'auto') =>
  yargs.option('env-manager', {
    choices: ENV_MANAGER_CHOICES,
    default: byDefault,
    describe:
      "Python environment MLflow runs in. auto: the project's (or model's) own, built from its python_env.yaml or conda file with uv " +
      '(else conda for a conda project, else virtualenv) and reused while the file is unchanged; local: the current Python, nothing installed',
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

export const withImageBuild = <T>(yargs: Argv<T>) =>
  yargs.option('image-build', {
    choices: ['auto', 'skip'] as ImageBuildMode[],
    default: 'auto' as ImageBuildMode,
    describe: 'auto: build and push the image when the registry lacks its content-hash tag; skip: never build (emulators, or an image pushed another way)',
  });

/** --max-monthly-usd of the three steps: a limit on the stack's estimated monthly cost, checked before anything is applied. */
export const withMaxMonthlyUsd = <T>(yargs: Argv<T>) =>
  yargs
    .option('max-monthly-usd', {
      type: 'number',
      describe:
        "Refuse to apply (exit 2, nothing applied) when the stack's estimated monthly cost after this apply exceeds N US dollars, or when the region has no prices to check it with",
    })
    .check((argv) => {
      const limit = argv['max-monthly-usd'];
      return limit === undefined || (Number.isFinite(limit) && limit >= 0) || '--max-monthly-usd: give a number of US dollars, 0 or more';
    });

/**
 * A handler whose module is imported on first use: `mlops --help` and the light commands load no
 * AWS SDK, no stack and no cdktf.
 */
export const lazyHandler =
  <Args>(load: () => Promise<(args: Args) => Promise<void>>) =>
  async (args: Args): Promise<void> =>
    (await load())(args);
