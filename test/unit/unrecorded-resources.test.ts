import { describe, expect, it } from '@jest/globals';
import { unrecordedResources, UnrecordedResourcesError } from '../../core/unrecorded-resources.js';
import type { PlanSummary, TerraformRunner } from '../../cli/effects/terraform.js';
import { applyAdopting } from '../../cli/stack-lifecycle.js';
import { createRecordingReporter } from '../harness/reporter.js';

/** What the AWS provider prints (no colour) when a killed run left a role and a repository behind, and a security group. */
const APPLY_ERRORS = `
aws_iam_role.execution-role_role_5E1C6B2A: Creating...

Error: creating IAM Role (acme-dev-wine-train-exec): operation error IAM: CreateRole, https response error StatusCode: 409, RequestID: 1, EntityAlreadyExists: Role with name acme-dev-wine-train-exec already exists.

  with aws_iam_role.execution-role_role_5E1C6B2A,
  on cdk.tf.json line 120, in resource "aws_iam_role" "execution-role_role_5E1C6B2A":
 120:       }

Error: creating ECR Repository (acme-dev-wine-training): operation error ECR: CreateRepository, https response error StatusCode: 400, RequestID: 2, RepositoryAlreadyExistsException: The repository with name 'acme-dev-wine-training' already exists in the registry with id '123456789012'

  with aws_ecr_repository.images_repository_0F6D7A11,
  on cdk.tf.json line 80, in resource "aws_ecr_repository" "images_repository_0F6D7A11":
  80:       }
`;
const SECURITY_GROUP_ERROR = `
Error: creating Security Group (acme-dev-wine-training-jobs): operation error EC2: CreateSecurityGroup, https response error StatusCode: 400, RequestID: 3, api error InvalidGroup.Duplicate: The security group 'acme-dev-wine-training-jobs' already exists for VPC 'vpc-1'

  with aws_security_group.security-group_group_1C3F1E7B,
  on cdk.tf.json line 200, in resource "aws_security_group" "security-group_group_1C3F1E7B":
`;

describe('unrecordedResources', () => {
  it("reads each resource that already exists, its address and name, and whether its name is its import ID", () => {
    expect(unrecordedResources(APPLY_ERRORS + SECURITY_GROUP_ERROR)).toEqual([
      { address: 'aws_iam_role.execution-role_role_5E1C6B2A', name: 'acme-dev-wine-train-exec', adoptable: true },
      { address: 'aws_ecr_repository.images_repository_0F6D7A11', name: 'acme-dev-wine-training', adoptable: true },
      { address: 'aws_security_group.security-group_group_1C3F1E7B', name: 'acme-dev-wine-training-jobs', adoptable: false },
    ]);
  });

  it('finds nothing in other errors', () => {
    expect(unrecordedResources('Error: creating IAM Role (x): AccessDenied\n\n  with aws_iam_role.r,\n')).toEqual([]);
  });

  it('tells the operator the import command for each, in the stack folder', () => {
    const error = new UnrecordedResourcesError('/out/stacks/training-wine', unrecordedResources(SECURITY_GROUP_ERROR + APPLY_ERRORS), 'tofu', 'tofu apply failed');
    expect(error.message).toContain('tofu apply failed: 3 resources of this stack already exist in AWS but not in its state');
    expect(error.message).toContain("  (cd /out/stacks/training-wine && tofu import 'aws_iam_role.execution-role_role_5E1C6B2A' 'acme-dev-wine-train-exec')");
    expect(error.message).toContain(
      "  aws_security_group.security-group_group_1C3F1E7B (acme-dev-wine-training-jobs): its import ID is not its name; its ID is `aws ec2 describe-security-groups --filters Name=group-name,Values=acme-dev-wine-training-jobs --query 'SecurityGroups[0].GroupId' --output text`, then (cd /out/stacks/training-wine && tofu import 'aws_security_group.security-group_group_1C3F1E7B' <ID>)",
    );
  });
});

describe('applyAdopting', () => {
  const PLAN: PlanSummary = { add: 1, change: 0, destroy: 0, replace: [], updateInPlace: [], resources: [] };
  function fakeRunner(firstApplyFails: string) {
    const calls: string[] = [];
    let applies = 0;
    const runner = {
      applyPlan: async () => {
        calls.push('apply');
        applies += 1;
        if (applies === 1) throw new UnrecordedResourcesError('/s', unrecordedResources(firstApplyFails), 'tofu', 'tofu apply failed');
      },
      importResource: async (_dir: string, address: string, id: string) => void calls.push(`import ${address} ${id}`),
      plan: async (_dir: string, options?: { targets?: string[] }) => {
        calls.push(`plan ${JSON.stringify(options ?? {})}`);
        return PLAN;
      },
    } as unknown as TerraformRunner;
    return { runner, calls };
  }

  it('adopts resources whose name is their ID, plans the same again and applies', async () => {
    const { runner, calls } = fakeRunner(APPLY_ERRORS);
    const reporter = createRecordingReporter();
    await applyAdopting('/s', runner, reporter, { targets: ['aws_ecr_repository.images_repository_0F6D7A11'] });
    expect(calls).toEqual([
      'apply',
      'import aws_iam_role.execution-role_role_5E1C6B2A acme-dev-wine-train-exec',
      'import aws_ecr_repository.images_repository_0F6D7A11 acme-dev-wine-training',
      'plan {"targets":["aws_ecr_repository.images_repository_0F6D7A11"]}',
      'apply',
    ]);
    expect(reporter.lines[0]).toBe('aws_iam_role.execution-role_role_5E1C6B2A: acme-dev-wine-train-exec exists but is not in the state (a killed run made it); adopting it (import)');
  });

  it('adopts nothing when one of them needs an ID looked up, and passes the advice on', async () => {
    const { runner, calls } = fakeRunner(APPLY_ERRORS + SECURITY_GROUP_ERROR);
    await expect(applyAdopting('/s', runner, createRecordingReporter())).rejects.toThrow(/its import ID is not its name/);
    expect(calls).toEqual(['apply']);
  });
});
