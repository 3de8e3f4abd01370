import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { UsageError, violationsMessage } from '../core/errors.js';
import { MAX_ML_PROJECT_NAME_LENGTH, parseRequirementsDocument, REQUIREMENTS_FILE, type MlProject, type RequirementsFile } from '../core/ml-project.js';
import { NAME_PART_RULE, namePartViolations } from '../core/naming.js';
import { paths } from './paths.js';

export function listMlProjects(root: string = paths.mlProjects()): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((entry) => statSync(join(root, entry)).isDirectory())
    .sort();
}

function readMlprojectFile(name: string, file: string): MlProject['environment'] {
  let document: Record<string, unknown>;
  try {
    document = (parseYaml(readFileSync(file, 'utf8')) ?? {}) as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(`${file} is not valid YAML: ${(error as Error).message}`);
  }
  const violations: string[] = [];
  const environment = (['python_env', 'conda_env'] as const).find((key) => key in document);
  if ('docker_env' in document) violations.push('docker_env is not supported: mlops builds the image itself; use python_env or conda_env');
  else if (!environment) violations.push('declares no environment: add python_env (or conda_env)');
  const entryPoints = (document.entry_points ?? {}) as Record<string, { parameters?: Record<string, unknown> } | undefined>;
  const main = entryPoints.main;
  if (!main) {
    violations.push(`has no "main" entry point (found: ${Object.keys(entryPoints).join(', ') || 'none'})`);
  } else {
    for (const [parameter, spec] of Object.entries(main.parameters ?? {})) {
      const hasDefault = typeof spec === 'object' && spec !== null && 'default' in spec;
      if (!hasDefault) violations.push(`entry point "main" parameter "${parameter}" has no default; jobs run without -P arguments`);
    }
  }
  if (violations.length > 0) throw new UsageError(violationsMessage(`${file} (ML project "${name}")`, violations));
  return environment ?? 'python_env';
}

/** A few entries take a few hundred bytes; anything near this is not a requirements file. */
const MAX_REQUIREMENTS_FILE_BYTES = 64 * 1024;

function readRequirementsFile(path: string): RequirementsFile {
  const size = statSync(path).size;
  if (size > MAX_REQUIREMENTS_FILE_BYTES) {
    throw new UsageError(`${path} is ${size} bytes; a requirements file may hold at most ${MAX_REQUIREMENTS_FILE_BYTES} (64 KiB): a few entries such as [{"type":"VCPU","value":"2"}]`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  return parseRequirementsDocument(raw, path);
}

/**
 * Loads and checks `ml-projects/<name>` before anything is built or applied: the folder, its
 * MLproject file and main entry point, the name as part of AWS names, and resource-requirements.json.
 */
export function loadMlProject(name: string, root: string = paths.mlProjects()): MlProject {
  if (name.trim() === '') throw new UsageError(`project= (--project) is required: one of ${listMlProjects(root).join(', ') || `none (no folder in ${root})`}`);
  const nameViolations = namePartViolations(name, MAX_ML_PROJECT_NAME_LENGTH);
  if (nameViolations.length > 0) {
    throw new UsageError(violationsMessage(`ML project name "${name}" cannot be used in AWS resource names (${NAME_PART_RULE})`, nameViolations));
  }
  const dir = join(root, name);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    const known = listMlProjects(root);
    throw new UsageError(`unknown ML project "${name}": no folder ${dir}. Known projects: ${known.join(', ') || 'none'}`);
  }
  const mlprojectFile = join(dir, 'MLproject');
  if (!existsSync(mlprojectFile)) {
    throw new UsageError(`${dir} has no MLproject file: an ML project is an MLflow project (https://mlflow.org/docs/latest/projects.html)`);
  }
  const environment = readMlprojectFile(name, mlprojectFile);
  const requirementsPath = join(dir, REQUIREMENTS_FILE);
  const requirementsFile = existsSync(requirementsPath) ? readRequirementsFile(requirementsPath) : undefined;
  return { name, dir, environment, requirementsFile };
}
