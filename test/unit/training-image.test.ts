import { afterAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { MlProject } from '../../core/ml-project.js';
import {
  CONDA_BASE_IMAGE,
  isIgnoredPath,
  jobCommand,
  prepareBuildContext,
  readProjectEnvironment,
  renderDockerfile,
  trainingImageTag,
} from '../../cli/training/image.js';
import { usageErrorMessage } from '../harness/usage-error.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function project(files: Record<string, string>, environment: MlProject['environment'] = 'python_env'): MlProject {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-training-image-'));
  dirs.push(dir);
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), content);
  }
  return { name: 'wine', dir, environment };
}

const pythonProject = () =>
  project({
    MLproject: 'name: wine\npython_env: python_env.yaml\nentry_points:\n  main:\n    command: python train.py\n',
    'python_env.yaml': 'python: "3.11.9"\nbuild_dependencies: [pip==24.0]\ndependencies: ["mlflow==3.17.2", "scikit-learn==1.9.1"]\n',
    'train.py': 'print("train")\n',
    'src/helpers.py': 'X = 1\n',
    'mlruns/0/meta.yaml': 'local run output\n',
    '__pycache__/train.cpython-311.pyc': 'bytecode',
  });

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? files(path).map((file) => join(entry, file)) : [entry];
  });
}

/** Exec-form instructions must be one JSON array each, or Docker runs them through a shell as text. */
function expectValidExecForms(dockerfile: string): void {
  const lines = dockerfile.split('\n').filter((line) => /^(RUN|CMD) \[/.test(line));
  expect(lines.length).toBeGreaterThan(1);
  for (const line of lines) expect(Array.isArray(JSON.parse(line.slice(line.indexOf('['))))).toBe(true);
}

describe('the generated Dockerfile', () => {
  it('pins the base image to the python_env version and installs the pinned dependencies at build time', () => {
    const dockerfile = renderDockerfile('wine', readProjectEnvironment(pythonProject()));
    expect(dockerfile).toContain('FROM python:3.11.9-slim-bookworm');
    expect(dockerfile).toContain('RUN ["python","-m","pip","install","pip==24.0"]');
    expect(dockerfile).toContain('RUN ["python","-m","pip","install","mlflow==3.17.2","scikit-learn==1.9.1"]');
    expect(dockerfile.indexOf('pip","install","mlflow')).toBeLessThan(dockerfile.indexOf('USER 10001'));
    expect(dockerfile).toContain('CMD ["mlflow","run",".","--env-manager","local","--experiment-name","wine"]');
    expectValidExecForms(dockerfile);
  });

  it('installs a conda environment into the pinned Miniforge base', () => {
    const conda = project({ MLproject: 'name: wine\nconda_env: conda.yaml\nentry_points:\n  main:\n    command: python train.py\n', 'conda.yaml': 'dependencies: [python=3.11]\n' }, 'conda_env');
    const dockerfile = renderDockerfile('wine', readProjectEnvironment(conda));
    expect(dockerfile).toContain(`FROM ${CONDA_BASE_IMAGE}`);
    expect(dockerfile).toContain('"conda","env","update","--name","base","--file","conda.yaml"');
    expectValidExecForms(dockerfile);
  });

  it('uses the base image from settings when one is set', () => {
    expect(renderDockerfile('wine', readProjectEnvironment(pythonProject()), 'registry.example/python:3.11@sha256:abc')).toContain(
      'FROM registry.example/python:3.11@sha256:abc',
    );
  });

  it.each([
    ['no python version', 'dependencies: [mlflow]\n', 'field python is missing'],
    ['a python version that is not one', 'python: latest\n', 'field python "latest"'],
    ['dependencies that are not a list', 'python: "3.11"\ndependencies: mlflow\n', 'field dependencies must be a list'],
  ])('refuses a python_env with %s, naming the file', (_label, text, fragment) => {
    const broken = project({ MLproject: 'name: wine\npython_env: python_env.yaml\nentry_points:\n  main:\n    command: python train.py\n', 'python_env.yaml': text });
    const message = usageErrorMessage(() => readProjectEnvironment(broken));
    expect(message).toContain('python_env.yaml');
    expect(message).toContain(fragment);
  });

  it('names the run after the job so its model version can be found', () => {
    expect(jobCommand('wine', 'batch-wine-1')).toEqual(['mlflow', 'run', '.', '--env-manager', 'local', '--experiment-name', 'wine', '--run-name', 'batch-wine-1']);
  });
});

describe('the image tag and the build context', () => {
  it('ignores local run output and caches in the tag and the context', () => {
    expect(isIgnoredPath('mlruns/0/meta.yaml')).toBe(true);
    expect(isIgnoredPath('src/__pycache__/a.pyc')).toBe(true);
    expect(isIgnoredPath('src/helpers.py')).toBe(false);
    const source = pythonProject();
    const dockerfile = renderDockerfile('wine', readProjectEnvironment(source));
    const tag = trainingImageTag(source, dockerfile);
    writeFileSync(join(source.dir, 'mlruns', 'another-run.yaml'), 'more output\n');
    expect(trainingImageTag(source, dockerfile)).toBe(tag);
    writeFileSync(join(source.dir, 'train.py'), 'print("changed")\n');
    expect(trainingImageTag(source, dockerfile)).not.toBe(tag);
    expect(trainingImageTag(source, `${dockerfile}# changed\n`)).not.toBe(trainingImageTag(source, dockerfile));
  });

  it('writes the Dockerfile and the project files only, the same way twice, and removes everything on cleanup', () => {
    const source = pythonProject();
    const dockerfile = renderDockerfile('wine', readProjectEnvironment(source));
    const dir = join(mkdtempSync(join(tmpdir(), 'mlops-context-')), 'training-wine');
    dirs.push(join(dir, '..'));
    mkdirSync(dir);
    writeFileSync(join(dir, 'leftover-from-a-killed-run'), 'x');
    const first = prepareBuildContext(source, dockerfile, dir);
    const listing = files(first.dir).sort();
    expect(listing).toEqual(['Dockerfile', 'project/MLproject', 'project/python_env.yaml', 'project/src/helpers.py', 'project/train.py']);
    expect(readFileSync(join(dir, 'Dockerfile'), 'utf8')).toBe(dockerfile);
    const mtimes = listing.map((file) => statSync(join(dir, file)).mtimeMs);
    first.cleanup();
    expect(existsSync(dir)).toBe(false);
    const second = prepareBuildContext(source, dockerfile, dir);
    expect(files(second.dir).sort()).toEqual(listing);
    expect(listing.filter((file) => file.startsWith('project/')).map((file) => statSync(join(dir, file)).mtimeMs)).toEqual(
      mtimes.filter((_mtime, index) => listing[index].startsWith('project/')),
    );
    second.cleanup();
    expect(existsSync(dir)).toBe(false);
    expect(relative(tmpdir(), dir).startsWith('..')).toBe(false);
  });
});
