/** What one timed command cost: wall-clock seconds, and CPU seconds (user + system, children included). */
export interface Sample {
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
}

/** One row of the benchmark: our figure against a reference measured side by side in the same run. */
export interface Comparison {
  readonly section: string;
  readonly case: string;
  readonly ours: { readonly label: string; readonly samples: readonly Sample[] };
  readonly reference: { readonly label: string; readonly samples: readonly Sample[] };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export const medianSample = (samples: readonly Sample[]): Sample => ({
  wallSeconds: median(samples.map((sample) => sample.wallSeconds)),
  cpuSeconds: median(samples.map((sample) => sample.cpuSeconds)),
});

/**
 * `times` of bash prints the shell's and then its children's user and system time, e.g.
 * `0m0.004s 0m0.000s` / `1m2.345s 0m0.120s`; the second line is what the command cost.
 */
export function parseBashTimes(text: string): number {
  const lines = text.trim().split('\n').filter((line) => /^\d+m[\d.]+s \d+m[\d.]+s$/.test(line.trim()));
  const children = lines.at(-1);
  if (!children) throw new Error(`no bash \`times\` output in: ${text.slice(-200)}`);
  return children
    .trim()
    .split(' ')
    .map((part) => {
      const [, minutes, seconds] = /^(\d+)m([\d.]+)s$/.exec(part)!;
      return Number(minutes) * 60 + Number(seconds);
    })
    .reduce((sum, seconds) => sum + seconds, 0);
}

const seconds = (value: number) => (value < 10 ? value.toFixed(2) : value.toFixed(1));
const ratio = (ours: number, reference: number) => (reference > 0 ? `${(ours / reference).toFixed(2)}×` : 'n/a');

/** The results as a Markdown table: medians of every side, and ours / reference in CPU and wall time. */
export function resultsTable(comparisons: readonly Comparison[]): string {
  const rows = comparisons.map((comparison) => {
    const ours = medianSample(comparison.ours.samples);
    const reference = medianSample(comparison.reference.samples);
    return [
      comparison.section,
      comparison.case,
      `${comparison.ours.label}: ${seconds(ours.cpuSeconds)} s CPU, ${seconds(ours.wallSeconds)} s wall`,
      `${comparison.reference.label}: ${seconds(reference.cpuSeconds)} s CPU, ${seconds(reference.wallSeconds)} s wall`,
      ratio(ours.cpuSeconds, reference.cpuSeconds),
      ratio(ours.wallSeconds, reference.wallSeconds),
      String(Math.min(comparison.ours.samples.length, comparison.reference.samples.length)),
    ];
  });
  const header = ['What', 'Case', 'Ours (median)', 'Against (median)', 'CPU ratio', 'Wall ratio', 'Runs'];
  return [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

export interface Machine {
  readonly date: string;
  readonly cpus: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly terraform: string;
  /** Load average when the run started: other work on the machine slows wall time, less so CPU time. */
  readonly loadAverage: string;
  /** The 1-minute load average sampled while the run went on: a quiet start says nothing of the hour after it. */
  readonly loadDuring: readonly number[];
}

function loadDuring(samples: readonly number[]): string {
  if (samples.length === 0) return '';
  return ` and ${median(samples).toFixed(2)} (median; highest ${Math.max(...samples).toFixed(2)}) during the run`;
}

export function resultsDocument(comparisons: readonly Comparison[], machine: Machine): string {
  return [
    '# Benchmark results',
    '',
    `Written by \`make bench\` on ${machine.date}: ${machine.cores} × ${machine.cpus}, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.terraform}, load average ${machine.loadAverage} at the start${loadDuring(machine.loadDuring)}.`,
    'Medians of the runs given; "ours" and the reference were measured side by side in the same run. CPU time is user + system of the',
    'command and every process it started (the fairer figure on a busy machine); a ratio below 1 means ours costs less.',
    '',
    resultsTable(comparisons),
    '',
  ].join('\n');
}
