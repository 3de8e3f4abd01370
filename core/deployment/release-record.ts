import type { FeatureStatistics } from './feature-statistics.js';

/** What the artifact bucket keeps about a deployed version: its run metrics and its training baseline. */
export interface ReleaseRecord {
  readonly mlProject: string;
  readonly modelVersion: string;
  readonly runId: string | null;
  /** The MLflow run's metrics (latest value of each). */
  readonly modelMetrics: Record<string, number>;
  /** The input features in the model's order (signature, else baseline). */
  readonly features: string[];
  /** Per-feature statistics of the training data; null when the run logged none. */
  readonly featureStatistics: Record<string, FeatureStatistics> | null;
  /**
   * The model's input example, which a rollout's smoke test sends: kept so that `mlops promote` can
   * roll this version out again from S3 alone. Null in records written before it was kept.
   */
  readonly servingInputExample: string | null;
}

/** The run's metrics as a name → value map (MLflow returns the latest value of each key). */
export function metricsOfRun(metrics: readonly { key: string; value: number }[] | undefined): Record<string, number> {
  const result: Record<string, number> = {};
  for (const metric of [...(metrics ?? [])].sort((a, b) => a.key.localeCompare(b.key))) {
    if (Number.isFinite(metric.value)) result[metric.key] = metric.value;
  }
  return result;
}

/** Features in the signature's order, then any the baseline has beyond them. */
export function orderedFeatures(signature: readonly string[], baseline: Record<string, FeatureStatistics> | null): string[] {
  const features = [...signature];
  for (const feature of Object.keys(baseline ?? {})) if (!features.includes(feature)) features.push(feature);
  return features;
}

/** Reads a record back; undefined when the text is not one. */
export function parseReleaseRecord(text: string): ReleaseRecord | undefined {
  try {
    const record = JSON.parse(text) as Partial<ReleaseRecord>;
    if (typeof record.modelVersion !== 'string' || typeof record.mlProject !== 'string') return undefined;
    return {
      mlProject: record.mlProject,
      modelVersion: record.modelVersion,
      runId: record.runId ?? null,
      modelMetrics: record.modelMetrics ?? {},
      features: record.features ?? [],
      featureStatistics: record.featureStatistics ?? null,
      servingInputExample: typeof record.servingInputExample === 'string' ? record.servingInputExample : null,
    };
  } catch {
    return undefined;
  }
}
