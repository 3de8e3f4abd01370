import { Construct } from 'constructs';
import { EcrLifecyclePolicy } from '@cdktf/provider-aws/lib/ecr-lifecycle-policy/index.js';
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository/index.js';
import type { ResourceNamer } from '../common/naming.js';
import { throwIfViolations } from '../common/validation.js';

export interface ServerImageRepositoryProps {
  readonly namer: ResourceNamer;
  /** Images kept; older ones expire (tags are content hashes, so the rule counts images of any tag). @default 10 */
  readonly keepImages?: number;
}

/**
 * The ECR repository of the MLflow server image (`<project>-<env>-mlflow-server`): tags immutable
 * (a tag is the content hash of the image's inputs), scanned on push, encrypted, old images expired.
 * Destroy deletes it with its images: every image is rebuilt from stacks/mlflow-server/image/.
 */
export class ServerImageRepository extends Construct {
  /** The name as text (not a token), for the CLI's ECR calls. */
  readonly repositoryName: string;
  readonly repositoryUrl: string;
  readonly repositoryArn: string;
  /** The resource itself, so the CLI can create it alone (`-target`) before pushing the image. */
  readonly repository: EcrRepository;

  constructor(scope: Construct, id: string, props: ServerImageRepositoryProps) {
    super(scope, id);
    const keepImages = props.keepImages ?? 10;
    throwIfViolations(
      'ServerImageRepository',
      Number.isInteger(keepImages) && keepImages >= 1 && keepImages <= 10_000 ? [] : [`keepImages=${keepImages}: must be a whole number from 1 to 10000`],
    );
    this.repositoryName = props.namer.name('ecrRepository', 'mlflow-server');
    this.repository = new EcrRepository(this, 'repository', {
      name: this.repositoryName,
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: [{ encryptionType: 'AES256' }],
      forceDelete: true,
    });
    new EcrLifecyclePolicy(this, 'lifecycle', {
      repository: this.repository.name,
      policy: JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            description: `Keep the newest ${keepImages} images`,
            selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: keepImages },
            action: { type: 'expire' },
          },
        ],
      }),
    });
    this.repositoryUrl = this.repository.repositoryUrl;
    this.repositoryArn = this.repository.arn;
  }
}
