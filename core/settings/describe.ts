import type { z } from 'zod';

export interface SettingDescription {
  readonly path: string;
  readonly value: unknown;
  readonly description: string;
}

type AnySchema = z.ZodType & { _zod: { def: { type: string; innerType?: AnySchema; shape?: Record<string, AnySchema> } } };

/** The object schema under default/prefault/optional wrappers, if there is one. */
function objectShape(schema: AnySchema): Record<string, AnySchema> | undefined {
  let current: AnySchema | undefined = schema;
  while (current && current._zod.def.type !== 'object') current = current._zod.def.innerType;
  return current?._zod.def.shape;
}

/** Every leaf setting with its resolved value and the description from the schema (for `mlops settings`). */
export function describeSettings(schema: AnySchema, values: Record<string, unknown>, prefix = ''): SettingDescription[] {
  const shape = objectShape(schema);
  if (!shape) return [];
  return Object.entries(shape).flatMap(([key, field]) => {
    if (key === '$schema') return [];
    const path = `${prefix}${key}`;
    const value = values[key];
    if (objectShape(field) && value && typeof value === 'object' && !Array.isArray(value)) {
      return describeSettings(field, value as Record<string, unknown>, `${path}.`);
    }
    return [{ path, value, description: field.description ?? '' }];
  });
}
