import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { checkNewProject, renderProject } from '../../core/project-template.js';
import { loadMlProject } from '../../cli/ml-project.js';
import { repoRoot } from '../../cli/paths.js';
import { listProjectTemplates } from '../../cli/project-templates.js';
import { BASELINE_ARTIFACT } from '../../cli/workflows/deployment-release.js';
import { createProject } from '../../cli/workflows/new-project.js';
import { createRecordingReporter } from '../harness/reporter.js';
import { usageErrorMessage } from '../harness/usage-error.js';

const TEMPLATES = ['pytorch', 'sklearn', 'xgboost'];

describe('renderProject', () => {
  it("puts a template's own files over the common ones and fills every placeholder", () => {
    const files = renderProject(
      { 'README.md': '# {{name}} ({{template}})', 'data.py': 'common' },
      { 'data.py': 'own {{name}}', 'train.py': 'name = "{{name}}"' },
      { name: 'churn', template: 'sklearn' },
    );
    expect(files).toEqual({ 'README.md': '# churn (sklearn)', 'data.py': 'own churn', 'train.py': 'name = "churn"' });
  });

  it('leaves single braces alone (MLproject commands, Python dicts)', () => {
    expect(renderProject({}, { MLproject: 'command: "python t.py --a {a}"' }, { name: 'x' })).toEqual({ MLproject: 'command: "python t.py --a {a}"' });
  });

  it('throws a plain error naming the file of a placeholder without a value', () => {
    expect(() => renderProject({}, { 'train.py': '{{owner}}' }, { name: 'x' })).toThrow('template file train.py uses {{owner}}; known: name');
  });
});

describe('checkNewProject', () => {
  const templates = ['sklearn', 'xgboost'];

  it('names both missing arguments and the allowed templates at once', () => {
    const message = usageErrorMessage(() => checkNewProject({ name: '', template: '' }, { templates }));
    expect(message).toContain('name= (--name) is required');
    expect(message).toContain('template= (--template) is required: one of sklearn, xgboost');
  });

  it('refuses a name unusable in AWS names and an unknown template together', () => {
    const message = usageErrorMessage(() => checkNewProject({ name: 'Churn_Model', template: 'lightgbm' }, { templates }));
    expect(message).toContain('name "Churn_Model" must be lower-case letters');
    expect(message).toContain('unknown template "lightgbm": one of sklearn, xgboost');
  });

  it('refuses a name longer than 20 characters', () => {
    expect(usageErrorMessage(() => checkNewProject({ name: 'a'.repeat(21), template: 'sklearn' }, { templates }))).toContain('at most 20 characters (is 21)');
  });

  it('refuses an existing folder', () => {
    const message = usageErrorMessage(() => checkNewProject({ name: 'churn', template: 'sklearn' }, { templates, existingFolder: '/p/churn' }));
    expect(message).toContain('/p/churn already exists');
  });

  it('accepts a valid name and template', () => {
    expect(() => checkNewProject({ name: 'churn-2', template: 'xgboost' }, { templates })).not.toThrow();
  });
});

describe('createProject with the templates of the repository', () => {
  const projectsRoot = () => mkdtempSync(join(tmpdir(), 'mlops-new-project-'));
  const toolchainPins = Object.fromEntries(
    [...readFileSync(join(repoRoot, 'scripts', 'requirements-tools.txt'), 'utf8').matchAll(/^([\w-]+)(?:\[\w+\])?==(\S+)$/gm)].map((m) => [m[1], m[2]]),
  );

  it('offers the folders of templates/ but the common one', () => {
    expect(listProjectTemplates()).toEqual(TEMPLATES);
  });

  it.each(TEMPLATES)('%s: writes a project that loads as an ML project, with every file the README stub names', (template) => {
    const root = projectsRoot();
    const result = createProject({ name: 'churn', template }, createRecordingReporter(), { projectsRoot: root });
    expect(readdirSync(result.dir).sort()).toEqual(['MLproject', 'README.md', 'data.py', 'python_env.yaml', 'resource-requirements.json', 'sample-input.csv', 'train.py']);
    const project = loadMlProject('churn', root);
    expect(project.environment).toBe('python_env');
    expect(project.requirementsFile?.training).toEqual({ VCPU: 1, MEMORY: 2048 });
    const read = (file: string) => readFileSync(join(result.dir, file), 'utf8');
    expect(parseYaml(read('MLproject')).name).toBe('churn');
    expect(read('README.md')).toContain('make local-training project=churn');
    for (const file of ['README.md', 'train.py', 'MLproject']) expect(read(file)).not.toContain('{{');
    expect(read('train.py')).toContain('registered_model_name=os.environ.get("MLFLOW_EXPERIMENT_NAME", "churn")');
    // What `make monitor` and the deployment's dashboard read back from the run.
    expect(read('data.py')).toContain(`"${BASELINE_ARTIFACT}"`);
  });

  it.each(TEMPLATES)('%s: pins every dependency, to the versions the toolchain tests it with', (template) => {
    const result = createProject({ name: 'churn', template }, createRecordingReporter(), { projectsRoot: projectsRoot() });
    const dependencies: string[] = parseYaml(readFileSync(join(result.dir, 'python_env.yaml'), 'utf8')).dependencies;
    for (const dependency of dependencies) expect(dependency).toMatch(/^[\w-]+==\d[\w.]*$/);
    const pins = Object.fromEntries(dependencies.map((dependency) => dependency.split('==')));
    expect(pins.mlflow).toBe(toolchainPins.mlflow);
    expect(pins['scikit-learn']).toBe(toolchainPins['scikit-learn']);
    // The toolchain installs the CPU-only build of the same xgboost module.
    if (pins.xgboost) expect(pins.xgboost).toBe(toolchainPins['xgboost-cpu']);
  });

  it.each(TEMPLATES)('%s: its Python files parse (the pytorch one is not trained by the tests)', (template) => {
    const result = createProject({ name: 'churn', template }, createRecordingReporter(), { projectsRoot: projectsRoot() });
    for (const file of ['train.py', 'data.py']) {
      expect(() => execFileSync('python3', ['-c', 'import ast, sys; ast.parse(open(sys.argv[1]).read())', join(result.dir, file)], { stdio: 'pipe' })).not.toThrow();
    }
  });

  it('refuses an existing folder and leaves what is in it untouched', () => {
    const root = projectsRoot();
    mkdirSync(join(root, 'churn'));
    writeFileSync(join(root, 'churn', 'train.py'), 'mine');
    expect(usageErrorMessage(() => createProject({ name: 'churn', template: 'sklearn' }, createRecordingReporter(), { projectsRoot: root }))).toContain(
      `${join(root, 'churn')} already exists`,
    );
    expect(readdirSync(join(root, 'churn'))).toEqual(['train.py']);
    expect(readFileSync(join(root, 'churn', 'train.py'), 'utf8')).toBe('mine');
  });

  it('creates nothing when the template is unknown', () => {
    const root = projectsRoot();
    usageErrorMessage(() => createProject({ name: 'churn', template: 'lightgbm' }, createRecordingReporter(), { projectsRoot: root }));
    expect(readdirSync(root)).toEqual([]);
  });
});
