import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Reporter } from '../progress.js';
import { pythonEnv, pythonTool } from './python-tools.js';
import { startDetached, waitForHttp } from './processes.js';

export interface LocalMlflowServer {
  readonly pid: number;
  readonly port: number;
  readonly url: string;
  readonly dataDir: string;
  readonly logFile: string;
}

/**
 * MLflow 3 starts a job runner beside its server by default (eight more Python processes, about 10 s
 * of CPU before the first request and a steady poll after it) for GenAI jobs the local lifecycle never
 * submits. It stays off unless the person running the CLI sets MLFLOW_SERVER_ENABLE_JOB_EXECUTION.
 */
export function localServerEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { MLFLOW_SERVER_ENABLE_JOB_EXECUTION: env.MLFLOW_SERVER_ENABLE_JOB_EXECUTION ?? 'false' };
}

/**
 * Starts a real MLflow tracking server and model registry on 127.0.0.1: a sqlite backend store and
 * artifacts served by the server itself from a local folder, as the AWS server serves them from S3.
 */
export async function startLocalMlflowServer(options: { dataDir: string; port: number; reporter: Reporter; timeoutMs?: number }): Promise<LocalMlflowServer> {
  const dataDir = resolve(options.dataDir);
  mkdirSync(join(dataDir, 'artifacts'), { recursive: true });
  const logFile = join(dataDir, 'mlflow-server.log');
  const url = `http://127.0.0.1:${options.port}`;
  const pid = startDetached(
    pythonTool('mlflow'),
    [
      'server',
      '--backend-store-uri', `sqlite:///${join(dataDir, 'mlflow.db')}`,
      '--artifacts-destination', join(dataDir, 'artifacts'),
      '--serve-artifacts',
      '--host', '127.0.0.1',
      '--port', String(options.port),
      '--workers', '1',
    ],
    { logFile, env: pythonEnv(localServerEnv()) },
  );
  await waitForHttp(`${url}/health`, { timeoutMs: options.timeoutMs ?? 120_000, reporter: options.reporter, label: 'MLflow server', pid, logFile });
  return { pid, port: options.port, url, dataDir, logFile };
}
