import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { paths } from '../../cli/paths.js';
import { TRAINING_DEFAULT_POLICY_FILE, TRAINING_POLICY_FILE, loadTrainingJobPolicy } from '../../cli/training/policy.js';
import { policyTemplateViolations, renderPolicyTemplate } from '../../core/training/policy-template.js';
import { usageErrorMessage } from '../harness/usage-error.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
const policiesDir = (files: Record<string, string>) => {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-policies-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
};
const values = { project: 'acme', env: 'dev', region: 'eu-west-1', account_id: '123456789012', partition: 'aws', ml_project: 'wine' };
const allow = (resource: string) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: resource }] });

describe('the training jobs policy', () => {
  const shipped = readFileSync(join(paths.policies(), TRAINING_DEFAULT_POLICY_FILE), 'utf8');

  it("ships a default that reaches only its own ML project's parameters and secrets, under /<project>/<env>/ml-projects/<name>/, and no S3", () => {
    expect(policyTemplateViolations(shipped)).toEqual([]);
    const policy = JSON.parse(renderPolicyTemplate(shipped, values)) as { Statement: { Sid: string; Action: string | string[]; Resource: string | string[] }[] };
    const bySid = Object.fromEntries(policy.Statement.map((statement) => [statement.Sid, statement]));
    expect(bySid.ReadOwnParameters.Resource).toEqual([
      'arn:aws:ssm:eu-west-1:123456789012:parameter/acme/dev/ml-projects/wine',
      'arn:aws:ssm:eu-west-1:123456789012:parameter/acme/dev/ml-projects/wine/*',
    ]);
    expect(bySid.ReadOwnSecrets.Resource).toBe('arn:aws:secretsmanager:eu-west-1:123456789012:secret:acme/dev/ml-projects/wine/*');
    // The MLflow server proxies artifacts (--serve-artifacts): a job logs runs and models over HTTP, with no S3 right.
    expect(JSON.stringify(policy)).not.toContain('s3:');
    expect(JSON.stringify(policy)).not.toMatch(/secretsmanager:(Put|Create|Delete)|ssm:Put/);
  });

  it("names no resource another ML project's job could share: every path ends in the ML project's own folder", () => {
    const policy = JSON.parse(renderPolicyTemplate(shipped, { ...values, ml_project: 'wine' })) as { Statement: { Resource: string | string[] }[] };
    const named = policy.Statement.flatMap((statement) => [statement.Resource].flat()).filter((resource) => resource !== '*');
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((resource) => !/\/ml-projects\/wine(\/\*)?$/.test(resource))).toEqual([]);
  });

  it('uses policies/training-jobs-policy.json when present, else the default file', () => {
    const own = allow('arn:${partition}:s3:::team-data/*');
    expect(loadTrainingJobPolicy(policiesDir({ [TRAINING_DEFAULT_POLICY_FILE]: shipped, [TRAINING_POLICY_FILE]: own }))).toMatchObject({ template: own });
    const fallback = loadTrainingJobPolicy(policiesDir({ [TRAINING_DEFAULT_POLICY_FILE]: shipped }));
    expect(fallback.source).toContain(TRAINING_DEFAULT_POLICY_FILE);
  });

  it('refuses a policy file with an unknown placeholder and a bad Effect at once, naming the file', () => {
    const broken = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Maybe', Action: 's3:*', Resource: 'arn:aws:s3:::${bucket}/*' }] });
    const dir = policiesDir({ [TRAINING_POLICY_FILE]: broken });
    const message = usageErrorMessage(() => loadTrainingJobPolicy(dir));
    expect(message).toContain(join(dir, TRAINING_POLICY_FILE));
    expect(message).toContain('Effect must be "Allow" or "Deny"');
    expect(message).toContain('unknown placeholder ${bucket}');
  });

  it.each([
    ['not JSON', '{', 'is not valid JSON'],
    ['no statements', JSON.stringify({ Version: '2012-10-17', Statement: [] }), 'at least one statement'],
    ['a Principal', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: '*' }] }), 'no Principal'],
  ])('refuses a template that is %s', (_label, text, fragment) => {
    expect(policyTemplateViolations(text).join('\n')).toContain(fragment);
  });

  it("keeps IAM's own variables for IAM, escaped from Terraform's interpolation", () => {
    const rendered = renderPolicyTemplate(allow('arn:${partition}:s3:::${project}-${env}-home/${aws:username}/*'), values);
    expect(JSON.parse(rendered).Statement[0].Resource).toBe('arn:aws:s3:::acme-dev-home/$${aws:username}/*');
  });
});
