import { captureRecords, payloadText } from './capture-file.js';
import type { MetricDatum } from './metrics.js';
import { CUSTOM_METRICS } from './names.js';

/** One captured request of one variant and the predictions it answered with. */
export interface CapturedExchange {
  /** SageMaker's id of the request (`eventMetadata.eventId`), when the record has one. */
  readonly eventId?: string;
  /** The request body as captured (text, or base64 when SageMaker could not record it as text). */
  readonly input: string;
  /** One prediction per row of the request. */
  readonly predictions: readonly unknown[];
}

/**
 * The predictions of a scoring answer: MLflow's `{"predictions": [...]}` (or a bare list), or CSV
 * with one prediction per line; undefined when the body is neither.
 */
export function predictionsOfResponse(body: string, contentType: string): unknown[] | undefined {
  if (/csv/i.test(contentType)) {
    const lines = body.split(/\r?\n/).filter((line) => line.trim() !== '');
    return lines.map((line) => {
      const value = line.trim();
      return value !== '' && Number.isFinite(Number(value)) ? Number(value) : value;
    });
  }
  let payload: unknown;
  try {
    payload = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (Array.isArray(payload)) return payload;
  const predictions = (payload as { predictions?: unknown } | null)?.predictions;
  if (Array.isArray(predictions)) return predictions;
  // A model that returns a dataframe answers column → values; one column is one prediction per row.
  if (predictions && typeof predictions === 'object') {
    const columns = Object.values(predictions as Record<string, unknown>).filter(Array.isArray);
    if (columns.length === 1) return columns[0];
  }
  return undefined;
}

/** The requests and answers of one variant's capture file; records without a readable answer are skipped. */
export function exchangesOfCaptureFile(text: string): { exchanges: CapturedExchange[]; skipped: number } {
  const exchanges: CapturedExchange[] = [];
  const { records, unreadable } = captureRecords(text);
  let skipped = unreadable;
  for (const record of records) {
    const output = record.captureData?.endpointOutput;
    const input = record.captureData?.endpointInput?.data;
    if (!output?.data || input === undefined) {
      skipped += 1;
      continue;
    }
    const body = payloadText({ data: output.data, encoding: output.encoding });
    const predictions = predictionsOfResponse(body, output.observedContentType ?? 'application/json');
    if (!predictions) {
      skipped += 1;
      continue;
    }
    exchanges.push({ eventId: record.eventMetadata?.eventId, input, predictions });
  }
  return { exchanges, skipped };
}

/**
 * Pairs each shadow exchange with the production exchange of the same request: by event id when
 * both carry the same one, else by the identical request body (SageMaker copies the request to the
 * shadow unchanged), each production exchange used once, earliest first.
 */
export function pairExchanges(
  production: readonly CapturedExchange[],
  shadow: readonly CapturedExchange[],
): { pairs: [CapturedExchange, CapturedExchange][]; unpaired: number } {
  const byEvent = new Map<string, number>();
  const byInput = new Map<string, number[]>();
  production.forEach((exchange, index) => {
    if (exchange.eventId) byEvent.set(exchange.eventId, index);
    const list = byInput.get(exchange.input) ?? [];
    list.push(index);
    byInput.set(exchange.input, list);
  });
  const used = new Set<number>();
  const pairs: [CapturedExchange, CapturedExchange][] = [];
  let unpaired = 0;
  for (const candidate of shadow) {
    let index = candidate.eventId !== undefined ? byEvent.get(candidate.eventId) : undefined;
    if (index !== undefined && (used.has(index) || production[index].input !== candidate.input)) index = undefined;
    if (index === undefined) index = (byInput.get(candidate.input) ?? []).find((position) => !used.has(position));
    if (index === undefined) {
      unpaired += 1;
      continue;
    }
    used.add(index);
    pairs.push([production[index], candidate]);
  }
  return { pairs, unpaired };
}

export type PredictionKind = 'classification' | 'regression';

/**
 * Whether predictions are classes or quantities: any finite number with a fraction makes them a
 * regression; whole numbers, strings, booleans and per-class score lists (compared by their top
 * class) are classes.
 */
export function predictionKind(values: readonly unknown[]): PredictionKind {
  const numbers = values.filter((value): value is number => typeof value === 'number' && Number.isFinite(value));
  return numbers.length > 0 && numbers.length === values.length && numbers.some((value) => !Number.isInteger(value)) ? 'regression' : 'classification';
}

/** A prediction as a class label: a list of per-class scores gives its top class's index. */
export function classOf(prediction: unknown): string {
  if (Array.isArray(prediction) && prediction.length > 0 && prediction.every((score) => typeof score === 'number')) {
    const scores = prediction as number[];
    return String(scores.indexOf(Math.max(...scores)));
  }
  return typeof prediction === 'string' ? prediction : JSON.stringify(prediction);
}

interface ComparisonBase {
  /** Request pairs compared (a request whose two answers have different lengths is left out). */
  readonly requests: number;
  /** Predictions compared (a request of n rows gives n). */
  readonly predictions: number;
  /** Requests whose production and shadow answers had different numbers of predictions. */
  readonly mismatchedRequests: number;
}

export interface ClassificationComparison extends ComparisonBase {
  readonly kind: 'classification';
  /** Share of predictions where the shadow gave production's class, 0–100. */
  readonly agreementPercent: number;
  /** Per class, its share of each side's predictions, 0–100. */
  readonly classShares: { production: Record<string, number>; shadow: Record<string, number> };
}

export interface RegressionComparison extends ComparisonBase {
  readonly kind: 'regression';
  /** Statistics of shadow − production over the compared predictions. */
  readonly meanAbsoluteError: number;
  readonly rootMeanSquaredError: number;
  readonly maxAbsoluteError: number;
  /** Mean of shadow − production: the shadow's bias against production. */
  readonly meanError: number;
  readonly means: { production: number; shadow: number };
}

export type ShadowComparison = ClassificationComparison | RegressionComparison;

const shares = (labels: readonly string[]): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const label of labels) counts[label] = (counts[label] ?? 0) + 1;
  return Object.fromEntries(Object.keys(counts).sort().map((label) => [label, (100 * counts[label]) / labels.length]));
};

