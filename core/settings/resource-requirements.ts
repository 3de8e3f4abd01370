import { z } from 'zod';

/**
 * The AWS Batch resourceRequirements shape, as a project declares it in `resource-requirements.json`:
 * `[{"type":"VCPU","value":"2"},{"type":"MEMORY","value":"4096"},{"type":"GPU","value":"1"}]`.
 */
export const RESOURCE_TYPES = ['VCPU', 'MEMORY', 'GPU'] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

/** What a job or an endpoint asks for, parsed. `gpus` is 0 when not asked. */
export interface ResourceRequirements {
  readonly vcpus: number;
  readonly memoryMiB: number;
  readonly gpus: number;
}

const RANGES: Record<ResourceType, { min: number; max: number; integer: boolean; unit: string }> = {
  VCPU: { min: 0.25, max: 192, integer: false, unit: 'vCPUs' },
  MEMORY: { min: 512, max: 1_572_864, integer: true, unit: 'MiB' },
  GPU: { min: 0, max: 16, integer: true, unit: 'GPUs' },
};

const entrySchema = z.object({ type: z.string(), value: z.union([z.string(), z.number()]) }).strict();

/** Digits, optionally a point and more digits: what Number() also reads as hex ("0x10"), exponent ("1e3") or padded (" 2 ") is refused. */
const PLAIN_DECIMAL = /^\d+(\.\d+)?$/;
const PLAIN_DECIMAL_RULE = 'digits, optionally a point and more digits, such as 2, 0.5 or 4096';

/**
 * Checks a list of requirement entries and returns every violation, each naming the entry; entries
 * absent from the list stay absent (so a project's file can be merged over the defaults).
 */
export function parseRequirementEntries(
  entries: readonly unknown[],
): { values: Partial<Record<ResourceType, number>>; violations: string[] } {
  const values: Partial<Record<ResourceType, number>> = {};
  const violations: string[] = [];
  // Each type may appear once, so a longer list is wrong as a whole; one violation, not one per entry.
  if (entries.length > RESOURCE_TYPES.length) {
    return { values, violations: [`has ${entries.length} entries; at most ${RESOURCE_TYPES.length}, one per type (${RESOURCE_TYPES.join(', ')})`] };
  }
  entries.forEach((raw, index) => {
    const where = `entry ${index}`;
    const parsed = entrySchema.safeParse(raw);
    if (!parsed.success) {
      violations.push(`${where}: must be {"type": one of ${RESOURCE_TYPES.join('|')}, "value": "<number>"} (got ${JSON.stringify(raw)})`);
      return;
    }
    const { type, value } = parsed.data;
    if (!(RESOURCE_TYPES as readonly string[]).includes(type)) {
      violations.push(`${where}: unknown type "${type}"; allowed: ${RESOURCE_TYPES.join(', ')}`);
      return;
    }
    const resourceType = type as ResourceType;
    const text = String(value);
    const number = Number(text);
    const range = RANGES[resourceType];
    if (!PLAIN_DECIMAL.test(text)) {
      violations.push(`${where} (${resourceType}): value "${value}" is not a plain decimal number: ${PLAIN_DECIMAL_RULE}`);
      return;
    }
    if (range.integer && !Number.isInteger(number)) {
      violations.push(`${where} (${resourceType}): value ${number} must be a whole number of ${range.unit}`);
      return;
    }
    if (number < range.min || number > range.max) {
      violations.push(`${where} (${resourceType}): value ${number} is out of range ${range.min}–${range.max} ${range.unit}`);
      return;
    }
    if (values[resourceType] !== undefined) {
      violations.push(`${where}: duplicate type ${resourceType}; each type may appear once`);
      return;
    }
    values[resourceType] = number;
  });
  return { values, violations };
}

/** Merges what a project set over the defaults: a type the project leaves out keeps its default. */
export function mergeRequirements(
  defaults: Partial<Record<ResourceType, number>>,
  overrides: Partial<Record<ResourceType, number>>,
): ResourceRequirements {
  const merged = { ...defaults, ...overrides };
  return { vcpus: merged.VCPU ?? 1, memoryMiB: merged.MEMORY ?? 2048, gpus: merged.GPU ?? 0 };
}

/** Back to the Batch shape, for job definitions. */
export function toBatchResourceRequirements(requirements: ResourceRequirements): { type: ResourceType; value: string }[] {
  const entries: { type: ResourceType; value: string }[] = [
    { type: 'VCPU', value: String(requirements.vcpus) },
    { type: 'MEMORY', value: String(requirements.memoryMiB) },
  ];
  if (requirements.gpus > 0) entries.push({ type: 'GPU', value: String(requirements.gpus) });
  return entries;
}
