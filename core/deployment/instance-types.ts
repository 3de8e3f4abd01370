import { UsageError } from '../errors.js';
import type { ResourceRequirements } from '../settings/resource-requirements.js';

/** One SageMaker real-time inference instance type: what it offers and roughly what it costs. */
export interface SageMakerInstanceType {
  readonly name: string;
  readonly vcpus: number;
  readonly memoryGiB: number;
  readonly gpus: number;
  /** On-demand USD per hour in us-east-1: orders the choices, and is the price table's us-east-1 and us-west-2 price (core/cost/price-table.ts). */
  readonly hourlyUsd: number;
}

const type = (name: string, vcpus: number, memoryGiB: number, gpus: number, hourlyUsd: number): SageMakerInstanceType => ({
  name,
  vcpus,
  memoryGiB,
  gpus,
  hourlyUsd,
});

/**
 * The instance types mlops chooses from for real-time endpoints: general purpose (t2, m5), compute
 * (c5) and memory (r5) optimised CPU types, and the GPU types g4dn, g5 and p3.
 */
export const SAGEMAKER_INSTANCE_TYPES: readonly SageMakerInstanceType[] = [
  type('ml.t2.medium', 2, 4, 0, 0.056),
  type('ml.t2.large', 2, 8, 0, 0.111),
  type('ml.t2.xlarge', 4, 16, 0, 0.223),
  type('ml.t2.2xlarge', 8, 32, 0, 0.446),
  type('ml.c5.large', 2, 4, 0, 0.102),
  type('ml.c5.xlarge', 4, 8, 0, 0.204),
  type('ml.c5.2xlarge', 8, 16, 0, 0.408),
  type('ml.c5.4xlarge', 16, 32, 0, 0.816),
  type('ml.c5.9xlarge', 36, 72, 0, 1.836),
  type('ml.c5.18xlarge', 72, 144, 0, 3.672),
  type('ml.m5.large', 2, 8, 0, 0.115),
  type('ml.m5.xlarge', 4, 16, 0, 0.23),
  type('ml.m5.2xlarge', 8, 32, 0, 0.461),
  type('ml.m5.4xlarge', 16, 64, 0, 0.922),
  type('ml.m5.12xlarge', 48, 192, 0, 2.765),
  type('ml.m5.24xlarge', 96, 384, 0, 5.53),
  type('ml.r5.large', 2, 16, 0, 0.151),
  type('ml.r5.xlarge', 4, 32, 0, 0.302),
  type('ml.r5.2xlarge', 8, 64, 0, 0.605),
  type('ml.r5.4xlarge', 16, 128, 0, 1.21),
  type('ml.r5.12xlarge', 48, 384, 0, 3.629),
  type('ml.r5.24xlarge', 96, 768, 0, 7.258),
  type('ml.g4dn.xlarge', 4, 16, 1, 0.736),
  type('ml.g4dn.2xlarge', 8, 32, 1, 1.052),
  type('ml.g4dn.4xlarge', 16, 64, 1, 1.686),
  type('ml.g4dn.8xlarge', 32, 128, 1, 3.045),
  type('ml.g4dn.12xlarge', 48, 192, 4, 5.474),
  type('ml.g4dn.16xlarge', 64, 256, 1, 6.09),
  type('ml.g5.xlarge', 4, 16, 1, 1.408),
  type('ml.g5.2xlarge', 8, 32, 1, 1.515),
  type('ml.g5.4xlarge', 16, 64, 1, 2.03),
  type('ml.g5.8xlarge', 32, 128, 1, 3.06),
  type('ml.g5.12xlarge', 48, 192, 4, 7.09),
  type('ml.g5.24xlarge', 96, 384, 4, 10.18),
  type('ml.g5.48xlarge', 192, 768, 8, 20.36),
  type('ml.p3.2xlarge', 8, 61, 1, 3.825),
  type('ml.p3.8xlarge', 32, 244, 4, 14.688),
  type('ml.p3.16xlarge', 64, 488, 8, 28.152),
];

const fits = (candidate: SageMakerInstanceType, asked: ResourceRequirements) =>
  candidate.vcpus >= asked.vcpus && candidate.memoryGiB * 1024 >= asked.memoryMiB && candidate.gpus >= asked.gpus;

/** A CPU-only request never lands on a GPU type: GPUs cost more and serve nothing it asked for. */
const eligible = (candidate: SageMakerInstanceType, asked: ResourceRequirements) => (asked.gpus === 0 ? candidate.gpus === 0 : true);

const byCost = (a: SageMakerInstanceType, b: SageMakerInstanceType) =>
  a.hourlyUsd - b.hourlyUsd || a.vcpus - b.vcpus || a.memoryGiB - b.memoryGiB || a.name.localeCompare(b.name);

export const describeInstanceType = (candidate: SageMakerInstanceType) =>
  `${candidate.name} (${candidate.vcpus} vCPU, ${candidate.memoryGiB} GiB${candidate.gpus > 0 ? `, ${candidate.gpus} GPU` : ''})`;

export const describeRequirements = (asked: ResourceRequirements) =>
  `${asked.vcpus} vCPU, ${asked.memoryMiB} MiB${asked.gpus > 0 ? `, ${asked.gpus} GPU` : ''}`;

/**
 * The cheapest instance type of the table that has the vCPUs, memory and GPUs asked for. When none
 * fits, the error names the largest types of the kind asked for, so the request can be shrunk to one.
 */
export function toSageMakerInstance(asked: ResourceRequirements, table: readonly SageMakerInstanceType[] = SAGEMAKER_INSTANCE_TYPES): SageMakerInstanceType {
  const candidates = table.filter((candidate) => eligible(candidate, asked));
  const fitting = candidates.filter((candidate) => fits(candidate, asked)).sort(byCost);
  if (fitting.length > 0) return fitting[0];
  const nearest = [...candidates]
    .sort((a, b) => b.gpus - a.gpus || b.vcpus - a.vcpus || b.memoryGiB - a.memoryGiB)
    .slice(0, 3)
    .map(describeInstanceType);
  throw new UsageError(
    `no SageMaker instance type has ${describeRequirements(asked)}; the largest ${asked.gpus > 0 ? 'GPU' : 'CPU'} types are ${nearest.join(', ')}`,
  );
}
