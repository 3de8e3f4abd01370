/** A resource change of a saved plan (`terraform show -json`'s resource_changes, no-ops left out). */
export interface PlannedChange {
  readonly address: string;
  readonly actions: readonly string[];
}

export interface InterruptedRun {
  readonly stackId: string;
  /** The terraform command that was running: init, plan, apply, destroy… */
  readonly command: string;
  readonly signal: 'SIGINT' | 'SIGTERM';
  /** What the last plan of the stack meant to do; empty when there was none. */
  readonly planned: readonly PlannedChange[];
  /** Terraform's output of the interrupted command. */
  readonly output: string;
}

const COMPLETE = /^[\s│]*([\w.[\]"-]+): (Creation|Modifications|Destruction) complete\b/;
const STARTED = /^[\s│]*([\w.[\]"-]+): (Creating|Modifying|Destroying)\.\.\./;

/** Addresses of the operations terraform reports complete, and of those it started but never finished. */
export function operationsOf(output: string): { completed: string[]; unfinished: string[] } {
  const completed = new Set<string>();
  const started = new Set<string>();
  for (const line of output.split('\n')) {
    const done = COMPLETE.exec(line);
    if (done) completed.add(done[1]);
    const begun = STARTED.exec(line);
    if (begun) started.add(begun[1]);
  }
  return { completed: [...completed], unfinished: [...started].filter((address) => !completed.has(address)) };
}

const list = (addresses: readonly string[]) => (addresses.length === 0 ? 'none' : addresses.join(', '));

/**
 * What an operator needs after Ctrl-C or SIGTERM during a terraform command: that Terraform was let
 * stop gracefully and released the lock, what it applied, what it did not, and that
 * running the same command again converges (Terraform continues from the state).
 */
export function interruptionReport(run: InterruptedRun): string {
  const head = `interrupted by ${run.signal}: ${run.command} of stack ${run.stackId} stopped gracefully (nothing new started, what was under way cancelled); the state lock is released.`;
  if (run.command !== 'apply' && run.command !== 'destroy') {
    return `${head}\nNothing was applied (${run.command} changes no resource). Run the same command again to continue.`;
  }
  const { completed, unfinished } = operationsOf(run.output);
  const touched = new Set([...completed, ...unfinished]);
  const notStarted = run.planned.map((change) => change.address).filter((address) => !touched.has(address));
  const lines = [head, `Applied (${completed.length}): ${list(completed)}`];
  if (unfinished.length > 0) {
    lines.push(`Started but not finished (${unfinished.length}; may exist in AWS without being in the state): ${list(unfinished)}`);
  }
  lines.push(`Not applied (${notStarted.length}): ${list(notStarted)}`);
  lines.push('Run the same command again to finish: Terraform continues from the state.');
  return lines.join('\n');
}
