import { ExternalError } from '../../core/errors.js';
import type { Environment } from '../../core/environment.js';
import { parseSettings } from '../../core/settings/parse.js';
import { formatStatus, latestVersion, servingVersion, type TaggedVersion } from '../../core/status.js';
import { collectStatus, type StatusEffects } from '../../cli/workflows/status.js';
import { createRecordingReporter } from '../harness/reporter.js';

const environment: Environment = { stateBucket: 'acme-state', region: 'eu-west-1', project: 'acme', envName: 'dev' };
const config = { environment, settings: parseSettings('{}', 'settings.json') };
const deployed = (version: string, env: string, at: string): TaggedVersion => ({
  version,
  tags: [
    { key: `mlops.deployment.acme-${env}.endpoint`, value: `acme-${env}-churn` },
    { key: `mlops.deployment.acme-${env}.deployed_at`, value: at },
  ],
});

describe('servingVersion and latestVersion', () => {
  it("takes the version deployed last to this environment, not another environment's", () => {
    const versions = [deployed('1', 'dev', '2026-11-01T10:00:00Z'), deployed('2', 'dev', '2026-11-20T10:00:00Z'), deployed('3', 'prod', '2026-11-30T10:00:00Z'), { version: '4' }];
    expect(servingVersion(versions, 'mlops.deployment.acme-dev')).toEqual({ version: '2', deployedAt: '2026-11-20T10:00:00Z' });
    expect(servingVersion(versions, 'mlops.deployment.acme-staging')).toBeUndefined();
  });

  it('compares version numbers as numbers', () => {
    expect(latestVersion([{ version: '9' }, { version: '10' }, { version: '2' }])).toBe('10');
    expect(latestVersion([])).toBeUndefined();
  });
});

/** Effects that answer from tables, recording what was asked. */
function fakeEffects(overrides: Partial<StatusEffects> = {}): StatusEffects & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    reporter: createRecordingReporter(),
    trackingUri: async () => 'http://mlflow.internal:5000',
    async registeredModel(_uri, name) {
      asked.push(`model ${name}`);
      return name === 'churn' ? { versions: [{ version: '1' }, deployed('2', 'dev', '2026-11-20T10:00:00Z'), { version: '3' }], aliases: { champion: '2' } } : undefined;
    },
    async endpoint(name) {
      asked.push(`endpoint ${name}`);
      return name === 'acme-dev-churn' ? { name, arn: 'arn', status: 'InService', configName: 'c', tags: { 'model-version': '2' } } : undefined;
    },
    async lastJob(queue) {
      asked.push(`queue ${queue}`);
      return queue === 'acme-dev-churn-training' ? { id: 'job-1', status: 'FAILED', createdAt: '2026-11-30T08:05:00.000Z', reason: 'exit code 1' } : undefined;
    },
    async stateExists(key) {
      asked.push(`state ${key}`);
      return ['acme/dev/mlflow-server.tfstate', 'acme/dev/training/churn.tfstate', 'acme/dev/deployment/churn.tfstate'].includes(key);
    },
    ...overrides,
  };
}

