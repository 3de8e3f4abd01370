import { captureRecords, payloadText } from './capture-file.js';

/** Per-feature statistics of a set of rows: what the data row of the dashboard compares. */
export interface FeatureStatistics {
  readonly count: number;
  readonly mean: number;
  /** Sample standard deviation (n − 1), as pandas' describe() gives it; 0 for a single value. */
  readonly std: number;
  readonly min: number;
  readonly max: number;
}

export type Row = Record<string, unknown>;

/** Statistics of every numeric feature over the rows; non-numeric values are left out. */
export function computeFeatureStatistics(rows: readonly Row[]): Record<string, FeatureStatistics> {
  const values = new Map<string, number[]>();
  for (const row of rows) {
    for (const [feature, value] of Object.entries(row)) {
      const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
      if (!Number.isFinite(number)) continue;
      if (!values.has(feature)) values.set(feature, []);
      values.get(feature)!.push(number);
    }
  }
  const result: Record<string, FeatureStatistics> = {};
  for (const [feature, list] of [...values.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const count = list.length;
    const mean = list.reduce((sum, value) => sum + value, 0) / count;
    const variance = count > 1 ? list.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (count - 1) : 0;
    result[feature] = { count, mean, std: Math.sqrt(variance), min: Math.min(...list), max: Math.max(...list) };
  }
  return result;
}

/**
 * Rows of an MLflow scoring request body: `dataframe_split`, `dataframe_records`, `instances` or
 * `inputs` (records, or a column → values map), or CSV with a header row.
 */
export function rowsOfRequest(body: string, contentType: string): Row[] {
  if (/csv/i.test(contentType)) return rowsOfCsv(body);
  let payload: unknown;
  try {
    payload = JSON.parse(body);
  } catch {
    return [];
  }
  if (!payload || typeof payload !== 'object') return [];
  const request = payload as Record<string, unknown>;
  const split = request.dataframe_split as { columns?: string[]; data?: unknown[][] } | undefined;
  if (split?.columns && Array.isArray(split.data)) {
    return split.data.map((values) => Object.fromEntries(split.columns!.map((column, index) => [column, values?.[index]])));
  }
  const records = request.dataframe_records ?? request.instances ?? request.inputs;
  if (Array.isArray(records)) return records.filter((record): record is Row => !!record && typeof record === 'object' && !Array.isArray(record));
  if (records && typeof records === 'object') {
    const columns = Object.entries(records as Record<string, unknown>).filter((entry): entry is [string, unknown[]] => Array.isArray(entry[1]));
    const length = Math.max(0, ...columns.map(([, values]) => values.length));
    return Array.from({ length }, (_, index) => Object.fromEntries(columns.map(([column, values]) => [column, values[index]])));
  }
  return [];
}

function rowsOfCsv(body: string): Row[] {
  const lines = body.split(/\r?\n/).filter((line) => line.trim() !== '');
  if (lines.length < 2) return [];
  const columns = lines[0].split(',').map((column) => column.trim());
  return lines.slice(1).map((line) => {
    const cells = line.split(',');
    return Object.fromEntries(columns.map((column, index) => [column, cells[index]?.trim()]));
  });
}

/** The request rows of a data capture file; lines that are not captured requests are skipped. */
export function rowsOfCaptureFile(text: string): { rows: Row[]; requests: number; skipped: number } {
  const rows: Row[] = [];
  let requests = 0;
  const { records, unreadable } = captureRecords(text);
  let skipped = unreadable;
  for (const record of records) {
    const input = record.captureData?.endpointInput;
    if (!input?.data) {
      skipped += 1;
      continue;
    }
    const body = payloadText({ data: input.data, encoding: input.encoding });
    const requestRows = rowsOfRequest(body, input.observedContentType ?? 'application/json');
    if (requestRows.length === 0) skipped += 1;
    else requests += 1;
    rows.push(...requestRows);
  }
  return { rows, requests, skipped };
}

/**
 * The training baseline as `pandas.DataFrame.describe().to_dict()` writes it
 * (`{feature: {count, mean, std, min, 25%, 50%, 75%, max}}`); features without a mean are left out.
 */
export function baselineFromDescribe(document: unknown): Record<string, FeatureStatistics> {
  const result: Record<string, FeatureStatistics> = {};
  if (!document || typeof document !== 'object' || Array.isArray(document)) return result;
  for (const [feature, raw] of Object.entries(document as Record<string, unknown>)) {
    if (!raw || typeof raw !== 'object') continue;
    const stats = raw as Record<string, unknown>;
    const number = (key: string) => (typeof stats[key] === 'number' && Number.isFinite(stats[key]) ? (stats[key] as number) : undefined);
    const mean = number('mean');
    if (mean === undefined) continue;
    result[feature] = { count: number('count') ?? 0, mean, std: number('std') ?? 0, min: number('min') ?? mean, max: number('max') ?? mean };
  }
  return result;
}

/** The input feature names of a model's signature (the MLmodel file keeps it as a JSON string). */
export function signatureFeatures(mlmodel: { signature?: unknown }): string[] {
  const inputs = (mlmodel.signature as { inputs?: unknown } | undefined)?.inputs;
  let parsed: unknown = inputs;
  if (typeof inputs === 'string') {
    try {
      parsed = JSON.parse(inputs);
    } catch {
      return [];
    }
  }
  if (!Array.isArray(parsed)) return [];
  return parsed.map((spec) => (spec as { name?: unknown }).name).filter((name): name is string => typeof name === 'string' && name !== '');
}
