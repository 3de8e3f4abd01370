import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  classOf,
  compareShadow,
  exchangesOfCaptureFile,
  pairExchanges,
  predictionKind,
  predictionsOfResponse,
  shadowMetricData,
  type CapturedExchange,
} from '../../core/deployment/shadow-comparison.js';
import { buildDashboardBody } from '../../core/deployment/dashboard.js';
import { ExternalError, UsageError } from '../../core/errors.js';
import { parseSettings } from '../../core/settings/parse.js';
import { deploymentJob, type DeploymentEffects } from '../../cli/workflows/deployment-job.js';
import { promote, shadowRm } from '../../cli/workflows/deployment-shadow.js';
import { describeShadowComparison } from '../../cli/workflows/monitor.js';
import { VALID_MLPROJECT } from '../harness/mlproject-fixture.js';
import { createRecordingReporter } from '../harness/reporter.js';

const exchange = (input: string, predictions: unknown[], eventId?: string): CapturedExchange => ({ input, predictions, eventId });

/** One line of a SageMaker data capture file. */
const captureLine = (input: string, output: string, options: { eventId?: string; base64?: boolean; contentType?: string } = {}) =>
  JSON.stringify({
    captureData: {
      endpointInput: { observedContentType: 'application/json', mode: 'INPUT', data: input, encoding: 'JSON' },
      endpointOutput: {
        observedContentType: options.contentType ?? 'application/json',
        mode: 'OUTPUT',
        data: options.base64 ? Buffer.from(output).toString('base64') : output,
        encoding: options.base64 ? 'BASE64' : 'JSON',
      },
    },
    eventMetadata: { eventId: options.eventId ?? 'e', inferenceTime: '2026-01-01T00:00:00Z' },
    eventVersion: '0',
  });

describe('predictionsOfResponse', () => {
  it.each([
    ["MLflow's {predictions: [...]}", '{"predictions": [0, 2, 1]}', 'application/json', [0, 2, 1]],
    ['a bare list', '["a", "b"]', 'application/json', ['a', 'b']],
    ['a one-column dataframe answer', '{"predictions": {"label": [1, 0]}}', 'application/json', [1, 0]],
    ['CSV, one prediction per line', '0.5\n1.25\n', 'text/csv', [0.5, 1.25]],
  ])('reads %s', (_name, body, contentType, expected) => {
    expect(predictionsOfResponse(body, contentType)).toEqual(expected);
  });

  it('reads nothing from an answer that is not predictions', () => {
    expect(predictionsOfResponse('<html>', 'application/json')).toBeUndefined();
    expect(predictionsOfResponse('{"error_code": "BAD_REQUEST"}', 'application/json')).toBeUndefined();
  });
});

describe('exchangesOfCaptureFile', () => {
  it('reads each captured request with its answer (text or base64) and skips what is not one', () => {
    const file = [
      captureLine('{"inputs": [[1]]}', '{"predictions": [1]}', { eventId: 'a' }),
      captureLine('{"inputs": [[2]]}', '{"predictions": [0]}', { eventId: 'b', base64: true }),
      'not json',
      JSON.stringify({ captureData: { endpointInput: { data: '{}' } } }),
      '',
    ].join('\n');
    expect(exchangesOfCaptureFile(file)).toEqual({
      exchanges: [exchange('{"inputs": [[1]]}', [1], 'a'), exchange('{"inputs": [[2]]}', [0], 'b')],
      skipped: 2,
    });
  });
});

describe('pairExchanges', () => {
  it('pairs by event id when both sides carry the same one', () => {
    const production = [exchange('x', [1], 'e1'), exchange('x', [1], 'e2')];
    const shadow = [exchange('x', [0], 'e2')];
    expect(pairExchanges(production, shadow).pairs).toEqual([[production[1], shadow[0]]]);
  });

  it('else pairs by the identical request body, each production answer used once, and counts the shadow answers left over', () => {
    const production = [exchange('r1', [1], 'p1'), exchange('r2', [2], 'p2'), exchange('r1', [1], 'p3')];
    const shadow = [exchange('r1', [1], 's1'), exchange('r1', [0], 's2'), exchange('r1', [1], 's3'), exchange('r9', [1], 's4')];
    const { pairs, unpaired } = pairExchanges(production, shadow);
    expect(pairs).toEqual([
      [production[0], shadow[0]],
      [production[2], shadow[1]],
    ]);
    expect(unpaired).toBe(2);
  });

  it('does not pair an event id whose request differs', () => {
    expect(pairExchanges([exchange('a', [1], 'same')], [exchange('b', [1], 'same')])).toEqual({ pairs: [], unpaired: 1 });
  });
});

