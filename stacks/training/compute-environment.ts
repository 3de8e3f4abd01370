import { Construct } from 'constructs';
import { BatchComputeEnvironment } from '@cdktf/provider-aws/lib/batch-compute-environment/index.js';
import { IamInstanceProfile } from '@cdktf/provider-aws/lib/iam-instance-profile/index.js';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment/index.js';
import type { BatchPlacement } from '../../core/training/placement.js';
import { throwIfViolations } from '../../core/errors.js';
import { assumeRolePolicy } from './assume-role-policy.js';

export interface ComputeEnvironmentProps {
  /** The compute environment name; the placement kind is appended (`-fargate`, `-fargate-spot`, `-gpu`). */
  readonly namePrefix: string;
  /** IAM role Batch uses to manage the environment. */
  readonly serviceRoleName: string;
  /** IAM role (and instance profile) of the EC2 GPU instances; used only for GPU placements. */
  readonly instanceRoleName: string;
  /** Fargate (Spot) for CPU-only jobs, EC2 GPU instances from the ECS GPU AMI otherwise. */
  readonly placement: BatchPlacement;
  readonly subnetIds: string[];
  readonly securityGroupIds: string[];
  /**
   * The most vCPUs the environment runs at once (it scales to zero when idle).
   * @default 16
   */
  readonly maxVcpus?: number;
  /** @default 'aws' */
  readonly partition?: string;
}

/** The environment name for a placement: a kind change gets a new name, so the replacement is created before the old one goes. */
export function computeEnvironmentKind(placement: BatchPlacement): 'fargate' | 'fargate-spot' | 'gpu' {
  if (placement.kind === 'ec2-gpu') return 'gpu';
  return placement.spot ? 'fargate-spot' : 'fargate';
}

/**
 * A managed AWS Batch compute environment for one project's jobs, with its service role; for GPU
 * placements also the instance role and profile, GPU instance families and the ECS GPU AMI.
 */
export class ComputeEnvironment extends Construct {
  readonly computeEnvironmentArn: string;
  readonly computeEnvironmentName: string;

  constructor(scope: Construct, id: string, props: ComputeEnvironmentProps) {
    super(scope, id);
    const maxVcpus = props.maxVcpus ?? 16;
    const partition = props.partition ?? 'aws';
    const { placement } = props;
    const name = `${props.namePrefix}-${computeEnvironmentKind(placement)}`;
    const violations: string[] = [];
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]{1,126}[A-Za-z0-9]$/.test(name)) violations.push(`namePrefix "${props.namePrefix}": "${name}" must be 3–128 letters, digits, - and _`);
    if (!Number.isInteger(maxVcpus) || maxVcpus < 1) violations.push(`maxVcpus ${maxVcpus}: a whole number of at least 1`);
    else if (maxVcpus < placement.vcpus) violations.push(`maxVcpus ${maxVcpus}: less than the ${placement.vcpus} vCPUs one job asks for`);
    if (placement.kind === 'ec2-gpu' && placement.instanceTypes.length === 0) violations.push('placement.instanceTypes: at least one GPU instance family');
    for (const [prop, value] of [['serviceRoleName', props.serviceRoleName], ['instanceRoleName', props.instanceRoleName]] as const) {
      if (value.length > 64) violations.push(`${prop} "${value}": IAM role names are at most 64 characters`);
    }
    throwIfViolations('ComputeEnvironment', violations);

    const serviceRole = new IamRole(this, 'service-role', {
      name: props.serviceRoleName,
      description: `AWS Batch manages ${name} with this role`,
      assumeRolePolicy: assumeRolePolicy('batch.amazonaws.com'),
    });
    const serviceRolePolicy = new IamRolePolicyAttachment(this, 'service-role-policy', {
      role: serviceRole.name,
      policyArn: `arn:${partition}:iam::aws:policy/service-role/AWSBatchServiceRole`,
    });

    let computeResources;
    if (placement.kind === 'ec2-gpu') {
      const instanceRole = new IamRole(this, 'instance-role', {
        name: props.instanceRoleName,
        description: `GPU instances of ${name} join ECS with this role`,
        assumeRolePolicy: assumeRolePolicy('ec2.amazonaws.com'),
      });
      new IamRolePolicyAttachment(this, 'instance-role-policy', {
        role: instanceRole.name,
        policyArn: `arn:${partition}:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role`,
      });
      const profile = new IamInstanceProfile(this, 'instance-profile', { name: props.instanceRoleName, role: instanceRole.name });
      computeResources = {
        type: 'EC2',
        allocationStrategy: 'BEST_FIT_PROGRESSIVE',
        instanceType: [...placement.instanceTypes],
        minVcpus: 0,
        maxVcpus,
        instanceRole: profile.arn,
        ec2Configuration: [{ imageType: placement.imageType }],
        subnets: props.subnetIds,
        securityGroupIds: props.securityGroupIds,
      };
    } else {
      computeResources = {
        type: placement.spot ? 'FARGATE_SPOT' : 'FARGATE',
        maxVcpus,
        subnets: props.subnetIds,
        securityGroupIds: props.securityGroupIds,
      };
    }

    const environment = new BatchComputeEnvironment(this, 'environment', {
      name,
      type: 'MANAGED',
      state: 'ENABLED',
      serviceRole: serviceRole.arn,
      computeResources,
      dependsOn: [serviceRolePolicy],
      lifecycle: { createBeforeDestroy: true },
    });
    this.computeEnvironmentArn = environment.arn;
    this.computeEnvironmentName = environment.name;
  }
}
