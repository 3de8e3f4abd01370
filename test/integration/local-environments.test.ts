import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { freePort } from '../../cli/local/processes.js';
import { repoRoot } from '../../cli/paths.js';
import { runCli } from '../harness/cli.js';
import { requireTool, toolchainEnv } from '../harness/toolchain.js';

/**
 * Local training in the project's own environment: a project that needs a package the toolchain's
 * virtualenv lacks (humanize) trains with the default env manager (uv), reuses that environment on
 * the next run, and fails with `--env-manager local` ending with the import error once.
 */
describe('local environments', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'mlops-envs-'));
  const projectsDir = mkdtempSync(join(tmpdir(), 'mlops-envs-projects-'));
  const project = join(projectsDir, 'needs-humanize');
  let env: Record<string, string>;
  const envDirOf = (stderr: string) => /(?:building|reusing) the environment (\S+)/.exec(stderr)?.[1];

  beforeAll(async () => {
    const tools = toolchainEnv();
    requireTool(tools, 'MLOPS_PYTHON_BIN');
    expect((await execa(join(tools.MLOPS_PYTHON_BIN, 'python'), ['-c', 'import humanize'], { reject: false })).exitCode).not.toBe(0);
    cpSync(join(repoRoot, 'ml-projects', 'test-project'), project, { recursive: true });
    const pythonEnv = readFileSync(join(project, 'python_env.yaml'), 'utf8');
    writeFileSync(join(project, 'python_env.yaml'), `${pythonEnv.trimEnd()}\n  - humanize==4.17.0\n`);
    const train = readFileSync(join(project, 'train.py'), 'utf8');
    writeFileSync(join(project, 'train.py'), train.replace('import argparse\n', 'import argparse\n\nimport humanize\n').replace(
      '        model.fit(x_train, y_train)\n',
      '        model.fit(x_train, y_train)\n        mlflow.set_tag("training_rows", humanize.intcomma(len(x_train)))\n',
    ));
    env = { ...tools, MLOPS_STATE_DIR: stateDir, MLOPS_PROJECTS_DIR: projectsDir, MLOPS_LOCAL_MLFLOW_PORT: String(await freePort()) };
    expect((await runCli(['local-mlflow-server'], env)).exitCode).toBe(0);
  });

  afterAll(async () => {
    await runCli(['local-mlflow-server-rm'], env);
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(projectsDir, { recursive: true, force: true });
  });

  let firstEnvDir: string | undefined;

  it("trains in the project's own environment, built with uv from its python_env.yaml", async () => {
    const result = await runCli(['local-training', '--project', 'needs-humanize'], env);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim()).toBe('models:/needs-humanize/1');
    expect(result.stderr).toContain("Environment: the project's own, made with uv");
    firstEnvDir = envDirOf(result.stderr);
    expect(firstEnvDir).toMatch(/\/mlflow-[0-9a-f]{40}$/);
    expect(existsSync(join(firstEnvDir ?? '', 'lib', 'python3.11', 'site-packages', 'humanize'))).toBe(true);
  });

  it('reuses the environment while python_env.yaml keeps its content; MLflow keys it by that content', async () => {
    const result = await runCli(['local-training', '--project', 'needs-humanize'], env);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain(`reusing the environment ${firstEnvDir}`);
    // MLflow's key for the file as it is, and for the file with one pin changed: the second gets an environment of its own.
    const key = `
import sys
from pathlib import Path
from mlflow.utils.environment import _PythonEnv
from mlflow.utils.virtualenv import _get_virtualenv_name
project = Path(sys.argv[1])
python_env = _PythonEnv.from_yaml(project / "python_env.yaml")
print(_get_virtualenv_name(python_env, project))
python_env.dependencies = [d.replace("4.17.0", "4.16.0") for d in python_env.dependencies]
print(_get_virtualenv_name(python_env, project))
`;
    const names = (await execa(join(env.MLOPS_PYTHON_BIN, 'python'), ['-c', key, project])).stdout.trim().split('\n');
    expect(firstEnvDir?.endsWith(`/${names[0]}`)).toBe(true);
    expect(names[1]).not.toBe(names[0]);
  });

  it("scores a CSV file in the model's environment from MLflow's cache, the one serving uses", async () => {
    const input = join(project, 'sample-input.csv');
    const result = await runCli(['local-batch-inference', '--project', 'needs-humanize', '--model', '1', '--input', input, '--json'], env);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain("Environment: the model's own, made with uv");
    const modelEnvDir = envDirOf(result.stderr);
    expect(modelEnvDir?.startsWith(dirname(firstEnvDir ?? ''))).toBe(true);
    expect(modelEnvDir).not.toBe(firstEnvDir);
    expect(JSON.parse(readFileSync(JSON.parse(result.stdout).output, 'utf8')).predictions).toHaveLength(3);
  });

  it('with --env-manager local the import fails, ending with the error and its line in train.py once, and the full log kept', async () => {
    const result = await runCli(['local-training', '--project', 'needs-humanize', '--env-manager', 'local'], env);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('Environment: the current Python');
    const summary = result.stderr.slice(result.stderr.indexOf('failed (exit 1):'));
    expect(summary).toMatch(/failed \(exit 1\):\nModuleNotFoundError: No module named 'humanize'\n {2}at train\.py:\d+ in <module>: import humanize\nfull log: \S+$/);
    expect(result.stderr.match(/No module named 'humanize'/g)).toHaveLength(1);
    expect(result.stderr).not.toContain('Traceback');
    const logFile = /full log: (\S+)/.exec(summary)?.[1] ?? '';
    expect(logFile.startsWith(join(stateDir, 'logs', 'needs-humanize'))).toBe(true);
    expect(readFileSync(logFile, 'utf8')).toMatch(/Traceback \(most recent call last\):[\s\S]*ModuleNotFoundError: No module named 'humanize'/);
  });
});
