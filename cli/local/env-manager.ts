import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { chooseEnvManager, type EnvManager, type EnvManagerChoice, type EnvSource, type EnvTools } from '../../core/local-environment.js';
import type { Reporter } from '../progress.js';

function onPath(program: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, program), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** The managers' programs as MLflow will look for them: on the PATH it runs with (pythonEnv). */
export function envTools(env: NodeJS.ProcessEnv): EnvTools {
  return { uv: onPath('uv', env), pyenv: onPath('pyenv', env), conda: onPath('conda', env) };
}

/** Chooses the manager for one MLflow process and says which, and why, once. */
export function resolveEnvManager(requested: EnvManagerChoice, source: EnvSource, env: NodeJS.ProcessEnv, reporter: Reporter): EnvManager {
  const { manager, reason } = chooseEnvManager(requested, source, envTools(env));
  reporter.info(manager === 'local' ? `Environment: the current Python (${reason}).` : `Environment: the ${source === 'model' ? "model's" : "project's"} own, made with ${manager} (${reason}).`);
  return manager;
}
