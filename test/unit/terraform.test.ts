import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describePlan, isAtLeast, resolveTerraformBinary, summarisePlan } from '../../cli/effects/terraform.js';

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
        { address: 'aws_s3_bucket.a', change: { actions: ['create'] } },
        { address: 'aws_sagemaker_endpoint.e', change: { actions: ['update'] } },
        { address: 'aws_iam_role.r', change: { actions: ['delete'] } },
        { address: 'aws_sagemaker_model.m', change: { actions: ['create', 'delete'] } },
        { address: 'aws_vpc.v', change: { actions: ['no-op'] } },
      ],
    });
    expect(summary).toEqual({ add: 2, change: 1, destroy: 2, replace: ['aws_sagemaker_model.m'], updateInPlace: ['aws_sagemaker_endpoint.e'] });
    expect(describePlan(summary)).toBe('Plan: 2 to add, 1 to change, 2 to destroy. Replaced: aws_sagemaker_model.m');
  });

  it('reads an empty plan as no changes', () => {
    expect(describePlan(summarisePlan({}))).toBe('Plan: 0 to add, 0 to change, 0 to destroy.');
  });
});
