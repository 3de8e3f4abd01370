import type { Environment } from '../../core/environment.js';
import { ExternalError, UsageError } from '../../core/errors.js';
import { aliasEnvironment, formatSyncOutcome, parseAlias, promotionActor, promotionTags, registryForRecord, sourceStackToAsk, syncAction } from '../../core/deployment/promotion.js';
import { parseSettings } from '../../core/settings/parse.js';
import type { EndpointDescription } from '../../cli/effects/sagemaker-endpoint.js';
import { sync, type SyncEffects } from '../../cli/workflows/sync.js';
import { createRecordingReporter } from '../harness/reporter.js';

describe('parseAlias', () => {
  it('accepts an alias with or without @', () => {
    expect(parseAlias('prod', '--to')).toBe('prod');
    expect(parseAlias(' @staging_2 ', '--to')).toBe('staging_2');
  });

  it.each([
    ['', '--to is required'],
    ['@', '--to is required'],
    ['3', '--to="3" is not an MLflow alias'],
    ['pro d', '--to="pro d" is not an MLflow alias'],
    ['latest', 'MLflow reserves "latest" and "v<N>"'],
    ['@V2', 'MLflow reserves "latest" and "v<N>"'],
  ])('refuses %j naming the flag and the rule', (text, message) => {
    expect(() => parseAlias(text, '--to')).toThrow(UsageError);
    expect(() => parseAlias(text, '--to')).toThrow(message);
  });
});

describe('sourceStackToAsk: whose MLflow server stack holds the source registry', () => {
  const ask = (overrides: Partial<Parameters<typeof sourceStackToAsk>[0]> = {}) =>
    sourceStackToAsk({ fromAlias: 'dev', envName: 'prod', targetFromStack: true, sourceGiven: false, ...overrides });

  it.each([
    ['the environment the alias is named after, when the target is the stack\'s server', {}, 'dev'],
    ['none when from_uri= names the source', { sourceGiven: true }, undefined],
    ['none when MLFLOW_TRACKING_URI or tracking_uri named the target: the same server unless from_uri=', { targetFromStack: false }, undefined],
    ['none when the alias is this environment\'s own', { fromAlias: 'prod' }, undefined],
    ['none when the alias cannot be an environment name (longer than 8, upper case, _)', { fromAlias: 'champion_v2' }, undefined],
  ])('%s', (_, overrides, expected) => {
    expect(ask(overrides)).toBe(expected);
  });

  it('takes an alias as an environment only where TF_VAR_env_name would accept it', () => {
    expect(aliasEnvironment('staging')).toBe('staging');
    expect(aliasEnvironment('Prod')).toBeUndefined();
    expect(aliasEnvironment('production')).toBeUndefined();
  });
});

describe('syncAction', () => {
  const serving = (version: string | undefined, status = 'InService') => ({ status, version });

  it('never touches a project without the alias, whatever its endpoint', () => {
    expect(syncAction('prod', undefined, serving('3'))).toEqual({ kind: 'skip', reason: 'no alias @prod' });
    expect(syncAction('prod', undefined, undefined)).toEqual({ kind: 'skip', reason: 'no alias @prod' });
  });

  it('leaves an endpoint that serves the alias version', () => {
    expect(syncAction('prod', '3', serving('3'))).toEqual({ kind: 'unchanged', version: '3' });
  });

  it.each([
    ['no endpoint', undefined, undefined],
    ['another version', serving('2'), '2'],
    ['an endpoint without the version tag', serving(undefined), undefined],
    ['a Failed endpoint of the same version', serving('3', 'Failed'), '3'],
  ])('rolls out over %s', (_, endpoint, previousVersion) => {
    expect(syncAction('prod', '3', endpoint)).toEqual({ kind: 'roll-out', version: '3', previousVersion });
  });

  it.each(['Creating', 'Updating', 'RollingBack'])('leaves a %s endpoint for the next round', (status) => {
    expect(syncAction('prod', '3', serving('2', status))).toMatchObject({ kind: 'skip', reason: expect.stringContaining(`is ${status}`) });
  });
});

