import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describePlan, emulatorBridgeEnv, EMULATOR_GAPS, EMULATOR_OVERRIDE_FILE, emulatorOverrides, isAtLeast, prepareEmulator, resolveTerraformBinary, summarisePlan } from '../../cli/effects/terraform.js';

function fakeBinary(name: string, versionJson: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-fake-tf-'));
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\necho '${versionJson}'\n`);
  chmodSync(path, 0o755);
  return path;
}

describe('isAtLeast', () => {
  it.each([
    ['1.10.0', true],
    ['1.10.10', true],
    ['1.11.4', true],
    ['2.0.0', true],
    ['1.9.8', false],
    ['0.15.0', false],
    ['v1.10.1', true],
  ])('%s >= 1.10.0 is %s', (version, expected) => {
    expect(isAtLeast(version, [1, 10, 0])).toBe(expected);
  });
});

describe('resolveTerraformBinary', () => {
  it('takes MLOPS_TERRAFORM_BIN and reads its version', async () => {
    const path = fakeBinary('tofu', '{"terraform_version":"1.10.10"}');
    await expect(resolveTerraformBinary({ ...process.env, MLOPS_TERRAFORM_BIN: path })).resolves.toEqual({ path, flavor: 'tofu', version: '1.10.10' });
  });

  it('refuses a binary older than 1.10 and says what is needed', async () => {
    const path = fakeBinary('terraform', '{"terraform_version":"1.5.7"}');
    await expect(resolveTerraformBinary({ ...process.env, MLOPS_TERRAFORM_BIN: path })).rejects.toThrow(/version 1.5.7; mlops needs terraform or tofu 1.10.0 or newer/);
  });

  it('says which variable points at a binary that does not run', async () => {
    await expect(resolveTerraformBinary({ ...process.env, MLOPS_TERRAFORM_BIN: '/nonexistent/tofu' })).rejects.toThrow(/MLOPS_TERRAFORM_BIN=\/nonexistent\/tofu does not run/);
  });
});

describe('summarisePlan', () => {
  it('counts creates, in-place updates, deletes and replacements', () => {
    const summary = summarisePlan({
      resource_changes: [
        { address: 'aws_s3_bucket.a', type: 'aws_s3_bucket', change: { actions: ['create'] } },
        { address: 'aws_sagemaker_endpoint.e', type: 'aws_sagemaker_endpoint', change: { actions: ['update'] } },
        { address: 'aws_iam_role.r', type: 'aws_iam_role', change: { actions: ['delete'] } },
        { address: 'aws_sagemaker_model.m', type: 'aws_sagemaker_model', change: { actions: ['create', 'delete'] } },
        { address: 'aws_vpc.v', type: 'aws_vpc', change: { actions: ['no-op'] } },
      ],
    });
    expect(summary).toMatchObject({ add: 2, change: 1, destroy: 2, replace: ['aws_sagemaker_model.m'], updateInPlace: ['aws_sagemaker_endpoint.e'] });
    expect(summary.resources.map((resource) => [resource.type, resource.actions])).toContainEqual(['aws_sagemaker_model', ['create', 'delete']]);
    expect(describePlan(summary)).toBe('Plan: 2 to add, 1 to change, 2 to destroy. Replaced: aws_sagemaker_model.m');
  });

  it('reads an empty plan as no changes', () => {
    expect(describePlan(summarisePlan({}))).toBe('Plan: 0 to add, 0 to change, 0 to destroy.');
  });
});

describe('the emulator table of the Terraform runner', () => {
  const stackDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlops-emulator-'));
    writeFileSync(
      join(dir, 'cdk.tf.json'),
      JSON.stringify({ resource: { aws_sagemaker_endpoint: { endpoint_1: {} }, aws_s3_bucket_policy: { policy_2: {} }, aws_cloudwatch_dashboard: { d: {} } } }),
    );
    return dir;
  };

  it('writes nothing against AWS, and removes the files left from an emulator run', () => {
    const dir = stackDir();
    expect(prepareEmulator(dir, 'http://127.0.0.1:5000')).toEqual(['-backend-config=emulator.s3.tfbackend']);
    expect(existsSync(join(dir, EMULATOR_OVERRIDE_FILE))).toBe(true);
    expect(prepareEmulator(dir, undefined)).toEqual([]);
    expect(readdirSync(dir)).toEqual(['cdk.tf.json']);
  });

  it('with an emulator, overrides the provider, the backend and only the resource types the stack has', () => {
    const dir = stackDir();
    prepareEmulator(dir, 'http://127.0.0.1:5000');
    const override = JSON.parse(readFileSync(join(dir, EMULATOR_OVERRIDE_FILE), 'utf8'));
    expect(override.provider.aws).toMatchObject({ s3_use_path_style: true, skip_requesting_account_id: true, skip_credentials_validation: true });
    expect(override.resource).toEqual({
      aws_s3_bucket_policy: { policy_2: { count: 0 } },
      aws_sagemaker_endpoint: { endpoint_1: { lifecycle: { ignore_changes: ['deployment_config'] } } },
    });
    const backend = readFileSync(join(dir, 'emulator.s3.tfbackend'), 'utf8');
    expect(backend).toContain('endpoints = { s3 = "http://127.0.0.1:5000" }');
    expect(backend).toContain('use_path_style = true');
  });

  it('gives every gap its reason', () => {
    for (const gap of EMULATOR_GAPS) expect(gap.reason.length).toBeGreaterThan(20);
    expect(emulatorOverrides({}, 'http://e', [{ applies: 'aws_x', override: { count: 0 }, reason: 'r' }]).override).toEqual({ provider: { aws: {} } });
  });

  it('starts a service bridge only with an emulator, and never over an endpoint the environment names', async () => {
    const started: string[] = [];
    const gaps = [{ applies: 'service' as const, service: 'cloudwatch', reason: 'r', bridge: async (emulator: string) => (started.push(emulator), { endpoint: 'http://127.0.0.1:1', stop: async () => undefined }) }];
    expect(await emulatorBridgeEnv({}, gaps)).toEqual({});
    expect(await emulatorBridgeEnv({ AWS_ENDPOINT_URL: 'http://e', AWS_ENDPOINT_URL_CLOUDWATCH: 'http://mine' }, gaps)).toEqual({});
    expect(await emulatorBridgeEnv({ AWS_ENDPOINT_URL: 'http://e' }, gaps)).toEqual({ AWS_ENDPOINT_URL_CLOUDWATCH: 'http://127.0.0.1:1' });
    expect(started).toEqual(['http://e']);
    expect(EMULATOR_GAPS.filter((gap) => gap.applies === 'service').map((gap) => gap.applies === 'service' && gap.service)).toEqual(['cloudwatch']);
  });
});
