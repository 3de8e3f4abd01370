import { S3Backend, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
import type { Construct } from 'constructs';
import { ResourceNamer } from '../../core/naming.js';
import { PermissionsBoundary } from './permissions-boundary.js';
import type { StackConfig } from './config.js';

/**
 * @cdktf/provider-aws 21.22.1 is generated from hashicorp/aws 6.25.0 and pins exactly that. Any later
 * 6.x accepts the same configuration, so the stacks accept 6.25.0 up to the next major; the lock
 * file Terraform writes records the exact provider a state was made with.
 */
export const AWS_PROVIDER_CONSTRAINT = '>= 6.25.0, < 7.0.0';

export interface MlopsStackProps extends StackConfig {
  /** The key of this stack's Terraform state in the state bucket. */
  readonly stateKey: string;
  /** What the stack is, for the `stack` default tag (`mlflow-server`, `training/x`, …). */
  readonly stackTag: string;
}

/**
 * The base of every stack: the AWS provider with default tags, an S3 backend with its own key,
 * encryption and S3-native locking (`use_lockfile`, which cdktf 0.21's S3Backend has no prop for),
 * and the environment's permissions boundary on every IAM role.
 */
export class MlopsStack extends TerraformStack {
  readonly namer: ResourceNamer;
  readonly config: StackConfig;

  constructor(scope: Construct, id: string, props: MlopsStackProps) {
    super(scope, id);
    const { environment } = props;
    this.config = { environment: props.environment, settings: props.settings };
    this.namer = ResourceNamer.forEnvironment(environment.project, environment.envName);

    new AwsProvider(this, 'aws', {
      region: environment.region,
      defaultTags: [
        {
          tags: {
            project: environment.project,
            environment: environment.envName,
            stack: props.stackTag,
            'managed-by': 'lean-mlops',
          },
        },
      ],
    });
    new S3Backend(this, {
      bucket: environment.stateBucket,
      key: props.stateKey,
      region: environment.region,
      encrypt: true,
    });
    this.addOverride('terraform.backend.s3.use_lockfile', true);
    this.addOverride('terraform.required_providers.aws.version', AWS_PROVIDER_CONSTRAINT);
    new PermissionsBoundary(this, 'permissions-boundary', { project: environment.project, envName: environment.envName });
  }
}
