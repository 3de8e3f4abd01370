import { EcrLifecyclePolicy } from '@cdktf/provider-aws/lib/ecr-lifecycle-policy/index.js';
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository/index.js';
import { Construct } from 'constructs';

export interface ServingImageRepositoryProps {
  /** `<project>-<env>-<ml-project>-serving`. */
  readonly repositoryName: string;
  /**
   * Images kept; older ones expire.
   * @default 10
   */
  readonly keepImages?: number;
  /**
   * Delete the repository with its images when the deployment is removed (`-rm` leaves nothing).
   * @default true
   */
  readonly forceDelete?: boolean;
}

/**
 * The ECR repository of a project's serving images. Tags are immutable: a tag is the model version
 * plus a content hash, so a pushed tag never changes meaning; images are scanned on push.
 */
export class ServingImageRepository extends Construct {
  readonly repository: EcrRepository;
  readonly repositoryName: string;
  readonly repositoryArn: string;
  readonly repositoryUrl: string;

  constructor(scope: Construct, id: string, props: ServingImageRepositoryProps) {
    super(scope, id);
    const keepImages = props.keepImages ?? 10;
    const forceDelete = props.forceDelete ?? true;
    if (!Number.isInteger(keepImages) || keepImages < 1) {
      throw new Error(`ServingImageRepository: keepImages ${keepImages} must be a whole number of at least 1`);
    }

    this.repository = new EcrRepository(this, 'repository', {
      name: props.repositoryName,
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: [{ encryptionType: 'AES256' }],
      forceDelete,
    });
    new EcrLifecyclePolicy(this, 'lifecycle', {
      repository: this.repository.name,
      policy: JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            description: `Keep the ${keepImages} newest serving images`,
            selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: keepImages },
            action: { type: 'expire' },
          },
        ],
      }),
    });
    this.repositoryName = this.repository.name;
    this.repositoryArn = this.repository.arn;
    this.repositoryUrl = this.repository.repositoryUrl;
  }
}
