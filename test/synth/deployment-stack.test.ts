import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Testing } from 'cdktf';
import { buildDeploymentStack } from '../../cli/builders/deployment.js';
import type { ReleaseRecord } from '../../core/deployment/release-record.js';
import { UsageError } from '../../core/errors.js';
import type { MlProject } from '../../core/ml-project.js';
import { parseSettings } from '../../core/settings/parse.js';
import { synthesize } from '../../cli/synth.js';
import { ModelEndpoint } from '../../stacks/deployment/model-endpoint.js';
import { DeploymentStack } from '../../stacks/deployment-stack.js';

const environment = { stateBucket: 'acme-tf-state', region: 'eu-west-1', project: 'acme', envName: 'dev' };
const instanceProject: MlProject = { name: 'churn', dir: '/p/churn', environment: 'python_env' };
const serverlessProject: MlProject = {
  ...instanceProject,
  requirementsFile: { path: '/p/churn/resource-requirements.json', training: {}, deployment: {}, serverless: { memoryMiB: 2048, maxConcurrency: 5 } },
};
const record = (version: string): ReleaseRecord => ({
  mlProject: 'churn',
  modelVersion: version,
  runId: 'run-1',
  modelMetrics: { accuracy: 0.93, f1_macro: 0.91 },
  features: ['alcohol', 'hue'],
  featureStatistics: { alcohol: { count: 133, mean: 13, std: 0.8, min: 11, max: 14.8 } },
  servingInputExample: '{"dataframe_split": {"columns": ["alcohol", "hue"], "data": [[13.0, 1.0]]}}',
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

function synth(options: { version?: string; settings?: Json; project?: MlProject; imageTag?: string; shadow?: string } = {}): Json {
  const version = options.version ?? '3';
  const outdir = mkdtempSync(join(tmpdir(), 'mlops-synth-deployment-'));
  const settings = parseSettings(JSON.stringify(options.settings ?? {}), 'settings.json');
  const shadow = options.shadow === undefined ? undefined : { modelVersion: options.shadow, release: { imageTag: `v${options.shadow}-fedcba9876543210`, record: record(options.shadow) } };
  const [dir] = synthesize(
    (app) => [
      buildDeploymentStack(
        app,
        { environment, settings },
        options.project ?? instanceProject,
        version,
        { imageTag: options.imageTag ?? `v${version}-0123456789abcdef`, record: record(version) },
        undefined,
        shadow,
      ),
    ],
    outdir,
  );
  return JSON.parse(readFileSync(join(dir, 'cdk.tf.json'), 'utf8'));
}

const only = (config: Json, type: string): Json => {
  const resources = Object.values(config.resource[type] ?? {}) as Json[];
  expect(resources).toHaveLength(1);
  return resources[0];
};

/** snake_case keys of Terraform JSON back to the camelCase of the construct's arguments. */
const camelCased = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(camelCased);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase()), camelCased(item)]));
  }
  return value;
};

