import { UsageError, violationsMessage } from '../errors.js';
import { REQUIREMENTS_FILE, type MlProject } from '../ml-project.js';
import { mergeRequirements, type ResourceRequirements, type ResourceType } from '../settings/resource-requirements.js';
import { describeRequirements, toSageMakerInstance } from './instance-types.js';

/** Serverless inference: memory sizes SageMaker offers, and its per-endpoint concurrency ceiling. */
export const SERVERLESS_MEMORY_SIZES_MIB = [1024, 2048, 3072, 4096, 5120, 6144] as const;
export const SERVERLESS_MAX_CONCURRENCY = 200;

/** Where a model version runs: a fleet of instances, or serverless inference. */
export type EndpointTarget =
  | { readonly kind: 'instance'; readonly instanceType: string; readonly instanceCount: number; readonly requirements: ResourceRequirements }
  | { readonly kind: 'serverless'; readonly memoryMiB: number; readonly maxConcurrency: number };

export interface ServerlessRequest {
  readonly memoryMiB: number;
  readonly maxConcurrency: number;
}

function nearestMemorySizes(value: number): string {
  const below = [...SERVERLESS_MEMORY_SIZES_MIB].reverse().find((size) => size < value);
  const above = SERVERLESS_MEMORY_SIZES_MIB.find((size) => size > value);
  const near = [below, above].filter((size) => size !== undefined);
  return near.length > 0 ? `; nearest: ${near.join(' or ')}` : '';
}

/**
 * Checks a serverless request (memory 1024–6144 MiB in steps of 1024, concurrency 1–200, no GPU)
 * and reports every violation at once, naming where it was declared.
 */
export function toServerlessConfig(request: ServerlessRequest, gpus: number, source: string): EndpointTarget {
  const violations: string[] = [];
  const { memoryMiB, maxConcurrency } = request;
  if (!(SERVERLESS_MEMORY_SIZES_MIB as readonly number[]).includes(memoryMiB)) {
    violations.push(`memory_mib ${memoryMiB} is not a serverless memory size; allowed: ${SERVERLESS_MEMORY_SIZES_MIB.join(', ')}${Number.isFinite(memoryMiB) ? nearestMemorySizes(memoryMiB) : ''}`);
  }
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1 || maxConcurrency > SERVERLESS_MAX_CONCURRENCY) {
    violations.push(`max_concurrency ${maxConcurrency} must be a whole number from 1 to ${SERVERLESS_MAX_CONCURRENCY}`);
  }
  if (gpus > 0) {
    violations.push(`GPU ${gpus} cannot be served serverless (SageMaker Serverless Inference has no GPUs): remove the GPU entry or the serverless section to run on a GPU instance`);
  }
  if (violations.length > 0) throw new UsageError(violationsMessage(`${source} asks for serverless inference that SageMaker cannot give`, violations));
  return { kind: 'serverless', memoryMiB, maxConcurrency };
}

/**
 * What an endpoint asks for: the project's `deployment` entries when it has any, else the entries of
 * its resource-requirements.json (its training needs), each over the settings' defaults.
 */
export function deploymentRequirements(project: MlProject, defaults: Partial<Record<ResourceType, number>>): ResourceRequirements {
  const file = project.requirementsFile;
  const deployment = file?.deployment ?? {};
  const own = Object.keys(deployment).length > 0 ? deployment : (file?.training ?? {});
  return mergeRequirements(defaults, own);
}

/** The project's endpoint: serverless when its file asks for it, else the cheapest instance type that fits. */
export function endpointTarget(project: MlProject, defaults: Partial<Record<ResourceType, number>>, instanceCount: number): EndpointTarget {
  const requirements = deploymentRequirements(project, defaults);
  const source = project.requirementsFile?.path ?? `the settings' default_resource_requirements (${project.name} has no ${REQUIREMENTS_FILE})`;
  if (project.requirementsFile?.serverless) {
    return toServerlessConfig(project.requirementsFile.serverless, requirements.gpus, `${source} (deployment.serverless)`);
  }
  try {
    return { kind: 'instance', instanceType: toSageMakerInstance(requirements).name, instanceCount, requirements };
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(`${source}: ${error.message}`);
    throw error;
  }
}

export const describeTarget = (target: EndpointTarget): string =>
  target.kind === 'serverless'
    ? `serverless, ${target.memoryMiB} MiB, up to ${target.maxConcurrency} concurrent requests`
    : `${target.instanceCount} × ${target.instanceType} (asked for ${describeRequirements(target.requirements)})`;
