import { join } from 'node:path';
import { execa } from 'execa';
import { MlflowClient } from '../../cli/effects/mlflow.js';
import { downloadModel } from '../../cli/effects/model-artifacts.js';
import { readRunArtifact } from '../../cli/effects/run-artifacts.js';
import { repoRoot } from '../../cli/paths.js';
import { runCli } from '../harness/cli.js';
import { startTestMlflowServer, type TestMlflowServer } from '../harness/mlflow.js';
import { requireTool, toolchainEnv } from '../harness/toolchain.js';

const PROJECT = 'test-project';
const DEV_ENDPOINT = `test-dev-${PROJECT}`;

/**
 * `promote-model` through the built CLI against real MLflow servers: `dev` is one server where the
 * test project's own training registered version 1; for the shared case the same server is prod's,
 * for the per-environment case a second server is. Nothing here calls AWS: MLFLOW_TRACKING_URI
 * names the target server, as a team with its own servers sets it.
 */
describe('promote-model against real MLflow servers', () => {
  let dev: TestMlflowServer;
  let prod: TestMlflowServer;
  let tools: Record<string, string>;
  const baseEnv = () => ({
    ...tools,
    TF_VAR_state_bucket_name: 'mlops-test-state',
    TF_VAR_region: 'eu-west-1',
    TF_VAR_project: 'test',
    TF_VAR_env_name: 'prod',
    MLOPS_ACTOR: 'alice',
    GITHUB_ACTIONS: undefined,
    // Never AWS: a lookup of the tracking URI in SSM would fail against this endpoint.
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
  });
  const promote = (trackingUri: string, ...args: string[]) =>
    runCli(['promote-model', '--project', PROJECT, '--json', ...args], { ...baseEnv(), MLFLOW_TRACKING_URI: trackingUri });
  /** A promotion that must succeed; its stderr is the failure's message otherwise. */
  const promoted = async (trackingUri: string, ...args: string[]) => {
    const result = await promote(trackingUri, ...args);
    if (result.exitCode !== 0) throw new Error(`promote-model exited ${result.exitCode}:\n${result.stderr}`);
    return result;
  };
  const tags = async (client: MlflowClient, version: string) => Object.fromEntries(((await client.modelVersion(PROJECT, version))?.tags ?? []).map((tag) => [tag.key, tag.value]));

  beforeAll(async () => {
    tools = toolchainEnv();
    requireTool(tools, 'MLOPS_PYTHON_BIN');
    [dev, prod] = await Promise.all([startTestMlflowServer(), startTestMlflowServer()]);
    const train = await execa(join(tools.MLOPS_PYTHON_BIN, 'python'), [join(repoRoot, 'ml-projects', PROJECT, 'train.py')], {
      env: { ...process.env, MLFLOW_TRACKING_URI: dev.url, MLFLOW_EXPERIMENT_NAME: PROJECT },
      reject: false,
      all: true,
    });
    if (train.exitCode !== 0) throw new Error(`training failed:\n${train.all}`);
    const client = new MlflowClient(dev.url);
    // What deployment-job records when version 1 serves in dev (test/integration/deployment-job.test.ts proves it).
    await client.setModelVersionTag(PROJECT, '1', 'mlops.deployment.test-dev.endpoint', DEV_ENDPOINT);
  }, 300_000);

  afterAll(async () => {
    await Promise.all([dev?.stop(), prod?.stop()]);
  });

  it('refuses a reserved alias and a missing source alias with exit 2, before anything changes', async () => {
    const reserved = await promote(dev.url, '--from', 'dev', '--to', 'latest');
    expect(reserved.exitCode).toBe(2);
    expect(reserved.stderr).toContain('to= (--to)="latest": MLflow reserves "latest" and "v<N>"');
    const missing = await promote(dev.url, '--from', 'dev', '--to', 'prod');
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain(`model "${PROJECT}" in ${dev.url} has no alias @dev (aliases: none)`);
    expect(await new MlflowClient(dev.url).modelAliases(PROJECT)).toEqual({});
  }, 60_000);

  it('on one shared server, points @prod at the version @dev names and records who, when and from which endpoint', async () => {
    const client = new MlflowClient(dev.url);
    await client.setModelAlias(PROJECT, 'dev', '1');
    const result = await promoted(dev.url, '--from', '@dev', '--to', '@prod');
    expect(JSON.parse(result.stdout)).toMatchObject({ action: 'promoted', version: '1', sourceVersion: '1', from: 'dev', to: 'prod' });
    expect(await client.modelAliases(PROJECT)).toEqual({ dev: '1', prod: '1' });
    const recorded = await tags(client, '1');
    expect(recorded).toMatchObject({
      'mlops.promotion.prod.from_alias': 'dev',
      'mlops.promotion.prod.source_version': '1',
      'mlops.promotion.prod.promoted_by': 'alice',
      'mlops.promotion.prod.source_endpoint': DEV_ENDPOINT,
    });
    expect(Date.parse(recorded['mlops.promotion.prod.promoted_at'])).toBeGreaterThan(Date.now() - 600_000);

    const again = await promoted(dev.url, '--from', 'dev', '--to', 'prod');
    expect(JSON.parse(again.stdout)).toMatchObject({ action: 'unchanged', version: '1' });
    expect(again.stderr).toContain('@prod already names version 1');
  }, 120_000);

  it('moves @prod to the next version @dev names and records the version it replaced', async () => {
    const client = new MlflowClient(dev.url);
    const v1 = await client.modelVersion(PROJECT, '1');
    await client.call('POST', 'model-versions/create', { name: PROJECT, source: v1!.source, run_id: v1!.run_id, model_id: v1!.source.replace(/^models:\//, '') });
    await client.setModelAlias(PROJECT, 'dev', '2');
    const result = await promoted(dev.url, '--from', 'dev', '--to', 'prod');
    expect(result.stderr).toContain('warning: version 2 carries @dev, but no deployment in environment "dev" recorded it');
    expect(JSON.parse(result.stdout)).toMatchObject({ action: 'promoted', version: '2', previousVersion: '1' });
    expect((await client.modelAliases(PROJECT))?.prod).toBe('2');
    expect(await tags(client, '2')).toMatchObject({ 'mlops.promotion.prod.replaced_version': '1', 'mlops.promotion.prod.source_version': '2' });
    await client.setModelAlias(PROJECT, 'dev', '1');
  }, 120_000);

  it('across two servers, copies the version with its model, metrics and baseline into prod, with lineage, once', async () => {
    const result = await promoted(prod.url, '--from', 'dev', '--to', 'prod', '--from-tracking-uri', dev.url);
    expect(JSON.parse(result.stdout)).toMatchObject({ action: 'copied', version: '1', sourceVersion: '1', sourceRegistry: dev.url, targetRegistry: prod.url });
    expect(result.stderr).toMatch(/copied as version 1 \(run [0-9a-f]+\)/);

    const target = new MlflowClient(prod.url);
    expect(await target.modelAliases(PROJECT)).toEqual({ prod: '1' });
    const copy = await target.modelVersion(PROJECT, '1');
    expect(await tags(target, '1')).toMatchObject({
      'mlops.source.registry': dev.url,
      'mlops.source.model_version': '1',
      'mlops.source.run_id': (await new MlflowClient(dev.url).modelVersion(PROJECT, '1'))!.run_id,
      'mlops.promotion.prod.source_registry': dev.url,
      'mlops.promotion.prod.source_endpoint': DEV_ENDPOINT,
      'mlops.promotion.prod.promoted_by': 'alice',
    });
    // What deployment-job reads in prod: the model with its input example, the run's metrics, the baseline.
    const model = await downloadModel(prod.url, `models:/${PROJECT}/1`, { ...process.env, ...tools });
    try {
      expect(Object.keys(model.mlmodel.flavors ?? {})).toEqual(expect.arrayContaining(['sklearn', 'python_function']));
      expect(model.servingInputExample).toContain('alcohol');
    } finally {
      model.cleanup();
    }
    const run = await target.run(copy!.run_id!);
    expect(run?.data.metrics?.map((metric) => metric.key).sort()).toEqual(['accuracy', 'f1_macro']);
    const baseline = await readRunArtifact(prod.url, copy!.run_id!, 'baseline/feature_statistics.json', { ...process.env, ...tools });
    expect(JSON.parse(baseline ?? '{}').alcohol.mean).toBeGreaterThan(12);

    const again = await promoted(prod.url, '--from', 'dev', '--to', 'prod', '--from-tracking-uri', dev.url);
    expect(JSON.parse(again.stdout)).toMatchObject({ action: 'unchanged', version: '1' });
    expect(again.stderr).toContain('was copied before: version 1');
    expect((await target.searchModelVersions(`name='${PROJECT}'`)).length).toBe(1);
  }, 180_000);
});
