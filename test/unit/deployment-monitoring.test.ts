import {
  baselineFromDescribe,
  computeFeatureStatistics,
  rowsOfCaptureFile,
  rowsOfRequest,
  signatureFeatures,
} from '../../core/deployment/feature-statistics.js';
import { featureMetricData, meanShift, modelMetricData } from '../../core/deployment/metrics.js';
import { metricsOfRun, orderedFeatures, parseReleaseRecord } from '../../core/deployment/release-record.js';
import { formatComparison, parseS3Uri } from '../../cli/workflows/monitor.js';

const split = JSON.stringify({ dataframe_split: { columns: ['a', 'b'], data: [[1, 10], [3, 30]] } });

describe('rowsOfRequest', () => {
  it.each([
    ['dataframe_split', split, 'application/json'],
    ['dataframe_records', JSON.stringify({ dataframe_records: [{ a: 1, b: 10 }, { a: 3, b: 30 }] }), 'application/json'],
    ['instances', JSON.stringify({ instances: [{ a: 1, b: 10 }, { a: 3, b: 30 }] }), 'application/json'],
    ['inputs as columns', JSON.stringify({ inputs: { a: [1, 3], b: [10, 30] } }), 'application/json'],
    ['CSV with a header', 'a,b\n1,10\n3,30\n', 'text/csv'],
  ])('reads %s', (_name, body, contentType) => {
    const rows = rowsOfRequest(body, contentType);
    expect(rows.map((row) => [Number(row.a), Number(row.b)])).toEqual([
      [1, 10],
      [3, 30],
    ]);
  });

  it('reads nothing from a body that is not a request', () => {
    expect(rowsOfRequest('not json', 'application/json')).toEqual([]);
    expect(rowsOfRequest('[1,2]', 'application/json')).toEqual([]);
  });
});

describe('computeFeatureStatistics', () => {
  it('gives count, mean, sample standard deviation, min and max per numeric feature', () => {
    const stats = computeFeatureStatistics([{ a: 1, b: 'x' }, { a: 2 }, { a: '3' }, { a: 6 }]);
    expect(Object.keys(stats)).toEqual(['a']);
    expect(stats.a.count).toBe(4);
    expect(stats.a.mean).toBe(3);
    expect(stats.a.std).toBeCloseTo(Math.sqrt(14 / 3), 10);
    expect([stats.a.min, stats.a.max]).toEqual([1, 6]);
  });

  it('gives a single value a spread of 0', () => {
    expect(computeFeatureStatistics([{ a: 5 }]).a.std).toBe(0);
  });
});

describe('rowsOfCaptureFile', () => {
  const line = (data: string, encoding: 'JSON' | 'BASE64') =>
    JSON.stringify({
      captureData: {
        endpointInput: { observedContentType: 'application/json', mode: 'INPUT', data, encoding },
        endpointOutput: { observedContentType: 'application/json', mode: 'OUTPUT', data: '[0]', encoding: 'JSON' },
      },
      eventMetadata: { eventId: 'e', inferenceTime: '2026-01-01T00:00:00Z' },
      eventVersion: '0',
    });

  it('reads requests recorded as text and as base64, and counts what it skips', () => {
    const text = [line(split, 'JSON'), line(Buffer.from(split).toString('base64'), 'BASE64'), '{"broken"', JSON.stringify({ captureData: {} }), ''].join('\n');
    const parsed = rowsOfCaptureFile(text);
    expect(parsed.requests).toBe(2);
    expect(parsed.rows).toHaveLength(4);
    expect(parsed.skipped).toBe(2);
  });
});

describe('baselineFromDescribe', () => {
  it("reads pandas' describe().to_dict() and leaves out features without a mean", () => {
    const baseline = baselineFromDescribe({
      alcohol: { count: 133, mean: 13.0, std: 0.8, min: 11.0, '25%': 12.4, '50%': 13.0, '75%': 13.7, max: 14.8 },
      label: { count: 133, unique: 3 },
    });
    expect(baseline).toEqual({ alcohol: { count: 133, mean: 13.0, std: 0.8, min: 11.0, max: 14.8 } });
  });

  it('reads nothing from something else', () => {
    expect(baselineFromDescribe([1, 2])).toEqual({});
    expect(baselineFromDescribe(null)).toEqual({});
  });
});

