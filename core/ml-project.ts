import { UsageError, violationsMessage } from './errors.js';
import { namePartViolations } from './naming.js';
import {
  mergeRequirements,
  parseRequirementEntries,
  type ResourceRequirements,
  type ResourceType,
} from './settings/resource-requirements.js';
import { parseSchedule, type TrainingSchedule } from './training/schedule.js';

/** The longest ML project name: `<project>-<env>-<name>-<suffix>` must fit every AWS name it feeds. */
export const MAX_ML_PROJECT_NAME_LENGTH = 20;
export const REQUIREMENTS_FILE = 'resource-requirements.json';

/**
 * Refuses an ML project name given by name alone (removal, unlock), before anything is looked up;
 * `given` says how it was given (`project= (--project)`, `--stack training-x`).
 */
export function checkMlProjectName(name: string, given: string): void {
  if (name.trim() === '') throw new UsageError(`${given} is required: the ML project`);
  const violations = namePartViolations(name, MAX_ML_PROJECT_NAME_LENGTH);
  if (violations.length > 0) throw new UsageError(violationsMessage(`${given}: the ML project name "${name}" cannot be used in AWS resource names`, violations));
}

export interface MlProject {
  readonly name: string;
  readonly dir: string;
  readonly environment: 'python_env' | 'conda_env';
  /** The raw `resource-requirements.json` entries (top level, or its `training`/`deployment` sections). */
  readonly requirementsFile?: RequirementsFile;
}

export interface RequirementsFile {
  readonly path: string;
  readonly training: Partial<Record<ResourceType, number>>;
  readonly deployment: Partial<Record<ResourceType, number>>;
  /** `"deployment": {"serverless": {...}}` asks for serverless inference. */
  readonly serverless?: { memoryMiB: number; maxConcurrency: number };
  /** `"schedule": "cron(…)" | "rate(…)"` retrains on a schedule (EventBridge Scheduler, UTC). */
  readonly schedule?: TrainingSchedule;
}

/** Checks a parsed `resource-requirements.json` document; every violation names `path` (the file) and the section. */
export function parseRequirementsDocument(raw: unknown, path: string): RequirementsFile {
  const sections: Record<string, unknown> = Array.isArray(raw) ? { training: raw } : ((raw ?? {}) as Record<string, unknown>);
  const violations: string[] = [];
  const allowed = ['training', 'deployment', 'schedule'];
  for (const key of Object.keys(sections)) {
    if (!allowed.includes(key)) violations.push(`unknown section "${key}"; allowed: a list of entries, or an object with ${allowed.join(', ')}`);
  }
  const parseSection = (section: string, value: unknown): Partial<Record<ResourceType, number>> => {
    if (value === undefined) return {};
    if (!Array.isArray(value)) {
      violations.push(`${section}: must be a list like [{"type":"VCPU","value":"2"}]`);
      return {};
    }
    const parsed = parseRequirementEntries(value);
    violations.push(...parsed.violations.map((violation) => `${section} ${violation}`));
    return parsed.values;
  };
  const training = parseSection('training', sections.training);
  let deploymentEntries: unknown = sections.deployment;
  let serverless: RequirementsFile['serverless'];
  if (deploymentEntries && !Array.isArray(deploymentEntries) && typeof deploymentEntries === 'object') {
    const { serverless: serverlessSpec, resources } = deploymentEntries as { serverless?: { memory_mib?: unknown; max_concurrency?: unknown }; resources?: unknown };
    deploymentEntries = resources;
    if (serverlessSpec) {
      serverless = { memoryMiB: Number(serverlessSpec.memory_mib ?? 2048), maxConcurrency: Number(serverlessSpec.max_concurrency ?? 5) };
    }
  }
  const deployment = parseSection('deployment', deploymentEntries);
  let schedule: TrainingSchedule | undefined;
  if (sections.schedule !== undefined) {
    const parsed = parseSchedule(sections.schedule, 'schedule');
    violations.push(...parsed.violations);
    schedule = parsed.schedule;
  }
  if (violations.length > 0) throw new UsageError(violationsMessage(`${path} is invalid`, violations));
  return { path, training, deployment, serverless, ...(schedule ? { schedule } : {}) };
}

/** The project's training requirements merged over the settings' defaults. */
export function trainingRequirements(project: MlProject, defaults: Partial<Record<ResourceType, number>>): ResourceRequirements {
  return mergeRequirements(defaults, project.requirementsFile?.training ?? {});
}
