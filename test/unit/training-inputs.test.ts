import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainingInputs } from '../../cli/builders/training.js';
import { loadMlProject } from '../../cli/ml-project.js';
import { parseSettings } from '../../core/settings/parse.js';
import type { Environment } from '../../core/environment.js';
import { VALID_MLPROJECT as MLPROJECT } from '../harness/mlproject-fixture.js';
import { usageErrorMessage } from '../harness/usage-error.js';

const PYTHON_ENV = 'python: "3.11"\nbuild_dependencies: [pip]\ndependencies: ["mlflow==3.17.2"]\n';
const environment: Environment = { stateBucket: 'state', region: 'eu-west-1', project: 'acme', envName: 'dev' };
const roots: string[] = [];
afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

/** A project folder with an optional resource-requirements.json, loaded as the CLI loads it. */
function inputsFor(requirements: unknown | undefined, settingsJson = '{}') {
  const root = mkdtempSync(join(tmpdir(), 'mlops-training-inputs-'));
  roots.push(root);
  mkdirSync(join(root, 'p'));
  writeFileSync(join(root, 'p', 'MLproject'), MLPROJECT);
  writeFileSync(join(root, 'p', 'python_env.yaml'), PYTHON_ENV);
  writeFileSync(join(root, 'p', 'train.py'), 'print("train")\n');
  if (requirements !== undefined) writeFileSync(join(root, 'p', 'resource-requirements.json'), JSON.stringify(requirements));
  const settings = parseSettings(settingsJson, 'settings.json');
  return trainingInputs({ environment, settings }, loadMlProject('p', root));
}

const entry = (type: string, value: string | number) => ({ type, value });

describe('training requirements: the project file over the settings defaults, mapped to a placement', () => {
  it.each([
    ['no file: the settings defaults (1 vCPU, 2048 MiB)', undefined, { kind: 'fargate', vcpus: 1, memoryMiB: 2048 }],
    ['a list of entries', [entry('VCPU', '2'), entry('MEMORY', '4096')], { kind: 'fargate', vcpus: 2, memoryMiB: 4096 }],
    ['numbers instead of strings', [entry('VCPU', 4), entry('MEMORY', 8192)], { kind: 'fargate', vcpus: 4, memoryMiB: 8192 }],
    ['only MEMORY: VCPU keeps its default', [entry('MEMORY', '3072')], { kind: 'fargate', vcpus: 1, memoryMiB: 3072 }],
    ['a training section', { training: [entry('VCPU', '0.5'), entry('MEMORY', '1024')] }, { kind: 'fargate', vcpus: 0.5, memoryMiB: 1024 }],
    ['a GPU', [entry('VCPU', '4'), entry('MEMORY', '16384'), entry('GPU', '1')], { kind: 'ec2-gpu', gpus: 1, instanceTypes: ['g4dn', 'g5'] }],
  ])('%s', (_label, requirements, placement) => {
    expect(inputsFor(requirements).placement).toMatchObject(placement);
  });

  it.each([
    ['an unknown type', [entry('CPU', '2')], ['resource-requirements.json', 'entry 0', 'unknown type "CPU"']],
    ['a value that is not a number', [entry('VCPU', 'two')], ['entry 0 (VCPU)', 'is not a plain decimal number']],
    ['a value out of range', [entry('MEMORY', '128')], ['entry 0 (MEMORY)', 'out of range']],
    ['a duplicate type', [entry('VCPU', '1'), entry('VCPU', '2')], ['entry 1', 'duplicate type VCPU']],
    ['fractional GPUs', [entry('GPU', '0.5')], ['entry 0 (GPU)', 'whole number']],
    ['a pair Fargate does not run', [entry('VCPU', '1'), entry('MEMORY', '512')], ['resource-requirements.json', 'not a Fargate size', '1 vCPU with 2048 MiB']],
  ])('refuses %s, naming the file and the entry', (_label, requirements, fragments) => {
    const message = usageErrorMessage(() => inputsFor(requirements));
    for (const fragment of fragments) expect(message).toContain(fragment);
  });

  it('names the settings file when the defaults themselves are no Fargate size', () => {
    const settings = JSON.stringify({ default_resource_requirements: [entry('VCPU', '2'), entry('MEMORY', '2048')] });
    expect(usageErrorMessage(() => inputsFor(undefined, settings))).toContain('default_resource_requirements');
  });

  it('puts CPU-only jobs on Fargate Spot when training.fargate_spot is on', () => {
    expect(inputsFor(undefined, JSON.stringify({ training: { fargate_spot: true } })).placement).toMatchObject({ kind: 'fargate', spot: true });
  });

  it('gives the same image tag to the same project twice, and another when a file changes', () => {
    const first = inputsFor([entry('VCPU', '1')]);
    const second = inputsFor([entry('VCPU', '1')]);
    const changed = inputsFor([entry('VCPU', '2'), entry('MEMORY', '4096')]);
    expect(first.imageTag).toMatch(/^[0-9a-f]{16}$/);
    expect(second.imageTag).toBe(first.imageTag);
    expect(changed.imageTag).not.toBe(first.imageTag);
  });
});
