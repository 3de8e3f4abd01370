import { join } from 'node:path';
import { execa } from 'execa';
import { MLFLOW_SERVER_IMAGE_DIR } from '../../cli/builders/mlflow-server.js';
import { mlflowContainerDefinition } from '../../stacks/mlflow-server/mlflow-service.js';
import { requireTool, toolchainEnv } from '../harness/toolchain.js';

/**
 * The server image's entry point (stacks/mlflow-server/image/serve.py) and the container command,
 * run against the pinned MLflow of the offline toolchain (the same version the image pins), for the
 * cases the running image cannot show cheaply (MySQL, missing variables, every option it passes);
 * test/integration/mlflow-server-container.test.ts builds and runs the image itself.
 */
describe('MLflow server image entry point', () => {
  const serve = join(MLFLOW_SERVER_IMAGE_DIR, 'serve.py');
  let python: string;
  beforeAll(() => {
    python = join(requireTool(toolchainEnv(), 'MLOPS_PYTHON_BIN'), 'python');
  });

  const database = { DB_HOST: 'db.internal', DB_PORT: '5432', DB_NAME: 'mlflow', DB_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-1-AbCdEf' };

  /** Builds the URI with serve.py and parses it back with SQLAlchemy, as MLflow will. */
  async function parsedUri(scheme: string): Promise<Record<string, unknown>> {
    const code = [
      'import importlib.util, json, os, sys',
      'from sqlalchemy.engine import make_url',
      `spec = importlib.util.spec_from_file_location('serve', ${JSON.stringify(serve)})`,
      'serve = importlib.util.module_from_spec(spec); spec.loader.exec_module(serve)',
      'url = make_url(serve.backend_store_uri(os.environ))',
      'print(json.dumps({"drivername": url.drivername, "username": url.username, "password": url.password, "host": url.host, "port": url.port, "database": url.database, "query": dict(url.query)}))',
    ].join('\n');
    const result = await execa(python, ['-c', code], { env: { ...database, DB_SCHEME: scheme, DB_CA_BUNDLE: '/opt/mlflow/rds-ca-bundle.pem', PYTHONDONTWRITEBYTECODE: '1' }, extendEnv: false });
    return JSON.parse(result.stdout);
  }

  it('puts no credentials in the URI (each connection takes them from the secret), with TLS verified for PostgreSQL', async () => {
    expect(await parsedUri('postgresql')).toEqual({
      drivername: 'postgresql',
      username: null,
      password: null,
      host: 'db.internal',
      port: 5432,
      database: 'mlflow',
      query: { sslmode: 'verify-full', sslrootcert: '/opt/mlflow/rds-ca-bundle.pem' },
    });
  });

  it('does the same for MySQL through PyMySQL, with the RDS CA bundle', async () => {
    expect(await parsedUri('mysql+pymysql')).toMatchObject({ drivername: 'mysql+pymysql', password: null, query: { ssl_ca: '/opt/mlflow/rds-ca-bundle.pem' } });
  });

  it('names every missing variable and refuses to start', async () => {
    const result = await execa(python, [serve], { env: { DB_SCHEME: 'postgresql' }, extendEnv: false, reject: false });
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('serve.py: missing environment: DB_HOST, DB_PORT, DB_NAME, DB_SECRET_ARN');
  });

  it("runs `mlflow server` with the task's arguments", async () => {
    const result = await execa(python, [serve, '--host', '0.0.0.0', '--serve-artifacts'], {
      env: { ...database, DB_SCHEME: 'postgresql', MLOPS_SERVE_DRY_RUN: '1' },
      extendEnv: false,
    });
    const printed = JSON.parse(result.stdout);
    expect(printed.command).toEqual(['mlflow', 'server', '--host', '0.0.0.0', '--serve-artifacts']);
    expect(printed.backend_store_uri).toBe('postgresql://db.internal:5432/mlflow');
  });

  it('uses only options the pinned MLflow server has: the task command, the URI variable, the schema upgrade', async () => {
    const command = mlflowContainerDefinition({
      image: 'x',
      region: 'eu-west-1',
      port: 5000,
      healthCheckPath: '/health',
      logGroupName: 'g',
      loadBalancerDnsName: 'lb',
      artifactsDestination: 's3://bucket/artifacts',
      database: { engine: 'postgres', address: 'db', port: 5432, databaseName: 'mlflow', masterUserSecretArn: 'arn' },
      credentialSecretArns: { admin: 'arn-admin', training: 'arn-training', cli: 'arn-cli' },
    }).command as string[];
    const options = command.filter((part) => part.startsWith('--'));
    const code = [
      'import json',
      'from mlflow.cli import server',
      'from mlflow.db import commands',
      'print(json.dumps({"options": [o for p in server.params for o in p.opts], "uri_envvar": next(p.envvar for p in server.params if p.name == "backend_store_uri"), "db": sorted(commands.commands)}))',
    ].join('\n');
    const result = JSON.parse((await execa(python, ['-c', code])).stdout);
    for (const option of options) expect(result.options).toContain(option);
    expect(result.uri_envvar).toBe('MLFLOW_BACKEND_STORE_URI');
    expect(result.db).toContain('upgrade');
  });
});
