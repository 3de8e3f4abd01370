import { deploymentTags } from '../../cli/workflows/deployment-release.js';
import { describeRollout } from '../../cli/workflows/deployment-rollout.js';
import { resolveTrackingUri } from '../../cli/effects/tracking-uri.js';
import { deploymentNames, releaseRecordKey } from '../../core/deployment/names.js';
import { smokeTest, waitForInService, watchEndpointDuring, type EndpointDescription, type EndpointService } from '../../cli/effects/sagemaker-endpoint.js';
import { pinnedMlflowVersion } from '../../cli/effects/serving-image.js';
import { ExternalError, UsageError } from '../../core/errors.js';
import { parseSettings } from '../../core/settings/parse.js';

const environment = { stateBucket: 'acme-tf-state', region: 'eu-west-1', project: 'acme', envName: 'dev' };

/** An endpoint that goes through the given states, one per DescribeEndpoint call (the last repeats). */
function endpointGoingThrough(states: string[], invoke: EndpointService['invoke'] = async () => ({ body: '[1]' })): EndpointService & { calls: number } {
  const service = {
    calls: 0,
    async describe(name: string): Promise<EndpointDescription | undefined> {
      const status = states[Math.min(service.calls, states.length - 1)];
      service.calls += 1;
      if (status === 'absent') return undefined;
      return { name, arn: `arn:${name}`, status, configName: 'c', failureReason: status === 'Failed' ? 'CannotStartContainerError: /ping timed out' : undefined, tags: {} };
    },
    dataCaptureUri: async () => undefined,
    invoke,
  };
  return service;
}

describe('waitForInService', () => {
  it('reports each state change once and resolves when InService', async () => {
    const lines: string[] = [];
    const endpoint = await waitForInService(endpointGoingThrough(['Creating', 'Creating', 'Updating', 'InService']), 'e', {
      timeoutMs: 60_000,
      pollMs: 1,
      report: (line) => lines.push(line),
    });
    expect(endpoint.status).toBe('InService');
    expect(lines).toEqual(['endpoint e: Creating', 'endpoint e: Updating', 'endpoint e: InService']);
  });

  it("ends with SageMaker's failure reason when the endpoint fails", async () => {
    await expect(waitForInService(endpointGoingThrough(['Creating', 'Failed']), 'e', { timeoutMs: 60_000, pollMs: 1, report: () => undefined })).rejects.toThrow(
      'endpoint e failed: CannotStartContainerError: /ping timed out',
    );
  });

  it('gives up after the wait from the settings, naming the setting', async () => {
    let clock = 0;
    const wait = waitForInService(endpointGoingThrough(['Creating']), 'e', { timeoutMs: 600_000, pollMs: 1, report: () => undefined, now: () => (clock += 120_000) });
    await expect(wait).rejects.toThrow('endpoint e is still Creating after 10 minutes (settings deployment.endpoint_wait_minutes)');
  });
});

describe('watchEndpointDuring', () => {
  it("reports the endpoint's states while the apply runs and returns the apply's result", async () => {
    const lines: string[] = [];
    const apply = new Promise<string>((resolve) => setTimeout(() => resolve('applied'), 60));
    const result = await watchEndpointDuring(endpointGoingThrough(['absent', 'Creating', 'Creating', 'InService']), 'e', apply, {
      pollMs: 5,
      report: (line) => lines.push(line),
    });
    expect(result).toBe('applied');
    expect(lines[0]).toBe('endpoint e: not created yet');
    expect(lines).toContain('endpoint e: Creating');
  });

  it("passes the apply's failure on", async () => {
    const apply = Promise.reject(new ExternalError('tofu apply failed'));
    await expect(watchEndpointDuring(endpointGoingThrough(['Creating']), 'e', apply, { pollMs: 5, report: () => undefined })).rejects.toThrow('tofu apply failed');
  });
});

describe('smokeTest', () => {
  it("returns the model's answer to the input example", async () => {
    const seen: string[] = [];
    const service = endpointGoingThrough(['InService'], async (_name, body, contentType) => {
      seen.push(`${contentType} ${body}`);
      return { body: '{"predictions": [0, 1]}' };
    });
    expect(await smokeTest(service, 'e', '{"inputs": []}')).toBe('{"predictions": [0, 1]}');
    expect(seen).toEqual(['application/json {"inputs": []}']);
  });

  it('fails the deployment when the model errors', async () => {
    const service = endpointGoingThrough(['InService'], async () => {
      throw new ExternalError('the smoke test failed: invoking e answered ModelError: Received server error (500)');
    });
    await expect(smokeTest(service, 'e', '{}')).rejects.toThrow(ExternalError);
  });

  it('fails the deployment on an empty answer', async () => {
    await expect(smokeTest(endpointGoingThrough(['InService'], async () => ({ body: ' ' })), 'e', '{}')).rejects.toThrow('answered the input example with an empty body');
  });
});