describe('DeploymentStack', () => {
  const config = synth();
  const [releaseId] = Object.keys(config.resource.terraform_data);
  const endpoint = only(config, 'aws_sagemaker_endpoint');
  const configuration = only(config, 'aws_sagemaker_endpoint_configuration');
  const model = only(config, 'aws_sagemaker_model');

  it("keeps its state under the project's deployment key", () => {
    expect(config.terraform.backend.s3.key).toBe('acme/dev/deployment/churn.tfstate');
  });

  it('reads network and artifact bucket from the MLflow server stack’s SSM parameters', () => {
    const names = Object.values(config.data.aws_ssm_parameter).map((parameter) => (parameter as Json).name).sort();
    expect(names).toEqual(['/acme/dev/mlflow-server/artifact-bucket', '/acme/dev/mlflow-server/private-subnet-ids', '/acme/dev/mlflow-server/vpc-id']);
    expect(model.vpc_config.subnets).toMatch(/^\$\{split\(",", data\.aws_ssm_parameter\..*private-subnet-ids.*\.insecure_value\)\}$/);
  });

  it('names the endpoint after the project alone, and model and configuration after the version and its release', () => {
    expect(endpoint.name).toBe('acme-dev-churn');
    expect(model.name).toBe(`acme-dev-churn-v3-\${substr(terraform_data.${releaseId}.id, 0, 6)}`);
    expect(configuration.name).toBe(model.name);
    expect(endpoint.endpoint_config_name).toMatch(/^\$\{aws_sagemaker_endpoint_configuration\..*\.name\}$/);
  });

  it('replaces the release, and so renames model and configuration, on a change of any argument that replaces either', () => {
    // Every argument of both resources forces replacement; all of them, as Terraform resolves them
    // (role ARN, repository URL, subnets from SSM, security group, bucket), are the release's triggers.
    const { triggers_replace: triggers } = config.resource.terraform_data[releaseId];
    const { name, lifecycle, depends_on: dependsOn, '//': metadata, ...modelArguments } = model;
    expect({ name, lifecycle, dependsOn, metadata }).toEqual(expect.objectContaining({ lifecycle: { create_before_destroy: true } }));
    expect(camelCased(modelArguments)).toEqual(triggers.model);
    expect(triggers.model).toMatchObject({
      executionRoleArn: expect.stringMatching(/^\$\{aws_iam_role\..*\.arn\}$/),
      primaryContainer: { image: expect.stringMatching(/^\$\{aws_ecr_repository\..*\.repository_url\}:v3-0123456789abcdef$/) },
      vpcConfig: { subnets: expect.stringContaining('data.aws_ssm_parameter.'), securityGroupIds: [expect.stringMatching(/^\$\{aws_security_group\./)] },
    });
    const [{ model_name: modelName, ...variant }] = configuration.production_variants;
    expect(modelName).toMatch(/^\$\{aws_sagemaker_model\..*\.name\}$/);
    expect(camelCased(variant)).toEqual(triggers.variant);
    expect(camelCased(configuration.data_capture_config)).toEqual(triggers.dataCapture);
    expect(triggers.dataCapture.destinationS3Uri).toContain('data.aws_ssm_parameter.');
    expect(Object.keys(configuration).sort()).toEqual(['//', 'data_capture_config', 'lifecycle', 'name', 'production_variants']);
    expect(triggers.modelVersion).toBe('3');
  });

  it('creates the new model and configuration before destroying the old ones', () => {
    expect(model.lifecycle).toEqual({ create_before_destroy: true });
    expect(configuration.lifecycle).toEqual({ create_before_destroy: true });
  });

  it('rolls out blue/green, watched by the 5XX and latency alarms, within the wait from the settings', () => {
    expect(endpoint.deployment_config.blue_green_update_policy).toEqual({
      maximum_execution_timeout_in_seconds: 45 * 60,
      traffic_routing_configuration: { type: 'ALL_AT_ONCE', wait_interval_in_seconds: 300 },
    });
    const alarms = endpoint.deployment_config.auto_rollback_configuration.alarms.map((alarm: Json) => alarm.alarm_name);
    expect(alarms).toEqual([
      expect.stringMatching(/^\$\{aws_cloudwatch_metric_alarm\..*invocation-5xx.*\.alarm_name\}$/),
      expect.stringMatching(/^\$\{aws_cloudwatch_metric_alarm\..*model-latency.*\.alarm_name\}$/),
    ]);
  });

  it('sets the alarm thresholds from the settings (latency in microseconds) on this endpoint and variant', () => {
    const alarms = Object.values(synth({ settings: { deployment: { alarm_5xx_errors: 3, alarm_model_latency_ms: 750 } } }).resource.aws_cloudwatch_metric_alarm) as Json[];
    const byMetric = Object.fromEntries(alarms.map((alarm) => [alarm.metric_name, alarm]));
    expect(byMetric.Invocation5XXErrors).toMatchObject({ alarm_name: 'acme-dev-churn-invocation-5xx', threshold: 3, statistic: 'Sum', period: 60 });
    expect(byMetric.ModelLatency).toMatchObject({ alarm_name: 'acme-dev-churn-model-latency', threshold: 750_000, statistic: 'Average' });
    for (const alarm of alarms) expect(alarm.dimensions).toEqual({ EndpointName: 'acme-dev-churn', VariantName: 'primary' });
  });

  it('serves the versioned image from its own repository on the smallest instance type that fits', () => {
    expect(model.primary_container.image).toMatch(/^\$\{aws_ecr_repository\..*\.repository_url\}:v3-0123456789abcdef$/);
    expect(configuration.production_variants).toEqual([
      expect.objectContaining({ variant_name: 'primary', instance_type: 'ml.t2.medium', initial_instance_count: 1, model_name: expect.stringContaining('aws_sagemaker_model') }),
    ]);
  });

  it('isolates the container from the network, in the private subnets with a security group that admits nothing', () => {
    expect(model.enable_network_isolation).toBe(true);
    const group = only(config, 'aws_security_group');
    expect(group.name).toBe('acme-dev-churn-serving');
    expect(config.resource.aws_vpc_security_group_ingress_rule).toBeUndefined();
    expect(only(config, 'aws_vpc_security_group_egress_rule')).toMatchObject({ from_port: 443, to_port: 443, ip_protocol: 'tcp' });
  });

  it('captures requests and responses at the sampling rate of the settings, under the deployment’s path', () => {
    expect(configuration.data_capture_config).toMatchObject({
      enable_capture: true,
      initial_sampling_percentage: 20,
      destination_s3_uri: expect.stringMatching(/^s3:\/\/\$\{data\.aws_ssm_parameter\..*artifact-bucket.*\.insecure_value\}\/deployments\/churn\/data-capture$/),
      capture_options: [{ capture_mode: 'Input' }, { capture_mode: 'Output' }],
    });
    expect(only(synth({ settings: { deployment: { data_capture_sampling_percent: 0 } } }), 'aws_sagemaker_endpoint_configuration').data_capture_config).toBeUndefined();
  });

  it('scopes the execution role to its repository, its log group and its bucket path', () => {
    const policy = Object.values(config.data.aws_iam_policy_document).find((document) => (document as Json).statement.length > 1) as Json;
    const bySid = Object.fromEntries(policy.statement.map((statement: Json) => [statement.sid, statement]));
    expect(bySid.PullServingImage.resources).toEqual([expect.stringMatching(/^\$\{aws_ecr_repository\..*\.arn\}$/)]);
    expect(bySid.WriteEndpointLogs.resources).toEqual([
      expect.stringMatching(/^\$\{aws_cloudwatch_log_group\..*\.arn\}$/),
      expect.stringMatching(/^\$\{aws_cloudwatch_log_group\..*\.arn\}:log-stream:\*$/),
    ]);
    expect(bySid.DeploymentObjects.resources).toEqual([expect.stringMatching(/:s3:::\$\{data\.aws_ssm_parameter\..*\.insecure_value\}\/deployments\/churn\/\*$/)]);
    expect(bySid.ListDeploymentPrefix.condition).toEqual([{ test: 'StringLike', variable: 's3:prefix', values: ['deployments/churn/*'] }]);
    expect(bySid.NetworkInterfacesInTheVpc.condition[0].values[0]).toMatch(/:vpc\/\$\{data\.aws_ssm_parameter\..*vpc-id.*\.insecure_value\}$/);
    const wildcard = policy.statement.filter((statement: Json) => statement.resources.includes('*')).map((statement: Json) => statement.sid);
    expect(wildcard.sort()).toEqual(['DescribeNetwork', 'EcrToken', 'EndpointMetrics', 'NetworkInterfacesInTheVpc']);
  });

  it('makes the endpoint’s log group itself, with the retention of the settings, before the endpoint', () => {
    const logGroup = only(config, 'aws_cloudwatch_log_group');
    expect(logGroup).toMatchObject({ name: '/aws/sagemaker/Endpoints/acme-dev-churn', retention_in_days: 30 });
    expect(endpoint.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^aws_cloudwatch_log_group\./), expect.stringMatching(/^aws_iam_role_policy\./)]));
  });

  it('keeps serving images in an immutable, scanned repository that -rm may delete', () => {
    expect(only(config, 'aws_ecr_repository')).toMatchObject({
      name: 'acme-dev-churn-serving',
      image_tag_mutability: 'IMMUTABLE',
      image_scanning_configuration: { scan_on_push: true },
      force_delete: true,
    });
  });

  it('keeps the release record (run metrics and baseline) next to the captured data', () => {
    const object = only(config, 'aws_s3_object');
    expect(object.key).toBe('deployments/churn/releases/v3.json');
    expect(JSON.parse(object.content)).toEqual(record('3'));
  });

  it('draws a dashboard for this endpoint with its alarms, model metrics and features', () => {
    const dashboard = only(config, 'aws_cloudwatch_dashboard');
    expect(dashboard.dashboard_name).toBe('acme-dev-churn-endpoint');
    const body = JSON.parse(dashboard.dashboard_body);
    const metrics = body.widgets.flatMap((widget: Json) => widget.properties.metrics ?? []);
    expect(metrics).toContainEqual(['AWS/SageMaker', 'Invocations', 'EndpointName', 'acme-dev-churn', 'VariantName', 'primary', { stat: 'Sum', label: 'Invocations' }]);
    expect(metrics).toContainEqual(['LeanMLOps/acme-dev', 'accuracy', 'Project', 'churn', 'Version', '3', { label: 'accuracy' }]);
    const alarms = body.widgets.find((widget: Json) => widget.type === 'alarm').properties.alarms;
    expect(alarms).toEqual([expect.stringMatching(/^\$\{aws_cloudwatch_metric_alarm\..*\.arn\}$/), expect.stringMatching(/^\$\{aws_cloudwatch_metric_alarm\..*\.arn\}$/)]);
  });

  it('outputs the endpoint, the dashboard URL and the artifact bucket for the CLI', () => {
    expect(Object.keys(config.output).sort()).toEqual(
      expect.arrayContaining(['endpoint_name', 'endpoint_config_name', 'dashboard_url', 'artifact_bucket', 'repository_url', 'model_version']),
    );
    expect(config.output.dashboard_url.value).toBe('https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/acme-dev-churn-endpoint');
  });
});