describe('promotion records', () => {
  const at = new Date('2026-12-01T10:00:00Z');

  it('tags who, when, from which alias, version, endpoint and registry, under the target alias', () => {
    expect(
      promotionTags({ toAlias: 'prod', fromAlias: 'dev', sourceVersion: '4', sourceEndpoint: 'acme-dev-churn', sourceRegistry: 'https://mlflow.dev', replacedVersion: '3', by: 'alice', at }),
    ).toEqual({
      'mlops.promotion.prod.from_alias': 'dev',
      'mlops.promotion.prod.source_version': '4',
      'mlops.promotion.prod.promoted_by': 'alice',
      'mlops.promotion.prod.promoted_at': '2026-12-01T10:00:00.000Z',
      'mlops.promotion.prod.source_registry': 'https://mlflow.dev',
      'mlops.promotion.prod.source_endpoint': 'acme-dev-churn',
      'mlops.promotion.prod.replaced_version': '3',
    });
    expect(Object.keys(promotionTags({ toAlias: 'prod', fromAlias: 'dev', sourceVersion: '4', by: 'alice', at })).sort()).toEqual([
      'mlops.promotion.prod.from_alias',
      'mlops.promotion.prod.promoted_at',
      'mlops.promotion.prod.promoted_by',
      'mlops.promotion.prod.source_version',
    ]);
  });

  it('names the GitHub actor and run in Actions, the login name elsewhere, MLOPS_ACTOR over both', () => {
    const actions = { GITHUB_ACTIONS: 'true', GITHUB_ACTOR: 'bob', GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/ml', GITHUB_RUN_ID: '42', USER: 'runner' };
    expect(promotionActor(actions)).toEqual({ by: 'github:bob', via: 'https://github.com/acme/ml/actions/runs/42' });
    expect(promotionActor({ USER: 'carol' })).toEqual({ by: 'carol', via: undefined });
    expect(promotionActor({ ...actions, MLOPS_ACTOR: 'release-bot' }).by).toBe('release-bot');
  });

  it('never records the credentials of a tracking URI', () => {
    expect(registryForRecord('https://user:secret@mlflow.internal:5000/')).toBe('https://mlflow.internal:5000');
  });
});

describe('sync over injected effects', () => {
  const environment: Environment = { stateBucket: 'acme-state', region: 'eu-west-1', project: 'acme', envName: 'prod' };
  const config = { environment, settings: parseSettings('{}', 'settings.json') };
  const endpoint = (name: string, version: string, status = 'InService'): EndpointDescription => ({ name, arn: `arn:${name}`, status, configName: `${name}-v${version}`, tags: { 'model-version': version } });

  function effects(overrides: Partial<SyncEffects> = {}): SyncEffects & { deployed: string[] } {
    const deployed: string[] = [];
    const aliases: Record<string, Record<string, string>> = { churn: { prod: '4', dev: '5' }, fraud: { prod: '2' }, draft: { dev: '1' }, broken: { prod: '1' } };
    const endpoints: Record<string, EndpointDescription> = { 'acme-prod-churn': endpoint('acme-prod-churn', '3'), 'acme-prod-fraud': endpoint('acme-prod-fraud', '2') };
    return {
      deployed,
      reporter: createRecordingReporter(),
      projects: () => ['broken', 'churn', 'draft', 'fraud'],
      trackingUri: async () => 'http://mlflow.internal:5000',
      aliasVersion: async (_uri, project, alias) => aliases[project]?.[alias],
      endpoint: async (name) => endpoints[name],
      async deploy(project, version) {
        if (project === 'broken') throw new ExternalError('the rollout of version 1 was rolled back');
        deployed.push(`${project}:${version}`);
      },
      ...overrides,
    };
  }

  it("rolls out, leaves, skips and reports failures per project, following the environment's alias", async () => {
    const fake = effects();
    const outcomes = await sync(fake, config, {});
    expect(fake.deployed).toEqual(['churn:4']);
    expect(outcomes).toEqual([
      { project: 'broken', result: 'failed', detail: 'the rollout of version 1 was rolled back' },
      { project: 'churn', result: 'rolled out', version: '4', previousVersion: '3' },
      { project: 'draft', result: 'skipped', detail: 'no alias @prod' },
      { project: 'fraud', result: 'unchanged', version: '2' },
    ]);
    expect(outcomes.map((outcome) => formatSyncOutcome(outcome, 6))).toEqual([
      'broken  failed      the rollout of version 1 was rolled back',
      'churn   rolled out  version 4 (was 3)',
      'draft   skipped     no alias @prod',
      'fraud   unchanged   version 2',
    ]);
  });

  it('follows --alias instead of the environment name, and refuses a bad one before any lookup', async () => {
    const fake = effects();
    const outcomes = await sync(fake, config, { alias: '@dev' });
    expect(fake.deployed).toEqual(['churn:5', 'draft:1']);
    expect(outcomes.find((outcome) => outcome.project === 'fraud')).toEqual({ project: 'fraud', result: 'skipped', detail: 'no alias @dev' });
    let asked = false;
    await expect(sync(effects({ projects: () => ((asked = true), []) }), config, { alias: 'latest' })).rejects.toThrow(UsageError);
    expect(asked).toBe(false);
  });

  it('a bug in one project is not hidden as a failed line', async () => {
    await expect(sync(effects({ endpoint: async () => { throw new TypeError('x is undefined'); } }), config, {})).rejects.toThrow(TypeError);
  });
});
