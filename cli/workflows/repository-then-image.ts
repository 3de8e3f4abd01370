import { ExternalError } from '../../core/errors.js';
import { publishImage, type ImageBuildMode, type PublishedImage } from '../effects/container-image.js';
import { describePlan, hasChanges } from '../effects/terraform.js';
import type { TerraformResource } from 'cdktf';
import type { ImageRepository } from '../../stacks/common/image-repository.js';
import { applyAdopting } from '../stack-lifecycle.js';
import type { StepEffects } from './step-effects.js';

export interface ImageToPublish {
  /** The stack's repository construct: its name, and its resource address for the targeted apply. */
  readonly repository: ImageRepository;
  readonly tag: string;
  readonly prepareContext: () => { dir: string; cleanup: () => void };
  readonly mode: ImageBuildMode;
  /**
   * Resources applied with the repository, because the CLI has work to do between them and the rest
   * of the stack (the MLflow server's credential secrets, which it fills, and its load balancer,
   * whose DNS name its certificate is issued for). @default []
   */
  readonly alsoFirst?: readonly TerraformResource[];
}

/**
 * The first half of every step whose stack runs an image: init → the image repository alone
 * (targeted plan and apply) → the image, built and pushed only when the registry lacks its
 * content-hash tag. The rest of the stack is applied after, when the image it names exists.
 * Refuses before anything is applied when the image would have to be built and no engine answers.
 */
export async function applyRepositoryThenImage(effects: StepEffects, stackDir: string, image: ImageToPublish): Promise<PublishedImage> {
  const { terraform, registry, docker, reporter } = effects;
  const { repositoryName } = image.repository;
  if (image.mode === 'auto') {
    const selected = await docker.select();
    if (!selected.engine && !(await registry.imageExists(repositoryName, image.tag).catch(() => false))) {
      throw new ExternalError(
        `no container engine works (${selected.problems.join('; ')}) and the registry has no ${repositoryName}:${image.tag}, so the image cannot be built; nothing was applied. ` +
          'Start Docker, or install podman or buildah (MLOPS_CONTAINER_ENGINE picks one), or pass --image-build skip if the image is pushed another way',
      );
    }
  }
  await terraform.init(stackDir);
  const { repository } = image.repository;
  const alsoFirst = image.alsoFirst ?? [];
  const targets = [repository, ...alsoFirst].map((resource) => `${resource.terraformResourceType}.${resource.friendlyUniqueId}`);
  const plan = await terraform.plan(stackDir, { targets });
  if (hasChanges(plan)) {
    const others = [...new Set(alsoFirst.map((resource) => resource.terraformResourceType))];
    reporter.info(`The image repository${others.length > 0 ? `, ${others.join(' and ')}` : ''} first — ${describePlan(plan)}`);
    await applyAdopting(stackDir, terraform, reporter, { targets });
  }
  return publishImage({
    registry,
    docker,
    repositoryName,
    repositoryUri: await registry.repositoryUri(repositoryName),
    tag: image.tag,
    prepareContext: image.prepareContext,
    mode: image.mode,
    reporter,
  });
}
