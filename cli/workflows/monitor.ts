import { printJson } from '../command.js';
import { createAwsContext } from '../effects/aws.js';
import { createMetricsPublisher } from '../effects/cloudwatch-metrics.js';
import { createDeploymentBucket } from '../effects/deployment-bucket.js';
import { createEndpointService } from '../effects/sagemaker-endpoint.js';
import { UsageError } from '../../core/errors.js';
import { computeFeatureStatistics, rowsOfCaptureFile, type FeatureStatistics, type Row } from '../../core/deployment/feature-statistics.js';
import { featureMetricData, meanShift, modelMetricData } from '../../core/deployment/metrics.js';
import { CUSTOM_METRICS, deploymentNames, ENDPOINT_TAGS, releaseRecordKey, SHADOW_VARIANT_NAME, VARIANT_NAME } from '../../core/deployment/names.js';
import { compareShadow, exchangesOfCaptureFile, pairExchanges, shadowMetricData, type CapturedExchange, type ShadowComparison } from '../../core/deployment/shadow-comparison.js';
import { parseReleaseRecord } from '../../core/deployment/release-record.js';
import { loadMlProject } from '../ml-project.js';
import { createReporter } from '../progress.js';
import { loadStepConfig } from '../settings/load.js';

/** `s3://bucket/key/prefix` → bucket and prefix. */
export function parseS3Uri(uri: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match) throw new UsageError(`"${uri}" is not an s3:// URI`);
  return { bucket: match[1], prefix: match[2].replace(/\/$/, '') };
}

/** One line per feature: baseline mean, captured mean and how far it moved, in baseline standard deviations. */
export function formatComparison(
  features: readonly string[],
  baseline: Record<string, FeatureStatistics>,
  captured: Record<string, FeatureStatistics>,
): string[] {
  const number = (value: number | undefined) => (value === undefined ? '—' : Number(value.toPrecision(4)).toString());
  return features.map((feature) => {
    const shift = meanShift(baseline[feature], captured[feature]);
    return `  ${feature}: baseline mean ${number(baseline[feature]?.mean)}, captured mean ${number(captured[feature]?.mean)} (n=${captured[feature]?.count ?? 0})${shift === undefined ? '' : `, shift ${shift >= 0 ? '+' : ''}${shift.toFixed(2)}σ`}`;
  });
}

/** The shadow comparison in one line: agreement for a classifier, error statistics for a regressor. */
export function describeShadowComparison(productionVersion: string, shadowVersion: string, comparison: ShadowComparison | undefined): string {
  const number = (value: number) => Number(value.toPrecision(4)).toString();
  const subject = `Shadow version ${shadowVersion} against version ${productionVersion}`;
  if (!comparison) return `${subject}: no request answered by both in the captured data yet`;
  const counted = `${comparison.predictions} predictions on ${comparison.requests} requests${comparison.mismatchedRequests > 0 ? ` (${comparison.mismatchedRequests} requests answered with different lengths left out)` : ''}`;
  if (comparison.kind === 'classification') return `${subject}: agree on ${number(comparison.agreementPercent)}% of ${counted}`;
  return `${subject}: mean absolute error ${number(comparison.meanAbsoluteError)}, RMSE ${number(comparison.rootMeanSquaredError)}, max ${number(comparison.maxAbsoluteError)}, mean shadow − production ${number(comparison.meanError)} over ${counted}`;
}

export interface MonitorArgs {
  project: string;
  json: boolean;
  hours?: number;
}

