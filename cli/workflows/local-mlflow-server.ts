import { printJson } from '../command.js';
import { UsageError } from '../../core/errors.js';
import { createReporter, type Reporter } from '../progress.js';
import { startLocalMlflowServer } from '../local/mlflow-server.js';
import { stopProcessGroup } from '../local/processes.js';
import { localFiles, readState, removeState, writeState, type LocalServerState } from '../local/state.js';

const DEFAULT_PORT = 5000;

function localPort(): number {
  const text = process.env.MLOPS_LOCAL_MLFLOW_PORT ?? String(DEFAULT_PORT);
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(`MLOPS_LOCAL_MLFLOW_PORT="${text}" is not a TCP port (1–65535)`);
  }
  return port;
}

async function portAnswers(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}

/** Starts the local MLflow server unless it already runs; idempotent. */
export async function ensureLocalMlflowServer(reporter: Reporter): Promise<LocalServerState> {
  let state = readState<LocalServerState>(localFiles.server());
  if (state) {
    reporter.info(`The local MLflow server is already running (pid ${state.pid}).`);
  } else {
    const port = localPort();
    if (await portAnswers(port)) {
      throw new UsageError(`port ${port} is taken by another program: set MLOPS_LOCAL_MLFLOW_PORT to a free port`);
    }
    const server = await startLocalMlflowServer({ dataDir: localFiles.dataDir(), port, reporter });
    state = { pid: server.pid, port: server.port, url: server.url, logFile: server.logFile };
    writeState(localFiles.server(), state);
  }
  reporter.info(`MLflow UI: ${state.url}\nexport MLFLOW_TRACKING_URI=${state.url}`);
  return state;
}

/** `mlops local-mlflow-server`. */
export async function runLocalMlflowServer({ json }: { json: boolean }): Promise<void> {
  const state = await ensureLocalMlflowServer(createReporter());
  if (json) printJson(state);
}

/** `mlops local-mlflow-server-rm`. */
export async function runLocalMlflowServerRm(): Promise<void> {
  const reporter = createReporter();
  const state = readState<LocalServerState>(localFiles.server());
  if (!state) {
    reporter.info('The local MLflow server is not running.');
    return;
  }
  await stopProcessGroup(state.pid);
  removeState(localFiles.server());
  reporter.info(`Stopped the local MLflow server (pid ${state.pid}); its data stays in ${localFiles.dataDir()}.`);
}
