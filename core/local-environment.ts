import { UsageError } from './errors.js';

/**
 * Which environment MLflow runs a project (or a model) in on this machine. `auto` is the default:
 * the project's own environment, built from its `python_env.yaml` or conda file by the fastest
 * manager found; `local` is the explicit opt-out (the toolchain's own Python, nothing installed).
 */
export const ENV_MANAGER_CHOICES = ['auto', 'uv', 'virtualenv', 'conda', 'local'] as const;
export type EnvManagerChoice = (typeof ENV_MANAGER_CHOICES)[number];
export type EnvManager = Exclude<EnvManagerChoice, 'auto'>;

/** The programs each manager needs on PATH (MLflow's virtualenv manager installs Python versions with pyenv). */
export interface EnvTools {
  readonly uv: boolean;
  readonly pyenv: boolean;
  readonly conda: boolean;
}

/** What the environment is made from: the project's MLproject key, or a logged model (always a python_env.yaml). */
export type EnvSource = 'python_env' | 'conda_env' | 'model';

const NEEDS: Record<Exclude<EnvManager, 'local'>, keyof EnvTools> = { uv: 'uv', virtualenv: 'pyenv', conda: 'conda' };

/**
 * Picks the env manager: an explicit choice is checked against the tools present; `auto` takes uv
 * (seconds once its package cache is warm), then conda for a conda project when conda exists, then
 * virtualenv, and refuses with the two ways out rather than silently running in the wrong Python.
 */
export function chooseEnvManager(requested: EnvManagerChoice, source: EnvSource, tools: EnvTools): { manager: EnvManager; reason: string } {
  if (requested === 'local') return { manager: 'local', reason: 'asked for: the current Python, nothing installed' };
  if (requested !== 'auto') {
    const tool = NEEDS[requested];
    if (!tools[tool]) {
      throw new UsageError(`--env-manager ${requested} (make: env_manager=${requested}) needs ${tool} on PATH, which is not there: install it, or pass --env-manager auto or local`);
    }
    return { manager: requested, reason: 'asked for' };
  }
  if (source === 'conda_env' && tools.conda) return { manager: 'conda', reason: 'the project has a conda environment file and conda is installed' };
  if (tools.uv) return { manager: 'uv', reason: source === 'conda_env' ? "uv, from the conda file's python and pip entries (conda is not installed)" : 'uv' };
  if (tools.pyenv) return { manager: 'virtualenv', reason: 'virtualenv with pyenv (uv is not installed)' };
  throw new UsageError(
    'no environment manager to build the project\'s environment with: install uv (`pip install uv`, or `make python-tools`, which includes it), ' +
      'or pass --env-manager local (make: env_manager=local) to run in the current Python without installing its dependencies',
  );
}

/** Where a `mlflow run` / `mlflow models serve|predict` process is, as its log lines tell it. */
export type RunPhase =
  | { readonly kind: 'building'; readonly envDir: string }
  | { readonly kind: 'installing' }
  | { readonly kind: 'reusing'; readonly envDir: string }
  | { readonly kind: 'running'; readonly command?: string };

/**
 * Reads MLflow's own log lines (mlflow.utils.virtualenv, mlflow.utils.conda, mlflow.projects) into
 * a phase, so a heartbeat can say what a first, minutes-long environment build is doing. MLflow
 * names each environment `mlflow-<sha1 of the environment file and the requirements it names>`
 * under MLFLOW_ENV_ROOT (~/.mlflow/envs) and reuses the folder when it exists: that is the cache.
 */
export function runPhaseOf(line: string): RunPhase | undefined {
  let match = /Creating a new environment in (\S+) with/.exec(line) ?? /=== Creating conda environment (\S+) ===/.exec(line);
  if (match) return { kind: 'building', envDir: match[1] };
  if (/INFO mlflow\.utils\.virtualenv: Installing dependencies/.test(line)) return { kind: 'installing' };
  match = /Environment (\S+) already exists/.exec(line) ?? /=== Conda environment (\S+) already exists/.exec(line);
  if (match) return { kind: 'reusing', envDir: match[1] };
  match = /=== Running command '(.*)' in run with ID/.exec(line);
  // The command as the project declares it, without the environment's activation in front.
  if (match) return { kind: 'running', command: match[1].replace(/^(source \S+\/activate|conda activate \S+) && /, '') };
  return undefined;
}

/** The environment a run built or reused, as its output names it. */
export function environmentDirOf(output: string): string | undefined {
  const phases = output.split('\n').map(runPhaseOf);
  const found = phases.filter((phase) => phase?.kind === 'building' || phase?.kind === 'reusing').at(-1);
  return found && 'envDir' in found ? found.envDir : undefined;
}

/** uv's one line per installed package (` + pandas==3.1.1`): a hundred lines a person does not read live; the log keeps them. */
export function isPackageListing(line: string): boolean {
  return /^ [+-~] [A-Za-z0-9][\w.-]*(\[[^\]]*\])?(==| @ )\S+$/.test(line);
}

export function describePhase(phase: RunPhase | undefined): string {
  switch (phase?.kind) {
    case undefined:
      return 'starting MLflow';
    case 'building':
      return `building the environment ${phase.envDir} (the first time takes minutes; reused after)`;
    case 'installing':
      return 'installing the environment\'s dependencies';
    case 'reusing':
      return `reusing the environment ${phase.envDir}`;
    case 'running':
      return phase.command ? `running ${phase.command}` : 'running';
  }
}

