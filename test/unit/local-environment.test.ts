import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chooseEnvManager, environmentDirOf, failureSummary, isPackageListing, runPhaseOf, TracebackHold, type EnvTools } from '../../core/local-environment.js';
import { UsageError } from '../../core/errors.js';
import { repoRoot } from '../../cli/paths.js';

const fixture = (name: string) => readFileSync(join(repoRoot, 'test', 'unit', 'fixtures', name), 'utf8');
const ALL: EnvTools = { uv: true, pyenv: true, conda: true };
const NONE: EnvTools = { uv: false, pyenv: false, conda: false };

describe('chooseEnvManager', () => {
  it.each([
    ['python_env', ALL, 'uv'],
    ['python_env', { ...NONE, pyenv: true }, 'virtualenv'],
    ['conda_env', ALL, 'conda'],
    ['conda_env', { ...NONE, uv: true }, 'uv'],
    ['model', { ...NONE, uv: true, conda: true }, 'uv'],
  ] as const)('auto for a %s source with %j takes %s', (source, tools, expected) => {
    expect(chooseEnvManager('auto', source, tools).manager).toBe(expected);
  });

  it('local is taken as asked, whatever is installed', () => {
    expect(chooseEnvManager('local', 'python_env', NONE).manager).toBe('local');
  });

  it('an explicit manager whose program is missing is refused, naming the program and the other choices', () => {
    expect(() => chooseEnvManager('virtualenv', 'python_env', { ...ALL, pyenv: false })).toThrow(UsageError);
    expect(() => chooseEnvManager('virtualenv', 'python_env', { ...ALL, pyenv: false })).toThrow(/needs pyenv on PATH.*--env-manager auto or local/);
    expect(chooseEnvManager('conda', 'python_env', ALL).manager).toBe('conda');
  });

  it('auto with no manager at all says how to get uv or to run locally', () => {
    expect(() => chooseEnvManager('auto', 'python_env', NONE)).toThrow(/install uv.*--env-manager local \(make: env_manager=local\)/);
  });
});

describe('runPhaseOf (MLflow log lines)', () => {
  it.each([
    [
      "2026/12/01 14:20:01 INFO mlflow.utils.virtualenv: Creating a new environment in /root/.mlflow/envs/mlflow-0a1b with python version 3.11 using uv",
      { kind: 'building', envDir: '/root/.mlflow/envs/mlflow-0a1b' },
    ],
    ['2026/12/01 14:20:02 INFO mlflow.utils.virtualenv: Installing dependencies', { kind: 'installing' }],
    ['2026/12/01 14:21:02 INFO mlflow.utils.virtualenv: Environment /root/.mlflow/envs/mlflow-0a1b already exists', { kind: 'reusing', envDir: '/root/.mlflow/envs/mlflow-0a1b' }],
    ["2026/12/01 14:06:17 INFO mlflow.projects.backend.local: === Running command 'python train.py' in run with ID '0d09' === ", { kind: 'running', command: 'python train.py' }],
    [
      "2026/12/01 14:24:42 INFO mlflow.projects.backend.local: === Running command 'source /root/.mlflow/envs/mlflow-bbe8/bin/activate && python train.py --C 1.0' in run with ID '9fd4' === ",
      { kind: 'running', command: 'python train.py --C 1.0' },
    ],
    ['epoch 3 loss 0.2', undefined],
  ])('%s', (line, phase) => {
    expect(runPhaseOf(line)).toEqual(phase);
  });
});

describe('environmentDirOf', () => {
  it('is the environment the output last names as built or reused', () => {
    const output = [
      '2026/12/01 14:31:01 INFO mlflow.utils.virtualenv: Creating a new environment in /root/.mlflow/envs/mlflow-b61b with python version 3.11.7 using uv',
      '2026/12/01 14:31:02 INFO mlflow.utils.virtualenv: Installing dependencies',
      ' + pandas==3.1.1',
    ].join('\n');
    expect(environmentDirOf(output)).toBe('/root/.mlflow/envs/mlflow-b61b');
    expect(environmentDirOf('2026/12/01 14:20:23 INFO mlflow.utils.virtualenv: Environment /e/mlflow-bbe8 already exists')).toBe('/e/mlflow-bbe8');
    expect(environmentDirOf('Installed 3 packages')).toBeUndefined();
  });
});

describe('isPackageListing', () => {
  it.each([
    [' + pandas==3.1.1', true],
    [' + mlflow-skinny==3.17.2', true],
    [' - numpy==2.3.0', true],
    [' + my-lib @ file:///src/my-lib', true],
    ['Installed 98 packages in 2.31s', false],
    ['epoch 1: + loss==0.3 improved', false],
  ])('%j → %s', (line, expected) => {
    expect(isPackageListing(line)).toBe(expected);
  });
});

