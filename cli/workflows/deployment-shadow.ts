import { releaseRecordKey } from '../../core/deployment/names.js';
import { parseReleaseRecord } from '../../core/deployment/release-record.js';
import { describeTarget, type EndpointTarget } from '../../core/deployment/target.js';
import { ExternalError, UsageError } from '../../core/errors.js';
import type { StackConfig } from '../../stacks/common/config.js';
import type { DeploymentRelease, DeploymentStack } from '../../stacks/deployment-stack.js';
import { buildDeploymentStack, buildDeploymentStackForRemoval, deploymentTarget } from '../builders/deployment.js';
import { printJson } from '../command.js';
import { resolveTrackingUri } from '../effects/tracking-uri.js';
import { loadMlProject } from '../ml-project.js';
import { createReporter } from '../progress.js';
import { loadStepConfig } from '../settings/load.js';
import { reviewPlan } from '../stack-lifecycle.js';
import { synthesize } from '../synth.js';
import { createDeploymentEffects, type DeploymentEffects } from './deployment-job.js';
import { deploymentTagPrefix, tagServingVersion } from './deployment-release.js';
import { describeRollout, rollOut } from './deployment-rollout.js';

/** SageMaker Serverless Inference has no shadow variants: refused before anything is looked up or changed. */
export function refuseServerlessShadow(mlProject: string, target: EndpointTarget): void {
  if (target.kind === 'serverless') {
    throw new UsageError(
      `${mlProject} is served serverless (${describeTarget(target)}), and SageMaker Serverless Inference cannot carry a shadow variant: ` +
        'remove the serverless section of its resource-requirements.json to serve it on instances, or deploy without shadow',
    );
  }
}

/** One version the endpoint runs, with what is needed to synthesize it again. */
export interface RunningRelease {
  readonly version: string;
  readonly release: DeploymentRelease;
}

/** What a project's endpoint runs now, from its stack's Terraform outputs and the release records. */
export interface CurrentDeployment {
  readonly production: RunningRelease;
  readonly shadow?: RunningRelease;
}

const tagOf = (imageUri: unknown) => (typeof imageUri === 'string' && imageUri.includes(':') ? imageUri.slice(imageUri.lastIndexOf(':') + 1) : undefined);

/**
 * Reads the deployment stack's outputs (the versions and images it applied) and each version's
 * release record from the bucket; undefined when nothing is deployed. Reads only: nothing changes.
 */
export async function currentDeployment(effects: DeploymentEffects, config: StackConfig, mlProject: string): Promise<CurrentDeployment | undefined> {
  let stack: DeploymentStack | undefined;
  const [stackDir] = synthesize((app) => [(stack = buildDeploymentStackForRemoval(app, config, mlProject))]);
  const { names } = stack!;
  await effects.terraform.init(stackDir);
  const outputs = await effects.terraform.outputs(stackDir);
  const bucket = outputs.artifact_bucket;
  const running = async (version: unknown, imageUri: unknown): Promise<RunningRelease | undefined> => {
    if (typeof version !== 'string' || version === '') return undefined;
    const imageTag = tagOf(imageUri);
    const key = releaseRecordKey(names, version);
    const text = typeof bucket === 'string' ? await effects.bucket.read(bucket, key) : undefined;
    const record = text ? parseReleaseRecord(text) : undefined;
    if (!imageTag || !record) {
      throw new ExternalError(
        `the deployment stack of ${mlProject} records version ${version}, but ${imageTag ? `its release record s3://${String(bucket)}/${key} is missing or unreadable` : 'not its image'}: deploy it again (make deployment-job project=${mlProject} model=${version})`,
      );
    }
    return { version, release: { imageTag, record } };
  };
  const production = await running(outputs.model_version, outputs.image_uri);
  if (!production) return undefined;
  return { production, shadow: await running(outputs.shadow_model_version, outputs.shadow_image_uri) };
}

export interface ShadowArgs {
  project: string;
  json: boolean;
  'plan-only'?: boolean;
  'max-monthly-usd'?: number;
}

/**
 * Synthesizes the stack with `production` serving and no shadow, then plans (`--plan-only`) or rolls
 * it out with the same blue/green update and alarm rollback as every deployment.
 */