describe('resolveTrackingUri', () => {
  const settings = (trackingUri: string | null) => parseSettings(JSON.stringify({ tracking_uri: trackingUri }), 'settings.json');
  const published = (parameters: Record<string, string>) => async (name: string) => parameters[name];

  it('prefers MLFLOW_TRACKING_URI over the settings', async () => {
    await expect(resolveTrackingUri(settings('https://mlflow.example.com'), environment, { MLFLOW_TRACKING_URI: 'http://127.0.0.1:5000' }, published({}))).resolves.toBe('http://127.0.0.1:5000');
  });

  it("uses the settings' tracking_uri otherwise", async () => {
    await expect(resolveTrackingUri(settings('https://mlflow.example.com'), environment, {}, published({}))).resolves.toBe('https://mlflow.example.com');
  });

  it('reads the URI the MLflow server stack published in SSM', async () => {
    const parameters = { '/acme/dev/mlflow-server/tracking-uri': 'http://internal-acme-dev-mlflow.eu-west-1.elb.amazonaws.com' };
    await expect(resolveTrackingUri(settings(null), environment, {}, published(parameters))).resolves.toBe(parameters['/acme/dev/mlflow-server/tracking-uri']);
  });

  it('says which parameter is missing and what else to set', async () => {
    const attempt = resolveTrackingUri(settings(null), environment, {}, published({}));
    await expect(attempt).rejects.toThrow(UsageError);
    await expect(resolveTrackingUri(settings(null), environment, {}, published({}))).rejects.toThrow('SSM parameter /acme/dev/mlflow-server/tracking-uri does not exist');
  });
});

describe('deployment names and tags', () => {
  it('prefixes every name with <project>-<env>-<ml project>', () => {
    const names = deploymentNames(environment, 'churn', 'LeanMLOps');
    expect(names).toMatchObject({
      endpoint: 'acme-dev-churn',
      repository: 'acme-dev-churn-serving',
      executionRole: 'acme-dev-churn-serving',
      dashboard: 'acme-dev-churn-endpoint',
      alarm5xx: 'acme-dev-churn-invocation-5xx',
      logGroup: '/aws/sagemaker/Endpoints/acme-dev-churn',
      dataCapturePrefix: 'deployments/churn/data-capture',
      metricsNamespace: 'LeanMLOps/acme-dev',
    });
    expect(releaseRecordKey(names, '3')).toBe('deployments/churn/releases/v3.json');
  });

  it('refuses names SageMaker would refuse', () => {
    expect(() => deploymentNames({ ...environment, project: 'a'.repeat(40) }, 'b'.repeat(30), 'LeanMLOps')).toThrow(/sagemaker name .* AWS allows 63/);
  });

  it('tags a version with endpoint, environment, region and time, per environment', () => {
    expect(deploymentTags(environment, 'acme-dev-churn', new Date('2026-01-02T03:04:05Z'))).toEqual({
      'mlops.deployment.acme-dev.endpoint': 'acme-dev-churn',
      'mlops.deployment.acme-dev.environment': 'dev',
      'mlops.deployment.acme-dev.region': 'eu-west-1',
      'mlops.deployment.acme-dev.deployed_at': '2026-01-02T03:04:05.000Z',
    });
  });
});

describe('pinnedMlflowVersion', () => {
  it('reads the MLflow version a generated Dockerfile installs', () => {
    expect(pinnedMlflowVersion('FROM python:3.11.7-slim\nRUN pip install mlflow==3.17.2\n')).toBe('3.17.2');
  });

  it('finds none when MLflow is not pinned', () => {
    expect(pinnedMlflowVersion('RUN pip install mlflow\n')).toBeUndefined();
  });
});

describe('describeRollout', () => {
  const summary = (replace: string[], updateInPlace: string[]) => ({ add: replace.length, change: updateInPlace.length, destroy: replace.length, replace, updateInPlace });

  it('says a new version updates the endpoint in place and replaces model and configuration first', () => {
    expect(
      describeRollout(summary(['aws_sagemaker_model.endpoint_model_1', 'aws_sagemaker_endpoint_configuration.endpoint_configuration_2'], ['aws_sagemaker_endpoint.endpoint_3'])),
    ).toEqual([
      'The endpoint is updated in place (blue/green, no downtime): aws_sagemaker_endpoint.endpoint_3',
      'New model and endpoint configuration created before the old ones are destroyed: aws_sagemaker_model.endpoint_model_1, aws_sagemaker_endpoint_configuration.endpoint_configuration_2',
    ]);
  });

  it('warns when the endpoint itself would be replaced', () => {
    expect(describeRollout(summary(['aws_sagemaker_endpoint.endpoint_3'], []))[0]).toMatch(/^warning: the endpoint would be REPLACED/);
  });

  it('says nothing when the endpoint is untouched', () => {
    expect(describeRollout(summary([], ['aws_cloudwatch_dashboard.d']))).toEqual([]);
  });
});
