import { createReporter, type Reporter } from '../../cli/progress.js';

/** A reporter that keeps lines in memory, for tests. */
export function createRecordingReporter(): Reporter & { lines: string[] } {
  const lines: string[] = [];
  return Object.assign(createReporter((line) => lines.push(line)), { lines });
}
