import { UsageError, violationsMessage } from '../errors.js';
import type { ResourceRequirements } from '../settings/resource-requirements.js';

/**
 * Where a training job runs, decided from what it asks for (Metaflow's @batch/@resources idea):
 * CPU-only jobs on Fargate (or Fargate Spot), jobs with GPUs on a managed EC2 compute environment of
 * GPU instance families booted from the ECS GPU AMI — Batch on Fargate has no GPUs.
 */
export type BatchPlacement = FargatePlacement | Ec2GpuPlacement;

export interface FargatePlacement {
  readonly kind: 'fargate';
  readonly spot: boolean;
  readonly vcpus: number;
  readonly memoryMiB: number;
}

export interface Ec2GpuPlacement {
  readonly kind: 'ec2-gpu';
  readonly vcpus: number;
  readonly memoryMiB: number;
  readonly gpus: number;
  /** Instance families or types Batch may launch (`g4dn`, `g5`, `g5.2xlarge`). */
  readonly instanceTypes: readonly string[];
  /** The Batch-managed ECS GPU AMI (NVIDIA driver and container runtime preinstalled). */
  readonly imageType: typeof ECS_GPU_IMAGE_TYPE;
}

/** Amazon Linux 2023 ECS-optimized AMI with NVIDIA drivers, chosen by Batch (`ec2Configuration.imageType`). */
export const ECS_GPU_IMAGE_TYPE = 'ECS_AL2023_NVIDIA';

export interface FargatePair {
  readonly vcpus: number;
  readonly memoryMiB: number;
}

/** Memory (MiB) Fargate accepts for each vCPU value: from, to, step. */
const FARGATE_MEMORY_RANGES: readonly { vcpus: number; from: number; to: number; step: number }[] = [
  { vcpus: 0.25, from: 512, to: 2048, step: 512 },
  { vcpus: 0.5, from: 1024, to: 4096, step: 1024 },
  { vcpus: 1, from: 2048, to: 8192, step: 1024 },
  { vcpus: 2, from: 4096, to: 16384, step: 1024 },
  { vcpus: 4, from: 8192, to: 30720, step: 1024 },
  { vcpus: 8, from: 16384, to: 61440, step: 4096 },
  { vcpus: 16, from: 32768, to: 122880, step: 8192 },
];

/** Every vCPU/memory pair Fargate runs (0.25 vCPU accepts 512, 1024 and 2048 MiB only). */
export const FARGATE_PAIRS: readonly FargatePair[] = FARGATE_MEMORY_RANGES.flatMap(({ vcpus, from, to, step }) => {
  const pairs: FargatePair[] = [];
  for (let memoryMiB = from; memoryMiB <= to; memoryMiB += step) {
    if (vcpus === 0.25 && memoryMiB === 1536) continue;
    pairs.push({ vcpus, memoryMiB });
  }
  return pairs;
});

export const FARGATE_VCPUS: readonly number[] = FARGATE_MEMORY_RANGES.map((range) => range.vcpus);

export function isFargatePair(vcpus: number, memoryMiB: number): boolean {
  return FARGATE_PAIRS.some((pair) => pair.vcpus === vcpus && pair.memoryMiB === memoryMiB);
}

const distance = (pair: FargatePair, vcpus: number, memoryMiB: number) =>
  Math.abs(Math.log2(pair.vcpus / vcpus)) + Math.abs(Math.log2(pair.memoryMiB / memoryMiB));

/**
 * The valid pairs nearest to what was asked: first the smallest pair that gives at least the vCPUs
 * and the memory asked for (when there is one), then the closest others (log distance, so 1 vCPU
 * from 2 is as far as 2 from 4).
 */
export function nearestFargatePairs(vcpus: number, memoryMiB: number, count = 3): FargatePair[] {
  const covering = FARGATE_PAIRS.filter((pair) => pair.vcpus >= vcpus && pair.memoryMiB >= memoryMiB).sort(
    (a, b) => a.vcpus - b.vcpus || a.memoryMiB - b.memoryMiB,
  )[0];
  const byDistance = [...FARGATE_PAIRS].sort(
    (a, b) => distance(a, vcpus, memoryMiB) - distance(b, vcpus, memoryMiB) || b.vcpus - a.vcpus || b.memoryMiB - a.memoryMiB,
  );
  const chosen: FargatePair[] = [];
  for (const pair of [...(covering ? [covering] : []), ...byDistance]) {
    if (!chosen.some((other) => other.vcpus === pair.vcpus && other.memoryMiB === pair.memoryMiB)) chosen.push(pair);
    if (chosen.length === count) break;
  }
  return chosen;
}