/** `mlops monitor`: captured requests against the training baseline, published for the dashboard's data row. */
export async function runMonitor(args: MonitorArgs): Promise<void> {
  const reporter = createReporter();
  const { settings, environment } = loadStepConfig();
  const aws = createAwsContext(environment.region);
  const project = loadMlProject(args.project);
  const hours = args.hours ?? settings.deployment.monitor_lookback_hours;
  if (!(hours > 0)) throw new UsageError(`--hours ${args.hours} must be more than 0`);
  const names = deploymentNames(environment, project.name, settings.deployment.metrics_namespace);

  const endpoints = createEndpointService(aws);
  const endpoint = await endpoints.describe(names.endpoint);
  if (!endpoint) throw new UsageError(`${project.name} has no endpoint ${names.endpoint} in ${environment.envName}: run make deployment-job project=${project.name} model=<version>`);
  const version = endpoint.tags[ENDPOINT_TAGS.modelVersion];
  if (!version) throw new UsageError(`endpoint ${names.endpoint} has no ${ENDPOINT_TAGS.modelVersion} tag: it was not deployed by mlops`);
  const captureUri = await endpoints.dataCaptureUri(endpoint.configName);
  if (!captureUri) {
    reporter.info(`Data capture is off for ${names.endpoint} (serverless, or a sampling rate of 0): there are no captured requests to compare.`);
    if (args.json) printJson({ endpoint: names.endpoint, version, dataCapture: false });
    return;
  }
  const { bucket, prefix } = parseS3Uri(captureUri);
  const bucketClient = createDeploymentBucket(aws);
  const recordText = await bucketClient.read(bucket, releaseRecordKey(names, version));
  const record = recordText ? parseReleaseRecord(recordText) : undefined;
  if (!record) reporter.warn(`no release record at s3://${bucket}/${releaseRecordKey(names, version)}: only captured statistics are published`);

  const since = new Date(Date.now() - hours * 3_600_000);
  // SageMaker writes each variant's captures under <prefix>/<endpoint>/<variant>/; the requests a
  // shadow got are copies of production's, so the feature statistics read production's alone.
  const readVariant = async (variant: string) => {
    const capturePrefix = `${prefix}/${names.endpoint}/${variant}/`;
    const step = reporter.step(`reading ${variant}'s captured requests of the last ${hours} h from s3://${bucket}/${capturePrefix}`);
    const files = await bucketClient.list(bucket, capturePrefix, since);
    const texts: string[] = [];
    for (const file of files) texts.push((await bucketClient.read(bucket, file.key)) ?? '');
    return { files, texts, step };
  };
  const production = await readVariant(VARIANT_NAME);
  const { files } = production;
  const rows: Row[] = [];
  let requests = 0;
  let skipped = 0;
  for (const text of production.texts) {
    const parsed = rowsOfCaptureFile(text);
    rows.push(...parsed.rows);
    requests += parsed.requests;
    skipped += parsed.skipped;
  }
  production.step.done(`${files.length} capture files, ${requests} requests, ${rows.length} rows${skipped > 0 ? `, ${skipped} records skipped (not a readable request)` : ''}`);

  const shadowVersion = endpoint.tags[ENDPOINT_TAGS.shadowModelVersion];
  let shadow: { comparison?: ShadowComparison; compared: number; unpaired: number } | undefined;
  if (shadowVersion) {
    const exchangesOf = (texts: string[]) => texts.flatMap((text): CapturedExchange[] => exchangesOfCaptureFile(text).exchanges);
    const candidate = await readVariant(SHADOW_VARIANT_NAME);
    const { pairs, unpaired } = pairExchanges(exchangesOf(production.texts), exchangesOf(candidate.texts));
    shadow = { comparison: compareShadow(pairs), compared: pairs.length, unpaired };
    candidate.step.done(`${candidate.files.length} capture files, ${pairs.length} requests answered by both versions${unpaired > 0 ? `, ${unpaired} shadow answers without production's (not yet captured or sampled out)` : ''}`);
  }

  const captured = computeFeatureStatistics(rows);
  const baseline = record?.featureStatistics ?? {};
  const now = new Date();
  const data = [
    ...(record ? modelMetricData(project.name, version, record.modelMetrics, now) : []),
    ...featureMetricData(project.name, version, CUSTOM_METRICS.sources.baseline, baseline, now),
    ...featureMetricData(project.name, version, CUSTOM_METRICS.sources.captured, captured, now),
    ...(shadow?.comparison
      ? shadowMetricData(project.name, { production: version, shadow: shadowVersion! }, { production: VARIANT_NAME, shadow: SHADOW_VARIANT_NAME }, shadow.comparison, now)
      : []),
  ];
  await createMetricsPublisher(aws).publish(names.metricsNamespace, data);
  const features = record?.features.length ? record.features : Object.keys(captured);
  reporter.info(`Published ${data.length} data points to ${names.metricsNamespace} for ${names.endpoint} (version ${version}):`);
  for (const line of formatComparison(features, baseline, captured)) reporter.info(line);
  if (shadowVersion) reporter.info(describeShadowComparison(version, shadowVersion, shadow?.comparison));
  if (args.json) {
    printJson({
      endpoint: names.endpoint,
      version,
      dataCapture: true,
      files: files.length,
      requests,
      rows: rows.length,
      features: features.map((feature) => ({ feature, baseline: baseline[feature] ?? null, captured: captured[feature] ?? null })),
      ...(shadowVersion ? { shadow: { version: shadowVersion, requests: shadow?.compared ?? 0, unpaired: shadow?.unpaired ?? 0, comparison: shadow?.comparison ?? null } } : {}),
    });
  }
}