const TRACEBACK_START = 'Traceback (most recent call last):';
const CHAINED = /^(The above exception was the direct cause of the following exception:|During handling of the above exception, another exception occurred:)$/;
const FRAME = /^ {2}File "(.+)", line (\d+), in (.+)$/;
/** MLflow's own closing lines for a failed run (the links to it, then the failure); the summary replaces them. */
const MLFLOW_RUN_FAILED = /ERROR mlflow\.cli: === Run \(ID '.*'\) failed ===|^🏃 View run |^🧪 View experiment at: /;
const INSTALLER_ERROR = /^\s*(error:|ERROR:|×|╰─▶|cause:|hint:)/;
/** MLflow's log line prefix: `2026/12/01 14:06:17 INFO mlflow.projects: …`. */
const MLFLOW_LOG = /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d (DEBUG|INFO|WARNING|ERROR|CRITICAL) /;

/**
 * The lines that end a failed run, for a person: the last exception (with the one it was raised
 * from, when chained) and the last few frames of the project's own code. Python prints tracebacks
 * innermost last, so the last one is what stopped the run. Without a traceback, the last lines that
 * are not MLflow's own bookkeeping.
 */
export function failureSummary(output: string, projectDir?: string, maxFrames = 3): string[] {
  const lines = output.replace(/\r/g, '').split('\n');
  const start = lines.lastIndexOf(TRACEBACK_START);
  if (start < 0) {
    return lines
      .filter((line) => line.trim() !== '' && !MLFLOW_RUN_FAILED.test(line) && !/ INFO mlflow\./.test(line))
      .slice(-8);
  }
  const block: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (MLFLOW_LOG.test(line) || MLFLOW_RUN_FAILED.test(line) || line.trim() === '') break;
    block.push(line);
  }
  const frames: { file: string; line: string; fn: string; code?: string }[] = [];
  const exception: string[] = [];
  block.forEach((line, index) => {
    const frame = FRAME.exec(line);
    if (frame) {
      const next = block[index + 1];
      frames.push({ file: frame[1], line: frame[2], fn: frame[3], code: next?.startsWith('    ') ? next.trim() : undefined });
    } else if (!line.startsWith(' ')) exception.push(line);
  });
  const own = projectDir ? frames.filter((frame) => isInside(frame.file, projectDir)) : [];
  // An installer's own error (uv's `error:`/`cause:`, pip's `ERROR:`) before MLflow's traceback says
  // more than MLflow's frames: the environment could not be built.
  const installer = lines.slice(0, start).filter((line) => INSTALLER_ERROR.test(line)).slice(-6);
  if (own.length === 0 && installer.length > 0) return [...installer, exception[0]];
  const shown = (own.length > 0 ? own : frames).slice(-maxFrames);
  const cause = causeOf(lines, start);
  return [
    ...exception,
    ...(cause && !exception.includes(cause) ? [`  (raised from ${cause})`] : []),
    ...shown.map((frame) => `  at ${projectDir && isInside(frame.file, projectDir) ? frame.file.slice(projectDir.replace(/\/$/, '').length + 1) : frame.file}:${frame.line} in ${frame.fn}${frame.code ? `: ${frame.code}` : ''}`),
  ];
}

/** The exception a chained traceback was raised from: the last non-indented line of the block before it. */
function causeOf(lines: string[], start: number): string | undefined {
  if (start < 2 || !CHAINED.test(lines[start - 2] ?? '')) return undefined;
  for (let index = start - 3; index >= 0 && lines[index] !== TRACEBACK_START; index--) {
    const line = lines[index];
    if (line.trim() !== '' && !line.startsWith(' ')) return line;
  }
  return undefined;
}

function isInside(file: string, dir: string): boolean {
  return file.startsWith(`${dir.replace(/\/$/, '')}/`);
}

/**
 * Holds back a traceback while it streams, so a failed run shows its error once (the summary) and
 * not the whole traceback first: a held block is printed after all when more output follows it
 * (the program caught the error and went on) or the run succeeds.
 */
export class TracebackHold {
  private held: string[] = [];
  private ended = false;
  /** Lines held since the exception line: its message may go on for a few lines (MLflow's name the command that failed). */
  private after = 0;
  static readonly MESSAGE_LINES = 20;

  /** The lines to print now for one line of output. */
  push(line: string): string[] {
    if (this.held.length === 0) {
      if (line === TRACEBACK_START) {
        this.held.push(line);
        return [];
      }
      return [line];
    }
    const partOfTraceback =
      line === TRACEBACK_START ||
      CHAINED.test(line) ||
      line.trim() === '' ||
      line.startsWith(' ') ||
      MLFLOW_RUN_FAILED.test(line) ||
      !this.ended ||
      (!MLFLOW_LOG.test(line) && this.after < TracebackHold.MESSAGE_LINES);
    if (this.ended) this.after += 1;
    if (partOfTraceback) {
      // The first line that is neither a frame nor its code nor a chain sentence is the exception; it ends the block.
      if (!line.startsWith(' ') && line !== TRACEBACK_START && !CHAINED.test(line) && line.trim() !== '') this.ended = true;
      if (line === TRACEBACK_START) {
        this.ended = false;
        this.after = 0;
      }
      this.held.push(line);
      return [];
    }
    return [...this.release(), line];
  }

  /** At the end of the run: what is still held, printed only when the run succeeded. */
  finish(succeeded: boolean): string[] {
    const held = this.release();
    return succeeded ? held : [];
  }

  private release(): string[] {
    const held = this.held;
    this.held = [];
    this.ended = false;
    this.after = 0;
    return held;
  }
}
