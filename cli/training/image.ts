import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { UsageError, violationsMessage } from '../../core/errors.js';
import { contentHashTag } from '../effects/container-image.js';
import type { MlProject } from '../../core/ml-project.js';
import { paths } from '../paths.js';

/**
 * The training image of an ML project: a generated Dockerfile that installs the project's
 * environment when the image is built (never when the job starts) and runs the MLproject's main
 * entry point with MLflow's `local` env manager, i.e. in that pre-installed environment.
 */

/** The base image of conda projects: Miniforge (conda-forge), pinned to a release. */
export const CONDA_BASE_IMAGE = 'condaforge/miniforge3:24.11.3-0';
/** Python images are pinned to the project's `python:` version on Debian bookworm. */
export const pythonBaseImage = (pythonVersion: string) => `python:${pythonVersion}-slim-bookworm`;
/** Where the project lives in the image (the job's working directory). */
export const IMAGE_WORKDIR = '/opt/ml-project';

/** The environment an MLproject declares, read from the file its MLproject names. */
export type ProjectEnvironment =
  | { kind: 'python_env'; file: string; python: string; buildDependencies: string[]; dependencies: string[] }
  | { kind: 'conda_env'; file: string };

/** Files and folders never copied into the image nor hashed into its tag (local run output, caches). */
const IGNORED_NAMES = new Set(['.git', '__pycache__', 'mlruns', 'mlartifacts', '.venv', 'venv', '.ipynb_checkpoints', '.DS_Store', '.mlops']);

export function isIgnoredPath(relativePath: string): boolean {
  const parts = relativePath.split(sep);
  return parts.some((part) => IGNORED_NAMES.has(part)) || relativePath.endsWith('.pyc');
}

/** Reads the MLproject's environment file; every problem names the file and the field. */
export function readProjectEnvironment(project: MlProject): ProjectEnvironment {
  const mlprojectFile = join(project.dir, 'MLproject');
  const document = (parseYaml(readFileSync(mlprojectFile, 'utf8')) ?? {}) as Record<string, unknown>;
  const fileName = document[project.environment];
  if (typeof fileName !== 'string' || fileName.trim() === '') {
    throw new UsageError(`${mlprojectFile}: ${project.environment} must name a file in the project folder (e.g. ${project.environment}: python_env.yaml)`);
  }
  const file = join(project.dir, fileName);
  if (relative(project.dir, file).startsWith('..')) throw new UsageError(`${mlprojectFile}: ${project.environment} "${fileName}" is outside the project folder`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(`${mlprojectFile} names ${project.environment} "${fileName}", but ${file} cannot be read`);
  }
  if (project.environment === 'conda_env') return { kind: 'conda_env', file: relative(project.dir, file) };
  let spec: Record<string, unknown>;
  try {
    spec = (parseYaml(text) ?? {}) as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(`${file} is not valid YAML: ${(error as Error).message}`);
  }
  const violations: string[] = [];
  const python = spec.python === undefined ? undefined : String(spec.python);
  if (python === undefined) violations.push('field python is missing: pin the Python version the project needs, e.g. python: "3.11"');
  else if (!/^3\.\d{1,2}(\.\d{1,2})?$/.test(python)) violations.push(`field python "${python}" is not a Python 3 version such as 3.11 or 3.11.9`);
  const list = (field: string): string[] => {
    const value = spec[field];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
      violations.push(`field ${field} must be a list of pip requirement strings`);
      return [];
    }
    return value as string[];
  };
  const buildDependencies = list('build_dependencies');
  const dependencies = list('dependencies');
  if (violations.length > 0) throw new UsageError(violationsMessage(`${file} (python_env of ML project "${project.name}")`, violations));
  return { kind: 'python_env', file: relative(project.dir, file), python: python as string, buildDependencies, dependencies };
}

/** The command the container runs: the main entry point, in the environment baked into the image. */
export function trainingCommand(projectName: string): string[] {
  return ['mlflow', 'run', '.', '--env-manager', 'local', '--experiment-name', projectName];
}

/** The command of one job: the run is named after the job so its model version can be found afterwards. */
export function jobCommand(projectName: string, jobName: string): string[] {
  return [...trainingCommand(projectName), '--run-name', jobName];
}

/**
 * The generated Dockerfile: base image pinned to the project's Python version (or a Miniforge
 * release), dependencies installed at build time from the project's own pins, a non-root user,
 * and the training command.
 */
export function renderDockerfile(projectName: string, environment: ProjectEnvironment, baseImage?: string | null): string {
  const from = baseImage ?? (environment.kind === 'python_env' ? pythonBaseImage(environment.python) : CONDA_BASE_IMAGE);
  const exec = (args: string[]) => JSON.stringify(args);
  const install =
    environment.kind === 'python_env'
      ? [
          ...(environment.buildDependencies.length > 0 ? [`RUN ${exec(['python', '-m', 'pip', 'install', ...environment.buildDependencies])}`] : []),
          ...(environment.dependencies.length > 0 ? [`RUN ${exec(['python', '-m', 'pip', 'install', ...environment.dependencies])}`] : []),
        ]
      : [`RUN ${exec(['conda', 'env', 'update', '--name', 'base', '--file', environment.file])}`, `RUN ${exec(['conda', 'clean', '--all', '--yes'])}`];
  return [
    `# Generated by mlops for ML project "${projectName}" from its ${environment.file}; not edited by hand.`,
    `FROM ${from}`,
    'ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \\',
    '    MLFLOW_ENABLE_TELEMETRY=false DO_NOT_TRACK=1 HOME=/home/mlops',
    'RUN useradd --create-home --home-dir /home/mlops --uid 10001 mlops',
    `WORKDIR ${IMAGE_WORKDIR}`,
    'COPY --chown=10001:10001 project/ ./',
    ...install,
    'USER 10001',
    `CMD ${exec(trainingCommand(projectName))}`,
    '',
  ].join('\n');
}

/** The image tag: content hash of the project folder (ignored paths aside) and the Dockerfile. */
export function trainingImageTag(project: MlProject, dockerfile: string): string {
  return contentHashTag(project.dir, [dockerfile], isIgnoredPath);
}

/** Where a project's build context is made: a fixed path, so a run that was killed leaves nothing the next one keeps. */
export const buildContextDir = (projectName: string) => join(paths.localState(), 'build', `training-${projectName}`);

/** A fixed timestamp for every file of the context, so two builds of the same inputs see the same files. */
const EPOCH = new Date('2000-01-01T00:00:00Z');

/**
 * Writes the build context: `Dockerfile` and `project/` (the project's files minus ignored paths,
 * in sorted order, fixed timestamps). `cleanup` removes it; an earlier leftover is removed first.
 */
export function prepareBuildContext(project: MlProject, dockerfile: string, dir: string = buildContextDir(project.name)): { dir: string; cleanup: () => void } {
  rmSync(dir, { recursive: true, force: true });
  const projectDir = join(dir, 'project');
  mkdirSync(projectDir, { recursive: true });
  const copy = (from: string, to: string) => {
    for (const entry of readdirSync(from).sort()) {
      const source = join(from, entry);
      if (isIgnoredPath(relative(project.dir, source))) continue;
      const target = join(to, entry);
      if (statSync(source).isDirectory()) {
        mkdirSync(target);
        copy(source, target);
      } else {
        copyFileSync(source, target);
      }
      utimesSync(target, EPOCH, EPOCH);
    }
  };
  copy(project.dir, projectDir);
  writeFileSync(join(dir, 'Dockerfile'), dockerfile);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
