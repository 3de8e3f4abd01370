import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../../cli/paths.js';
import { parseModelSpec } from '../../cli/effects/mlflow.js';
import { MAX_ML_PROJECT_NAME_LENGTH } from '../../core/ml-project.js';
import { MAX_ENV_NAME_LENGTH } from '../../core/environment.js';
import { environmentPartViolations, namePartViolations } from '../../core/naming.js';

const script = join(repoRoot, '.github', 'scripts', 'check-inputs.sh');

/** Runs the input check as the dispatched workflows do: one INPUT_* variable per declared input. */
function checkInputs(inputs: Record<string, string>, projectsDir?: string) {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '' };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  if (projectsDir) env.MLOPS_PROJECTS_DIR = projectsDir;
  const result = spawnSync('bash', [script], { env, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const accepts = (inputs: Record<string, string>, projectsDir?: string) => checkInputs(inputs, projectsDir).status === 0;

describe('.github/scripts/check-inputs.sh', () => {
  let projectsDir: string;
  const candidates = ['dev', 'prod', 'qa-1', 'a', 'staging2', 'stagings', 'preprod12', 'Prod', '1dev', 'dev-', 'd--v', 'de_v', 'dév', 'x'.repeat(20), 'x'.repeat(21), 'churn-model-v2'];

  beforeAll(() => {
    projectsDir = mkdtempSync(join(tmpdir(), 'check-inputs-'));
    // Every candidate gets a folder with an MLproject file, so only the name rules decide.
    for (const name of candidates) {
      mkdirSync(join(projectsDir, name), { recursive: true });
      writeFileSync(join(projectsDir, name, 'MLproject'), 'name: x\n');
    }
    mkdirSync(join(projectsDir, 'no-mlproject'));
  });
  afterAll(() => rmSync(projectsDir, { recursive: true, force: true }));

  test('accepts the inputs of each lifecycle workflow and says what will run', () => {
    const result = checkInputs({ action: 'apply', environment: 'dev', project: 'test-project', model: '@champion' });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Inputs are valid: action=apply environment=dev project=test-project model=@champion');
    expect(accepts({ action: 'destroy', environment: 'prod' })).toBe(true);
    expect(accepts({ action: 'destroy', environment: 'prod', project: 'test-project', model: '' })).toBe(true);
  });

  test('refuses every invalid input at once with exit 2, naming the input, its value and what is allowed', () => {
    const result = checkInputs({ action: 'deploy', environment: 'Production', project: 'nope', model: 'v3' });
    expect(result.status).toBe(2);
    const errors = result.stdout.split('\n').filter((line) => line.startsWith('::error'));
    expect(errors).toEqual([
      '::error title=Invalid workflow input::action="deploy" must be apply or destroy',
      '::error title=Invalid workflow input::environment="Production" must be lower-case letters and digits, starting with a letter, and no hyphen: the hyphen separates <project>-<env>-<resource>',
      '::error title=Invalid workflow input::environment="Production" must be at most 8 characters (is 10)',
      '::error title=Invalid workflow input::project="nope" is not an ML project: ml-projects/nope/MLproject does not exist (known: test-project)',
      '::error title=Invalid workflow input::model="v3" is not a version: use a version number (3), "latest", or an alias (@champion)',
    ]);
    expect(result.stderr).toContain('5 invalid input(s); nothing was run');
  });

  test('refuses empty inputs the workflow declares, and a folder without an MLproject file', () => {
    const result = checkInputs({ action: 'apply', environment: '', project: 'no-mlproject', model: '' }, projectsDir);
    expect(result.status).toBe(2);
    expect(result.stdout).toContain('environment is empty');
    expect(result.stdout).toContain('project="no-mlproject" is not an ML project: ml-projects/no-mlproject/MLproject does not exist');
    expect(result.stdout).toContain('model is empty: apply needs a version number (3), "latest", or an alias (@champion)');
  });

  test('destroy needs no model and says that a given one is ignored', () => {
    const result = checkInputs({ action: 'destroy', environment: 'dev', project: 'test-project', model: 'not a version' });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('::notice title=model ignored::');
  });

  test("deployment-job's promote and shadow-rm actions need no model; shadow is true or false and used by apply alone", () => {
    const choices = 'apply destroy promote shadow-rm';
    const run = (inputs: Record<string, string>) => {
      const result = spawnSync('bash', [script], { env: { PATH: process.env.PATH ?? '', ACTION_CHOICES: choices, ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])) }, encoding: 'utf8' });
      return { status: result.status, stdout: result.stdout };
    };
    expect(run({ action: 'apply', environment: 'dev', project: 'test-project', model: '4', shadow: 'true' })).toMatchObject({ status: 0, stdout: expect.stringContaining('shadow=true') });
    expect(run({ action: 'promote', environment: 'dev', project: 'test-project', model: '', shadow: 'false' }).status).toBe(0);
    expect(run({ action: 'shadow-rm', environment: 'dev', project: 'test-project', model: '', shadow: 'true' }).stdout).toContain('::notice title=shadow ignored::');
    const bad = run({ action: 'promot', environment: 'dev', project: 'test-project', model: '4', shadow: 'yes' });
    expect(bad.status).toBe(2);
    expect(bad.stdout).toContain('action="promot" must be apply, destroy, promote, shadow-rm');
    expect(bad.stdout).toContain('shadow="yes" must be true or false');
    // Without ACTION_CHOICES (every other workflow) promote is not an action.
    expect(checkInputs({ action: 'promote', environment: 'dev' }).stdout).toContain('action="promote" must be apply or destroy');
  });

  test.each(candidates)('environment "%s": accepted exactly when the CLI accepts it as TF_VAR_env_name', (name) => {
    const cli = environmentPartViolations(name, MAX_ENV_NAME_LENGTH).length === 0;
    expect(accepts({ environment: name })).toBe(cli);
  });

  test.each(candidates)('project "%s": accepted exactly when the CLI accepts it as an ML project name', (name) => {
    const cli = namePartViolations(name, MAX_ML_PROJECT_NAME_LENGTH).length === 0;
    expect(accepts({ project: name }, projectsDir)).toBe(cli);
  });

  test.each(['1', '3', '42', '0', '01', '-1', 'latest', 'Latest', '@champion', '@Champion_2', '@_x', '@2nd', '@', '@a b', 'champion', '3.0', ''])(
    'model "%s": accepted for apply exactly when the CLI parses it as a version',
    (model) => {
      let cli = true;
      try {
        parseModelSpec(model);
      } catch {
        cli = false;
      }
      expect(accepts({ action: 'apply', model })).toBe(cli);
    },
  );
});