async function rollOutWithoutShadow(effects: DeploymentEffects, config: StackConfig, args: ShadowArgs, production: RunningRelease) {
  const project = loadMlProject(args.project);
  const target = deploymentTarget(config, project);
  let stack: DeploymentStack | undefined;
  const [stackDir] = synthesize((app) => [(stack = buildDeploymentStack(app, config, project, production.version, production.release, target))]);
  const { names } = stack!;
  const review = { region: config.environment.region, what: `the deployment stack of ${project.name}`, maxMonthlyUsd: args['max-monthly-usd'] };
  await effects.terraform.init(stackDir);
  if (args['plan-only']) {
    const plan = await effects.terraform.plan(stackDir);
    reviewPlan(plan, effects.reporter, review);
    for (const line of describeRollout(plan)) effects.reporter.info(line);
    effects.reporter.info('Plan only: nothing was applied.');
    return { names, plan, rollout: undefined };
  }
  const rollout = await rollOut(
    effects,
    stackDir,
    names,
    { version: production.version, servingInputExample: production.release.record.servingInputExample ?? undefined, projectName: project.name },
    config.settings.deployment,
    review,
  );
  if (rollout.smokeTestAnswer !== undefined) effects.reporter.info(`Smoke test: ${names.endpoint} answered the input example with version ${production.version}.`);
  return { names, plan: rollout.plan, rollout };
}

async function currentWithShadow(effects: DeploymentEffects, config: StackConfig, mlProject: string, command: string) {
  const current = await currentDeployment(effects, config, mlProject);
  if (!current) throw new UsageError(`${mlProject} has no endpoint in ${config.environment.envName}: nothing to ${command}`);
  return current;
}

/**
 * `mlops promote`: the shadow becomes the serving version through the blue/green update with alarm
 * rollback (the endpoint keeps its name), and MLflow records it as serving, the old one as retired.
 */
export async function promote(effects: DeploymentEffects, config: StackConfig, args: ShadowArgs) {
  const { reporter } = effects;
  const current = await currentWithShadow(effects, config, args.project, 'promote');
  const { shadow, production } = current;
  if (!shadow) {
    throw new UsageError(
      `${args.project}'s endpoint serves version ${production.version} and runs no shadow to promote: deploy one first (make deployment-job project=${args.project} model=N shadow=true)`,
    );
  }
  reporter.info(`Promoting shadow version ${shadow.version} to serve in place of version ${production.version}.`);
  const { names, plan, rollout } = await rollOutWithoutShadow(effects, config, args, shadow);
  const result = { project: args.project, endpoint: names.endpoint, promoted: shadow.version, replaced: production.version, plan, planOnly: !rollout };
  if (!rollout) return result;
  const trackingUri = await resolveTrackingUri(config.settings, config.environment, effects.env, effects.parameters);
  await tagServingVersion(effects.mlflow(trackingUri), config.environment, names.endpoint, { name: args.project, version: shadow.version, previous: production.version }, new Date(), reporter).catch(
    (error) => reporter.warn(`version ${shadow.version} serves, but MLflow could not be tagged: ${(error as Error).message}`),
  );
  reporter.info(`Version ${shadow.version} serves on ${names.endpoint}. Dashboard: ${String(rollout.outputs.dashboard_url)}`);
  return { ...result, smokeTest: rollout.smokeTestAnswer };
}

/** `mlops shadow-rm`: the endpoint goes back to the serving version alone; nothing to do when it runs no shadow. */
export async function shadowRm(effects: DeploymentEffects, config: StackConfig, args: ShadowArgs) {
  const { reporter } = effects;
  const current = await currentDeployment(effects, config, args.project);
  if (!current?.shadow) {
    reporter.info(`Nothing to remove: ${args.project} ${current ? `serves version ${current.production.version} without a shadow` : `has no endpoint in ${config.environment.envName}`}.`);
    return { project: args.project, removed: null };
  }
  const { shadow, production } = current;
  reporter.info(`Removing shadow version ${shadow.version}; version ${production.version} keeps serving.`);
  const { names, plan, rollout } = await rollOutWithoutShadow(effects, config, args, production);
  const result = { project: args.project, endpoint: names.endpoint, removed: shadow.version, serving: production.version, plan, planOnly: !rollout };
  if (!rollout) return result;
  const trackingUri = await resolveTrackingUri(config.settings, config.environment, effects.env, effects.parameters);
  await effects
    .mlflow(trackingUri)
    .setModelVersionTag(args.project, shadow.version, `${deploymentTagPrefix(config.environment)}.shadow_removed_at`, new Date().toISOString())
    .catch((error) => reporter.warn(`the shadow is gone, but MLflow could not be tagged: ${(error as Error).message}`));
  reporter.info(`Removed the shadow from ${names.endpoint}; version ${production.version} serves alone.`);
  return result;
}

const run =
  (step: (effects: DeploymentEffects, config: StackConfig, args: ShadowArgs) => Promise<unknown>) =>
  async (args: ShadowArgs): Promise<void> => {
    const reporter = createReporter();
    const config = loadStepConfig();
    const result = await step(await createDeploymentEffects(config, reporter), config, args);
    if (args.json) printJson(result);
  };

/** `mlops promote`. */
export const runPromote = run(promote);
/** `mlops shadow-rm`. */
export const runShadowRm = run(shadowRm);
