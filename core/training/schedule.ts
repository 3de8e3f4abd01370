/**
 * Scheduled retraining: a project's `schedule` (EventBridge Scheduler's `cron(…)` or `rate(…)`
 * expression, evaluated in UTC), checked before anything is built, and the next run it makes.
 */

export type TrainingSchedule =
  | { readonly kind: 'rate'; readonly expression: string; readonly everyMinutes: number }
  | { readonly kind: 'cron'; readonly expression: string; readonly fields: CronFields };

/** The allowed values of each field; `null` for the day field that is `?`. */
export interface CronFields {
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly daysOfMonth: readonly number[] | null;
  readonly months: readonly number[];
  /** 1 = Sunday … 7 = Saturday, as EventBridge counts. */
  readonly daysOfWeek: readonly number[] | null;
  readonly years: readonly number[];
}

export const SCHEDULE_FORMS =
  'rate(N minutes|hours|days) (singular for 1: rate(1 day)), or cron(minutes hours day-of-month month day-of-week year) in UTC with ? in one of the two day fields, e.g. cron(0 3 ? * MON *)';

const RATE_UNITS: Record<string, number> = { minute: 1, hour: 60, day: 1440 };
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldRule {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  readonly question?: boolean;
}

const FIELDS: readonly FieldRule[] = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31, question: true },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day-of-week', min: 1, max: 7, names: DAYS, question: true },
  { name: 'year', min: 1970, max: 2199 },
];

/** One cron field's values; violations name the field and what it allows. */
function parseField(text: string, rule: FieldRule, violations: string[]): number[] | null {
  if (text === '?') {
    if (!rule.question) violations.push(`${rule.name} "?": only day-of-month and day-of-week take ?`);
    return null;
  }
  // EventBridge's L (last), W (weekday) and # (nth weekday) of the day fields; WED and JUL are names, not these.
  if (rule.question && text.split(',').some((part) => part.includes('#') || /^(L|LW|\d{1,2}W|[1-7]L|[A-Z]{3}L)$/i.test(part))) {
    violations.push(`${rule.name} "${text}": L, W and # are not supported here; use lists, ranges and increments (1,15 or MON-FRI or */2)`);
    return [];
  }
  const value = (part: string): number | undefined => {
    const named = rule.names?.indexOf(part.toUpperCase()) ?? -1;
    if (named >= 0) return named + rule.min;
    return /^\d+$/.test(part) ? Number(part) : undefined;
  };
  const allowed = `${rule.min}-${rule.max}${rule.names ? ` or ${rule.names[0]}-${rule.names[rule.names.length - 1]}` : ''}`;
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const match = /^(\*|[A-Za-z0-9]+)(?:-([A-Za-z0-9]+))?(?:\/(\d+))?$/.exec(part);
    if (!match) {
      violations.push(`${rule.name} "${part}": expected *, a value, a range a-b, a list a,b, or an increment */n (values ${allowed})`);
      continue;
    }
    const [, first, last, step] = match;
    const from = first === '*' ? rule.min : value(first);
    const to = first === '*' ? rule.max : last !== undefined ? value(last) : step !== undefined ? rule.max : from;
    const increment = step === undefined ? 1 : Number(step);
    if (from === undefined || to === undefined || from < rule.min || to > rule.max || from > to || increment < 1) {
      violations.push(`${rule.name} "${part}": values ${allowed}${from !== undefined && to !== undefined && from > to ? ', the range ascending' : ''}`);
      continue;
    }
    for (let v = from; v <= to; v += increment) values.add(v);
  }
  return [...values].sort((a, b) => a - b);
}

/**
 * Checks a schedule expression; `where` names the file and field (`ml-projects/x/resource-requirements.json: schedule`)
 * and returns every violation at once, or the parsed schedule.
 */
