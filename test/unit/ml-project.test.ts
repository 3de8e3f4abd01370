import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listMlProjects, loadMlProject } from '../../cli/ml-project.js';
import { parseModelSpec } from '../../cli/effects/mlflow.js';
import { VALID_MLPROJECT } from '../harness/mlproject-fixture.js';
import { usageErrorMessage } from '../harness/usage-error.js';


function projectsRoot(projects: Record<string, Record<string, string>>): string {
  const root = mkdtempSync(join(tmpdir(), 'mlops-projects-'));
  for (const [name, files] of Object.entries(projects)) {
    mkdirSync(join(root, name));
    for (const [file, content] of Object.entries(files)) writeFileSync(join(root, name, file), content);
  }
  return root;
}

describe('loadMlProject', () => {
  it('loads a project with an MLproject file and no requirements file', () => {
    const root = projectsRoot({ churn: { MLproject: VALID_MLPROJECT } });
    expect(loadMlProject('churn', root)).toEqual({ name: 'churn', dir: join(root, 'churn'), environment: 'python_env', requirementsFile: undefined });
  });

  it('lists the known projects when the folder does not exist', () => {
    const root = projectsRoot({ churn: { MLproject: VALID_MLPROJECT }, fraud: { MLproject: VALID_MLPROJECT } });
    expect(usageErrorMessage(() => loadMlProject('chrun', root))).toMatch(/unknown ML project "chrun".*Known projects: churn, fraud/);
    expect(listMlProjects(root)).toEqual(['churn', 'fraud']);
  });

  it('refuses a folder without an MLproject file', () => {
    const root = projectsRoot({ notes: { 'README.md': 'x' } });
    expect(usageErrorMessage(() => loadMlProject('notes', root))).toContain(`${join(root, 'notes')} has no MLproject file`);
  });

  it('refuses a main entry point parameter without a default, naming it', () => {
    const root = projectsRoot({ p: { MLproject: VALID_MLPROJECT.replace('{type: float, default: 0.5}', '{type: float}') } });
    expect(usageErrorMessage(() => loadMlProject('p', root))).toContain('parameter "alpha" has no default');
  });

  it('refuses docker_env and a missing main entry point together', () => {
    const root = projectsRoot({ p: { MLproject: 'name: p\ndocker_env:\n  image: x\nentry_points:\n  train:\n    command: "python t.py"\n' } });
    const message = usageErrorMessage(() => loadMlProject('p', root));
    expect(message).toContain('docker_env is not supported');
    expect(message).toContain('has no "main" entry point (found: train)');
  });

  it('refuses a name that cannot be part of AWS resource names', () => {
    expect(usageErrorMessage(() => loadMlProject('Churn_Model', projectsRoot({})))).toContain('cannot be used in AWS resource names');
  });

  it('reads training and deployment requirements from sections', () => {
    const root = projectsRoot({
      p: {
        MLproject: VALID_MLPROJECT,
        'resource-requirements.json': JSON.stringify({
          training: [{ type: 'VCPU', value: '4' }, { type: 'MEMORY', value: '16384' }, { type: 'GPU', value: '1' }],
          deployment: { resources: [{ type: 'MEMORY', value: '4096' }] },
        }),
      },
    });
    const project = loadMlProject('p', root);
    expect(project.requirementsFile?.training).toEqual({ VCPU: 4, MEMORY: 16384, GPU: 1 });
    expect(project.requirementsFile?.deployment).toEqual({ MEMORY: 4096 });
  });

  it('refuses a requirements file larger than 64 KiB before reading it, naming the file and its size', () => {
    // 10 MB of 374k entries once ended in "RangeError: Maximum call stack size exceeded" (exit 70).
    const huge = JSON.stringify(Array.from({ length: 374_000 }, () => ({ type: 'VCPU', value: '1' })));
    const root = projectsRoot({ p: { MLproject: VALID_MLPROJECT, 'resource-requirements.json': huge } });
    const message = usageErrorMessage(() => loadMlProject('p', root));
    expect(message).toContain(`${join(root, 'p', 'resource-requirements.json')} is ${huge.length} bytes; a requirements file may hold at most 65536 (64 KiB)`);
  });

  it('refuses a section with more entries than there are types, naming the file and the section', () => {
    const entries = JSON.stringify({ training: Array.from({ length: 5 }, () => ({ type: 'VCPU', value: '1' })) });
    const root = projectsRoot({ p: { MLproject: VALID_MLPROJECT, 'resource-requirements.json': entries } });
    const message = usageErrorMessage(() => loadMlProject('p', root));
    expect(message).toContain(join(root, 'p', 'resource-requirements.json'));
    expect(message).toContain('training has 5 entries; at most 3, one per type (VCPU, MEMORY, GPU)');
  });

  it('names the requirements file and the entry that is wrong', () => {
    const root = projectsRoot({ p: { MLproject: VALID_MLPROJECT, 'resource-requirements.json': '[{"type":"TPU","value":"1"}]' } });
    const message = usageErrorMessage(() => loadMlProject('p', root));
    expect(message).toContain(join(root, 'p', 'resource-requirements.json'));
    expect(message).toContain('unknown type "TPU"; allowed: VCPU, MEMORY, GPU');
  });
});

describe('a missing argument', () => {
  it('names project= and the projects there are', () => {
    const root = mkdtempSync(join(tmpdir(), 'mlops-projects-'));
    mkdirSync(join(root, 'churn'));
    mkdirSync(join(root, 'wine'));
    expect(usageErrorMessage(() => loadMlProject('', root))).toBe('project= (--project) is required: one of churn, wine');
  });

  it('names model= and the forms a version takes', () => {
    expect(usageErrorMessage(() => parseModelSpec(''))).toBe('model= (--model) is required: a version number (3), "latest", or an alias (@champion)');
  });
});
