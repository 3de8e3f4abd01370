import { MlflowClient, parseModelSpec, resolveModelVersion } from '../../cli/effects/mlflow.js';
import { downloadModel } from '../../cli/effects/model-artifacts.js';
import { UsageError } from '../../core/errors.js';
import { startTestMlflowServer, type TestMlflowServer } from '../harness/mlflow.js';
import { requireTool, toolchainEnv } from '../harness/toolchain.js';

/**
 * What `deployment-job model=…` resolves, against a real MLflow server: a number, latest and an
 * alias name one version; unknown models, versions and aliases are usage errors naming what exists;
 * a version whose artifacts are no MLflow model is refused before anything is built.
 */
describe('deployment model version resolution (real MLflow server)', () => {
  let server: TestMlflowServer;
  let client: MlflowClient;
  let env: NodeJS.ProcessEnv;
  let runId = '';
  let artifactUri = '';

  /** Uploads files as run artifacts through the server (as training does) and returns their artifact URI. */
  const modelArtifacts = async (name: string, files: Record<string, string>) => {
    const path = artifactUri.replace(/^mlflow-artifacts:\//, '');
    for (const [file, content] of Object.entries(files)) {
      const response = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${path}/${name}/${file}`, { method: 'PUT', body: content });
      expect(response.ok).toBe(true);
    }
    return `${artifactUri}/${name}`;
  };

  beforeAll(async () => {
    const tools = toolchainEnv();
    requireTool(tools, 'MLOPS_PYTHON_BIN');
    env = { ...process.env, ...tools };
    Object.assign(process.env, { MLOPS_PYTHON_BIN: tools.MLOPS_PYTHON_BIN });
    server = await startTestMlflowServer();
    client = new MlflowClient(server.url);
    const experiment = await client.call<{ experiment_id: string }>('POST', 'experiments/create', { name: 'churn' });
    const run = await client.call<{ run: { info: { run_id: string; artifact_uri: string } } }>('POST', 'runs/create', {
      experiment_id: experiment!.experiment_id,
      start_time: Date.now(),
    });
    runId = run!.run.info.run_id;
    artifactUri = run!.run.info.artifact_uri;
    const valid = await modelArtifacts('valid', {
      MLmodel: 'flavors:\n  python_function:\n    loader_module: mlflow.sklearn\nmlflow_version: 3.17.2\n',
      'serving_input_example.json': '{"dataframe_split": {"columns": ["a"], "data": [[1]]}}',
    });
    const notAModel = await modelArtifacts('not-a-model', { 'weights.bin': 'x' });
    await client.call('POST', 'registered-models/create', { name: 'churn' });
    await client.call('POST', 'model-versions/create', { name: 'churn', source: valid, run_id: runId });
    await client.call('POST', 'model-versions/create', { name: 'churn', source: notAModel, run_id: runId });
    await client.call('POST', 'model-versions/create', { name: 'churn', source: valid, run_id: runId });
    await client.call('POST', 'registered-models/alias', { name: 'churn', alias: 'champion', version: '1' });
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
  });

  const resolve = (text: string, name = 'churn') => resolveModelVersion(client, name, parseModelSpec(text));

  it('resolves a version number to that version', async () => {
    expect((await resolve('2')).version).toBe('2');
  });

  it('resolves latest to the highest version', async () => {
    expect((await resolve('latest')).version).toBe('3');
  });

  it('resolves an alias to the version it points at', async () => {
    expect((await resolve('@champion')).version).toBe('1');
  });

  it('refuses a missing version and lists the versions there are', async () => {
    await expect(resolve('9')).rejects.toThrow(UsageError);
    await expect(resolve('9')).rejects.toThrow('model "churn" has no version 9 (it has versions 1, 2, 3)');
  });

  it('refuses a missing alias', async () => {
    await expect(resolve('@production')).rejects.toThrow('model "churn" has no alias @production');
  });

  it('refuses a model that was never registered', async () => {
    await expect(resolve('1', 'fraud')).rejects.toThrow('has no registered model "fraud": train the project first');
  });

  it('refuses a version whose artifacts are not an MLflow model', async () => {
    await expect(downloadModel(server.url, 'models:/churn/2', env)).rejects.toThrow('models:/churn/2 is not an MLflow model: its artifacts have no MLmodel file');
  }, 60_000);
});
