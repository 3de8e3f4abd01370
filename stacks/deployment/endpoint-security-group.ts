import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group/index.js';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule/index.js';
import { Construct } from 'constructs';

export interface EndpointSecurityGroupProps {
  /** `<project>-<env>-<ml-project>-serving`. */
  readonly securityGroupName: string;
  /** The VPC of the endpoint's network interfaces (the MLflow server stack's VPC). */
  readonly vpcId: string;
}

/**
 * The security group of an endpoint's network interfaces in the private subnets: nothing may connect
 * in (SageMaker reaches the container through its own channel), and only HTTPS may leave.
 */
export class EndpointSecurityGroup extends Construct {
  readonly securityGroupId: string;

  constructor(scope: Construct, id: string, props: EndpointSecurityGroupProps) {
    super(scope, id);
    const group = new SecurityGroup(this, 'security-group', {
      name: props.securityGroupName,
      description: 'SageMaker endpoint: no inbound, HTTPS outbound only',
      vpcId: props.vpcId,
      revokeRulesOnDelete: true,
    });
    new VpcSecurityGroupEgressRule(this, 'https-out', {
      securityGroupId: group.id,
      description: 'HTTPS to AWS APIs (through VPC endpoints or NAT)',
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      cidrIpv4: '0.0.0.0/0',
    });
    this.securityGroupId = group.id;
  }
}
