import type { StackConfig } from '../../stacks/common/config.js';
import { createAwsContext, type AwsContext } from '../effects/aws.js';
import { createContainerEngine, type ContainerEngine } from '../effects/container-engine.js';
import { createEcrRegistry, type ImageRegistry } from '../effects/container-image.js';
import { createTerraformRunner, resolveTerraformBinary, type TerraformRunner } from '../effects/terraform.js';
import type { Reporter } from '../progress.js';
import { createS3ObjectStore, type ObjectStore } from '../vpn/pki.js';

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

/** Objects in the state bucket (TF_VAR_state_bucket_name): states, their locks, the VPN certificates. */
export const createStateStore = (config: StackConfig, aws: AwsContext): ObjectStore => createS3ObjectStore(config.environment.stateBucket, aws);

export async function createStepEffects(config: StackConfig, reporter: Reporter, env: NodeJS.ProcessEnv = process.env): Promise<StepEffects> {
  const aws = createAwsContext(config.environment.region, env);
  const terraform = createTerraformRunner(await resolveTerraformBinary(env), reporter, env, {
    stateObjects: createStateStore(config, aws),
    lockWaitSeconds: config.settings.terraform.lock_wait_seconds,
  });
  return { reporter, aws, terraform, registry: createEcrRegistry(aws), docker: createContainerEngine({ env }) };
}
