import { Construct } from 'constructs';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group/index.js';
import { throwIfViolations } from '../../core/errors.js';

export interface EgressOnlySecurityGroupProps {
  readonly name: string;
  readonly vpcId: string;
  /** @default 'Egress only: training jobs accept no connections' */
  readonly description?: string;
}

/**
 * A security group that lets nothing in and everything out (image pull, MLflow, S3). `ingress = []`
 * is declared, so a rule added by hand is removed on the next apply.
 */
export class EgressOnlySecurityGroup extends Construct {
  readonly securityGroupId: string;

  constructor(scope: Construct, id: string, props: EgressOnlySecurityGroupProps) {
    super(scope, id);
    const description = props.description ?? 'Egress only: training jobs accept no connections';
    throwIfViolations('EgressOnlySecurityGroup', props.name.length > 255 ? [`name "${props.name}": at most 255 characters`] : []);
    const group = new SecurityGroup(this, 'group', {
      name: props.name,
      description,
      vpcId: props.vpcId,
      ingress: [],
      egress: [
        {
          description: 'All outbound traffic',
          protocol: '-1',
          fromPort: 0,
          toPort: 0,
          cidrBlocks: ['0.0.0.0/0'],
          ipv6CidrBlocks: [],
          prefixListIds: [],
          securityGroups: [],
          selfAttribute: false,
        },
      ],
      revokeRulesOnDelete: true,
    });
    this.securityGroupId = group.id;
  }
}
