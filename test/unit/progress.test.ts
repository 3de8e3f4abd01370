import { createReporter, formatElapsed } from '../../cli/progress.js';

describe('formatElapsed', () => {
  it.each([
    [0, '0s'],
    [59.9, '59s'],
    [60, '1m00s'],
    [754, '12m34s'],
  ])('%d seconds → %s', (seconds, expected) => {
    expect(formatElapsed(seconds)).toBe(expected);
  });
});

describe('createReporter', () => {
  it('stamps step updates with the time elapsed since the step began', () => {
    const lines: string[] = [];
    let now = 1_000;
    const reporter = createReporter((line) => lines.push(line), () => now);
    const step = reporter.step('waiting for endpoint');
    now += 65_000;
    step.update('Creating → InService');
    step.done();
    expect(lines).toEqual(['waiting for endpoint …', '  [1m05s] Creating → InService', '  [1m05s] waiting for endpoint: done']);
  });
});
