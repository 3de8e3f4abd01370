import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { MLFLOW_SERVER_IMAGE_DIR } from '../../cli/builders/mlflow-server.js';
import { freePort, isAlive, sleep, startDetached, stopProcessGroup, waitForHttp } from '../../cli/local/processes.js';
import { createReporter } from '../../cli/progress.js';
import { HEALTH_CHECK_SCRIPT, mlflowContainerDefinition } from '../../stacks/mlflow-server/mlflow-service.js';
import { motoPython, startTestMoto, type TestMoto } from '../harness/moto.js';
import { startTestPostgres, type TestPostgres } from '../harness/postgres.js';
import { requireTool, toolchainEnv } from '../harness/toolchain.js';

/**
 * The MLflow server outlives a rotation of its RDS-managed password. The image's entry point
 * (serve.py) runs directly in the toolchain's MLflow virtualenv (the same pinned MLflow and
 * psycopg2 as the image; building the image takes minutes, mlflow-server-container.test.ts does
 * that), with the task definition's command and environment, against a real PostgreSQL over
 * verified TLS and the secret in moto's Secrets Manager. A rotation is what RDS does: the role's
 * password changes, then a new AWSCURRENT version of the secret.
 */
describe('MLflow server across a password rotation', () => {
  const reporter = createReporter();
  let database: TestPostgres;
  let moto: TestMoto;
  let python: string;
  let secretArn: string;
  let scratch: string;
  let serverEnv: Record<string, string>;
  let serverPid: number;
  let url: string;
  let logFile: string;

  const secretValue = (password: string) => JSON.stringify({ username: database.username, password });
  const serverBackends = () => database.query("SELECT string_agg(pid::text, ',' ORDER BY pid) FROM pg_stat_activity WHERE datname = 'mlflow' AND pid <> pg_backend_pid()");
  /** Closes every session the server holds, as a database restart or an idle timeout does: its next query needs a new connection. */
  const dropServerConnections = () => database.query("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = 'mlflow' AND pid <> pg_backend_pid()");

  /**
   * A request that writes and reads the backend store: create an experiment, then read it back by
   * name. 'ok', or what went wrong (with the end of the server's log when it did not answer).
   */
  async function experimentRoundTrip(name: string): Promise<string> {
    const failed = async (what: string, response: Response) => `${what} ${name}: HTTP ${response.status} ${(await response.text()).slice(0, 400)}`;
    try {
      const created = await fetch(`${url}/api/2.0/mlflow/experiments/create`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
      if (!created.ok) return failed('create', created);
      const read = await fetch(`${url}/api/2.0/mlflow/experiments/get-by-name?experiment_name=${encodeURIComponent(name)}`);
      return read.ok ? 'ok' : failed('get', read);
    } catch (error) {
      return `${name}: no answer (${String((error as Error).cause ?? error)}); the server's log ends:\n${readFileSync(logFile, 'utf8').slice(-2000)}`;
    }
  }

  const healthCheck = (env: Record<string, string>) =>
    execa(python, [join(MLFLOW_SERVER_IMAGE_DIR, basename(HEALTH_CHECK_SCRIPT)), `${url}/health`], { env, extendEnv: false, reject: false, all: true });

  beforeAll(async () => {
    python = join(requireTool(toolchainEnv(), 'MLOPS_PYTHON_BIN'), 'python');
    [database, moto] = await Promise.all([startTestPostgres(), startTestMoto()]);
    secretArn = (await motoPython(moto, "print(boto3.client('secretsmanager', **kw).create_secret(Name='rds!db-acme-dev-mlflow', SecretString=sys.argv[1])['ARN'])", [secretValue(database.password)])).trim();

    scratch = mkdtempSync(join(tmpdir(), 'mlops-rotation-'));
    logFile = join(scratch, 'server.log');
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const definition = mlflowContainerDefinition({
      image: 'unused',
      region: 'eu-west-1',
      port,
      healthCheckPath: '/health',
      logGroupName: 'unused',
      loadBalancerDnsName: '127.0.0.1',
      artifactsDestination: join(scratch, 'artifacts'),
      database: { engine: 'postgres', address: database.host, port: database.port, databaseName: database.database, masterUserSecretArn: secretArn },
      credentialSecretArns: { admin: 'unused', training: 'unused', cli: 'unused' },
    }) as { command: string[]; environment: { name: string; value: string }[]; secrets?: unknown };
    // What the task gets: the secret's ARN and nothing of its value.
    expect(JSON.stringify(definition.secrets)).not.toContain(secretArn);
    expect(JSON.stringify(definition)).not.toContain(database.password);
    serverEnv = {
      PATH: `${join(python, '..')}:${process.env.PATH}`,
      HOME: scratch,
      ...moto.env,
      ...Object.fromEntries(definition.environment.map(({ name, value }) => [name, value])),
      // The image holds the RDS bundle at DB_CA_BUNDLE; here the test database's CA stands in for it.
      DB_CA_BUNDLE: database.caFile,
      // As in the image; and no bytecode caches in the image folder, whose content hash tags the image.
      PYTHONDONTWRITEBYTECODE: '1',
    };
    expect(serverEnv.DB_SECRET_ARN).toBe(secretArn);
    // 127.0.0.1 only here; two workers (the default is four) show every worker process uses the secret. On a loaded
    // machine a starting worker can miss uvicorn's 5 s ping, and its supervisor kills it mid-request: give it longer.
    // Without the basic-auth app: its login (and its own database's connections through the same secret) is
    // proven in mlflow-auth.test.ts; here anonymous requests show the tracking store's connections.
    const withoutAuth = definition.command.filter((part, index, all) => part !== '--app-name' && all[index - 1] !== '--app-name');
    const command = [
      ...withoutAuth.map((part) => (part === '0.0.0.0' ? '127.0.0.1' : part)),
      '--workers',
      '2',
      '--uvicorn-opts',
      '--timeout-worker-healthcheck 60',
    ];
    serverPid = startDetached(python, [join(MLFLOW_SERVER_IMAGE_DIR, 'serve.py'), ...command], { logFile, env: serverEnv });
    await waitForHttp(`${url}/health`, { timeoutMs: 90_000, reporter, label: 'the MLflow server', pid: serverPid, logFile });
  });

  afterAll(async () => {
    if (serverPid) await stopProcessGroup(serverPid);
    await Promise.all([database?.stop(), moto?.stop()]);
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('connects with the credentials read from the secret: none are in its environment or its URI', async () => {
    expect(await experimentRoundTrip('before-rotation')).toBe('ok');
    expect(await database.query("SELECT count(*) FROM experiments WHERE name = 'before-rotation'")).toBe('1');
    expect(Object.keys(serverEnv).filter((name) => /PASSWORD|USER/.test(name))).toEqual([]);
    expect(readFileSync(logFile, 'utf8')).not.toContain(database.password);
    // The server's sessions are TLS (verify-full against DB_CA_BUNDLE) and logged in as the secret's user.
    expect(await database.query("SELECT bool_and(s.ssl) || ' ' || min(a.usename) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.datname = 'mlflow' AND a.pid <> pg_backend_pid()")).toBe('true mlflow');
  });

  it('the health check passes while a new database connection works, and fails when the database cannot be reached', async () => {
    const [healthy, unreachable] = await Promise.all([healthCheck(serverEnv), healthCheck({ ...serverEnv, DB_PORT: String(await freePort()) })]);
    expect({ exitCode: healthy.exitCode, output: healthy.all }).toEqual({ exitCode: 0, output: expect.stringContaining('healthy: the server answers and the database accepts a new connection') });
    expect(unreachable.exitCode).toBe(1);
    expect(unreachable.all).toMatch(/^unhealthy: no new database connection: OperationalError: .*(refused|connect)/m);
  });

  it('serves again on its own once the rotation finishes: new connections of every worker take the new AWSCURRENT, no restart', async () => {
    const before = await serverBackends();
    expect(before).not.toBe('');
    // RDS's rotation first sets the new password on the database...
    const rotated = 'r0tated:p@ss/w#rd?%';
    await database.setPassword(rotated);
    await dropServerConnections();
    // ...so until the secret's new version is current, a new connection cannot log in: requests fail and so does the health check.
    const [during, healthDuring] = await Promise.all([experimentRoundTrip('during-rotation'), healthCheck(serverEnv)]);
    // MLflow answers 503 TEMPORARILY_UNAVAILABLE (or a plain 500) when it cannot get a database connection.
    expect(during).toMatch(/^create during-rotation: HTTP 50[03] /);
    expect(healthDuring.exitCode).toBe(1);
    expect(healthDuring.all).toContain('password authentication failed');

    // ...then makes the new version AWSCURRENT. Nobody restarts or tells the server anything.
    await motoPython(moto, "boto3.client('secretsmanager', **kw).put_secret_value(SecretId=sys.argv[1], SecretString=sys.argv[2])", [secretArn, secretValue(rotated)]);
    const started = Date.now();
    let outcome = '';
    for (let attempt = 0; outcome !== 'ok' && Date.now() - started < 15_000; attempt += 1) {
      if (attempt > 0) await sleep(500);
      outcome = await experimentRoundTrip(`after-rotation-${attempt}`);
    }
    expect(outcome).toBe('ok');
    reporter.info(`the server answered again ${((Date.now() - started) / 1000).toFixed(1)}s after the new secret version became current`);
    // Every request now succeeds, whichever worker takes it, each worker's connections made anew.
    await dropServerConnections();
    const outcomes = await Promise.all(Array.from({ length: 8 }, (_, index) => experimentRoundTrip(`after-rotation-burst-${index}`)));
    expect(outcomes).toEqual(Array(8).fill('ok'));
    expect(await database.query("SELECT count(*) FROM experiments WHERE name LIKE 'after-rotation-burst-%'")).toBe('8');
    const after = await serverBackends();
    expect(after.split(',').some((pid) => before.split(',').includes(pid))).toBe(false);
    expect((await healthCheck(serverEnv)).exitCode).toBe(0);
    expect(isAlive(serverPid)).toBe(true);
    expect(readFileSync(logFile, 'utf8')).toContain(`database secret ${secretArn} changed`);
  });
});