describe('DeploymentStack rollouts', () => {
  const v3 = synth({ version: '3' });
  const v4 = synth({ version: '4', imageTag: 'v4-fedcba9876543210' });

  it('gives a new version a new model and configuration but the same endpoint, which moves in place', () => {
    const [endpoint3, endpoint4] = [v3, v4].map((config) => only(config, 'aws_sagemaker_endpoint'));
    expect(endpoint4.name).toBe(endpoint3.name);
    expect(Object.keys(v4.resource.aws_sagemaker_endpoint)).toEqual(Object.keys(v3.resource.aws_sagemaker_endpoint));
    expect(only(v4, 'aws_sagemaker_model').name).not.toBe(only(v3, 'aws_sagemaker_model').name);
    expect(only(v4, 'aws_sagemaker_model').name).toMatch(/^acme-dev-churn-v4-/);
  });

  it('gives the same version and settings the same configuration (a second run changes nothing)', () => {
    expect(JSON.stringify(synth({ version: '3' }).resource)).toBe(JSON.stringify(v3.resource));
  });

  it('gives a changed setting or image new release triggers, so model and configuration are renamed and created before the old are destroyed', () => {
    const changed = synth({ version: '3', settings: { deployment: { data_capture_sampling_percent: 50 } } });
    const triggers = (config: Json) => only(config, 'terraform_data').triggers_replace;
    expect(triggers(changed).dataCapture.initialSamplingPercentage).toBe(50);
    expect(triggers(changed)).not.toEqual(triggers(v3));
    expect(triggers(synth({ version: '3', imageTag: 'v3-fedcba9876543210' })).model).not.toEqual(triggers(v3).model);
  });
});

