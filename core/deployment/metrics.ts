import { CUSTOM_METRICS } from './names.js';
import type { FeatureStatistics } from './feature-statistics.js';

/** One CloudWatch data point, in the shape PutMetricData takes. */
export interface MetricDatum {
  readonly MetricName: string;
  readonly Dimensions: { Name: string; Value: string }[];
  readonly Value: number;
  readonly Timestamp: Date;
  readonly Unit?: 'None' | 'Count';
}

const versionDimensions = (mlProject: string, modelVersion: string) => [
  { Name: CUSTOM_METRICS.dimensions.project, Value: mlProject },
  { Name: CUSTOM_METRICS.dimensions.version, Value: modelVersion },
];

/** The deployed version's run metrics, dimensioned by project and version. */
export function modelMetricData(mlProject: string, modelVersion: string, metrics: Record<string, number>, timestamp: Date): MetricDatum[] {
  return Object.entries(metrics).map(([name, value]) => ({
    MetricName: name,
    Dimensions: versionDimensions(mlProject, modelVersion),
    Value: value,
    Timestamp: timestamp,
    Unit: 'None',
  }));
}

/** Mean, standard deviation and count of each feature, for the baseline or the captured requests. */
export function featureMetricData(
  mlProject: string,
  modelVersion: string,
  source: (typeof CUSTOM_METRICS.sources)[keyof typeof CUSTOM_METRICS.sources],
  statistics: Record<string, FeatureStatistics>,
  timestamp: Date,
): MetricDatum[] {
  return Object.entries(statistics).flatMap(([feature, stats]) => {
    const Dimensions = [
      ...versionDimensions(mlProject, modelVersion),
      { Name: CUSTOM_METRICS.dimensions.feature, Value: feature },
      { Name: CUSTOM_METRICS.dimensions.source, Value: source },
    ];
    return [
      { MetricName: CUSTOM_METRICS.featureMean, Dimensions, Value: stats.mean, Timestamp: timestamp, Unit: 'None' as const },
      { MetricName: CUSTOM_METRICS.featureStd, Dimensions, Value: stats.std, Timestamp: timestamp, Unit: 'None' as const },
      { MetricName: CUSTOM_METRICS.featureCount, Dimensions, Value: stats.count, Timestamp: timestamp, Unit: 'Count' as const },
    ];
  });
}

/**
 * How far the captured mean has moved from the baseline mean, in baseline standard deviations
 * (undefined when the baseline has no spread or the feature was not captured).
 */
export function meanShift(baseline: FeatureStatistics | undefined, captured: FeatureStatistics | undefined): number | undefined {
  if (!baseline || !captured || !(baseline.std > 0)) return undefined;
  return (captured.mean - baseline.mean) / baseline.std;
}
