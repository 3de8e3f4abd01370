import { execa } from 'execa';
import { ExternalError } from '../../core/errors.js';
import type { Reporter } from '../progress.js';

/**
 * Runs a command to its end, its output streamed to stderr under a timed step; a non-zero exit is
 * an ExternalError carrying the last lines of output.
 */
export async function runStreaming(
  command: string,
  args: string[],
  options: { reporter: Reporter; label: string; env?: NodeJS.ProcessEnv; cwd?: string },
): Promise<string> {
  const step = options.reporter.step(options.label);
  const child = execa(command, args, { env: options.env, cwd: options.cwd, reject: false, all: true, buffer: true, stdin: 'ignore' });
  child.all?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  const result = await child;
  if (result.failed) {
    step.fail(`${options.label}: failed`);
    const tail = String(result.all ?? result.message ?? '').trim().split('\n').slice(-15).join('\n');
    throw new ExternalError(`${options.label} failed (${result.exitCode === undefined ? result.shortMessage : `exit ${result.exitCode}`}):\n${tail}`);
  }
  step.done(`${options.label}: done`);
  return String(result.all ?? '');
}
