import { join } from 'node:path';
import { execa } from 'execa';
import { repoRoot } from '../../cli/paths.js';

export interface CliResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Starts the built CLI (`node dist/cli/main.js`) as a user would, with extra environment; with
 * `detached`, in its own process group (as a shell job is), so a test can kill the whole group.
 */
export function startCli(args: string[], env: Record<string, string | undefined> = {}, options: { timeoutMs?: number; detached?: boolean } = {}) {
  return execa('node', [join(repoRoot, 'dist', 'cli', 'main.js'), ...args], {
    cwd: repoRoot,
    env: { ...env, CI: 'true' },
    extendEnv: true,
    reject: false,
    stdin: 'ignore',
    detached: options.detached ?? false,
    timeout: options.timeoutMs ?? 20 * 60_000,
  });
}

/** Runs the built CLI to its end. */
export async function runCli(args: string[], env: Record<string, string | undefined> = {}, options: { timeoutMs?: number } = {}): Promise<CliResult> {
  return cliResult(await startCli(args, env, options));
}

export const cliResult = (result: { exitCode?: number; stdout?: unknown; stderr?: unknown }): CliResult => ({
  exitCode: result.exitCode ?? -1,
  stdout: String(result.stdout ?? ''),
  stderr: String(result.stderr ?? ''),
});

/** Fails with the end of the command's output when it did not exit with `code`. */
export function expectExit(result: CliResult, code: number): void {
  if (result.exitCode !== code) throw new Error(`exit ${result.exitCode}, expected ${code}\n--- stderr ---\n${result.stderr.slice(-4000)}\n--- stdout ---\n${result.stdout.slice(-2000)}`);
}
