import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startDetached, stopProcessGroup, waitForHttp } from '../../cli/local/processes.js';
import { createRecordingReporter } from './reporter.js';

export interface TestMoto {
  readonly endpoint: string;
  /** The environment that points AWS SDKs, the provider and the S3 backend at the emulator. */
  readonly env: Record<string, string>;
  /** Forgets every resource (moto's reset API), for a test that needs an empty account. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export const TEST_REGION = 'eu-west-1';

/** moto in server mode on a free port of 127.0.0.1; never a real AWS endpoint. */
export async function startTestMoto(options: { extraEnv?: Record<string, string> } = {}): Promise<TestMoto> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mlops-test-moto-'));
  const logFile = join(dir, 'moto.log');
  const pid = startDetached(process.env.MLOPS_PYTHON_BIN ? join(process.env.MLOPS_PYTHON_BIN, 'moto_server') : 'moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    logFile,
    env: { ...process.env, ...options.extraEnv },
  });
  const endpoint = `http://127.0.0.1:${port}`;
  await waitForHttp(`${endpoint}/moto-api/`, { timeoutMs: 60_000, reporter: createRecordingReporter(), label: 'moto', pid, logFile });
  const env = {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_SESSION_TOKEN: 'testing',
    AWS_REGION: TEST_REGION,
    AWS_DEFAULT_REGION: TEST_REGION,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  return {
    endpoint,
    env,
    async reset() {
      await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
    },
    async stop() {
      await stopProcessGroup(pid);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
