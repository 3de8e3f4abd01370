import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError, violationsMessage } from '../../core/errors.js';
import { paths } from '../paths.js';
import { policyTemplateViolations } from '../../core/training/policy-template.js';

/** A team's own policy for the training jobs' role; when absent, the default file next to it is used. */
export const TRAINING_POLICY_FILE = 'training-jobs-policy.json';
export const TRAINING_DEFAULT_POLICY_FILE = 'training-jobs-policy.default.json';

export interface JobPolicy {
  readonly template: string;
  readonly source: string;
}

/**
 * Reads `policies/training-jobs-policy.json` if present, else `policies/training-jobs-policy.default.json`,
 * and checks it (JSON, IAM shape, known placeholders) before anything is built or applied.
 */
export function loadTrainingJobPolicy(dir: string = paths.policies()): JobPolicy {
  const own = join(dir, TRAINING_POLICY_FILE);
  const source = existsSync(own) ? own : join(dir, TRAINING_DEFAULT_POLICY_FILE);
  if (!existsSync(source)) {
    throw new UsageError(`neither ${own} nor ${source} exists: the training jobs' role needs a policy file`);
  }
  const template = readFileSync(source, 'utf8');
  const violations = policyTemplateViolations(template);
  if (violations.length > 0) throw new UsageError(violationsMessage(`${source} is not a usable policy for the training jobs' role`, violations));
  return { template, source };
}
