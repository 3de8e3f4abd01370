import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalMlflowServer } from '../../cli/local/mlflow-server.js';
import { freePort, stopProcessGroup } from '../../cli/local/processes.js';
import { createRecordingReporter } from './reporter.js';

export interface TestMlflowServer {
  readonly url: string;
  readonly dataDir: string;
  stop(): Promise<void>;
}

/** A real MLflow server on a free port of 127.0.0.1, sqlite and artifacts in a temporary folder. */
export async function startTestMlflowServer(): Promise<TestMlflowServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mlops-test-mlflow-'));
  const server = await startLocalMlflowServer({ dataDir, port: await freePort(), reporter: createRecordingReporter() });
  return {
    url: server.url,
    dataDir,
    async stop() {
      await stopProcessGroup(server.pid);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
