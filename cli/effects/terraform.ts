import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { ExternalError, InterruptedError, UsageError } from '../../core/errors.js';
import { resourcesFromPlan, type PlannedResource, type ShownPlan } from '../../core/cost/plan-resources.js';
import { interruptionReport, type PlannedChange } from '../../core/interrupted-run.js';
import { parseLockInfoBlock, StateLockedError } from '../../core/state-lock.js';
import { unrecordedResources, UnrecordedResourcesError } from '../../core/unrecorded-resources.js';
import type { Reporter } from '../progress.js';
import { startCloudWatchBridge } from './emulator-cloudwatch-bridge.js';
import { forwardOneInterrupt, type SignalSource } from './interrupt.js';
import { stackLockOf, waitForStateLock, type LockWait, type StateObjects } from './state-lock.js';

export const MIN_TERRAFORM_VERSION = [1, 10, 0] as const;

export interface TerraformBinary {
  readonly path: string;
  readonly flavor: 'terraform' | 'tofu';
  readonly version: string;
}

/** What a plan would do, counted the way `terraform plan` summarises it. */
export interface PlanSummary {
  readonly add: number;
  readonly change: number;
  readonly destroy: number;
  /** Resources replaced (destroyed and created again), counted in add and destroy too. */
  readonly replace: readonly string[];
  readonly updateInPlace: readonly string[];
  /** Every managed resource with its actions and values before and after: what the cost estimate prices. */
  readonly resources: readonly PlannedResource[];
}

export function isAtLeast(version: string, minimum: readonly number[]): boolean {
  const parts = version.replace(/^v/, '').split(/[.-]/).slice(0, 3).map(Number);
  for (let index = 0; index < minimum.length; index += 1) {
    const part = parts[index] ?? 0;
    if (part !== minimum[index]) return part > minimum[index];
  }
  return true;
}

/**
 * Picks the Terraform binary: MLOPS_TERRAFORM_BIN (a path or a name on PATH), else `tofu`, else
 * `terraform` on PATH; refuses versions older than 1.10 (S3-native state locking needs it).
 */
export async function resolveTerraformBinary(env: NodeJS.ProcessEnv = process.env): Promise<TerraformBinary> {
  const candidates = env.MLOPS_TERRAFORM_BIN ? [env.MLOPS_TERRAFORM_BIN] : ['tofu', 'terraform'];
  for (const candidate of candidates) {
    const result = await execa(candidate, ['version', '-json'], { reject: false, env });
    if (result.failed || result.exitCode !== 0) continue;
    const version = String(JSON.parse(result.stdout).terraform_version ?? '');
    const flavor = /tofu/.test(candidate) || /OpenTofu/i.test(result.stdout) ? 'tofu' : 'terraform';
    if (!isAtLeast(version, MIN_TERRAFORM_VERSION)) {
      throw new UsageError(`${candidate} is version ${version}; mlops needs terraform or tofu ${MIN_TERRAFORM_VERSION.join('.')} or newer`);
    }
    return { path: candidate, flavor, version };
  }
  throw new UsageError(
    env.MLOPS_TERRAFORM_BIN
      ? `MLOPS_TERRAFORM_BIN=${env.MLOPS_TERRAFORM_BIN} does not run (\`${env.MLOPS_TERRAFORM_BIN} version -json\` failed)`
      : 'neither `tofu` nor `terraform` is on PATH: install one (1.10 or newer) or set MLOPS_TERRAFORM_BIN',
  );
}

/** Counts the resource changes of `terraform show -json <plan>`. */
export function summarisePlan(plan: ShownPlan): PlanSummary {
  let add = 0;
  let change = 0;
  let destroy = 0;
  const replace: string[] = [];
  const updateInPlace: string[] = [];
  for (const resource of plan.resource_changes ?? []) {
    const actions = resource.change.actions;
    if (actions.includes('create')) add += 1;
    if (actions.includes('delete')) destroy += 1;
    if (actions.includes('create') && actions.includes('delete')) replace.push(resource.address);
    if (actions.length === 1 && actions[0] === 'update') {
      change += 1;
      updateInPlace.push(resource.address);
    }
  }
  return { add, change, destroy, replace, updateInPlace, resources: resourcesFromPlan(plan) };
}

/** The changes a plan makes (no-ops and reads left out), for the report of an interrupted apply. */
export function plannedChanges(plan: { resource_changes?: { address: string; change: { actions: string[] } }[] }): PlannedChange[] {
  return (plan.resource_changes ?? [])
    .filter(({ change }) => !change.actions.every((action) => action === 'no-op' || action === 'read'))
    .map(({ address, change }) => ({ address, actions: change.actions }));
}

/** A plan summary for --json output: counts and addresses, not the planned values (they can hold secrets). */
export const planCounts = ({ add, change, destroy, replace, updateInPlace }: PlanSummary) => ({ add, change, destroy, replace, updateInPlace });

