import { describeNextRun, nextRun, parseSchedule, type TrainingSchedule } from '../../core/training/schedule.js';
import { parseRequirementsDocument } from '../../core/ml-project.js';
import { UsageError } from '../../core/errors.js';

const parsed = (expression: string): TrainingSchedule => {
  const { schedule, violations } = parseSchedule(expression, 'schedule');
  if (!schedule) throw new Error(violations.join('\n'));
  return schedule;
};
const next = (expression: string, now: string, createdAt?: string) => nextRun(parsed(expression), new Date(now), createdAt ? new Date(createdAt) : undefined)?.toISOString();

describe('parseSchedule', () => {
  it.each([
    ['rate(1 day)', 1440],
    ['rate(12 hours)', 720],
    ['rate(30 minutes)', 30],
  ])('accepts %s as every %i minutes', (expression, minutes) => {
    expect(parsed(expression)).toEqual({ kind: 'rate', expression, everyMinutes: minutes });
  });

  it('accepts cron with names, lists, ranges and increments', () => {
    const schedule = parsed('cron(0/15 8-17 ? JAN,JUL MON-FRI 2026-2027)');
    expect(schedule.kind === 'cron' && schedule.fields).toEqual({
      minutes: [0, 15, 30, 45],
      hours: [8, 9, 10, 11, 12, 13, 14, 15, 16, 17],
      daysOfMonth: null,
      months: [1, 7],
      daysOfWeek: [2, 3, 4, 5, 6],
      years: [2026, 2027],
    });
  });

  it.each([
    [42, 'must be a string, not 42'],
    ['0 3 * * *', '"0 3 * * *" is neither rate(…) nor cron(…)'],
    ['rate(1 days)', 'EventBridge wants the singular for 1 (rate(1 day)) and the plural otherwise (rate(1 days))'],
    ['rate(2 week)', 'a rate is a whole number and minute(s), hour(s) or day(s)'],
    ['rate(0 minutes)', 'the rate must be at least 1'],
    ['cron(0 3 * * *)', 'has 5 fields; cron(…) has 6'],
  ])('refuses %j, saying why and listing the allowed forms', (expression, message) => {
    const { schedule, violations } = parseSchedule(expression, 'schedule');
    expect(schedule).toBeUndefined();
    expect(violations).toHaveLength(1);
    expect(violations[0]).toContain(message);
    expect(violations[0]).toContain('allowed: rate(N minutes|hours|days)');
  });

  it('reports every bad cron field at once', () => {
    expect(parseSchedule('cron(60 24 * 13 * 1969)', 'schedule').violations).toEqual([
      'schedule "cron(60 24 * 13 * 1969)": minutes "60": values 0-59',
      'schedule "cron(60 24 * 13 * 1969)": hours "24": values 0-23',
      'schedule "cron(60 24 * 13 * 1969)": month "13": values 1-12 or JAN-DEC',
      'schedule "cron(60 24 * 13 * 1969)": year "1969": values 1970-2199',
      'schedule "cron(60 24 * 13 * 1969)": exactly one of day-of-month and day-of-week must be ? (e.g. cron(0 3 ? * MON *) or cron(0 3 1 * ? *))',
    ]);
    expect(parseSchedule('cron(0 3 L * ? *)', 'schedule').violations[0]).toContain('L, W and # are not supported here');
  });
});

describe('nextRun', () => {
  it.each([
    // Every Monday 03:00: from a Tuesday, the Monday after; from Monday 02:59, the same day; from 03:00 exactly, the week after.
    ['cron(0 3 ? * MON *)', '2026-12-01T14:00:00Z', '2026-12-07T03:00:00.000Z'],
    ['cron(0 3 ? * MON *)', '2026-12-07T02:59:30Z', '2026-12-07T03:00:00.000Z'],
    ['cron(0 3 ? * MON *)', '2026-12-07T03:00:00Z', '2026-12-14T03:00:00.000Z'],
    // The 31st skips months without one; the year rolls over.
    ['cron(30 0 31 * ? *)', '2026-11-01T00:00:00Z', '2026-12-31T00:30:00.000Z'],
    ['cron(30 0 31 * ? *)', '2026-12-31T00:30:00Z', '2027-01-31T00:30:00.000Z'],
    // Every 15 minutes in office hours on weekdays: Friday evening → Monday 08:00.
    ['cron(0/15 8-17 ? * MON-FRI *)', '2026-12-04T17:46:00Z', '2026-12-07T08:00:00.000Z'],
    ['cron(0/15 8-17 ? * MON-FRI *)', '2026-12-04T09:01:00Z', '2026-12-04T09:15:00.000Z'],
    // 29 February only in leap years.
    ['cron(0 12 29 2 ? *)', '2026-03-01T00:00:00Z', '2028-02-29T12:00:00.000Z'],
  ])('%s after %s is %s', (expression, now, expected) => {
    expect(next(expression, now)).toBe(expected);
  });

  it('never, when the expression names only past years', () => {
    expect(next('cron(0 3 1 1 ? 2020)', '2026-12-01T00:00:00Z')).toBeUndefined();
    expect(describeNextRun(undefined, new Date())).toContain('never again');
  });

  it('counts a rate from the schedule creation, and from now when that is unknown', () => {
    expect(next('rate(7 days)', '2026-12-01T14:00:00Z', '2026-11-20T09:30:00Z')).toBe('2026-12-04T09:30:00.000Z');
    expect(next('rate(1 hour)', '2026-12-01T14:00:00Z', '2026-12-01T13:59:00Z')).toBe('2026-12-01T14:59:00.000Z');
    expect(next('rate(1 hour)', '2026-12-01T14:00:00Z')).toBe('2026-12-01T15:00:00.000Z');
  });

  it('describes the next run with the wait', () => {
    expect(describeNextRun(new Date('2026-12-07T03:00:00Z'), new Date('2026-12-01T14:00:00Z'))).toBe('2026-12-07 03:00 UTC (in 5d 13h)');
    expect(describeNextRun(new Date('2026-12-01T14:45:00Z'), new Date('2026-12-01T14:00:00Z'))).toBe('2026-12-01 14:45 UTC (in 45m)');
  });
});

describe('schedule in resource-requirements.json', () => {
  it('is read beside the training and deployment sections', () => {
    const file = parseRequirementsDocument({ training: [{ type: 'VCPU', value: '2' }], schedule: 'rate(1 day)' }, 'ml-projects/x/resource-requirements.json');
    expect(file.schedule).toEqual({ kind: 'rate', expression: 'rate(1 day)', everyMinutes: 1440 });
    expect(parseRequirementsDocument({ training: [] }, 'f.json').schedule).toBeUndefined();
  });

  it('a bad one is a usage error naming the file and the field, with the other violations of the file', () => {
    const parse = () => parseRequirementsDocument({ training: 'x', schedule: 'cron(0 3 * * * *)' }, 'ml-projects/x/resource-requirements.json');
    expect(parse).toThrow(UsageError);
    expect(parse).toThrow(/ml-projects\/x\/resource-requirements\.json is invalid:\n {2}- training: must be a list.*\n {2}- schedule "cron\(0 3 \* \* \* \*\)": exactly one of day-of-month and day-of-week must be \?/);
  });
});
