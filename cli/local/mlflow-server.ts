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
    { logFile, env: pythonEnv() },
  );
  await waitForHttp(`${url}/health`, { timeoutMs: options.timeoutMs ?? 120_000, reporter: options.reporter, label: 'MLflow server', pid, logFile });
  return { pid, port: options.port, url, dataDir, logFile };
}
