import { ExternalError } from './errors.js';

/**
 * A resource an apply could not create because it already exists: a run killed mid-apply created it
 * and never recorded it in the state (or someone made it by hand).
 */
export interface UnrecordedResource {
  /** Its Terraform address in the stack (`aws_iam_role.job-role_role_1A2B3C4D`). */
  readonly address: string;
  /** The name in the provider's "creating … (NAME)" message. */
  readonly name: string;
  /** Whether `import` takes that name as the resource's ID, so the CLI can adopt it by itself. */
  readonly adoptable: boolean;
}

/**
 * Resource types whose import ID is their name (the AWS provider's import docs), so the name in the
 * error is all an import needs. Others (security groups: sg-…; Batch queues and job definitions:
 * ARNs) need an ID looked up in AWS.
 */
export const IMPORT_ID_IS_NAME: readonly string[] = [
  'aws_cloudwatch_dashboard',
  'aws_cloudwatch_log_group',
  'aws_cloudwatch_metric_alarm',
  'aws_db_instance',
  'aws_db_subnet_group',
  'aws_ecr_repository',
  'aws_iam_instance_profile',
  'aws_iam_role',
  'aws_s3_bucket',
  'aws_sagemaker_endpoint',
  'aws_sagemaker_endpoint_configuration',
  'aws_sagemaker_model',
  'aws_ssm_parameter',
];

/** How to find the import ID of a resource whose ID is not its name, where the stacks make such resources by name. */
const LOOKUPS: Record<string, (name: string) => string> = {
  aws_security_group: (name) => `its ID is \`aws ec2 describe-security-groups --filters Name=group-name,Values=${name} --query 'SecurityGroups[0].GroupId' --output text\``,
};

/** Every "already exists" error of terraform's (no-color) output, with the resource's address and name. */
export function unrecordedResources(output: string): UnrecordedResource[] {
  const found: UnrecordedResource[] = [];
  for (const block of output.split(/^[\s│]*Error: /m).slice(1)) {
    if (!/already exists|AlreadyExists/i.test(block)) continue;
    const address = /^[\s│]*with ([^\s,]+),/m.exec(block)?.[1];
    const name = /^creating [^(\n]*\(([^)\n]+)\)/.exec(block)?.[1];
    if (!address || !name) continue;
    found.push({ address, name, adoptable: IMPORT_ID_IS_NAME.includes(address.split('.')[0]) });
  }
  return found;
}

/** What to run to adopt each resource, in the stack's folder. */
export function adoptionAdvice(stackDir: string, flavor: string, resources: readonly UnrecordedResource[]): string {
  const lines = resources.map((resource) =>
    resource.adoptable
      ? `  (cd ${stackDir} && ${flavor} import '${resource.address}' '${resource.name}')`
      : `  ${resource.address} (${resource.name}): its import ID is not its name; ${LOOKUPS[resource.address.split('.')[0]]?.(resource.name) ?? `look it up in AWS (the provider's docs for ${resource.address.split('.')[0]} say which)`}, then (cd ${stackDir} && ${flavor} import '${resource.address}' <ID>)`,
  );
  return [
    `${resources.length === 1 ? 'a resource' : `${resources.length} resources`} of this stack already exist in AWS but not in its state (a killed run created them, or someone did by hand): ${resources.map((resource) => resource.name).join(', ')}.`,
    'Adopt them into the state, then run the step again:',
    ...lines,
    'Or delete them in AWS if they are not wanted, and run the step again.',
  ].join('\n');
}

/** An apply failed on resources that exist but are not in the state; the message says how to adopt them. */
export class UnrecordedResourcesError extends ExternalError {
  constructor(
    readonly stackDir: string,
    readonly resources: readonly UnrecordedResource[],
    flavor: string,
    prefix: string,
  ) {
    super(`${prefix}: ${adoptionAdvice(stackDir, flavor, resources)}`);
    this.name = 'UnrecordedResourcesError';
  }
}