export const hasChanges = (plan: PlanSummary) => plan.add + plan.change + plan.destroy > 0;

export function describePlan(summary: PlanSummary): string {
  const text = `Plan: ${summary.add} to add, ${summary.change} to change, ${summary.destroy} to destroy.`;
  return summary.replace.length > 0 ? `${text} Replaced: ${summary.replace.join(', ')}` : text;
}

export const EMULATOR_OVERRIDE_FILE = 'emulator_override.tf.json';
const EMULATOR_BACKEND_FILE = 'emulator.s3.tfbackend';

/** A local translator between terraform and the emulator, for one service (its endpoint given to terraform). */
export interface EmulatorBridge {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** One difference between an emulator and AWS, and how the stacks are bridged over it. */
export type EmulatorGap =
  | {
      /** `provider` (the AWS provider block), `backend` (the S3 state backend) or a resource type. */
      readonly applies: 'provider' | 'backend' | `aws_${string}`;
      /** Merged into the block: provider arguments, backend settings, or a resource override (count, lifecycle). */
      readonly override: Record<string, unknown>;
      readonly reason: string;
    }
  | {
      /** A service whose wire protocol the emulator does not speak: terraform reaches it through a bridge. */
      readonly applies: 'service';
      /** The AWS SDK's service id, as in AWS_ENDPOINT_URL_<SERVICE>. */
      readonly service: string;
      /** Starts the bridge in front of the emulator's endpoint. */
      readonly bridge: (emulatorEndpoint: string) => Promise<EmulatorBridge>;
      readonly reason: string;
    };

/**
 * Every difference between an emulator (moto, LocalStack: AWS_ENDPOINT_URL is set) and AWS that the
 * stacks need bridged, in one table. Applied through an override file next to the synthesized stack
 * and a partial backend configuration, only when AWS_ENDPOINT_URL is set; without it both files are
 * removed, so the Terraform JSON AWS gets is the synthesized one, unchanged.
 */
export const EMULATOR_GAPS: readonly EmulatorGap[] = [
  { applies: 'provider', override: { s3_use_path_style: true }, reason: 'emulators answer S3 path-style requests only (no <bucket>.host names)' },
  { applies: 'backend', override: { use_path_style: true }, reason: 'the state bucket too is reached path-style' },
  {
    applies: 'provider',
    override: { skip_credentials_validation: true, skip_metadata_api_check: 'true', skip_region_validation: true },
    reason: 'no STS or instance metadata service to check credentials and regions against',
  },
  {
    applies: 'backend',
    override: { skip_credentials_validation: true, skip_metadata_api_check: true, skip_region_validation: true, skip_requesting_account_id: true },
    reason: 'the backend makes the same checks as the provider',
  },
  {
    applies: 'provider',
    override: { skip_requesting_account_id: true },
    reason: 'with an account id the provider reads bucket tags through S3 Control, whose <account>.<host> name no emulator endpoint resolves',
  },
  {
    applies: 'aws_s3_bucket_policy',
    override: { count: 0 },
    reason: "moto evaluates a bucket policy's conditions without request context, so a TLS-only deny denies every request",
  },
  { applies: 'aws_s3_bucket', override: { lifecycle: { ignore_changes: ['tags', 'tags_all'] } }, reason: "moto ignores CreateBucket's tags" },
  {
    applies: 'aws_ecs_service',
    override: { lifecycle: { ignore_changes: ['health_check_grace_period_seconds', 'enable_ecs_managed_tags'] } },
    reason: "moto ignores CreateService's healthCheckGracePeriodSeconds and enableECSManagedTags",
  },
  { applies: 'aws_sagemaker_endpoint', override: { lifecycle: { ignore_changes: ['deployment_config'] } }, reason: "moto drops an endpoint's DeploymentConfig" },
  {
    applies: 'aws_sagemaker_model',
    override: { lifecycle: { ignore_changes: ['enable_network_isolation', 'primary_container', 'tags'] } },
    reason: 'moto always answers EnableNetworkIsolation=false and an empty container environment',
  },
  {
    applies: 'service',
    service: 'cloudwatch',
    bridge: startCloudWatchBridge,
    reason: "the provider speaks Smithy RPC v2 CBOR to CloudWatch (alarms, dashboards), which moto does not answer: a local bridge translates it to CloudWatch's JSON protocol",
  },
];

const hcl = (value: unknown) => (typeof value === 'string' ? `"${value}"` : String(value));

/** The override file and backend settings that bridge EMULATOR_GAPS for one synthesized stack. */
export function emulatorOverrides(
  stack: { resource?: Record<string, Record<string, unknown>> },
  endpoint: string,
  gaps: readonly EmulatorGap[] = EMULATOR_GAPS,
): { override: Record<string, unknown>; backend: string } {
  const provider: Record<string, unknown> = {};
  const backend: Record<string, unknown> = {};
  const resource: Record<string, Record<string, unknown>> = {};
  for (const gap of gaps) {
    if (gap.applies === 'service') continue;
    if (gap.applies === 'provider') Object.assign(provider, gap.override);
    else if (gap.applies === 'backend') Object.assign(backend, gap.override);
    else {
      const ids = Object.keys(stack.resource?.[gap.applies] ?? {});
      if (ids.length > 0) resource[gap.applies] = Object.fromEntries(ids.map((id) => [id, gap.override]));
    }
  }
  const lines = [`endpoints = { s3 = "${endpoint}" }`, ...Object.entries(backend).map(([key, value]) => `${key} = ${hcl(value)}`), ''];
  return { override: { provider: { aws: provider }, ...(Object.keys(resource).length > 0 ? { resource } : {}) }, backend: lines.join('\n') };
}

/** Writes (with AWS_ENDPOINT_URL) or removes (without) the emulator files; returns init's extra arguments. */
export function prepareEmulator(stackDir: string, endpoint: string | undefined): string[] {
  const overridePath = join(stackDir, EMULATOR_OVERRIDE_FILE);
  const backendPath = join(stackDir, EMULATOR_BACKEND_FILE);
  if (!endpoint) {
    rmSync(overridePath, { force: true });
    rmSync(backendPath, { force: true });
    return [];
  }
  const { override, backend } = emulatorOverrides(JSON.parse(readFileSync(join(stackDir, 'cdk.tf.json'), 'utf8')), endpoint);
  writeFileSync(overridePath, `${JSON.stringify(override, null, 2)}\n`);
  writeFileSync(backendPath, backend);
  return [`-backend-config=${EMULATOR_BACKEND_FILE}`];
}

/**
 * Terraform's environment with an emulator: each service gap's bridge started (once per runner) and
 * named in AWS_ENDPOINT_URL_<SERVICE>, unless the environment names an endpoint for that service itself.
 */
export async function emulatorBridgeEnv(env: NodeJS.ProcessEnv, gaps: readonly EmulatorGap[] = EMULATOR_GAPS): Promise<Record<string, string>> {
  const emulator = env.AWS_ENDPOINT_URL;
  const bridged: Record<string, string> = {};
  if (!emulator) return bridged;
  for (const gap of gaps) {
    if (gap.applies !== 'service') continue;
    const variable = `AWS_ENDPOINT_URL_${gap.service.toUpperCase()}`;
    if (!env[variable]) bridged[variable] = (await gap.bridge(emulator)).endpoint;
  }
  return bridged;
}

export interface TerraformRunner {
  readonly binary: TerraformBinary;
  init(stackDir: string): Promise<void>;
  /** `targets` limits the plan to some resources (e.g. an ECR repository that must exist before an image push). */
  plan(stackDir: string, options?: { destroy?: boolean; targets?: string[] }): Promise<PlanSummary>;
  applyPlan(stackDir: string): Promise<void>;
  destroy(stackDir: string): Promise<void>;
  outputs(stackDir: string): Promise<Record<string, unknown>>;
  /** Breaks the stack's state lock `lockId` (`force-unlock -force`); the caller decides whether it may. */
  forceUnlock(stackDir: string, lockId: string): Promise<void>;
  /** Records an existing resource in the state under `address` (`import`). */
  importResource(stackDir: string, address: string, id: string): Promise<void>;
}

export interface TerraformRunnerOptions {
  /** The state bucket: a locked stack's holder is read there and a countdown shown while waiting. */
  readonly stateObjects?: StateObjects;
  /** How long plan, apply and destroy wait for another run's lock (terraform.lock_wait_seconds). @default 300 */
  readonly lockWaitSeconds?: number;
  /** Where SIGINT and SIGTERM come from. @default process */
  readonly signals?: SignalSource;
  /** The countdown's clock and pace (tests). */
  readonly lockWait?: Pick<LockWait, 'now' | 'sleep' | 'pollSeconds' | 'printSeconds'>;
}

const PLAN_FILE = 'mlops.tfplan';

/**
 * Runs terraform or tofu in a synthesized stack's folder, its output streamed to stderr. Commands
 * that lock the state wait for another run's lock (a countdown naming the holder, then terraform's
 * own -lock-timeout) and fail naming the holder; terraform runs in its own process group and gets
 * exactly one SIGINT/SIGTERM from the CLI, so an interrupted apply ends cleanly with its lock released.
 */
export function createTerraformRunner(binary: TerraformBinary, reporter: Reporter, env: NodeJS.ProcessEnv = process.env, options: TerraformRunnerOptions = {}): TerraformRunner {
  const baseEnv = { ...env, TF_IN_AUTOMATION: '1', TF_INPUT: '0' };
  /** Started on the first terraform command, so a run without an emulator or without terraform starts no bridge. */
  let runEnv: Promise<NodeJS.ProcessEnv> | undefined;
  const lockWaitSeconds = options.lockWaitSeconds ?? 300;
  const signals = options.signals ?? process;
  /** What the last plan of each stack meant to do, for the report of an interrupted apply or destroy. */
  const planned = new Map<string, PlannedChange[]>();

  /** Waits for another run's lock; returns terraform's -lock-timeout argument. */
  async function lockTimeout(stackDir: string): Promise<string> {
    const { stackId, lockKey } = stackLockOf(stackDir);
    const left = options.stateObjects
      ? await waitForStateLock({ ...options.lockWait, stackId, lockKey, store: options.stateObjects, waitSeconds: lockWaitSeconds, reporter })
      : lockWaitSeconds;
    return `-lock-timeout=${left}s`;
  }

  async function run(stackDir: string, args: string[], label: string, { quiet = false, locks = false } = {}): Promise<string> {
    const command = [args[0], ...(locks ? [await lockTimeout(stackDir)] : []), ...args.slice(1)];
    const step = reporter.step(`${binary.flavor} ${label}`);
    runEnv ??= emulatorBridgeEnv(env).then((bridged) => ({ ...baseEnv, ...bridged }));
    const child = execa(binary.path, command, { cwd: stackDir, env: await runEnv, reject: false, all: true, buffer: true, detached: true, forceKillAfterDelay: false });
    if (!quiet) child.all?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    const { result, interrupt } = await forwardOneInterrupt(child, child, { signals, reporter, label: `${binary.flavor} ${args[0]}` });
    const output = String(result.all ?? '');
    if (interrupt) {
      step.fail();
      throw new InterruptedError(interrupt, interruptionReport({ stackId: basename(stackDir), command: args[0], signal: interrupt, planned: planned.get(stackDir) ?? [], output }));
    }
    if (result.exitCode !== 0) {
      step.fail();
      if (output.includes('Error acquiring the state lock')) throw new StateLockedError(basename(stackDir), parseLockInfoBlock(output), new Date(), lockWaitSeconds);
      const unrecorded = args[0] === 'apply' ? unrecordedResources(output) : [];
      if (unrecorded.length > 0) throw new UnrecordedResourcesError(stackDir, unrecorded, binary.flavor, `${binary.flavor} apply failed in ${stackDir}`);
      const tail = output.split('\n').slice(-40).join('\n');
      throw new ExternalError(`${binary.flavor} ${args[0]} failed in ${stackDir} (exit ${result.exitCode})${quiet ? `:\n${tail}` : ''}`);
    }
    step.done();
    return String(result.stdout ?? '');
  }
  return {
    binary,
    async init(stackDir) {
      if (!existsSync(join(stackDir, 'cdk.tf.json'))) throw new ExternalError(`no synthesized stack in ${stackDir}`);
      const backendArgs = prepareEmulator(stackDir, env.AWS_ENDPOINT_URL);
      await run(stackDir, ['init', '-input=false', '-reconfigure', '-no-color', ...backendArgs], 'init', { quiet: true });
    },
    async plan(stackDir, options = {}) {
      const targets = (options.targets ?? []).map((target) => `-target=${target}`);
      const destroy = options.destroy ? ['-destroy'] : [];
      await run(stackDir, ['plan', '-input=false', '-no-color', `-out=${PLAN_FILE}`, ...destroy, ...targets], 'plan', { quiet: true, locks: true });
      const shown = JSON.parse(await run(stackDir, ['show', '-json', PLAN_FILE], 'show plan', { quiet: true }));
      planned.set(stackDir, plannedChanges(shown));
      return summarisePlan(shown);
    },
    async applyPlan(stackDir) {
      await run(stackDir, ['apply', '-input=false', '-no-color', PLAN_FILE], 'apply', { locks: true });
    },
    async destroy(stackDir) {
      await run(stackDir, ['destroy', '-input=false', '-no-color', '-auto-approve'], 'destroy', { locks: true });
    },
    async outputs(stackDir) {
      const text = await run(stackDir, ['output', '-json', '-no-color'], 'output', { quiet: true });
      const raw = JSON.parse(text) as Record<string, { value: unknown }>;
      return Object.fromEntries(Object.entries(raw).map(([name, output]) => [name, output.value]));
    },
    async forceUnlock(stackDir, lockId) {
      await run(stackDir, ['force-unlock', '-force', '-no-color', lockId], 'force-unlock', { quiet: true });
    },
    async importResource(stackDir, address, id) {
      await run(stackDir, ['import', '-input=false', '-no-color', address, id], `import ${address}`, { quiet: true, locks: true });
    },
  };
}
