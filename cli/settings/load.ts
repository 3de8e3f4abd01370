import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { environmentVariables, parseEnvironment, type Environment } from '../../core/environment.js';
import { UsageError } from '../../core/errors.js';
import { parseSettings } from '../../core/settings/parse.js';
import type { Settings } from '../../core/settings/schema.js';
import type { StackConfig } from '../../stacks/common/config.js';
import { paths } from '../paths.js';

/** Reads and checks the TF_VAR_* environment; reports every missing or invalid variable at once. */
export const readEnvironment = (env: NodeJS.ProcessEnv = process.env): Environment => parseEnvironment(env);

/**
 * Where `mlops synth` records the environment it synthesized for. cdktf-cli removes every TF_VAR_*
 * variable from its app's environment (cdktf.json's `app` runs `mlops synth`), so the app reads
 * them back from here.
 */
export const recordedEnvironmentFile = () => join(paths.localState(), 'environment.json');

/**
 * The environment of `mlops synth`: from TF_VAR_* when any is set (and then recorded), else, as under
 * cdktf-cli, the one recorded last, said aloud so nobody synthesizes for an environment unawares.
 */
export function readSynthEnvironment(env: NodeJS.ProcessEnv, note: (message: string) => void): Environment {
  const file = recordedEnvironmentFile();
  const given = Object.keys(env).some((name) => name.startsWith('TF_VAR_'));
  if (!given && existsSync(file)) {
    let recorded: Record<string, string>;
    try {
      recorded = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new UsageError(`${file} is not valid JSON (${(error as Error).message}): run \`make synth\` with the TF_VAR_* variables set to record it again`);
    }
    let environment: Environment;
    try {
      environment = parseEnvironment(recorded);
    } catch (error) {
      throw new UsageError(`${file} (recorded by \`make synth\`): ${(error as Error).message}`);
    }
    note(`No TF_VAR_* variable is set (cdktf-cli removes them): synthesizing for ${environment.project}-${environment.envName} in ${environment.region}, recorded in ${file} by the last \`make synth\`.`);
    return environment;
  }
  let environment: Environment;
  try {
    environment = readEnvironment(env);
  } catch (error) {
    if (given || !(error instanceof UsageError)) throw error;
    throw new UsageError(`${error.message}\ncdktf-cli removes TF_VAR_* variables from its app's environment: run \`make synth\` once with them set, and cdktf-cli's synth reads them from ${file}.`);
  }
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(environmentVariables(environment), null, 2)}\n`);
  return environment;
}

/** Loads the settings file: MLOPS_SETTINGS_FILE if set, else the checked-in `cli/settings.json`. */
export function loadSettings(file: string = paths.settingsFile()): Settings {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the settings file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parseSettings(text, file);
}

/** Where an AWS step runs and with which settings; both checked before anything else happens. */
export const loadStepConfig = (env: NodeJS.ProcessEnv = process.env): StackConfig => ({ environment: readEnvironment(env), settings: loadSettings() });
