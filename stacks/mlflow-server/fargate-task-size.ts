import { FARGATE_PAIRS, FARGATE_VCPUS } from '../../core/training/placement.js';

/**
 * The CPU/memory pairs Fargate accepts for an ECS task, in CPU units (1024 = 1 vCPU) as task
 * definitions take them, from the one table of Fargate pairs (core/training/placement.ts). Any other
 * pair fails at RegisterTaskDefinition, halfway through an apply; checked at synth.
 */
export const FARGATE_CPU_UNITS: readonly number[] = FARGATE_VCPUS.map((vcpus) => vcpus * 1024);

/** The memory sizes (MiB) Fargate accepts with `cpu` units; empty when `cpu` is not a Fargate size. */
export function fargateMemoryChoices(cpu: number): number[] {
  return FARGATE_PAIRS.filter((pair) => pair.vcpus * 1024 === cpu).map((pair) => pair.memoryMiB);
}

/** Why `cpu`/`memoryMiB` is not a Fargate task size, with the nearest valid choices; empty when it is one. */
export function fargateTaskSizeViolations(cpu: number, memoryMiB: number): string[] {
  const choices = fargateMemoryChoices(cpu);
  if (choices.length === 0) return [`cpu=${cpu}: Fargate takes ${FARGATE_CPU_UNITS.join(', ')} CPU units`];
  if (choices.includes(memoryMiB)) return [];
  const below = choices.filter((choice) => choice < memoryMiB).pop();
  const above = choices.find((choice) => choice > memoryMiB);
  const nearest = [below, above].filter((choice): choice is number => choice !== undefined);
  const cpuForMemory = FARGATE_CPU_UNITS.filter((units) => fargateMemoryChoices(units).includes(memoryMiB));
  const alternative = cpuForMemory.length > 0 ? `; ${memoryMiB} MiB goes with cpu ${cpuForMemory.join(' or ')}` : '';
  return [`memory=${memoryMiB} MiB does not go with cpu=${cpu}: Fargate takes ${choices.join(', ')} MiB (nearest: ${nearest.join(' or ')})${alternative}`];
}