describe('predictionKind and classOf', () => {
  it.each([
    [[0, 1, 2], 'classification'],
    [['setosa', 'virginica'], 'classification'],
    [[true, false], 'classification'],
    [[[0.1, 0.9]], 'classification'],
    [[1.5, 2, 3.25], 'regression'],
  ])('%j is %s', (values, kind) => {
    expect(predictionKind(values)).toBe(kind);
  });

  it('takes the top class of a list of per-class scores', () => {
    expect(classOf([0.1, 0.7, 0.2])).toBe('1');
    expect(classOf('virginica')).toBe('virginica');
    expect(classOf(2)).toBe('2');
  });
});

describe('compareShadow', () => {
  it('gives a classifier the agreement rate and both sides’ class shares, per prediction', () => {
    const comparison = compareShadow([
      [exchange('r1', [0, 1, 2, 1]), exchange('r1', [0, 1, 1, 1])],
      [exchange('r2', [2]), exchange('r2', [2])],
      // Answers of different lengths cannot be compared row by row: left out and counted.
      [exchange('r3', [1, 1]), exchange('r3', [1])],
    ]);
    expect(comparison).toEqual({
      kind: 'classification',
      requests: 2,
      predictions: 5,
      mismatchedRequests: 1,
      agreementPercent: 80,
      classShares: { production: { '0': 20, '1': 40, '2': 40 }, shadow: { '0': 20, '1': 60, '2': 20 } },
    });
  });

  it('gives a regressor the error statistics of shadow − production and both sides’ means', () => {
    const comparison = compareShadow([[exchange('r1', [1.5, 2.5, 10]), exchange('r1', [2.0, 2.0, 13])]]);
    expect(comparison).toMatchObject({ kind: 'regression', requests: 1, predictions: 3, mismatchedRequests: 0, maxAbsoluteError: 3 });
    if (comparison?.kind !== 'regression') throw new Error('expected a regression');
    expect(comparison.meanAbsoluteError).toBeCloseTo((0.5 + 0.5 + 3) / 3);
    expect(comparison.rootMeanSquaredError).toBeCloseTo(Math.sqrt((0.25 + 0.25 + 9) / 3));
    expect(comparison.meanError).toBeCloseTo((0.5 - 0.5 + 3) / 3);
    expect(comparison.means.production).toBeCloseTo(14 / 3);
    expect(comparison.means.shadow).toBeCloseTo(17 / 3);
  });

  it('has nothing to say without a request answered by both', () => {
    expect(compareShadow([])).toBeUndefined();
    expect(compareShadow([[exchange('r', [1]), exchange('r', [])]])).toBeUndefined();
  });
});

describe('shadowMetricData', () => {
  const at = new Date('2026-01-01T00:00:00Z');
  const versions = { production: '3', shadow: '4' };
  const variants = { production: 'primary', shadow: 'shadow' };
  const pair = [
    { Name: 'Project', Value: 'churn' },
    { Name: 'Version', Value: '4' },
    { Name: 'ProductionVersion', Value: '3' },
  ];

  it('publishes agreement for the version pair and each side’s class shares by variant', () => {
    const data = shadowMetricData('churn', versions, variants, compareShadow([[exchange('r', [0, 1]), exchange('r', [0, 0])]])!, at);
    expect(data).toContainEqual({ MetricName: 'ShadowAgreementPercent', Dimensions: pair, Value: 50, Timestamp: at, Unit: 'None' });
    expect(data).toContainEqual({ MetricName: 'ShadowComparedPredictions', Dimensions: pair, Value: 2, Timestamp: at, Unit: 'Count' });
    expect(data).toContainEqual(
      expect.objectContaining({ MetricName: 'PredictionSharePercent', Value: 100, Dimensions: [...pair.slice(0, 1), { Name: 'Version', Value: '4' }, { Name: 'Variant', Value: 'shadow' }, { Name: 'Class', Value: '0' }] }),
    );
    expect(data.map((datum) => datum.MetricName)).not.toContain('ShadowMeanAbsoluteError');
  });

  it('publishes error statistics and both means for a regressor', () => {
    const data = shadowMetricData('churn', versions, variants, compareShadow([[exchange('r', [1.5]), exchange('r', [2.5])]])!, at);
    expect(data.map((datum) => datum.MetricName).sort()).toEqual([
      'PredictionMean',
      'PredictionMean',
      'ShadowComparedPredictions',
      'ShadowMaxAbsoluteError',
      'ShadowMeanAbsoluteError',
      'ShadowMeanError',
      'ShadowRootMeanSquaredError',
    ]);
    expect(data.find((datum) => datum.MetricName === 'ShadowMeanError')).toMatchObject({ Value: 1, Dimensions: pair });
  });
});

