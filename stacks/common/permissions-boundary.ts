import { Aspects, type IAspect } from 'cdktf';
import { Construct, type IConstruct } from 'constructs';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity/index.js';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition/index.js';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';

/**
 * The managed policy created once per account and environment from policies/stack-roles-boundary.json
 * (README, one-time setup). It lives under its own path, outside the `<project>-<env>-` names the
 * GitHub Actions role may write, and that role may create or change a role only with it attached.
 */
export const permissionsBoundaryPolicyName = (project: string, envName: string) => `mlops-boundary/${project}-${envName}`;

export interface PermissionsBoundaryProps {
  readonly project: string;
  readonly envName: string;
}

/** Sets the environment's permissions boundary on every IAM role of the stack, whichever construct made it. */
export class PermissionsBoundary extends Construct implements IAspect {
  readonly policyArn: string;

  constructor(scope: Construct, id: string, props: PermissionsBoundaryProps) {
    super(scope, id);
    const partition = new DataAwsPartition(this, 'partition').partition;
    const accountId = new DataAwsCallerIdentity(this, 'account').accountId;
    this.policyArn = `arn:${partition}:iam::${accountId}:policy/${permissionsBoundaryPolicyName(props.project, props.envName)}`;
    Aspects.of(scope).add(this);
  }

  visit(node: IConstruct): void {
    if (node instanceof IamRole) node.permissionsBoundary = this.policyArn;
  }
}
