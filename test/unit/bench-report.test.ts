import { median, parseBashTimes, resultsDocument, resultsTable } from '../../bench/report.js';

describe('the benchmark report', () => {
  it('takes the median of odd and even counts, whatever the order', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow('median of no values');
  });

  it("reads the children's CPU time from bash's `times`, minutes included", () => {
    expect(parseBashTimes('0m0.004s 0m0.001s\n1m2.500s 0m0.250s\n')).toBeCloseTo(62.75, 5);
    expect(() => parseBashTimes('no times here')).toThrow('no bash `times` output');
  });

  it('prints medians of both sides and their ratios, one row per comparison', () => {
    const table = resultsTable([
      {
        section: 'Start-up',
        case: 'print the help',
        ours: { label: 'mlops --help', samples: [{ cpuSeconds: 0.2, wallSeconds: 0.3 }, { cpuSeconds: 0.4, wallSeconds: 0.5 }, { cpuSeconds: 0.3, wallSeconds: 0.9 }] },
        reference: { label: 'node -e 0', samples: [{ cpuSeconds: 0.05, wallSeconds: 0.1 }, { cpuSeconds: 0.05, wallSeconds: 0.1 }] },
      },
    ]);
    const rows = table.split('\n');
    expect(rows).toHaveLength(3);
    expect(rows[2]).toBe('| Start-up | print the help | mlops --help: 0.30 s CPU, 0.50 s wall | node -e 0: 0.05 s CPU, 0.10 s wall | 6.00× | 5.00× | 2 |');
  });

  it("names the load during the run next to the load at its start, so a busy machine's figures say so", () => {
    const machine = { date: '2026-12-01 17:25 UTC', cpus: 'Xeon', cores: 2, memoryGiB: 24, node: 'v20', terraform: 'OpenTofu v1.10.10', loadAverage: '0.64 1.59 1.82' };
    expect(resultsDocument([], { ...machine, loadDuring: [12.5, 3.1, 14.4] })).toContain('load average 0.64 1.59 1.82 at the start and 12.50 (median; highest 14.40) during the run.');
    expect(resultsDocument([], { ...machine, loadDuring: [] })).toContain('load average 0.64 1.59 1.82 at the start.');
  });
});