describe('describeShadowComparison', () => {
  it('says the agreement of a classifier, the errors of a regressor, or that nothing was compared yet', () => {
    expect(describeShadowComparison('3', '4', compareShadow([[exchange('r', [0, 1, 1, 1]), exchange('r', [0, 1, 1, 0])]]))).toBe(
      'Shadow version 4 against version 3: agree on 75% of 4 predictions on 1 requests',
    );
    expect(describeShadowComparison('3', '4', compareShadow([[exchange('r', [1.5]), exchange('r', [2])]]))).toMatch(/mean absolute error 0\.5, RMSE 0\.5, max 0\.5, mean shadow − production 0\.5/);
    expect(describeShadowComparison('3', '4', undefined)).toBe('Shadow version 4 against version 3: no request answered by both in the captured data yet');
  });
});

describe('the shadow row of the dashboard', () => {
  const input = {
    region: 'eu-west-1',
    endpointName: 'acme-dev-churn',
    variantName: 'primary',
    serverless: false,
    metricsNamespace: 'LeanMLOps/acme-dev',
    mlProject: 'churn',
    modelVersion: '3',
    modelMetricNames: [],
    features: [],
    dataCapture: true,
    alarmArns: ['arn:alarm'],
  };

  it('follows the endpoint row and graphs both variants side by side, with what monitor publishes', () => {
    const { widgets } = buildDashboardBody({ ...input, shadow: { variantName: 'shadow', modelVersion: '4' } });
    const headers = widgets.filter((widget) => String(widget.properties.markdown).startsWith('##')).map((widget) => String(widget.properties.markdown).split(':')[0]);
    expect(headers).toEqual(['## Endpoint acme-dev-churn (model version 3)', '## Shadow', '## Model churn version 3', '## Data']);
    const titled = (title: string) => widgets.find((widget) => widget.properties.title === title)!.properties.metrics as unknown[][];
    expect(titled('Shadow vs production: errors').map((metric) => metric[5])).toEqual(['primary', 'shadow', 'primary', 'shadow']);
    expect(titled('Shadow vs production: same requests (`mlops monitor`)')[0].slice(0, 8)).toEqual([
      'LeanMLOps/acme-dev',
      'ShadowAgreementPercent',
      'Project',
      'churn',
      'Version',
      '4',
      'ProductionVersion',
      '3',
    ]);
    const searches = titled('Prediction distribution: class shares %').map((metric) => (metric[0] as { expression: string }).expression);
    expect(searches[1]).toBe(
      `SEARCH('{LeanMLOps/acme-dev,Project,Version,Variant,Class} MetricName="PredictionSharePercent" Project="churn" Version="4" Variant="shadow"', 'Average', 3600)`,
    );
    expect(titled('Prediction distribution: mean prediction').map((metric) => metric.slice(5, 8))).toEqual([
      ['3', 'Variant', 'primary'],
      ['4', 'Variant', 'shadow'],
    ]);
  });

  it('is not drawn without a shadow', () => {
    expect(JSON.stringify(buildDashboardBody(input))).not.toContain('Shadow');
  });
});

describe('deployment-job --shadow on a serverless endpoint', () => {
  const projectsDir = mkdtempSync(join(tmpdir(), 'mlops-shadow-projects-'));
  const previous = process.env.MLOPS_PROJECTS_DIR;
  beforeAll(() => {
    mkdirSync(join(projectsDir, 'churn'));
    writeFileSync(join(projectsDir, 'churn', 'MLproject'), VALID_MLPROJECT);
    writeFileSync(join(projectsDir, 'churn', 'python_env.yaml'), 'python: "3.11"\n');
    writeFileSync(join(projectsDir, 'churn', 'resource-requirements.json'), JSON.stringify({ deployment: { serverless: { memory_mib: 2048, max_concurrency: 5 } } }));
    process.env.MLOPS_PROJECTS_DIR = projectsDir;
  });
  afterAll(() => {
    if (previous === undefined) delete process.env.MLOPS_PROJECTS_DIR;
    else process.env.MLOPS_PROJECTS_DIR = previous;
    rmSync(projectsDir, { recursive: true, force: true });
  });

  it('is refused as bad input (exit 2) naming why, before MLflow, Terraform or AWS is touched', async () => {
    const touched: string[] = [];
    const reporter = createRecordingReporter();
    // Every effect but the reporter records its use: the refusal must come before any of them.
    const effects = new Proxy({ reporter } as unknown as DeploymentEffects, {
      get(target, property) {
        if (property === 'reporter') return reporter;
        if (property === 'then') return undefined;
        touched.push(String(property));
        return (target as unknown as Record<string | symbol, unknown>)[property];
      },
    });
    const config = { environment: { stateBucket: 's', region: 'eu-west-1', project: 'acme', envName: 'dev' }, settings: parseSettings('{}', 'settings.json') };
    const refused = deploymentJob(effects, config, { project: 'churn', model: '4', json: false, 'image-build': 'skip', shadow: true });
    await expect(refused).rejects.toBeInstanceOf(UsageError);
    await expect(refused).rejects.toThrow(/churn is served serverless \(serverless, 2048 MiB, up to 5 concurrent requests\), and SageMaker Serverless Inference cannot carry a shadow variant/);
    expect(((await refused.catch((error: unknown) => error)) as UsageError).exitCode).toBe(2);
    expect(touched).toEqual([]);
  });
});

