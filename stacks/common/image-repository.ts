import { Construct } from 'constructs';
import { EcrLifecyclePolicy } from '@cdktf/provider-aws/lib/ecr-lifecycle-policy/index.js';
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository/index.js';
import { throwIfViolations } from '../../core/errors.js';

export interface ImageRepositoryProps {
  /** The repository name (`<project>-<env>-mlflow-server`, `<project>-<env>-<ml-project>-training`, …). */
  readonly name: string;
  /**
   * How many images to keep; older ones expire. Images are tagged with content hashes (serving
   * images with the model version and a hash), so the rule counts images of any tag rather than a
   * tag prefix.
   * @default 10
   */
  readonly keepImages?: number;
  /**
   * Delete the repository with its images on destroy: every image can be rebuilt from this repository.
   * @default true
   */
  readonly forceDelete?: boolean;
}

/**
 * The lifecycle policy: untagged images (left over when a tag moves) go after a day, and of the
 * tagged ones only the newest `keep` stay. `tagStatus: any` matches every tag, which a prefix rule
 * (e.g. `tagPrefixList: ["v"]`) would not do for content-hash tags.
 */
export function imageLifecyclePolicy(keep: number): { rules: Record<string, unknown>[] } {
  return {
    rules: [
      {
        rulePriority: 1,
        description: 'Expire untagged images after a day',
        selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 },
        action: { type: 'expire' },
      },
      {
        rulePriority: 2,
        description: `Keep the newest ${keep} images (tags are content hashes)`,
        selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: keep },
        action: { type: 'expire' },
      },
    ],
  };
}

/**
 * An ECR repository for the images mlops builds (MLflow server, training, serving): scanned on push,
 * immutable tags (a tag never changes meaning), encrypted, with a lifecycle policy.
 */
export class ImageRepository extends Construct {
  /** The repository resource, for a targeted apply before the first image push. */
  readonly repository: EcrRepository;
  readonly repositoryName: string;
  readonly repositoryUrl: string;
  readonly repositoryArn: string;

  constructor(scope: Construct, id: string, props: ImageRepositoryProps) {
    super(scope, id);
    const keepImages = props.keepImages ?? 10;
    const forceDelete = props.forceDelete ?? true;
    const violations: string[] = [];
    if (!/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/.test(props.name) || props.name.length > 256) {
      violations.push(`name "${props.name}": ECR takes lower-case letters, digits and . _ - separators, at most 256 characters`);
    }
    if (!Number.isInteger(keepImages) || keepImages < 1 || keepImages > 10_000) violations.push(`keepImages ${keepImages}: must be a whole number from 1 to 10000`);
    throwIfViolations('ImageRepository', violations);

    const repository = (this.repository = new EcrRepository(this, 'repository', {
      name: props.name,
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: [{ encryptionType: 'AES256' }],
      forceDelete,
    }));
    new EcrLifecyclePolicy(this, 'lifecycle', {
      repository: repository.name,
      policy: JSON.stringify(imageLifecyclePolicy(keepImages)),
    });
    // The name as given (not a token), so the CLI can look images up before Terraform runs.
    this.repositoryName = props.name;
    this.repositoryUrl = repository.repositoryUrl;
    this.repositoryArn = repository.arn;
  }
}