describe('.github/actions/setup-lifecycle checks the variables before it installs anything', () => {
  const action = parse(readFileSync(join(repoRoot, '.github', 'actions', 'setup-lifecycle', 'action.yml'), 'utf8')) as {
    runs: { steps: { name?: string; run?: string; uses?: string }[] };
  };
  const checkStep = action.runs.steps[0];
  const runCheck = (env: Record<string, string>) =>
    spawnSync('bash', ['-e', '-c', checkStep.run ?? ''], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' });

  test('the check is the first step, before Node.js, OpenTofu and the role', () => {
    expect(checkStep.name).toBe('Check the variables');
    expect(action.runs.steps.slice(1).map((step) => step.uses?.replace(/@.*/, ''))).toEqual([
      'actions/setup-node',
      'opentofu/setup-opentofu',
      'aws-actions/configure-aws-credentials',
    ]);
  });

  test('names each GitHub variable that is not set, once, and fails', () => {
    const result = runCheck({ ROLE_TO_ASSUME: '', AWS_REGION_INPUT: '', TF_VAR_env_name: 'dev' });
    expect(result.status).toBe(2);
    expect(result.stdout.split('\n').filter(Boolean).map((line) => line.replace(/ is not set.*/, ''))).toEqual([
      '::error title=Variable not set::AWS_ROLE_ARN (the IAM role the workflow assumes through OIDC)',
      '::error title=Variable not set::AWS_REGION (e.g. eu-west-1)',
      '::error title=Variable not set::TF_STATE_BUCKET_NAME (TF_VAR_state_bucket_name: the Terraform state bucket)',
      '::error title=Variable not set::MLOPS_PROJECT (TF_VAR_project: the prefix of every resource name)',
    ]);
    expect(result.stdout).toContain("for environment 'dev'");
  });

  test('passes and prints the TF_VAR_* environment when every variable is set', () => {
    const result = runCheck({
      ROLE_TO_ASSUME: 'arn:aws:iam::123456789012:role/github-actions-acme-dev',
      AWS_REGION_INPUT: 'eu-west-1',
      TF_VAR_state_bucket_name: 'acme-tfstate',
      TF_VAR_region: 'eu-west-1',
      TF_VAR_project: 'acme',
      TF_VAR_env_name: 'dev',
    });
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe('TF_VAR_project=acme TF_VAR_env_name=dev TF_VAR_region=eu-west-1 TF_VAR_state_bucket_name=acme-tfstate');
  });
});
