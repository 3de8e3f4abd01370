/**
 * The CPU/memory pairs Fargate accepts for a task (Linux): memory from `min` to `max` MiB in steps of
 * `step`. Any other pair fails at RegisterTaskDefinition, halfway through an apply; checked at synth.
 */
export const FARGATE_TASK_SIZES: readonly { cpu: number; min: number; max: number; step: number }[] = [
  { cpu: 256, min: 512, max: 2048, step: 512 },
  { cpu: 512, min: 1024, max: 4096, step: 1024 },
  { cpu: 1024, min: 2048, max: 8192, step: 1024 },
  { cpu: 2048, min: 4096, max: 16384, step: 1024 },
  { cpu: 4096, min: 8192, max: 30720, step: 1024 },
  { cpu: 8192, min: 16384, max: 61440, step: 4096 },
  { cpu: 16384, min: 32768, max: 122880, step: 8192 },
];

/** The memory sizes (MiB) Fargate accepts with `cpu` units; empty when `cpu` is not a Fargate size. */
export function fargateMemoryChoices(cpu: number): number[] {
  const size = FARGATE_TASK_SIZES.find((entry) => entry.cpu === cpu);
  if (!size) return [];
  const choices: number[] = [];
  for (let memory = size.min; memory <= size.max; memory += size.step) choices.push(memory);
  return choices;
}

/** Why `cpu`/`memoryMiB` is not a Fargate task size, with the nearest valid choices; empty when it is one. */
export function fargateTaskSizeViolations(cpu: number, memoryMiB: number): string[] {
  const choices = fargateMemoryChoices(cpu);
  if (choices.length === 0) {
    return [`cpu=${cpu}: Fargate takes ${FARGATE_TASK_SIZES.map((entry) => entry.cpu).join(', ')} CPU units`];
  }
  if (choices.includes(memoryMiB)) return [];
  const below = choices.filter((choice) => choice < memoryMiB).pop();
  const above = choices.find((choice) => choice > memoryMiB);
  const nearest = [below, above].filter((choice): choice is number => choice !== undefined);
  const cpuForMemory = FARGATE_TASK_SIZES.filter((entry) => fargateMemoryChoices(entry.cpu).includes(memoryMiB)).map((entry) => entry.cpu);
  const alternative = cpuForMemory.length > 0 ? `; ${memoryMiB} MiB goes with cpu ${cpuForMemory.join(' or ')}` : '';
  return [
    `memory=${memoryMiB} MiB does not go with cpu=${cpu}: Fargate takes ${choices[0]}–${choices[choices.length - 1]} MiB in steps of ` +
      `${FARGATE_TASK_SIZES.find((entry) => entry.cpu === cpu)!.step} (nearest: ${nearest.join(' or ')})${alternative}`,
  ];
}
