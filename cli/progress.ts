/**
 * What a person reads goes to stderr, with elapsed time; what a script reads (--json) goes to stdout.
 */
export interface Reporter {
  info(message: string): void;
  warn(message: string): void;
  /** Starts a timed step; `done` and `fail` report the elapsed time. */
  step(label: string): Step;
}

export interface Step {
  update(message: string): void;
  done(message?: string): void;
  fail(message?: string): void;
  readonly elapsedSeconds: number;
}

export function formatElapsed(seconds: number): string {
  const whole = Math.floor(seconds);
  if (whole < 60) return `${whole}s`;
  const minutes = Math.floor(whole / 60);
  return `${minutes}m${String(whole % 60).padStart(2, '0')}s`;
}

export function createReporter(
  write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  now: () => number = () => Date.now(),
): Reporter {
  return {
    info: (message) => write(message),
    warn: (message) => write(`warning: ${message}`),
    step(label) {
      const started = now();
      const elapsed = () => (now() - started) / 1000;
      const stamp = () => `[${formatElapsed(elapsed())}]`;
      write(`${label} …`);
      return {
        update: (message) => write(`  ${stamp()} ${message}`),
        done: (message) => write(`  ${stamp()} ${message ?? `${label}: done`}`),
        fail: (message) => write(`  ${stamp()} ${message ?? `${label}: failed`}`),
        get elapsedSeconds() {
          return elapsed();
        },
      };
    },
  };
}