/**
 * Shadow against production on the same requests: the agreement rate and each side's class shares
 * for a classifier; error statistics (shadow − production) and each side's mean for a regressor.
 * Undefined when no prediction could be compared.
 */
export function compareShadow(pairs: readonly (readonly [CapturedExchange, CapturedExchange])[]): ShadowComparison | undefined {
  const production: unknown[] = [];
  const shadow: unknown[] = [];
  let requests = 0;
  let mismatchedRequests = 0;
  for (const [served, candidate] of pairs) {
    if (served.predictions.length !== candidate.predictions.length) {
      mismatchedRequests += 1;
      continue;
    }
    requests += 1;
    production.push(...served.predictions);
    shadow.push(...candidate.predictions);
  }
  if (production.length === 0) return undefined;
  const base = { requests, predictions: production.length, mismatchedRequests };
  if (predictionKind([...production, ...shadow]) === 'regression') {
    const differences = shadow.map((value, index) => (value as number) - (production[index] as number));
    const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
    return {
      ...base,
      kind: 'regression',
      meanAbsoluteError: mean(differences.map(Math.abs)),
      rootMeanSquaredError: Math.sqrt(mean(differences.map((difference) => difference ** 2))),
      maxAbsoluteError: Math.max(...differences.map(Math.abs)),
      meanError: mean(differences),
      means: { production: mean(production as number[]), shadow: mean(shadow as number[]) },
    };
  }
  const productionClasses = production.map(classOf);
  const shadowClasses = shadow.map(classOf);
  const agreeing = shadowClasses.filter((label, index) => label === productionClasses[index]).length;
  return {
    ...base,
    kind: 'classification',
    agreementPercent: (100 * agreeing) / production.length,
    classShares: { production: shares(productionClasses), shadow: shares(shadowClasses) },
  };
}

/**
 * The comparison as CloudWatch data points for the dashboard's shadow row: the agreement or error
 * figures dimensioned by the shadow version and the production version it was compared with, and
 * each side's prediction distribution dimensioned by its variant and version.
 */
export function shadowMetricData(
  mlProject: string,
  versions: { production: string; shadow: string },
  variants: { production: string; shadow: string },
  comparison: ShadowComparison,
  timestamp: Date,
): MetricDatum[] {
  const { dimensions, shadow: names } = CUSTOM_METRICS;
  const pair = [
    { Name: dimensions.project, Value: mlProject },
    { Name: dimensions.version, Value: versions.shadow },
    { Name: names.dimensions.productionVersion, Value: versions.production },
  ];
  const side = (which: 'production' | 'shadow') => [
    { Name: dimensions.project, Value: mlProject },
    { Name: dimensions.version, Value: versions[which] },
    { Name: names.dimensions.variant, Value: variants[which] },
  ];
  const datum = (MetricName: string, Dimensions: { Name: string; Value: string }[], Value: number, Unit: MetricDatum['Unit'] = 'None'): MetricDatum => ({
    MetricName,
    Dimensions,
    Value,
    Timestamp: timestamp,
    Unit,
  });
  const data = [datum(names.comparedPredictions, pair, comparison.predictions, 'Count')];
  if (comparison.kind === 'classification') {
    data.push(datum(names.agreementPercent, pair, comparison.agreementPercent));
    for (const which of ['production', 'shadow'] as const) {
      for (const [label, share] of Object.entries(comparison.classShares[which])) {
        data.push(datum(names.predictionShare, [...side(which), { Name: names.dimensions.predictedClass, Value: label }], share));
      }
    }
  } else {
    data.push(
      datum(names.meanAbsoluteError, pair, comparison.meanAbsoluteError),
      datum(names.rootMeanSquaredError, pair, comparison.rootMeanSquaredError),
      datum(names.maxAbsoluteError, pair, comparison.maxAbsoluteError),
      datum(names.meanError, pair, comparison.meanError),
      datum(names.predictionMean, side('production'), comparison.means.production),
      datum(names.predictionMean, side('shadow'), comparison.means.shadow),
    );
  }
  return data;
}