describe('DeploymentStack with a shadow', () => {
  const plain = synth({ version: '3' });
  const config = synth({ version: '3', shadow: '4', settings: { deployment: { shadow_sampling_percent: 50 } } });
  const configuration = only(config, 'aws_sagemaker_endpoint_configuration');
  const models = Object.values(config.resource.aws_sagemaker_model) as Json[];
  const modelOf = (version: string) => models.find((model) => model.primary_container.image.endsWith(`:v${version}-${version === '3' ? '0123456789abcdef' : 'fedcba9876543210'}`))!;

  it('without a shadow has no shadow variant, model, record or dashboard row, and outputs it as empty', () => {
    expect(only(plain, 'aws_sagemaker_endpoint_configuration').shadow_production_variants).toBeUndefined();
    expect(Object.keys(plain.resource.aws_sagemaker_model)).toHaveLength(1);
    expect(plain.output.shadow_model_version.value).toBe('');
    expect(only(plain, 'aws_cloudwatch_dashboard').dashboard_body).not.toContain('## Shadow');
  });

  it('serves the same production variant and model as without the shadow, the serving variant unchanged', () => {
    expect(configuration.production_variants).toEqual(only(plain, 'aws_sagemaker_endpoint_configuration').production_variants);
    expect(modelOf('3')).toEqual(only(plain, 'aws_sagemaker_model'));
  });

  it('runs the candidate as a shadow variant of its own model on the same instances, copied the share of requests the settings name', () => {
    expect(configuration.shadow_production_variants).toEqual([
      {
        variant_name: 'shadow',
        model_name: expect.stringMatching(/^\$\{aws_sagemaker_model\..*shadow-model.*\.name\}$/),
        instance_type: 'ml.t2.medium',
        initial_instance_count: 1,
        initial_variant_weight: 0.5,
        container_startup_health_check_timeout_in_seconds: 600,
      },
    ]);
    expect(modelOf('4').name).toMatch(/^acme-dev-churn-v4-shadow-\$\{substr\(terraform_data\..*\.id, 0, 6\)\}$/);
    expect(modelOf('4').enable_network_isolation).toBe(true);
    expect(modelOf('4').vpc_config).toEqual(modelOf('3').vpc_config);
    expect(modelOf('4').lifecycle).toEqual({ create_before_destroy: true });
    // The release is replaced (and every name renewed) when anything of the shadow changes too.
    const { shadow } = only(config, 'terraform_data').triggers_replace;
    expect(shadow).toMatchObject({ modelVersion: '4', model: { primaryContainer: { image: modelOf('4').primary_container.image } }, variant: { variantName: 'shadow', initialVariantWeight: 0.5 } });
    expect(only(plain, 'terraform_data').triggers_replace.shadow).toBeNull();
  });

  it('captures both variants (each under its own variant path) with the configuration’s data capture', () => {
    expect(configuration.data_capture_config).toEqual(only(plain, 'aws_sagemaker_endpoint_configuration').data_capture_config);
  });

  it('names the configuration after both versions, so adding, replacing or dropping a shadow is a new configuration on the same endpoint', () => {
    expect(configuration.name).toMatch(/^acme-dev-churn-v3-s4-\$\{substr\(terraform_data\..*\.id, 0, 6\)\}$/);
    const other = only(synth({ version: '3', shadow: '5' }), 'aws_sagemaker_endpoint_configuration');
    expect(other.name).toMatch(/^acme-dev-churn-v3-s5-/);
    expect(only(config, 'aws_sagemaker_endpoint').name).toBe(only(plain, 'aws_sagemaker_endpoint').name);
    expect(Object.keys(config.resource.aws_sagemaker_endpoint)).toEqual(Object.keys(plain.resource.aws_sagemaker_endpoint));
  });

  it('gives the promoted version (served as production) a model name other than its shadow model’s, so both can exist during the rollout', () => {
    const promoted = only(synth({ version: '4', imageTag: 'v4-fedcba9876543210' }), 'aws_sagemaker_model');
    expect(promoted.primary_container.image).toBe(modelOf('4').primary_container.image);
    expect(promoted.name).not.toBe(modelOf('4').name);
  });

  it('tags the endpoint with the shadow version, keeps both release records, and outputs the shadow for promote and shadow-rm', () => {
    expect(only(config, 'aws_sagemaker_endpoint').tags).toEqual({ 'ml-project': 'churn', 'model-version': '3', 'shadow-model-version': '4' });
    expect((Object.values(config.resource.aws_s3_object) as Json[]).map((object) => object.key).sort()).toEqual(['deployments/churn/releases/v3.json', 'deployments/churn/releases/v4.json']);
    expect(config.output.shadow_model_version.value).toBe('4');
    expect(config.output.shadow_image_uri.value).toMatch(/:v4-fedcba9876543210$/);
  });

  it('draws a shadow row beside production on the dashboard, with both variants in the same graphs', () => {
    const body = JSON.parse(only(config, 'aws_cloudwatch_dashboard').dashboard_body);
    expect(body.widgets.filter((widget: Json) => widget.type === 'text').map((widget: Json) => widget.properties.markdown)).toContainEqual(expect.stringMatching(/^## Shadow: version 4 /));
    const latency = body.widgets.find((widget: Json) => widget.properties.title === 'Shadow vs production: model latency (µs)');
    expect(latency.properties.metrics.map((metric: Json[]) => metric.slice(0, 6))).toEqual([
      ['AWS/SageMaker', 'ModelLatency', 'EndpointName', 'acme-dev-churn', 'VariantName', 'primary'],
      ['AWS/SageMaker', 'ModelLatency', 'EndpointName', 'acme-dev-churn', 'VariantName', 'shadow'],
    ]);
  });

  it('still rolls back on the serving variant’s alarms alone (a failing shadow answers nobody)', () => {
    for (const alarm of Object.values(config.resource.aws_cloudwatch_metric_alarm) as Json[]) expect(alarm.dimensions.VariantName).toBe('primary');
  });
});

describe('DeploymentStack serverless', () => {
  const config = synth({ project: serverlessProject });
  const configuration = only(config, 'aws_sagemaker_endpoint_configuration');
  const model = only(config, 'aws_sagemaker_model');

  it('serves serverless with the memory and concurrency asked for, without capture, VPC or network isolation', () => {
    expect(configuration.production_variants).toEqual([
      { variant_name: 'primary', model_name: expect.any(String), serverless_config: { memory_size_in_mb: 2048, max_concurrency: 5 } },
    ]);
    expect(configuration.data_capture_config).toBeUndefined();
    expect(model.vpc_config).toBeUndefined();
    expect(model.enable_network_isolation).toBe(false);
    expect(config.resource.aws_security_group).toBeUndefined();
  });

  it('still rolls out blue/green with alarm rollback', () => {
    expect(only(config, 'aws_sagemaker_endpoint').deployment_config.auto_rollback_configuration.alarms).toHaveLength(2);
  });

  it('gives the role no network-interface rights', () => {
    const policy = Object.values(config.data.aws_iam_policy_document).find((document) => (document as Json).statement.length > 1) as Json;
    expect(policy.statement.map((statement: Json) => statement.sid)).not.toContain('NetworkInterfacesInTheVpc');
  });
});

describe('ModelEndpoint validation', () => {
  const build = (overrides: Partial<ConstructorParameters<typeof ModelEndpoint>[2]>) => {
    const stack = new DeploymentStack(Testing.app(), 'probe', {
      environment,
      settings: parseSettings('{}', 's'),
      mlProject: 'churn',
      modelVersion: '1',
      target: { kind: 'instance', instanceType: 'ml.t2.medium', instanceCount: 1, requirements: { vcpus: 1, memoryMiB: 2048, gpus: 0 } },
      placement: { kind: 'mlflow-server-stack' },
      release: { imageTag: 'v1-x', record: record('1') },
    });
    return () =>
      new ModelEndpoint(stack, 'extra', {
        endpointName: 'acme-dev-other',
        modelVersion: '1',
        imageUri: 'repo:v1',
        executionRoleArn: 'arn:role',
        target: { kind: 'serverless', memoryMiB: 2048, maxConcurrency: 5 },
        rollbackAlarmNames: ['a'],
        ...overrides,
      });
  };

  it('reports every violation at once, naming each prop and value', () => {
    let message = '';
    try {
      build({ bakeSeconds: 3000, maxRolloutMinutes: 30, dataCapture: { bucketName: 'b', prefix: 'p', samplingPercent: 0 }, networkIsolation: true, rollbackAlarmNames: [] })();
    } catch (error) {
      expect(error).toBeInstanceOf(UsageError);
      message = (error as Error).message;
    }
    expect(message).toContain('bakeSeconds 3000 must be shorter than the rollout limit maxRolloutMinutes 30 (1800 s)');
    expect(message).toContain('networkIsolation is not available for serverless endpoints');
    expect(message).toContain('dataCapture is not available for serverless endpoints');
    expect(message).toContain('dataCapture.samplingPercent 0 must be a whole number from 1 to 100');
    expect(message).toContain('rollbackAlarmNames must name at least one alarm');
  });

  it('refuses a shadow on a serverless endpoint, and a shadow of the served version', () => {
    const shadow = { modelVersion: '1', imageUri: 'repo:v1', imageTag: 'v1', samplingPercent: 0 };
    let message = '';
    try {
      build({ networkIsolation: false, shadow })();
    } catch (error) {
      expect(error).toBeInstanceOf(UsageError);
      message = (error as Error).message;
    }
    expect(message).toContain('shadow is not available for serverless endpoints');
    expect(message).toContain('shadow.modelVersion 1 is the served version');
    expect(message).toContain('shadow.samplingPercent 0 must be a whole number from 1 to 100');
  });

  it('refuses a rollout limit beyond the AWS provider’s fixed 60-minute wait', () => {
    expect(build({ maxRolloutMinutes: 90 })).toThrow('maxRolloutMinutes 90 must be a whole number from 10 to 60');
  });

  it('refuses a bake period that does not fit in the rollout limit before anything is synthesized', () => {
    const app = new App();
    expect(() =>
      new DeploymentStack(app, 'bad', {
        environment,
        settings: parseSettings(JSON.stringify({ deployment: { blue_green_wait_seconds: 3600, endpoint_wait_minutes: 10 } }), 's'),
        mlProject: 'churn',
        modelVersion: '1',
        target: { kind: 'instance', instanceType: 'ml.t2.medium', instanceCount: 1, requirements: { vcpus: 1, memoryMiB: 2048, gpus: 0 } },
        placement: { kind: 'mlflow-server-stack' },
      release: { imageTag: 'v1-x', record: record('1') },
      }),
    ).toThrow(/bakeSeconds 3600 must be shorter than the rollout limit/);
  });
});

describe('DeploymentStack with a tracking server of the team’s own (no MLflow server stack)', () => {
  const own = { tracking_uri: 'https://mlflow.example.com' };

  it('reads no SSM parameter and keeps captured data in a private, encrypted, TLS-only bucket of its own', () => {
    const config = synth({ settings: own });
    expect(config.data.aws_ssm_parameter).toBeUndefined();
    expect(only(config, 'aws_s3_bucket')).toMatchObject({ bucket: 'acme-dev-churn-serving', force_destroy: true });
    expect(only(config, 'aws_s3_bucket_public_access_block')).toMatchObject({ block_public_acls: true, block_public_policy: true, restrict_public_buckets: true });
    expect(only(config, 'aws_s3_bucket_server_side_encryption_configuration').rule).toEqual([{ apply_server_side_encryption_by_default: { sse_algorithm: 'AES256' } }]);
    const tls = Object.values(config.data.aws_iam_policy_document).find((document) => (document as Json).statement[0].sid === 'DenyInsecureTransport') as Json;
    expect(tls.statement[0].condition).toEqual([{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }]);
    expect(only(config, 'aws_sagemaker_endpoint_configuration').data_capture_config.destination_s3_uri).toMatch(/^s3:\/\/\$\{aws_s3_bucket\..*\.bucket\}\/deployments\/churn\/data-capture$/);
  });

  it("runs on SageMaker's own network when no VPC is named", () => {
    const config = synth({ settings: own });
    expect(only(config, 'aws_sagemaker_model').vpc_config).toBeUndefined();
    expect(only(config, 'aws_sagemaker_model').enable_network_isolation).toBe(true);
    expect(config.resource.aws_security_group).toBeUndefined();
  });

  it('puts the endpoint in the VPC and subnets of the settings', () => {
    const config = synth({ settings: { ...own, deployment: { vpc_id: 'vpc-0abc', subnet_ids: ['subnet-01', 'subnet-02'] } } });
    expect(only(config, 'aws_sagemaker_model').vpc_config.subnets).toEqual(['subnet-01', 'subnet-02']);
    expect(only(config, 'aws_security_group').vpc_id).toBe('vpc-0abc');
  });

  it('uses every subnet of the VPC when none are named', () => {
    const config = synth({ settings: { ...own, deployment: { vpc_id: 'vpc-0abc' } } });
    expect(Object.values(config.data.aws_subnets)).toEqual([expect.objectContaining({ filter: [{ name: 'vpc-id', values: ['vpc-0abc'] }] })]);
  });

  it('refuses a VPC in the settings when the MLflow server stack provides the network', () => {
    expect(() => synth({ settings: { deployment: { vpc_id: 'vpc-0abc' } } })).toThrow(/apply only with tracking_uri set/);
  });

  it('refuses subnets without their VPC', () => {
    expect(() => synth({ settings: { ...own, deployment: { subnet_ids: ['subnet-01'] } } })).toThrow(/need deployment.vpc_id/);
  });
});
