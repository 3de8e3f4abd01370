import { join } from 'node:path';
import { execa } from 'execa';
import { repoRoot } from '../../cli/paths.js';

export interface CliResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI (`node dist/cli/main.js`) as a user would, with extra environment. */
export async function runCli(args: string[], env: Record<string, string | undefined> = {}, options: { timeoutMs?: number } = {}): Promise<CliResult> {
  const result = await execa('node', [join(repoRoot, 'dist', 'cli', 'main.js'), ...args], {
    cwd: repoRoot,
    env: { ...env, CI: 'true' },
    extendEnv: true,
    reject: false,
    stdin: 'ignore',
    timeout: options.timeoutMs ?? 20 * 60_000,
  });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? '') };
}
