import { UsageError, violationsMessage } from './errors.js';
import { environmentPartViolations } from './naming.js';

/** Where the AWS steps run, from the same TF_VAR_* variables the Terraform stacks read. */
export interface Environment {
  readonly stateBucket: string;
  readonly region: string;
  readonly project: string;
  readonly envName: string;
}

const ENVIRONMENT_VARIABLES = {
  TF_VAR_state_bucket_name: 'the S3 bucket that holds every stack\'s Terraform state',
  TF_VAR_region: 'the AWS region, e.g. eu-west-1',
  TF_VAR_project: 'the project name that prefixes every resource, e.g. acme',
  TF_VAR_env_name: 'the environment name, e.g. dev, staging or prod',
} as const;

const REGION_PATTERN = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;
const BUCKET_PATTERN = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** The longest prefix (`<project>-<env>-`) that leaves room for the longest ML project name in a 32-character load-balancer name. */
export const MAX_PROJECT_LENGTH = 16;
export const MAX_ENV_NAME_LENGTH = 8;

/** Checks the TF_VAR_* variables; reports every missing or invalid variable at once. */
export function parseEnvironment(env: Readonly<Record<string, string | undefined>>): Environment {
  const violations: string[] = [];
  for (const [name, meaning] of Object.entries(ENVIRONMENT_VARIABLES)) {
    if (!env[name]) violations.push(`${name} is not set: ${meaning}`);
  }
  const stateBucket = env.TF_VAR_state_bucket_name ?? '';
  const region = env.TF_VAR_region ?? '';
  const project = env.TF_VAR_project ?? '';
  const envName = env.TF_VAR_env_name ?? '';
  if (stateBucket && !BUCKET_PATTERN.test(stateBucket)) {
    violations.push(`TF_VAR_state_bucket_name="${stateBucket}" is not a valid S3 bucket name (3–63 lower-case letters, digits, dots, hyphens)`);
  }
  if (region && !REGION_PATTERN.test(region)) violations.push(`TF_VAR_region="${region}" is not an AWS region name such as eu-west-1`);
  if (project) {
    for (const violation of environmentPartViolations(project, MAX_PROJECT_LENGTH)) violations.push(`TF_VAR_project="${project}" ${violation}`);
  }
  if (envName) {
    for (const violation of environmentPartViolations(envName, MAX_ENV_NAME_LENGTH)) violations.push(`TF_VAR_env_name="${envName}" ${violation}`);
  }
  if (violations.length > 0) throw new UsageError(violationsMessage('The AWS environment is not usable', violations));
  return { stateBucket, region, project, envName };
}

/** The TF_VAR_* variables of an environment: what parseEnvironment reads back. */
export function environmentVariables({ stateBucket, region, project, envName }: Environment): Record<keyof typeof ENVIRONMENT_VARIABLES, string> {
  return { TF_VAR_state_bucket_name: stateBucket, TF_VAR_region: region, TF_VAR_project: project, TF_VAR_env_name: envName };
}