describe('collectStatus', () => {
  it('looks every project up by the names the stacks use and reports what it found', async () => {
    const effects = fakeEffects();
    const status = await collectStatus(config, ['churn', 'fraud'], effects);
    expect(effects.asked).toEqual(
      expect.arrayContaining([
        'endpoint acme-dev-churn',
        'queue acme-dev-churn-training',
        'state acme/dev/training/churn.tfstate',
        'state acme/dev/deployment/fraud.tfstate',
        'state acme/dev/mlflow-server.tfstate',
      ]),
    );
    expect(status.mlflowServerState).toEqual({ value: true });
    expect(status.projects[0]).toEqual({
      project: 'churn',
      registry: { value: { latest: '3', serving: { version: '2', deployedAt: '2026-11-20T10:00:00Z' }, aliases: { champion: '2' } } },
      endpoint: { value: { name: 'acme-dev-churn', state: 'InService', version: '2', failureReason: undefined } },
      lastTrainingJob: { value: { id: 'job-1', status: 'FAILED', createdAt: '2026-11-30T08:05:00.000Z', reason: 'exit code 1' } },
      trainingState: { value: true },
      deploymentState: { value: true },
    });
    expect(status.projects[1]).toMatchObject({ registry: { value: undefined }, endpoint: { value: { state: undefined } }, lastTrainingJob: { value: undefined } });
  });

  it('a failing service fills only its own cells', async () => {
    const effects = fakeEffects({
      endpoint: async () => {
        throw new ExternalError('SageMaker DescribeEndpoint acme-dev-churn failed: AccessDenied');
      },
    });
    const status = await collectStatus(config, ['churn'], effects);
    expect(status.projects[0].endpoint).toEqual({ error: 'SageMaker DescribeEndpoint acme-dev-churn failed: AccessDenied' });
    expect(status.projects[0].registry).toHaveProperty('value');
    expect(status.projects[0].lastTrainingJob).toHaveProperty('value');
  });

  it('without a tracking URI the registry cells say so and AWS is still asked', async () => {
    const effects = fakeEffects({
      trackingUri: async () => {
        throw new Error('no MLflow tracking URI: SSM parameter /acme/dev/mlflow-server/tracking-uri does not exist');
      },
    });
    const status = await collectStatus(config, ['churn'], effects);
    expect(status.trackingUri).toEqual({ error: expect.stringContaining('SSM parameter /acme/dev/mlflow-server/tracking-uri') });
    expect(status.projects[0].registry).toEqual({ error: 'no MLflow server to ask (see the MLflow line above)' });
    expect(effects.asked).not.toContain('model churn');
    expect(status.projects[0].endpoint).toMatchObject({ value: { state: 'InService' } });
  });

  it('a name too long for AWS names fails its cells, not the view', async () => {
    const status = await collectStatus(config, ['a-very-long-project-name-that-no-aws-limit-allows-at-all-because-it-goes-on-and-on'], fakeEffects());
    expect(status.projects[0].endpoint).toEqual({ error: expect.stringContaining('AWS allows 63') });
  });
});

describe('formatStatus', () => {
  it('shows one row per project and each failure once, numbered, below the table', async () => {
    const effects = fakeEffects({
      registeredModel: async () => {
        throw new ExternalError('cannot reach the MLflow server at http://mlflow.internal:5000: fetch failed');
      },
    });
    const text = formatStatus(await collectStatus(config, ['churn', 'fraud'], effects));
    const lines = text.split('\n');
    expect(lines[0]).toBe('Environment acme-dev (eu-west-1), state bucket acme-state');
    expect(lines[1]).toBe('  MLflow: http://mlflow.internal:5000; MLflow server stack: applied');
    const header = lines.findIndex((line) => line.startsWith('PROJECT'));
    expect(lines[header].split(/\s{2,}/)).toEqual(['PROJECT', 'LATEST', 'SERVING (MLflow)', 'ALIASES', 'ENDPOINT', 'LAST TRAINING JOB', 'STATE']);
    expect(lines[header + 1].split(/\s{2,}/)).toEqual([
      'churn',
      'error [1]',
      'error [1]',
      'error [1]',
      'InService v2',
      'FAILED 2026-11-30 08:05Z (exit code 1)',
      'training, deployment',
    ]);
    expect(lines[header + 2].split(/\s{2,}/)).toEqual(['fraud', 'error [2]', 'error [2]', 'error [2]', 'none', 'none', 'none']);
    expect(lines.slice(-2)).toEqual([
      '[1] churn registry: cannot reach the MLflow server at http://mlflow.internal:5000: fetch failed',
      '[2] fraud registry: cannot reach the MLflow server at http://mlflow.internal:5000: fetch failed',
    ]);
  });

  it("shows versions, the serving one with its time, aliases, and a job's reason only when it failed", async () => {
    const succeeded = async () => ({ id: 'job-2', status: 'SUCCEEDED', createdAt: '2026-12-01T07:00:00.000Z', reason: 'Essential container in task exited' });
    const text = formatStatus(await collectStatus(config, ['churn'], fakeEffects({ lastJob: succeeded })));
    const row = text.split('\n').find((line) => line.startsWith('churn'))!;
    expect(row.split(/\s{2,}/).slice(0, 6)).toEqual(['churn', 'v3', 'v2 since 2026-11-20 10:00Z', '@champion=v2', 'InService v2', 'SUCCEEDED 2026-12-01 07:00Z']);
  });
});
