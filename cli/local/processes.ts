import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { createServer } from 'node:net';
import { ExternalError } from '../../core/errors.js';
import { describePhase, runPhaseOf, type RunPhase } from '../../core/local-environment.js';
import type { Reporter } from '../progress.js';

/** Starts a long-lived process in its own process group, its output appended to a log file. */
export function startDetached(command: string, args: string[], options: { logFile: string; env?: NodeJS.ProcessEnv; cwd?: string }): number {
  mkdirSync(dirname(options.logFile), { recursive: true });
  const log = openSync(options.logFile, 'a');
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: true,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  if (child.pid === undefined) throw new ExternalError(`could not start ${command}`);
  child.unref();
  return child.pid;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops a process group started by startDetached: SIGTERM, then SIGKILL after the grace period. */
export async function stopProcessGroup(pid: number, graceMs = 10_000): Promise<void> {
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-pid, name);
    } catch {
      /* already gone */
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(200);
  if (isAlive(pid)) signal('SIGKILL');
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Polls a URL until it answers 2xx, reporting elapsed time; fails early when the process behind
 * it has died, pointing at its log.
 */
export async function waitForHttp(
  url: string,
  options: { timeoutMs: number; reporter: Reporter; label: string; pid?: number; logFile?: string },
): Promise<void> {
  const step = options.reporter.step(`waiting for ${options.label} at ${url}`);
  const deadline = Date.now() + options.timeoutMs;
  let lastReport = Date.now();
  // The log is appended to across runs: only what this process wrote tells its phase.
  const logStart = options.logFile && existsSync(options.logFile) ? statSync(options.logFile).size : 0;
  const phase = (): RunPhase | undefined => {
    if (!options.logFile || !existsSync(options.logFile)) return undefined;
    const lines = readFileSync(options.logFile).subarray(logStart).toString('utf8').split('\n');
    return lines.map(runPhaseOf).filter((found) => found !== undefined).at(-1);
  };
  while (Date.now() < deadline) {
    if (options.pid !== undefined && !isAlive(options.pid)) {
      step.fail();
      throw new ExternalError(`${options.label} exited before it was ready${options.logFile ? `; see ${options.logFile}` : ''}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.ok) {
        step.done(`${options.label} is ready`);
        return;
      }
    } catch {
      /* not listening yet */
    }
    if (Date.now() - lastReport > 10_000) {
      const current = phase();
      step.update(current ? `still starting: ${describePhase(current)}` : 'still starting');
      lastReport = Date.now();
    }
    await sleep(300);
  }
  step.fail();
  throw new ExternalError(`${options.label} was not ready after ${Math.round(options.timeoutMs / 1000)}s${options.logFile ? `; see ${options.logFile}` : ''}`);
}
