import { delimiter, join } from 'node:path';

/**
 * The MLflow command line: from MLOPS_PYTHON_BIN (a virtualenv's bin folder, as the test toolchain
 * sets) or else from PATH, as a user who installed mlflow has it.
 */
export function pythonTool(name: 'mlflow' | 'python', env: NodeJS.ProcessEnv = process.env): string {
  return env.MLOPS_PYTHON_BIN ? join(env.MLOPS_PYTHON_BIN, name) : name;
}

/**
 * The environment for MLflow processes: with `--env-manager local` MLflow runs a project's `python`
 * from PATH, and with `uv` it runs the `uv` found there, so MLOPS_PYTHON_BIN goes first on it. uv
 * compiles the bytecode of the environments it builds (it does not by default): a project's
 * environment is built once and imported on every run, and where PYTHONDONTWRITEBYTECODE is set
 * (containers, CI) every run would otherwise compile mlflow, pandas and scikit-learn again.
 */
export function pythonEnv(extra: NodeJS.ProcessEnv = {}, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const path = env.MLOPS_PYTHON_BIN ? `${env.MLOPS_PYTHON_BIN}${delimiter}${env.PATH ?? ''}` : env.PATH;
  return { UV_COMPILE_BYTECODE: '1', ...env, PATH: path, MLFLOW_ENABLE_TELEMETRY: 'false', DO_NOT_TRACK: '1', ...extra };
}
