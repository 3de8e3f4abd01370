import type { Reporter } from '../progress.js';

export type Interrupt = 'SIGINT' | 'SIGTERM';

/** Where interrupts come from: `process` in the CLI, an EventEmitter in tests. */
export interface SignalSource {
  on(signal: Interrupt, listener: () => void): unknown;
  off(signal: Interrupt, listener: () => void): unknown;
}

/**
 * Runs while `child` (started in its own process group, so a terminal's Ctrl-C reaches only the CLI)
 * does: the first SIGINT or SIGTERM is passed on to it exactly once, so terraform stops gracefully:
 * it starts no new operation, has the provider cancel those under way, writes the state and
 * releases the lock. Terraform takes a second interrupt as
 * "stop at once", leaving the lock and half-made resources, so later signals are not passed on:
 * the CLI says what it is waiting for and how to abandon the run on purpose.
 */
export async function forwardOneInterrupt<T>(
  child: { readonly pid?: number; kill(signal: Interrupt): boolean },
  finished: Promise<T>,
  options: { signals: SignalSource; reporter: Reporter; label: string },
): Promise<{ result: T; interrupt?: Interrupt }> {
  const { signals, reporter, label } = options;
  let interrupt: Interrupt | undefined;
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((signal) => {
    const handler = () => {
      if (interrupt) {
        reporter.warn(`${signal} again: still waiting for ${label} (pid ${child.pid}) to stop cleanly. To abandon it anyway: kill -9 ${child.pid}, then \`mlops unlock\` the stack`);
        return;
      }
      interrupt = signal;
      child.kill(signal);
      reporter.warn(`${signal}: ${label} stops gracefully (starts nothing new, cancels what is under way), saves the state and releases the lock; waiting for it`);
    };
    signals.on(signal, handler);
    return [signal, handler] as const;
  });
  try {
    return { result: await finished, interrupt };
  } finally {
    for (const [signal, handler] of handlers) signals.off(signal, handler);
  }
}