/**
 * promote and shadow-rm over injected effects: a Terraform runner that keeps the synthesized stack
 * it is asked to plan and "applies" it by moving the endpoint to its configuration (or not, as a
 * rollback alarm would), an endpoint service, the bucket of release records and an MLflow client
 * that records tags. moto cannot hold a shadow (it has no UpdateEndpoint), so this is where their
 * rollouts are proven; the stack they plan is the one the synth tests read.
 */
describe('promote and shadow-rm', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'mlops-shadow-workflows-'));
  const previousOutdir = process.env.MLOPS_OUTDIR;
  beforeAll(() => {
    process.env.MLOPS_OUTDIR = outdir;
  });
  afterAll(() => {
    if (previousOutdir === undefined) delete process.env.MLOPS_OUTDIR;
    else process.env.MLOPS_OUTDIR = previousOutdir;
    rmSync(outdir, { recursive: true, force: true });
  });

  const config = {
    environment: { stateBucket: 's', region: 'eu-west-1', project: 'acme', envName: 'dev' },
    settings: parseSettings(JSON.stringify({ tracking_uri: 'http://mlflow.test' }), 'settings.json'),
  };
  const example = (version: string) => `{"dataframe_split": {"columns": ["alcohol"], "data": [[1${version}]]}}`;
  const record = (version: string) => ({ mlProject: 'test-project', modelVersion: version, runId: 'r', modelMetrics: {}, features: [], featureStatistics: null, servingInputExample: example(version) });
  const repository = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme-dev-test-project-serving';

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  type Json = Record<string, any>;
  function world(options: { shadow: boolean; rollsBack?: boolean }) {
    const served = { configName: 'acme-dev-test-project-v1-s2-abcdef' };
    const planned: Json[] = [];
    const applied: Json[] = [];
    const invoked: string[] = [];
    const tags: string[] = [];
    const outputs = {
      artifact_bucket: 'acme-dev-artifacts',
      model_version: '1',
      image_uri: `${repository}:v1-1111111111111111`,
      shadow_model_version: options.shadow ? '2' : '',
      shadow_image_uri: options.shadow ? `${repository}:v2-2222222222222222` : '',
      endpoint_config_name: served.configName,
      dashboard_url: 'https://dashboard',
    };
    const reporter = createRecordingReporter();
    const effects = {
      reporter,
      env: { MLOPS_POLL_SECONDS: '1' },
      terraform: {
        init: async () => undefined,
        plan: async (dir: string) => {
          planned.push(JSON.parse(readFileSync(join(dir, 'cdk.tf.json'), 'utf8')));
          return { add: 2, change: 1, destroy: 2, replace: [], updateInPlace: ['aws_sagemaker_endpoint.endpoint'], resources: [] };
        },
        applyPlan: async () => {
          const stack = planned[planned.length - 1];
          applied.push(stack);
          const configName = (Object.values(stack.resource.aws_sagemaker_endpoint_configuration)[0] as Json).name;
          outputs.endpoint_config_name = configName;
          if (!options.rollsBack) served.configName = configName;
        },
        outputs: async () => ({ ...outputs }),
      },
      endpoints: {
        describe: async (name: string) => ({ name, arn: `arn:${name}`, status: 'InService', configName: served.configName, tags: { 'model-version': '1', ...(options.shadow ? { 'shadow-model-version': '2' } : {}) } }),
        dataCaptureUri: async () => undefined,
        invoke: async (_name: string, body: string) => {
          invoked.push(body);
          return { body: '{"predictions": [1]}' };
        },
      },
      bucket: { read: async (_bucket: string, key: string) => JSON.stringify(record(/v(\d+)\.json$/.exec(key)![1])), list: async () => [], deletePrefix: async () => 0 },
      mlflow: () => ({
        setModelVersionTag: async (_name: string, version: string, key: string, value: string) => {
          tags.push(`${version} ${key}${key.endsWith('endpoint') ? `=${value}` : ''}`);
        },
      }),
      parameters: async () => undefined,
    } as unknown as DeploymentEffects;
    return { effects, planned, applied, invoked, tags, reporter };
  }
  const only = (stack: Json, type: string) => {
    const resources = Object.values(stack.resource[type] ?? {}) as Json[];
    expect(resources).toHaveLength(1);
    return resources[0];
  };

  it('promote rolls the shadow out as the serving version on the same endpoint, smoke-tests it and tags it in MLflow', async () => {
    const { effects, applied, invoked, tags } = world({ shadow: true });
    const result = await promote(effects, config, { project: 'test-project', json: true });
    expect(result).toMatchObject({ endpoint: 'acme-dev-test-project', promoted: '2', replaced: '1', planOnly: false, smokeTest: '{"predictions": [1]}' });
    expect(applied).toHaveLength(1);
    const [stack] = applied;
    expect(only(stack, 'aws_sagemaker_model').primary_container.image).toMatch(/:v2-2222222222222222$/);
    expect(only(stack, 'aws_sagemaker_endpoint_configuration').shadow_production_variants).toBeUndefined();
    expect(only(stack, 'aws_sagemaker_endpoint')).toMatchObject({ name: 'acme-dev-test-project', tags: { 'model-version': '2' } });
    // The same blue/green update with alarm rollback as every deployment.
    expect(only(stack, 'aws_sagemaker_endpoint').deployment_config.auto_rollback_configuration.alarms).toHaveLength(2);
    expect(invoked).toEqual([example('2')]);
    expect(tags).toEqual([
      '2 mlops.deployment.acme-dev.endpoint=acme-dev-test-project',
      '2 mlops.deployment.acme-dev.environment',
      '2 mlops.deployment.acme-dev.region',
      '2 mlops.deployment.acme-dev.deployed_at',
      '1 mlops.deployment.acme-dev.retired_at',
    ]);
  });

  it('promote fails (exit 1) and tags nothing when the rollout is rolled back by an alarm', async () => {
    const { effects, tags } = world({ shadow: true, rollsBack: true });
    const failed = promote(effects, config, { project: 'test-project', json: false });
    await expect(failed).rejects.toBeInstanceOf(ExternalError);
    await expect(failed).rejects.toThrow(/the rollout of version 2 was rolled back: acme-dev-test-project serves acme-dev-test-project-v1-s2-abcdef/);
    expect(tags).toEqual([]);
  });

  it('promote --plan-only plans the same stack and applies and tags nothing', async () => {
    const { effects, planned, applied, tags } = world({ shadow: true });
    expect(await promote(effects, config, { project: 'test-project', json: false, 'plan-only': true })).toMatchObject({ promoted: '2', planOnly: true });
    expect(only(planned[0], 'aws_sagemaker_model').primary_container.image).toMatch(/:v2-/);
    expect(applied).toEqual([]);
    expect(tags).toEqual([]);
  });

  it('promote without a shadow is bad input (exit 2) and plans nothing', async () => {
    const { effects, planned } = world({ shadow: false });
    await expect(promote(effects, config, { project: 'test-project', json: false })).rejects.toThrow(UsageError);
    expect(planned).toEqual([]);
  });

  it('shadow-rm rolls the endpoint out with the serving version alone and marks the shadow removed', async () => {
    const { effects, applied, invoked, tags } = world({ shadow: true });
    expect(await shadowRm(effects, config, { project: 'test-project', json: false })).toMatchObject({ removed: '2', serving: '1' });
    const [stack] = applied;
    expect(only(stack, 'aws_sagemaker_model').primary_container.image).toMatch(/:v1-1111111111111111$/);
    expect(only(stack, 'aws_sagemaker_endpoint_configuration').shadow_production_variants).toBeUndefined();
    expect(only(stack, 'aws_sagemaker_endpoint').tags).toEqual({ 'ml-project': 'test-project', 'model-version': '1' });
    expect(invoked).toEqual([example('1')]);
    expect(tags).toEqual(['2 mlops.deployment.acme-dev.shadow_removed_at']);
  });
});
