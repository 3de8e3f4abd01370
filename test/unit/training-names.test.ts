import { describe, expect, it } from '@jest/globals';
import { MAX_ENV_NAME_LENGTH, MAX_PROJECT_LENGTH } from '../../core/environment.js';
import { MAX_ML_PROJECT_NAME_LENGTH } from '../../core/ml-project.js';
import { AWS_NAME_LIMITS, NameTooLongError, ResourceNamer } from '../../core/naming.js';
import { trainingResourceNames } from '../../core/training/names.js';

const longest = (length: number, letter: string) => letter.repeat(length);

describe('training resource names', () => {
  it('fit every AWS limit for the longest project, environment and ML project names allowed', () => {
    const namer = ResourceNamer.forEnvironment(longest(MAX_PROJECT_LENGTH, 'p'), longest(MAX_ENV_NAME_LENGTH, 'e')).child(longest(MAX_ML_PROJECT_NAME_LENGTH, 'm'));
    const names = trainingResourceNames(namer);
    expect(names.executionRole.length).toBeLessThanOrEqual(AWS_NAME_LIMITS.iamRole);
    expect(names.instanceRole.length).toBeLessThanOrEqual(AWS_NAME_LIMITS.iamRole);
    expect(names.computeEnvironmentPrefix.length + '-fargate-spot'.length).toBeLessThanOrEqual(AWS_NAME_LIMITS.batch);
  });

  it('are prefixed <project>-<env>-<ml-project>, so two projects never share one', () => {
    const names = (mlProject: string) => Object.values(trainingResourceNames(ResourceNamer.forEnvironment('acme', 'dev').child(mlProject)));
    expect(names('wine').every((name) => name.includes('acme-dev-wine-'))).toBe(true);
    const other = new Set(names('wine-v2'));
    expect(names('wine').filter((name) => other.has(name))).toEqual([]);
  });

  it('refuses an IAM role name over 64 characters when the prefix is longer than the CLI allows', () => {
    const namer = ResourceNamer.forEnvironment(longest(30, 'p'), longest(MAX_ENV_NAME_LENGTH, 'e')).child(longest(MAX_ML_PROJECT_NAME_LENGTH, 'm'));
    expect(() => trainingResourceNames(namer)).toThrow(NameTooLongError);
  });
});
