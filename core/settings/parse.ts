import type { z } from 'zod';
import { UsageError, violationsMessage } from '../errors.js';
import { parseRequirementEntries, type ResourceType } from './resource-requirements.js';
import { settingsSchema, type Settings } from './schema.js';

function describeIssue(issue: z.core.$ZodIssue): string {
  const field = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
  if (issue.code === 'unrecognized_keys') return `unknown field(s) ${issue.keys.map((key) => `"${key}"`).join(', ')} in ${field}`;
  return `field ${field}: ${issue.message}`;
}

/** Parses settings text; every error names the file and the field, and says what is allowed. */
export function parseSettings(text: string, file: string): Settings {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  const result = settingsSchema.safeParse(raw);
  if (!result.success) {
    throw new UsageError(violationsMessage(`${file} has invalid settings`, result.error.issues.map(describeIssue)));
  }
  const settings = result.data;
  const requirements = parseRequirementEntries(settings.default_resource_requirements);
  const violations = requirements.violations.map((violation) => `field default_resource_requirements, ${violation}`);
  for (const needed of ['VCPU', 'MEMORY'] as ResourceType[]) {
    if (requirements.values[needed] === undefined) violations.push(`field default_resource_requirements must set ${needed}`);
  }
  const server = settings.mlflow_server;
  if (server.min_tasks > server.max_tasks) {
    violations.push(`field mlflow_server.min_tasks (${server.min_tasks}) must not exceed mlflow_server.max_tasks (${server.max_tasks})`);
  }
  if (violations.length > 0) throw new UsageError(violationsMessage(`${file} has invalid settings`, violations));
  return settings;
}
