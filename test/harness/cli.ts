import { join } from 'node:path';
import { execa, type Result } from 'execa';
import { repoRoot } from '../../cli/paths.js';

/** Runs the built CLI (`node dist/cli/main.js`) as a user would, with extra environment. */
export async function runCli(args: string[], env: Record<string, string | undefined> = {}, options: { timeoutMs?: number } = {}): Promise<Result> {
  return execa('node', [join(repoRoot, 'dist', 'cli', 'main.js'), ...args], {
    cwd: repoRoot,
    env: { ...env, CI: 'true' },
    extendEnv: true,
    reject: false,
    all: true,
    stdin: 'ignore',
    timeout: options.timeoutMs ?? 20 * 60_000,
  });
}
