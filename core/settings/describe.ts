import type { z } from 'zod';

export interface SettingDescription {
  readonly path: string;
  readonly value: unknown;
  readonly description: string;
  /** Whether the settings file sets it (false: the schema's default applies). */
  readonly set: boolean;
}

type AnySchema = z.ZodType & { _zod: { def: { type: string; innerType?: AnySchema; shape?: Record<string, AnySchema> } } };

/** The object schema under default/prefault/optional wrappers, if there is one. */
function objectShape(schema: AnySchema): Record<string, AnySchema> | undefined {
  let current: AnySchema | undefined = schema;
  while (current && current._zod.def.type !== 'object') current = current._zod.def.innerType;
  return current?._zod.def.shape;
}

const isObject = (value: unknown): value is Record<string, unknown> => Boolean(value) && typeof value === 'object' && !Array.isArray(value);

/**
 * Every leaf setting with its resolved value, the description from the schema, and whether the file
 * (`raw`, as written) sets it or the default applies (for `mlops settings`).
 */
export function describeSettings(schema: AnySchema, values: Record<string, unknown>, raw: unknown = {}, prefix = ''): SettingDescription[] {
  const shape = objectShape(schema);
  if (!shape) return [];
  return Object.entries(shape).flatMap(([key, field]) => {
    if (key === '$schema') return [];
    const path = `${prefix}${key}`;
    const value = values[key];
    const written = isObject(raw) ? raw[key] : undefined;
    if (objectShape(field) && isObject(value)) return describeSettings(field, value, written, `${path}.`);
    return [{ path, value, description: field.description ?? '', set: written !== undefined }];
  });
}
