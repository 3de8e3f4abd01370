import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../cli/paths.js';

/**
 * The offline toolchain's locations (virtualenv, tofu, provider mirror CLI config, actionlint), as
 * `scripts/install-tools.sh env` prints them. `make test` installs them first.
 */
export function toolchainEnv(): Record<string, string> {
  const text = execFileSync('bash', [join(repoRoot, 'scripts', 'install-tools.sh'), 'env'], { encoding: 'utf8' });
  const env: Record<string, string> = {};
  for (const match of text.matchAll(/^export (\w+)='([^']*)'$/gm)) env[match[1]] = match[2];
  return env;
}

/** Fails loudly (instead of skipping) when a tool the tier needs is missing: run `make tools`. */
export function requireTool(env: Record<string, string>, variable: string): string {
  const path = env[variable];
  if (!path || !existsSync(path)) throw new Error(`${variable} (${path}) is not installed: run \`make tools\` first`);
  return path;
}
