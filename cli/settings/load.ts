import { readFileSync } from 'node:fs';
import { parseEnvironment, type Environment } from '../../core/environment.js';
import { UsageError } from '../../core/errors.js';
import { parseSettings } from '../../core/settings/parse.js';
import type { Settings } from '../../core/settings/schema.js';
import type { StackConfig } from '../../stacks/common/config.js';
import { paths } from '../paths.js';

/** Reads and checks the TF_VAR_* environment; reports every missing or invalid variable at once. */
export const readEnvironment = (env: NodeJS.ProcessEnv = process.env): Environment => parseEnvironment(env);

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
