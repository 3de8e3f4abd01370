import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { ExternalError } from '../../core/errors.js';
import type { AwsContext } from './aws.js';
import type { MetricDatum } from '../../core/deployment/metrics.js';

/** CloudWatch, as far as publishing custom metrics needs it. */
export interface MetricsPublisher {
  publish(namespace: string, data: readonly MetricDatum[]): Promise<void>;
}

/** PutMetricData takes at most 1000 data points per call; smaller batches keep each request small. */
const BATCH = 150;

export function createMetricsPublisher(aws: AwsContext): MetricsPublisher {
  const client = aws.client(CloudWatchClient);
  return {
    async publish(namespace, data) {
      for (let start = 0; start < data.length; start += BATCH) {
        try {
          await client.send(new PutMetricDataCommand({ Namespace: namespace, MetricData: data.slice(start, start + BATCH).map((datum) => ({ ...datum })) }));
        } catch (error) {
          throw new ExternalError(`CloudWatch PutMetricData to ${namespace} failed: ${(error as Error).message}`);
        }
      }
    },
  };
}
