import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MLFLOW_USERS, type MlflowUserRole } from '../../core/naming.js';
import { MLFLOW_SERVER_IMAGE_DIR } from '../../cli/builders/mlflow-server.js';
import { localServerEnv, startLocalMlflowServer } from '../../cli/local/mlflow-server.js';
import { pythonEnv, pythonTool } from '../../cli/local/python-tools.js';
import { freePort, startDetached, stopProcessGroup, waitForHttp } from '../../cli/local/processes.js';
import { AUTH_DATABASE_NAME, CREDENTIAL_VARIABLES } from '../../stacks/mlflow-server/mlflow-service.js';
import { createRecordingReporter } from './reporter.js';
import { startTlsProxy, type TlsProxy } from './tls-proxy.js';
import { toolchainEnv } from './toolchain.js';

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

export interface TestAuthMlflowServer {
  /** `https://localhost:<port>`: the TLS proxy in front of the server, as the internal load balancer is. */
  readonly url: string;
  /** The server itself, plain HTTP on 127.0.0.1 (as a task behind the load balancer). */
  readonly directUrl: string;
  /** The CA that signed the proxy's certificate, PEM (what the stack publishes in SSM). */
  readonly caPem: string;
  /** The users' passwords, by role (what the stack's secrets hold). */
  readonly passwords: Record<MlflowUserRole, string>;
  stop(): Promise<void>;
}

/**
 * `mlflow server --app-name basic-auth` with the users and grants the MLflow server image makes
 * (its auth_setup.py: admin, the training jobs' user, the CLI's), sqlite stores and artifacts served
 * by the server, behind a TLS proxy with its own project CA (test/harness/tls-proxy.ts). Lighter
 * than the image's serve.py against PostgreSQL (test/integration/mlflow-auth.test.ts proves that one).
 */
export async function startTestAuthMlflowServer(passwords: Record<MlflowUserRole, string>): Promise<TestAuthMlflowServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mlops-test-mlflow-auth-'));
  const port = await freePort();
  const logFile = join(dataDir, 'mlflow-server.log');
  const credentials: Record<string, string> = {};
  for (const role of Object.keys(MLFLOW_USERS) as MlflowUserRole[]) {
    credentials[CREDENTIAL_VARIABLES[role].username] = MLFLOW_USERS[role];
    credentials[CREDENTIAL_VARIABLES[role].password] = passwords[role];
  }
  const launch = [
    'import os, sys',
    `sys.path.insert(0, ${JSON.stringify(MLFLOW_SERVER_IMAGE_DIR)})`,
    'import auth_setup',
    'store, auth = sys.argv[1], sys.argv[2]',
    'os.environ.update(auth_setup.prepare(store, auth, os.environ))',
    "os.execvp('mlflow', ['mlflow', 'server', '--app-name', 'basic-auth', '--backend-store-uri', store, *sys.argv[3:]])",
  ].join('\n');
  const toolchain = { ...process.env, ...toolchainEnv() };
  const pid = startDetached(
    pythonTool('python', toolchain),
    [
      '-c', launch,
      `sqlite:///${join(dataDir, 'mlflow.db')}`,
      `sqlite:///${join(dataDir, 'auth.db')}`,
      '--artifacts-destination', join(dataDir, 'artifacts'),
      '--serve-artifacts',
      '--host', '127.0.0.1',
      '--port', String(port),
      '--workers', '1',
    ],
    { logFile, env: pythonEnv({ ...localServerEnv(), ...credentials, MLOPS_AUTH_DB_NAME: AUTH_DATABASE_NAME }, toolchain) },
  );
  const directUrl = `http://127.0.0.1:${port}`;
  let proxy: TlsProxy | undefined;
  try {
    await waitForHttp(`${directUrl}/health`, { timeoutMs: 120_000, reporter: createRecordingReporter(), label: 'MLflow server (basic auth)', pid, logFile });
    proxy = await startTlsProxy(directUrl);
  } catch (error) {
    await stopProcessGroup(pid);
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const tls = proxy;
  return {
    url: tls.url,
    directUrl,
    caPem: tls.ca.certificate,
    passwords,
    async stop() {
      await tls.stop();
      await stopProcessGroup(pid);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
