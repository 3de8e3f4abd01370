import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { execa } from 'execa';
import { ExternalError } from '../../core/errors.js';
import { describePhase, failureSummary, isPackageListing, runPhaseOf, TracebackHold, type RunPhase } from '../../core/local-environment.js';
import type { Reporter } from '../progress.js';

/** How long a run may be silent before the heartbeat says what it is doing. */
const HEARTBEAT_MS = 15_000;

/**
 * Runs an MLflow command to its end under a timed step. Its output streams to stderr and, whole, to
 * `logFile`; MLflow's phases (building or reusing the environment, running) are reported as they
 * change, and a heartbeat with the elapsed time fills silences. A failure ends with the last
 * exception and the frames of `projectDir`'s own code, once, and the log's path.
 */
export async function runStreaming(
  command: string,
  args: string[],
  options: { reporter: Reporter; label: string; logFile: string; env?: NodeJS.ProcessEnv; cwd?: string; projectDir?: string },
): Promise<string> {
  const step = options.reporter.step(options.label);
  mkdirSync(dirname(options.logFile), { recursive: true });
  const log = createWriteStream(options.logFile);
  const child = execa(command, args, { env: options.env, cwd: options.cwd, reject: false, all: true, buffer: false, stdin: 'ignore' });
  const output: string[] = [];
  const hold = new TracebackHold();
  let phase: RunPhase | undefined;
  let lastOutput = Date.now();
  const print = (lines: string[]) => lines.forEach((line) => process.stderr.write(`${line}\n`));
  const heartbeat = setInterval(() => {
    if (Date.now() - lastOutput >= HEARTBEAT_MS) step.update(`still ${describePhase(phase)}`);
  }, HEARTBEAT_MS);
  const lines = child.all ? createInterface({ input: child.all, crlfDelay: Infinity }) : undefined;
  lines?.on('line', (line) => {
    lastOutput = Date.now();
    output.push(line);
    log.write(`${line}\n`);
    if (!isPackageListing(line)) print(hold.push(line));
    const next = runPhaseOf(line);
    if (next && next.kind !== phase?.kind) step.update(describePhase(next));
    phase = next ?? phase;
  });
  const closed = new Promise((resolve) => (lines ? lines.once('close', resolve) : resolve(undefined)));
  const result = await child;
  await closed;
  clearInterval(heartbeat);
  await new Promise((resolve) => log.end(resolve));
  print(hold.finish(!result.failed));
  if (result.failed) {
    step.fail(`${options.label}: failed`);
    const how = result.exitCode === undefined ? result.shortMessage : `exit ${result.exitCode}`;
    const during = phase?.kind === 'building' || phase?.kind === 'installing' ? ' while building its environment' : '';
    throw new ExternalError(
      `${options.label} failed${during} (${how}):\n${failureSummary(output.join('\n'), options.projectDir).join('\n')}\nfull log: ${options.logFile}`,
    );
  }
  step.done(`${options.label}: done`);
  return output.join('\n');
}