describe('signatureFeatures', () => {
  it("reads the input names of an MLmodel signature (kept as a JSON string)", () => {
    const signature = { inputs: JSON.stringify([{ type: 'double', name: 'alcohol' }, { type: 'double', name: 'od280/od315_of_diluted_wines' }]) };
    expect(signatureFeatures({ signature })).toEqual(['alcohol', 'od280/od315_of_diluted_wines']);
  });

  it('gives no features for a model without a signature or with tensor inputs', () => {
    expect(signatureFeatures({})).toEqual([]);
    expect(signatureFeatures({ signature: { inputs: JSON.stringify([{ type: 'tensor', 'tensor-spec': {} }]) } })).toEqual([]);
  });
});

describe('metric data', () => {
  const at = new Date('2026-01-01T00:00:00Z');

  it('dimensions run metrics by project and version', () => {
    expect(modelMetricData('churn', '3', { accuracy: 0.9 }, at)).toEqual([
      { MetricName: 'accuracy', Dimensions: [{ Name: 'Project', Value: 'churn' }, { Name: 'Version', Value: '3' }], Value: 0.9, Timestamp: at, Unit: 'None' },
    ]);
  });

  it('gives mean, std and count per feature, dimensioned by feature and source', () => {
    const data = featureMetricData('churn', '3', 'captured', { age: { count: 4, mean: 30, std: 2, min: 1, max: 2 } }, at);
    expect(data.map((datum) => `${datum.MetricName}=${datum.Value}`)).toEqual(['FeatureMean=30', 'FeatureStd=2', 'FeatureCount=4']);
    expect(data[0].Dimensions).toEqual([
      { Name: 'Project', Value: 'churn' },
      { Name: 'Version', Value: '3' },
      { Name: 'Feature', Value: 'age' },
      { Name: 'Source', Value: 'captured' },
    ]);
  });

  it('measures the shift of the captured mean in baseline standard deviations', () => {
    const baseline = { count: 100, mean: 10, std: 2, min: 0, max: 20 };
    expect(meanShift(baseline, { ...baseline, mean: 13 })).toBe(1.5);
    expect(meanShift({ ...baseline, std: 0 }, baseline)).toBeUndefined();
    expect(meanShift(baseline, undefined)).toBeUndefined();
  });
});

describe('release record', () => {
  it('keeps the latest value of each run metric, sorted by name, and drops non-finite ones', () => {
    expect(metricsOfRun([{ key: 'f1', value: 0.8 }, { key: 'acc', value: 0.9 }, { key: 'loss', value: Number.NaN }])).toEqual({ acc: 0.9, f1: 0.8 });
  });

  it('orders features as the signature does, then the baseline’s extra ones', () => {
    const stat = { count: 1, mean: 1, std: 0, min: 1, max: 1 };
    expect(orderedFeatures(['b', 'a'], { a: stat, c: stat })).toEqual(['b', 'a', 'c']);
  });

  it('reads a record back and refuses something else', () => {
    const record = { mlProject: 'churn', modelVersion: '3', runId: 'r', modelMetrics: { acc: 1 }, features: ['a'], featureStatistics: null, servingInputExample: '{"inputs": [1]}' };
    expect(parseReleaseRecord(JSON.stringify(record))).toEqual(record);
    // A record written before input examples were kept reads back without one.
    expect(parseReleaseRecord(JSON.stringify({ ...record, servingInputExample: undefined }))?.servingInputExample).toBeNull();
    expect(parseReleaseRecord('{"x":1}')).toBeUndefined();
    expect(parseReleaseRecord('nope')).toBeUndefined();
  });
});

describe('monitor helpers', () => {
  it('splits an s3:// URI into bucket and prefix', () => {
    expect(parseS3Uri('s3://bucket/deployments/churn/data-capture')).toEqual({ bucket: 'bucket', prefix: 'deployments/churn/data-capture' });
    expect(() => parseS3Uri('https://bucket')).toThrow(/not an s3:\/\/ URI/);
  });

  it('prints baseline and captured means with the shift per feature', () => {
    const baseline = { age: { count: 100, mean: 40, std: 10, min: 18, max: 90 } };
    const captured = { age: { count: 5, mean: 55, std: 3, min: 50, max: 60 } };
    expect(formatComparison(['age', 'income'], baseline, captured)).toEqual([
      '  age: baseline mean 40, captured mean 55 (n=5), shift +1.50σ',
      '  income: baseline mean —, captured mean — (n=0)',
    ]);
  });
});
