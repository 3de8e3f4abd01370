import { NameTooLongError, ResourceNamer, environmentPartViolations, namePartViolations } from '../../core/naming.js';

describe('ResourceNamer', () => {
  it('prefixes names with project and environment', () => {
    expect(ResourceNamer.forEnvironment('acme', 'dev').name('s3Bucket', 'artifacts')).toBe('acme-dev-artifacts');
  });

  it('adds the ML project to the prefix of a child namer', () => {
    expect(ResourceNamer.forEnvironment('acme', 'dev').child('churn').name('batch', 'queue')).toBe('acme-dev-churn-queue');
  });

  it('refuses a load balancer name over 32 characters and names the limit', () => {
    const namer = ResourceNamer.forEnvironment('acme-machine-learn', 'staging');
    expect(() => namer.name('loadBalancer', 'mlflow-internal')).toThrow(NameTooLongError);
    expect(() => namer.name('loadBalancer', 'mlflow-internal')).toThrow(/is 42 characters; AWS allows 32/);
  });
});

describe('namePartViolations', () => {
  it.each([
    ['churn-model', 20, []],
    ['Churn', 20, ['must be lower-case letters, digits and single hyphens, starting with a letter and not ending with a hyphen']],
    ['a--b', 20, ['must be lower-case letters, digits and single hyphens, starting with a letter and not ending with a hyphen']],
    ['1model', 20, ['must be lower-case letters, digits and single hyphens, starting with a letter and not ending with a hyphen']],
    ['abcdefghij', 5, ['must be at most 5 characters (is 10)']],
  ])('"%s" (max %d) → %j', (value, max, expected) => {
    expect(namePartViolations(value, max)).toEqual(expected);
  });
});

describe('environmentPartViolations (TF_VAR_project and TF_VAR_env_name)', () => {
  const rule = 'must be lower-case letters and digits, starting with a letter, and no hyphen: the hyphen separates <project>-<env>-<resource>';
  it.each([
    ['acme', 16, []],
    ['prod2', 8, []],
    // With a hyphen, a policy's `acme-dev-*` would also match project acme-dev, or environment dev-eu of acme.
    ['acme-dev', 16, [rule]],
    ['dev-eu', 8, [rule]],
    ['Dev', 8, [rule]],
    ['2dev', 8, [rule]],
    ['abcdefghij', 8, ['must be at most 8 characters (is 10)']],
  ])('"%s" (max %d) → %j', (value, max, expected) => {
    expect(environmentPartViolations(value, max)).toEqual(expected);
  });
});
