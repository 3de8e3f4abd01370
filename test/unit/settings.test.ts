import { parseSettings } from '../../core/settings/parse.js';
import { readEnvironment } from '../../cli/settings/load.js';
import { usageErrorMessage } from '../harness/usage-error.js';

const validEnv = {
  TF_VAR_state_bucket_name: 'acme-terraform-state',
  TF_VAR_region: 'eu-west-1',
  TF_VAR_project: 'acme',
  TF_VAR_env_name: 'dev',
};

describe('readEnvironment', () => {
  it('reads the four TF_VAR_* variables', () => {
    expect(readEnvironment(validEnv)).toEqual({ stateBucket: 'acme-terraform-state', region: 'eu-west-1', project: 'acme', envName: 'dev' });
  });

  it('names every missing variable at once, with what it is for', () => {
    const message = usageErrorMessage(() => readEnvironment({}));
    for (const name of Object.keys(validEnv)) expect(message).toContain(`${name} is not set`);
    expect(message).toContain('AWS region');
  });

  it.each([
    ['TF_VAR_region', 'europe', 'is not an AWS region name'],
    ['TF_VAR_project', 'Acme_ML', 'lower-case letters and digits, starting with a letter'],
    ['TF_VAR_project', 'averylongprojectname', 'at most 16 characters'],
    ['TF_VAR_env_name', 'dev-', 'lower-case letters and digits, starting with a letter'],
    // A hyphen would let `<project>-<env>-*` in IAM policies match another pair: acme/dev-eu, acme-dev/x.
    ['TF_VAR_project', 'acme-dev', 'no hyphen: the hyphen separates <project>-<env>-<resource>'],
    ['TF_VAR_env_name', 'dev-eu', 'no hyphen: the hyphen separates <project>-<env>-<resource>'],
    ['TF_VAR_state_bucket_name', 'UPPER', 'not a valid S3 bucket name'],
  ])('refuses %s=%s and says what is allowed', (variable, value, expected) => {
    const message = usageErrorMessage(() => readEnvironment({ ...validEnv, [variable]: value }));
    expect(message).toContain(`${variable}="${value}"`);
    expect(message).toContain(expected);
  });
});

describe('parseSettings', () => {
  it('fills every default from an empty file', () => {
    const settings = parseSettings('{}', 'settings.json');
    expect(settings.mlflow_server.db_engine).toBe('postgres');
    expect(settings.mlflow_server.vpn.enabled).toBe(true);
    expect(settings.default_resource_requirements).toEqual([
      { type: 'VCPU', value: '1' },
      { type: 'MEMORY', value: '2048' },
    ]);
    expect(settings.tracking_uri).toBeNull();
  });

  it('names the file and the unknown field', () => {
    const message = usageErrorMessage(() => parseSettings('{"mlflow_server": {"db_engnie": "postgres"}}', '/x/settings.json'));
    expect(message).toContain('/x/settings.json');
    expect(message).toContain('"db_engnie"');
    expect(message).toContain('mlflow_server');
  });

  it('lists the allowed values of an enum field', () => {
    const message = usageErrorMessage(() => parseSettings('{"mlflow_server": {"db_engine": "oracle"}}', 'settings.json'));
    expect(message).toContain('field mlflow_server.db_engine');
    expect(message).toMatch(/postgres.*mysql/);
  });

  it('refuses a minimum above the maximum', () => {
    const message = usageErrorMessage(() => parseSettings('{"mlflow_server": {"min_tasks": 3, "max_tasks": 2}}', 'settings.json'));
    expect(message).toContain('min_tasks (3) must not exceed mlflow_server.max_tasks (2)');
  });

  it('checks default resource requirements like a project file', () => {
    const message = usageErrorMessage(() => parseSettings('{"default_resource_requirements": [{"type": "VCPU", "value": "x"}]}', 'settings.json'));
    expect(message).toContain('value "x" is not a plain decimal number');
    expect(message).toContain('must set MEMORY');
  });

  it('says which file is not JSON', () => {
    expect(usageErrorMessage(() => parseSettings('{', '/y/settings.json'))).toContain('/y/settings.json is not valid JSON');
  });
});