export function parseSchedule(expression: unknown, where: string): { schedule?: TrainingSchedule; violations: string[] } {
  const fail = (detail: string) => ({ violations: [`${where} ${detail}; allowed: ${SCHEDULE_FORMS}`] });
  if (typeof expression !== 'string') return fail(`must be a string, not ${JSON.stringify(expression)}`);
  const text = expression.trim();
  const rate = /^rate\((.*)\)$/.exec(text);
  if (rate) {
    const match = /^\s*(\d+)\s+(minute|hour|day)(s?)\s*$/.exec(rate[1]);
    if (!match) return fail(`"${text}": a rate is a whole number and minute(s), hour(s) or day(s)`);
    const value = Number(match[1]);
    if (value < 1) return fail(`"${text}": the rate must be at least 1`);
    if ((value === 1) !== (match[3] === '')) return fail(`"${text}": EventBridge wants the singular for 1 (rate(1 ${match[2]})) and the plural otherwise (rate(${value} ${match[2]}s))`);
    return { schedule: { kind: 'rate', expression: text, everyMinutes: value * RATE_UNITS[match[2]] }, violations: [] };
  }
  const cron = /^cron\((.*)\)$/.exec(text);
  if (!cron) return fail(`"${text}" is neither rate(…) nor cron(…)`);
  const parts = cron[1].trim().split(/\s+/);
  if (parts.length !== 6) return fail(`"${text}" has ${parts.length} fields; cron(…) has 6 (minutes hours day-of-month month day-of-week year)`);
  const violations: string[] = [];
  const [minutes, hours, daysOfMonth, months, daysOfWeek, years] = parts.map((part, index) => parseField(part, FIELDS[index], violations));
  if ((daysOfMonth === null) === (daysOfWeek === null)) violations.push('exactly one of day-of-month and day-of-week must be ? (e.g. cron(0 3 ? * MON *) or cron(0 3 1 * ? *))');
  if (violations.length > 0) return { violations: violations.map((violation) => `${where} "${text}": ${violation}`) };
  const fields: CronFields = { minutes: minutes!, hours: hours!, daysOfMonth, months: months!, daysOfWeek, years: years! };
  return { schedule: { kind: 'cron', expression: text, fields }, violations: [] };
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/**
 * The first run strictly after `now`: for cron, the next matching minute (UTC); for rate, the next
 * multiple of the interval after the schedule's creation (EventBridge starts counting then);
 * undefined when the cron expression never fires again (its years are past).
 */
export function nextRun(schedule: TrainingSchedule, now: Date, createdAt?: Date): Date | undefined {
  if (schedule.kind === 'rate') {
    const interval = schedule.everyMinutes * MINUTE_MS;
    const start = (createdAt ?? now).getTime();
    const periods = Math.max(1, Math.floor((now.getTime() - start) / interval) + 1);
    return new Date(start + periods * interval);
  }
  const { fields } = schedule;
  const after = Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
  const lastYear = fields.years[fields.years.length - 1];
  for (let day = Math.floor(after / DAY_MS) * DAY_MS; new Date(day).getUTCFullYear() <= lastYear; day += DAY_MS) {
    const date = new Date(day);
    if (!fields.years.includes(date.getUTCFullYear()) || !fields.months.includes(date.getUTCMonth() + 1)) continue;
    const dayMatches = fields.daysOfMonth ? fields.daysOfMonth.includes(date.getUTCDate()) : fields.daysOfWeek!.includes(date.getUTCDay() + 1);
    if (!dayMatches) continue;
    for (const hour of fields.hours) {
      for (const minute of fields.minutes) {
        const candidate = day + hour * 3_600_000 + minute * MINUTE_MS;
        if (candidate >= after) return new Date(candidate);
      }
    }
  }
  return undefined;
}

/** "2026-12-07 03:00 UTC (in 5d 14h)" */
export function describeNextRun(next: Date | undefined, now: Date): string {
  if (!next) return 'never again (the expression names only past years)';
  const minutes = Math.round((next.getTime() - now.getTime()) / MINUTE_MS);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const inText = days > 0 ? `${days}d ${hours}h` : hours > 0 ? `${hours}h ${minutes % 60}m` : `${minutes}m`;
  return `${next.toISOString().slice(0, 16).replace('T', ' ')} UTC (in ${inText})`;
}
