import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baselineFromDescribe } from '../../core/deployment/feature-statistics.js';
import { readRunArtifact } from '../../cli/effects/run-artifacts.js';
import { freePort } from '../../cli/local/processes.js';
import { repoRoot } from '../../cli/paths.js';
import { BASELINE_ARTIFACT } from '../../cli/workflows/deployment-release.js';
import { runCli } from '../harness/cli.js';
import { requireTool, toolchainEnv } from '../harness/toolchain.js';

/**
 * The local lifecycle against a real MLflow server, through the built CLI as a user runs it:
 * `mlops demo` end to end, then each command alone, its idempotence and its error cases.
 */
describe('local lifecycle', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'mlops-local-'));
  const projectsDir = mkdtempSync(join(tmpdir(), 'mlops-local-projects-'));
  let env: Record<string, string>;

  beforeAll(async () => {
    const tools = toolchainEnv();
    requireTool(tools, 'MLOPS_PYTHON_BIN');
    symlinkSync(join(repoRoot, 'ml-projects', 'test-project'), join(projectsDir, 'test-project'));
    mkdirSync(join(projectsDir, 'no-mlproject'));
    writeFileSync(join(projectsDir, 'no-mlproject', 'train.py'), 'print("hi")\n');
    env = { ...tools, MLOPS_STATE_DIR: stateDir, MLOPS_PROJECTS_DIR: projectsDir, MLOPS_LOCAL_MLFLOW_PORT: String(await freePort()) };
  });

  afterAll(async () => {
    await runCli(['local-deployment-rm', '--project', 'test-project'], env);
    await runCli(['local-mlflow-server-rm'], env);
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(projectsDir, { recursive: true, force: true });
  });

  it('demo trains, registers, serves, answers the input example and scores a CSV file', async () => {
    const result = await runCli(['demo', '--json'], env);
    expect(result.exitCode).toBe(0);
    const demo = JSON.parse(result.stdout);
    expect(demo.trackingUri).toBe(`http://127.0.0.1:${env.MLOPS_LOCAL_MLFLOW_PORT}`);
    expect(demo.training.uri).toBe(`models:/test-project/${demo.training.version}`);
    expect(demo.predictions).toHaveLength(5);
    const scored = JSON.parse(readFileSync(demo.batch.output, 'utf8'));
    expect(scored.predictions).toHaveLength(3);
    expect(result.stderr).toContain('Next:');
  });

  // sklearn and xgboost train in the toolchain's Python (the demo's default), which has their libraries;
  // pytorch in its own environment (torch's Linux wheel brings 3 GB of NVIDIA packages, so the
  // toolchain's virtualenv does not carry it), which `scripts/install-tools.sh` builds beforehand
  // under the name MLflow gives it: training finds it, so no test pays for the build.
  it.each([
    ['sklearn', 'local', /Environment: the current Python/],
    ['xgboost', 'local', /Environment: the current Python/],
    ['pytorch', 'auto', /reusing the environment \S+\/mlflow-[0-9a-f]{40}\n/],
  ])('a new %s project trains (env manager %s), serves, answers its input example, scores its sample and logs the monitoring baseline', async (template, envManager, trainingEnvironment) => {
    const name = `new-${template}`;
    expect((await runCli(['new-project', '--name', name, '--template', template], env)).exitCode).toBe(0);
    const result = await runCli(['demo', '--project', name, '--env-manager', envManager, '--json'], env);
    expect(result.exitCode).toBe(0);
    expect(result.stderr.slice(result.stderr.indexOf('== 2/5'), result.stderr.indexOf('== 3/5'))).toMatch(trainingEnvironment);
    const demo = JSON.parse(result.stdout);
    expect(demo.training.uri).toBe(`models:/${name}/1`);
    expect(demo.predictions).toHaveLength(5);
    expect(JSON.parse(readFileSync(demo.batch.output, 'utf8')).predictions).toHaveLength(3);
    const baseline = await readRunArtifact(demo.trackingUri, demo.training.runId, BASELINE_ARTIFACT, { ...process.env, ...env });
    expect(Object.keys(baselineFromDescribe(JSON.parse(baseline ?? '{}')))).toContain('alcohol');
    expect((await runCli(['local-deployment-rm', '--project', name], env)).exitCode).toBe(0);
  });

  it('starting the server twice keeps the one that runs', async () => {
    const first = JSON.parse((await runCli(['local-mlflow-server', '--json'], env)).stdout);
    const second = await runCli(['local-mlflow-server', '--json'], env);
    expect(second.exitCode).toBe(0);
    expect(second.stderr).toContain('already running');
    expect(JSON.parse(second.stdout).pid).toBe(first.pid);
  });

  it('local-training prints the new version as models:/test-project/N', async () => {
    const before = await runCli(['local-deployment', '--project', 'test-project', '--model', 'latest', '--json'], env);
    const previous = Number(JSON.parse(before.stdout).version);
    // The toolchain's Python (test-project pins what it has); local-environments.test.ts builds a project's own.
    const result = await runCli(['local-training', '--project', 'test-project', '--env-manager', 'local'], env);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim()).toBe(`models:/test-project/${previous + 1}`);
  });

  it('rolls the local deployment to the latest version and answers predictions', async () => {
    const deployed = await runCli(['local-deployment', '--project', 'test-project', '--model', 'latest', '--json'], env);
    expect(deployed.exitCode).toBe(0);
    expect(deployed.stderr).toMatch(/Replaced version \d+ with version \d+/);
    const tested = await runCli(['local-deployment-test', '--project', 'test-project'], env);
    expect(tested.exitCode).toBe(0);
    expect(JSON.parse(tested.stdout)).toHaveLength(5);
  });

  it('batch scoring writes under .mlops/outputs/<project>/, prints the path, and replaces a file only with --overwrite', async () => {
    const input = join(repoRoot, 'ml-projects', 'test-project', 'sample-input.csv');
    const score = ['local-batch-inference', '--project', 'test-project', '--model', '1', '--input', input];
    const output = join(stateDir, 'outputs', 'test-project', 'sample-input.predictions-v1.json');
    const first = await runCli(score, env);
    expect(first.exitCode).toBe(0);
    expect(first.stdout.trim()).toBe(output);
    expect(JSON.parse(readFileSync(output, 'utf8')).predictions).toHaveLength(3);

    writeFileSync(output, 'keep me');
    const again = await runCli(score, env);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain(`${output} already exists: pass --overwrite`);
    expect(readFileSync(output, 'utf8')).toBe('keep me');

    expect((await runCli([...score, '--overwrite'], env)).exitCode).toBe(0);
    expect(JSON.parse(readFileSync(output, 'utf8')).predictions).toHaveLength(3);
  });

  it.each([
    [['local-training', '--project', 'unknown-project'], 'unknown ML project "unknown-project"'],
    [['local-training', '--project', 'no-mlproject'], 'has no MLproject file'],
    [['local-deployment', '--project', 'test-project', '--model', '999'], 'model "test-project" has no version 999'],
    [['local-deployment', '--project', 'test-project', '--model', '@champion'], 'has no alias @champion'],
    [['local-deployment', '--project', 'test-project', '--model', 'newest'], 'is not a version'],
  ])('%j ends with exit 2 and says "%s"', async (args, message) => {
    const result = await runCli(args, env);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toContain('    at ');
  });

  it('stops the deployment and the server, keeping the registry data', async () => {
    expect((await runCli(['local-deployment-rm', '--project', 'test-project'], env)).exitCode).toBe(0);
    const stopped = await runCli(['local-mlflow-server-rm'], env);
    expect(stopped.exitCode).toBe(0);
    expect(existsSync(join(stateDir, 'mlflow.db'))).toBe(true);
    const training = await runCli(['local-training', '--project', 'test-project'], env);
    expect(training.exitCode).toBe(2);
    expect(training.stderr).toContain('the local MLflow server is not running');
  });
});
