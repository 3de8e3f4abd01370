/**
 * What the cost estimate reads: the resources of a saved plan (`tofu show -json <plan>`) or of a
 * state, in one shape. Values are Terraform's attribute values (snake_case, blocks as lists);
 * an attribute known only after apply is absent, and `unknown` names it.
 */
export type Values = Readonly<Record<string, unknown>>;

export interface PlannedResource {
  readonly address: string;
  readonly type: string;
  /** Terraform's actions: `create`, `update`, `delete`, both for a replacement, `no-op`, `read`. */
  readonly actions: readonly string[];
  /** Before the change; null when it is created. */
  readonly before: Values | null;
  /** After the change; null when it is destroyed. */
  readonly after: Values | null;
  /** Top-level attributes of `after` known only after apply. */
  readonly unknown: readonly string[];
}

export interface ShownPlan {
  readonly resource_changes?: readonly {
    address: string;
    mode?: string;
    type: string;
    change: { actions: string[]; before?: Values | null; after?: Values | null; after_unknown?: Record<string, unknown> };
  }[];
}

/** The managed resources of `tofu show -json <saved plan>` (data sources left out). */
export function resourcesFromPlan(plan: ShownPlan): PlannedResource[] {
  return (plan.resource_changes ?? [])
    .filter((resource) => resource.mode !== 'data')
    .map(({ address, type, change }) => ({
      address,
      type,
      actions: change.actions,
      before: change.before ?? null,
      after: change.after ?? null,
      unknown: Object.entries(change.after_unknown ?? {})
        .filter(([, unknown]) => unknown === true)
        .map(([name]) => name),
    }));
}

interface StateFile {
  readonly resources?: readonly {
    mode: string;
    type: string;
    name: string;
    module?: string;
    instances: { index_key?: string | number; attributes: Values }[];
  }[];
}

/** The managed resources of a state file (format 4), each as unchanged (`no-op`). */
export function resourcesFromState(state: StateFile): PlannedResource[] {
  return (state.resources ?? [])
    .filter((resource) => resource.mode === 'managed')
    .flatMap((resource) =>
      resource.instances.map((instance) => {
        const base = `${resource.module ? `${resource.module}.` : ''}${resource.type}.${resource.name}`;
        const key = instance.index_key === undefined ? '' : typeof instance.index_key === 'number' ? `[${instance.index_key}]` : `["${instance.index_key}"]`;
        return { address: `${base}${key}`, type: resource.type, actions: ['no-op'], before: instance.attributes, after: instance.attributes, unknown: [] };
      }),
    );
}
