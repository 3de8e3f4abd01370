import type { Environment } from '../../core/environment.js';
import { createAwsContext, type AwsContext } from '../effects/aws.js';
import { createContainerEngine, type ContainerEngine } from '../effects/container-engine.js';
import { createEcrRegistry, type ImageRegistry } from '../effects/container-image.js';
import { createTerraformRunner, resolveTerraformBinary, type TerraformRunner } from '../effects/terraform.js';
import type { Reporter } from '../progress.js';

/** What every AWS step uses, injectable so tests can swap any of it. */
export interface StepEffects {
  readonly reporter: Reporter;
  /** Every AWS SDK client, in the environment's region (TF_VAR_region). */
  readonly aws: AwsContext;
  readonly terraform: TerraformRunner;
  readonly registry: ImageRegistry;
  /** docker, podman or buildah (MLOPS_CONTAINER_ENGINE, else the first that works). */
  readonly docker: ContainerEngine;
}

export async function createStepEffects(environment: Environment, reporter: Reporter, env: NodeJS.ProcessEnv = process.env): Promise<StepEffects> {
  const aws = createAwsContext(environment.region, env);
  return {
    reporter,
    aws,
    terraform: createTerraformRunner(await resolveTerraformBinary(env), reporter, env),
    registry: createEcrRegistry(aws),
    docker: createContainerEngine({ env }),
  };
}
