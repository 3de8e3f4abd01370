import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../../cli/paths.js';
import { requireTool, toolchainEnv } from '../harness/toolchain.js';

const run = promisify(execFile);

interface LintError {
  readonly message: string;
  readonly filepath: string;
  readonly line: number;
  readonly column: number;
  readonly kind: string;
}

/** actionlint (from the offline toolchain) over the given files, run from `cwd`; its JSON findings. */
async function actionlint(cwd: string, files: string[]): Promise<LintError[]> {
  const binary = requireTool(toolchainEnv(), 'MLOPS_ACTIONLINT_BIN');
  try {
    const { stdout } = await run(binary, ['-format', '{{json .}}', ...files], { cwd });
    return JSON.parse(stdout || '[]') as LintError[];
  } catch (error) {
    // Exit status 1 means "found problems" and still prints the JSON; anything else is a failure to lint.
    const failure = error as { code?: number; stdout?: string; stderr?: string };
    if (failure.code === 1 && failure.stdout) return JSON.parse(failure.stdout) as LintError[];
    throw new Error(`actionlint could not run (exit ${failure.code}): ${failure.stderr ?? ''}`);
  }
}

const workflowFiles = readdirSync(join(repoRoot, '.github', 'workflows'))
  .filter((name) => /\.ya?ml$/.test(name))
  .map((name) => `.github/workflows/${name}`);

describe('actionlint', () => {
  let findings: LintError[];
  beforeAll(async () => {
    findings = await actionlint(repoRoot, workflowFiles);
  });

  test('finds the workflows: ci, one per lifecycle step, and sync', () => {
    expect(workflowFiles.sort()).toEqual(
      ['ci', 'deployment-job', 'mlflow-server', 'sync', 'training-job'].map((name) => `.github/workflows/${name}.yml`),
    );
  });

  test.each(workflowFiles)('%s passes actionlint (local composite actions and their inputs included)', (file) => {
    const mine = findings.filter((finding) => finding.filepath === file);
    expect(mine.map((f) => `${f.filepath}:${f.line}:${f.column} [${f.kind}] ${f.message}`)).toEqual([]);
  });

  test('reports a workflow that reads an undeclared input, a wrong input of a local action, and a broken expression', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'actionlint-negative-'));
    try {
      // actionlint finds local actions from the repository root, which a .git folder marks.
      mkdirSync(join(dir, '.git'));
      mkdirSync(join(dir, '.github', 'workflows'), { recursive: true });
      mkdirSync(join(dir, '.github', 'actions', 'setup'), { recursive: true });
      writeFileSync(
        join(dir, '.github', 'actions', 'setup', 'action.yml'),
        ['name: setup', 'description: test', 'inputs:', '  role:', '    required: true', 'runs:', '  using: composite', '  steps:', '    - run: echo', '      shell: bash', ''].join('\n'),
      );
      writeFileSync(
        join(dir, '.github', 'workflows', 'bad.yml'),
        [
          'on:',
          '  workflow_dispatch:',
          '    inputs:',
          '      project: { type: string, required: true }',
          'jobs:',
          '  run:',
          '    runs-on: ubuntu-24.04',
          '    steps:',
          '      - uses: ./.github/actions/setup',
          '        with:',
          '          rolee: x',
          '      - run: make training-job project="${{ inputs.projet }}"',
          '      - if: ${{ inputs.project == }}',
          '        run: echo',
          '',
        ].join('\n'),
      );
      const problems = await actionlint(dir, ['.github/workflows/bad.yml']);
      const messages = problems.map((p) => p.message).join('\n');
      expect(messages).toMatch(/property "projet" is not defined/);
      expect(messages).toMatch(/input "rolee" is not defined in action/);
      expect(messages).toMatch(/missing input "role"/);
      expect(problems.some((p) => p.kind === 'expression' && p.line === 13)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
