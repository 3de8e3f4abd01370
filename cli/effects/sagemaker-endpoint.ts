import { DescribeEndpointCommand, DescribeEndpointConfigCommand, ListTagsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { ExternalError } from '../../core/errors.js';
import type { AwsContext } from './aws.js';

/** An endpoint as the deployment commands read it. */
export interface EndpointDescription {
  readonly name: string;
  readonly arn: string;
  readonly status: string;
  readonly configName: string;
  readonly failureReason?: string;
  readonly tags: Record<string, string>;
}

/** SageMaker, as far as deploying and monitoring an endpoint need it. */
export interface EndpointService {
  /** undefined when there is no endpoint of that name. */
  describe(name: string): Promise<EndpointDescription | undefined>;
  /** Where the endpoint configuration captures data to (`s3://…`), undefined when capture is off. */
  dataCaptureUri(configName: string): Promise<string | undefined>;
  invoke(name: string, body: string, contentType: string): Promise<{ body: string; contentType?: string }>;
}

const isMissing = (error: unknown) => /could not find/i.test((error as Error).message ?? '');

export function createEndpointService(aws: AwsContext): EndpointService {
  const sagemaker = aws.client(SageMakerClient);
  const runtime = aws.client(SageMakerRuntimeClient);
  return {
    async describe(name) {
      let endpoint;
      try {
        endpoint = await sagemaker.send(new DescribeEndpointCommand({ EndpointName: name }));
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw new ExternalError(`SageMaker DescribeEndpoint ${name} failed: ${(error as Error).message}`);
      }
      const arn = endpoint.EndpointArn ?? '';
      let tags: Record<string, string> = {};
      try {
        const listed = await sagemaker.send(new ListTagsCommand({ ResourceArn: arn }));
        tags = Object.fromEntries((listed.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
      } catch (error) {
        throw new ExternalError(`SageMaker ListTags of ${name} failed: ${(error as Error).message}`);
      }
      return {
        name,
        arn,
        status: endpoint.EndpointStatus ?? 'Unknown',
        configName: endpoint.EndpointConfigName ?? '',
        failureReason: endpoint.FailureReason,
        tags,
      };
    },
    async dataCaptureUri(configName) {
      try {
        const config = await sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: configName }));
        const capture = config.DataCaptureConfig;
        return capture && capture.EnableCapture !== false ? capture.DestinationS3Uri : undefined;
      } catch (error) {
        throw new ExternalError(`SageMaker DescribeEndpointConfig ${configName} failed: ${(error as Error).message}`);
      }
    },
    async invoke(name, body, contentType) {
      try {
        const result = await runtime.send(new InvokeEndpointCommand({ EndpointName: name, Body: Buffer.from(body), ContentType: contentType, Accept: 'application/json' }));
        return { body: Buffer.from(result.Body ?? new Uint8Array()).toString('utf8'), contentType: result.ContentType };
      } catch (error) {
        throw new ExternalError(`the smoke test failed: invoking ${name} answered ${(error as Error).name}: ${(error as Error).message}`);
      }
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The states an endpoint passes through on its way to serving. */
const PENDING = ['Creating', 'Updating', 'SystemUpdating', 'RollingBack'];

/**
 * Polls an endpoint until it is InService, reporting each state change with the elapsed time; a
 * Failed endpoint (or one still pending after `timeoutMs`) ends with its failure reason.
 */
export async function waitForInService(
  service: EndpointService,
  name: string,
  options: { timeoutMs: number; pollMs: number; report: (message: string) => void; now?: () => number },
): Promise<EndpointDescription> {
  const now = options.now ?? Date.now;
  const deadline = now() + options.timeoutMs;
  let last: string | undefined;
  for (;;) {
    const endpoint = await service.describe(name);
    const status = endpoint?.status ?? 'absent';
    if (status !== last) {
      options.report(`endpoint ${name}: ${status}`);
      last = status;
    }
    if (endpoint && status === 'InService') return endpoint;
    if (status === 'Failed') throw new ExternalError(`endpoint ${name} failed: ${endpoint?.failureReason ?? 'SageMaker gave no reason'}`);
    if (status === 'absent') throw new ExternalError(`endpoint ${name} does not exist`);
    if (!PENDING.includes(status) && status !== 'OutOfService') throw new ExternalError(`endpoint ${name} is ${status}, not InService`);
    if (now() >= deadline) {
      throw new ExternalError(`endpoint ${name} is still ${status} after ${Math.round(options.timeoutMs / 60_000)} minutes (settings deployment.endpoint_wait_minutes)`);
    }
    await sleep(options.pollMs);
  }
}

/**
 * Runs `work` (a Terraform apply) and meanwhile reports the endpoint's state changes, so a wait of
 * many minutes shows where it is; polling stops when the work ends.
 */
export async function watchEndpointDuring<T>(
  service: EndpointService,
  name: string,
  work: Promise<T>,
  options: { pollMs: number; report: (message: string) => void },
): Promise<T> {
  let finished = false;
  const settled = work.finally(() => {
    finished = true;
  });
  const watch = (async () => {
    let last: string | undefined;
    while (!finished) {
      await Promise.race([sleep(options.pollMs), settled.catch(() => undefined)]);
      if (finished) break;
      const status = (await service.describe(name).catch(() => undefined))?.status ?? 'not created yet';
      if (status !== last) options.report(`endpoint ${name}: ${status}`);
      last = status;
    }
  })();
  const [result] = await Promise.all([settled, watch]);
  return result;
}

/**
 * Sends the model's input example to the endpoint once: the deployment only counts when the model
 * answers. Resolves to the answer's body.
 */
export async function smokeTest(service: EndpointService, name: string, inputExample: string): Promise<string> {
  const answer = await service.invoke(name, inputExample, 'application/json');
  if (answer.body.trim() === '') throw new ExternalError(`the smoke test failed: ${name} answered the input example with an empty body`);
  return answer.body;
}