describe('failureSummary', () => {
  it("a real chained failure ends with the exception once and the project's own frames, innermost last", () => {
    expect(failureSummary(fixture('mlflow-run-chained-failure.txt'), '/tmp/failproj')).toEqual([
      "KeyError: 'missing_column'",
      '  at train.py:17 in <module>: main()',
      '  at train.py:13 in main: load()',
      '  at train.py:7 in load: return frame["missing_column"]',
    ]);
  });

  it("a real import failure ends with the error and the project's line, without MLflow's links to the run", () => {
    expect(failureSummary(fixture('mlflow-run-import-failure.txt'), '/tmp/le-projects/needs-humanize')).toEqual([
      "ModuleNotFoundError: No module named 'humanize'",
      '  at train.py:8 in <module>: import humanize',
    ]);
  });

  it("a real environment build failure ends with uv's own error, not MLflow's frames", () => {
    expect(failureSummary(fixture('mlflow-run-env-build-failure.txt'), '/tmp/le-projects/badenv')).toEqual([
      'error: No solution found when resolving dependencies',
      '  cause: Because there is no version of humanize==99.0.0 and you require humanize==99.0.0, we can conclude that your requirements are unsatisfiable.',
      'mlflow.utils.process.ShellCommandException: Non-zero exit code: 1',
    ]);
  });

  it('keeps only the last frames of the project when asked for fewer', () => {
    expect(failureSummary(fixture('mlflow-run-chained-failure.txt'), '/tmp/failproj', 1)).toEqual([
      "KeyError: 'missing_column'",
      '  at train.py:7 in load: return frame["missing_column"]',
    ]);
  });

  it("names the exception it was raised from when that one differs", () => {
    const output = [
      'Traceback (most recent call last):',
      '  File "/p/train.py", line 3, in load',
      '    open("data.csv")',
      "FileNotFoundError: [Errno 2] No such file or directory: 'data.csv'",
      '',
      'During handling of the above exception, another exception occurred:',
      '',
      'Traceback (most recent call last):',
      '  File "/p/train.py", line 9, in <module>',
      '    raise RuntimeError("no training data")',
      'RuntimeError: no training data',
    ].join('\n');
    expect(failureSummary(output, '/p')).toEqual([
      'RuntimeError: no training data',
      "  (raised from FileNotFoundError: [Errno 2] No such file or directory: 'data.csv')",
      '  at train.py:9 in <module>: raise RuntimeError("no training data")',
    ]);
  });

  it("without a traceback, the last lines that are not MLflow's own bookkeeping", () => {
    const output = [
      '2026/12/01 14:06:17 INFO mlflow.projects: starting',
      'Killed',
      "2026/12/01 14:06:31 ERROR mlflow.cli: === Run (ID '0d09') failed ===",
    ].join('\n');
    expect(failureSummary(output, '/p')).toEqual(['Killed']);
  });
});

describe('TracebackHold', () => {
  const stream = (lines: string[], succeeded: boolean) => {
    const hold = new TracebackHold();
    return [...lines.flatMap((line) => hold.push(line)), ...hold.finish(succeeded)];
  };

  it("prints a failed run's output without its traceback and MLflow's failure line (the summary says it once)", () => {
    const lines = fixture('mlflow-run-chained-failure.txt').trimEnd().split('\n');
    const shown = stream(lines, false);
    expect(shown.at(-1)).toMatch(/=== Running command 'python train.py'/);
    expect(shown.join('\n')).not.toMatch(/Traceback|KeyError|failed ===/);
  });

  it("holds MLflow's links to the failed run with the traceback they follow", () => {
    const shown = stream(fixture('mlflow-run-import-failure.txt').trimEnd().split('\n'), false);
    expect(shown.join('\n')).not.toMatch(/Traceback|No module named|View run/);
  });

  it('holds the whole of a multi-line exception message (a real environment build failure)', () => {
    const shown = stream(fixture('mlflow-run-env-build-failure.txt').trimEnd().split('\n'), false);
    expect(shown.join('\n')).toContain('error: No solution found');
    expect(shown.join('\n')).not.toMatch(/Traceback|ShellCommandException: Non-zero|^Command: /m);
  });

  it('prints a traceback the program caught and went on from, in order, once more output follows', () => {
    const epochs = Array.from({ length: 22 }, (_, index) => `epoch ${index + 2}`);
    const lines = ['epoch 1', 'Traceback (most recent call last):', '  File "/p/train.py", line 3, in f', '    g()', 'ValueError: bad batch', ...epochs];
    const hold = new TracebackHold();
    const shownLive = lines.flatMap((line) => hold.push(line));
    expect(shownLive).toEqual(lines);
  });

  it('prints a held traceback at the end of a run that succeeded', () => {
    const lines = ['Traceback (most recent call last):', '  File "/p/train.py", line 3, in f', 'ValueError: ignored'];
    expect(stream(lines, true)).toEqual(lines);
  });
});
