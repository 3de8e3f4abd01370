import { Construct } from 'constructs';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy/index.js';
import { throwIfViolations } from '../../core/errors.js';
import { assumeRolePolicy } from './assume-role-policy.js';
import { policyTemplateViolations, renderPolicyTemplate, type PolicyPlaceholder } from '../../core/training/policy-template.js';

export interface JobRoleProps {
  readonly name: string;
  /** The policy document with placeholders (policies/training-jobs-policy.json, or the default file). */
  readonly policyTemplate: string;
  /** Where the template came from, for error messages. */
  readonly policySource: string;
  /** Values of `${project}`, `${env}`, `${region}`, `${account_id}`, `${partition}`, `${ml_project}`. */
  readonly placeholders: Record<PolicyPlaceholder, string>;
}

/** The role the training code runs with: what the policy file grants, nothing more. */
export class JobRole extends Construct {
  readonly roleArn: string;

  constructor(scope: Construct, id: string, props: JobRoleProps) {
    super(scope, id);
    const violations = policyTemplateViolations(props.policyTemplate).map((violation) => `policyTemplate (${props.policySource}) ${violation}`);
    if (props.name.length > 64) violations.push(`name "${props.name}": IAM role names are at most 64 characters`);
    throwIfViolations('JobRole', violations);
    const role = new IamRole(this, 'role', {
      name: props.name,
      description: 'Training code of one project runs with this role',
      assumeRolePolicy: assumeRolePolicy('ecs-tasks.amazonaws.com'),
    });
    new IamRolePolicy(this, 'policy', {
      name: 'training-job',
      role: role.id,
      policy: renderPolicyTemplate(props.policyTemplate, props.placeholders),
    });
    this.roleArn = role.arn;
  }
}