export const describePair = (pair: FargatePair) => `${pair.vcpus} vCPU with ${pair.memoryMiB} MiB`;

export interface PlacementOptions {
  /** Run CPU-only jobs on Fargate Spot (settings training.fargate_spot). */
  readonly fargateSpot: boolean;
  /** GPU instance families (settings training.gpu_instance_types). */
  readonly gpuInstanceTypes: readonly string[];
  /** The compute environment's ceiling (settings training.max_vcpus). */
  readonly maxVcpus: number;
  /** Where the requirements came from, for error messages (a resource-requirements.json, or the settings). */
  readonly source: string;
}

/** The most GPUs one instance of the usual GPU families has (g4dn.metal, g5.48xlarge, p4d…). */
export const MAX_GPUS_PER_JOB = 8;

/**
 * Maps requirements to a placement, or refuses with every reason at once: a vCPU/memory pair Fargate
 * does not run (with the nearest valid pairs), more vCPUs than the compute environment may have,
 * more GPUs than one instance has, or GPUs without GPU instance types.
 */
export function toBatchPlacement(requirements: ResourceRequirements, options: PlacementOptions): BatchPlacement {
  const { vcpus, memoryMiB, gpus } = requirements;
  const violations: string[] = [];
  if (vcpus > options.maxVcpus) {
    violations.push(`${vcpus} vCPUs is more than the compute environment's maximum of ${options.maxVcpus} (settings training.max_vcpus)`);
  }
  if (gpus > 0) {
    if (gpus > MAX_GPUS_PER_JOB) violations.push(`${gpus} GPUs: one job runs on one instance, which has at most ${MAX_GPUS_PER_JOB}`);
    if (options.gpuInstanceTypes.length === 0) violations.push('asks for GPUs but settings training.gpu_instance_types is empty');
    if (!Number.isInteger(vcpus)) violations.push(`${vcpus} vCPUs: EC2 jobs take whole vCPUs`);
    if (violations.length > 0) throw placementError(requirements, options.source, violations);
    return { kind: 'ec2-gpu', vcpus, memoryMiB, gpus, instanceTypes: [...options.gpuInstanceTypes], imageType: ECS_GPU_IMAGE_TYPE };
  }
  if (!isFargatePair(vcpus, memoryMiB)) {
    const allowed = FARGATE_MEMORY_RANGES.find((range) => range.vcpus === vcpus);
    const rule = allowed
      ? `with ${vcpus} vCPU Fargate takes ${describeMemoryRange(allowed)} MiB`
      : `Fargate takes ${FARGATE_VCPUS.join(', ')} vCPUs`;
    const suggestions = nearestFargatePairs(vcpus, memoryMiB).map(describePair).join('; ');
    violations.push(`${vcpus} vCPU with ${memoryMiB} MiB is not a Fargate size (${rule}). Nearest valid: ${suggestions}`);
  }
  if (violations.length > 0) throw placementError(requirements, options.source, violations);
  return { kind: 'fargate', spot: options.fargateSpot, vcpus, memoryMiB };
}

function describeMemoryRange(range: { vcpus: number; from: number; to: number; step: number }): string {
  if (range.vcpus === 0.25) return '512, 1024 or 2048';
  return `${range.from}–${range.to} in steps of ${range.step}`;
}

function placementError(requirements: ResourceRequirements, source: string, violations: string[]): UsageError {
  const asked = `${requirements.vcpus} vCPU, ${requirements.memoryMiB} MiB, ${requirements.gpus} GPU`;
  return new UsageError(violationsMessage(`${source} asks for a training job shape AWS Batch cannot run (${asked})`, violations));
}

/** One line saying where a job runs, for progress output. */
export function describePlacement(placement: BatchPlacement): string {
  const shape = `${placement.vcpus} vCPU, ${placement.memoryMiB} MiB`;
  if (placement.kind === 'fargate') return `${placement.spot ? 'Fargate Spot' : 'Fargate'} (${shape})`;
  return `EC2 GPU instances ${placement.instanceTypes.join(', ')} with ${placement.imageType} (${shape}, ${placement.gpus} GPU)`;
}
