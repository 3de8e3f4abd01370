import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkMonthlyBudget, estimateCost, formatEstimate, NOT_COUNTED } from '../../core/cost/estimate.js';
import { resourcesFromPlan, resourcesFromState, type PlannedResource, type Values } from '../../core/cost/plan-resources.js';
import { PRICE_TABLE } from '../../core/cost/price-table.js';
import { UsageError } from '../../core/errors.js';
import { JOB_SHAPE_TAGS } from '../../core/training/names.js';
import { repoRoot } from '../../cli/paths.js';

/**
 * The fixtures are real `tofu show -json` output of saved plans (their resource_changes), made with
 * the default settings (cli/settings.json is `{}`) and the repository's test-project: `mlops synth`
 * with TF_VAR_region=eu-west-1, then init + plan + show on moto, the way the steps plan. The
 * deployment plan read the MLflow server's SSM parameters, put into moto by hand.
 */
const plan = (name: string) => resourcesFromPlan(JSON.parse(readFileSync(join(repoRoot, 'test', 'unit', 'cost-plans', `${name}.default-settings.plan.json`), 'utf8')));
const HOURS = 730;
const cents = (value: number) => Math.round(value * 100) / 100;

const created = (type: string, after: Values, unknown: string[] = [], address = `${type}.x`): PlannedResource => ({ address, type, actions: ['create'], before: null, after, unknown });
const updated = (type: string, before: Values, after: Values, address = `${type}.x`): PlannedResource => ({ address, type, actions: ['update'], before, after, unknown: [] });

describe('the estimate for the default settings (eu-west-1), from real saved plans', () => {
  it('prices the MLflow server stack: RDS, Fargate, NAT gateway and its address, load balancer, one VPN association', () => {
    const estimate = estimateCost(plan('mlflow-server'), 'eu-west-1');
    const expected =
      HOURS * 0.018 + 20 * 0.127 + 0.4 + // db.t4g.micro postgres single-AZ, 20 GB gp3, the RDS-managed master password secret
      HOURS * (1 * 0.04048 + 2 * 0.004445) + // one Fargate task of 1024 CPU units and 2048 MiB (min_tasks 1)
      HOURS * 0.048 + // one NAT gateway (nat_gateway_per_az false)
      HOURS * 0.005 + // its Elastic IP (public IPv4)
      HOURS * 0.0252 + // the internal application load balancer
      HOURS * 0.1; // one Client VPN subnet association (vpn.associated_subnets 1)
    expect(cents(estimate.monthlyUsd)).toBe(182.21);
    expect(estimate.monthlyUsd).toBeCloseTo(expected, 6);
    expect(estimate.changeUsd).toBeCloseTo(expected, 6);
    expect(estimate.unpriced).toEqual([]);
    const byType = Object.fromEntries(estimate.lines.filter((line) => line.monthlyUsd > 0).map((line) => [line.type, cents(line.monthlyUsd)]));
    expect(byType).toEqual({
      aws_db_instance: 16.08,
      aws_ecs_service: 36.04,
      aws_nat_gateway: 35.04,
      aws_eip: 3.65,
      aws_lb: 18.4,
      aws_ec2_client_vpn_network_association: 73,
    });
    expect(estimate.lines.find((line) => line.type === 'aws_ecs_service')!.description).toContain('autoscaling up to 2 tasks: $72.08');
  });

  it('prices the deployment stack: one ml.t2.medium, the dashboard and two rollback alarms', () => {
    const estimate = estimateCost(plan('deployment'), 'eu-west-1');
    expect(estimate.monthlyUsd).toBeCloseTo(HOURS * 0.062 + 3 + 2 * 0.1, 6);
    expect(cents(estimate.monthlyUsd)).toBe(48.46);
  });

  it('prices a training run per job-hour from the shape tags while the container properties are unknown', () => {
    const resources = plan('training');
    expect(resources.find((resource) => resource.type === 'aws_batch_job_definition')!.unknown).toContain('container_properties');
    const estimate = estimateCost(resources, 'eu-west-1');
    expect(estimate.monthlyUsd).toBe(0);
    expect(estimate.perRun!.hourUsd).toBeCloseTo(1 * 0.04048 + 2 * 0.004445, 9); // default_resource_requirements: 1 vCPU, 2048 MiB
    expect(estimate.perRun!.maxAttemptUsd).toBeCloseTo(24 * (1 * 0.04048 + 2 * 0.004445), 9); // job_timeout_seconds 86400
    expect(estimate.perRun!.detail).toBe('$0.0494 per job-hour (Fargate 1 vCPU × $0.04048 + 2 GB × $0.004445); at most $1.18 per attempt at the 24 h timeout');
  });

  it('prints the arithmetic, the total, the rates billed by use and what is not counted', () => {
    const text = formatEstimate(estimateCost(plan('mlflow-server'), 'eu-west-1')).join('\n');
    expect(text).toContain('+ $35.04/month  NAT gateway: 730 h × $0.048  [aws_nat_gateway.network_nat-gateway-0_FFBF52FB]');
    expect(text).toContain('RDS postgres db.t4g.micro single-AZ: 730 h × $0.018 + 20 GB gp3 × $0.127 + master password secret $0.40');
    expect(text).toContain('Stack total: $182.21/month (+$182.21/month)');
    expect(text).toContain('Billed by use, not in the total: 3 × CloudWatch log group $0.57 per GB ingested;');
    expect(text).toContain('NAT gateway $0.048 per GB processed');
    expect(text).toContain(`Not counted: ${NOT_COUNTED.join('; ')}`);
    expect(NOT_COUNTED.join(' ')).toMatch(/data transfer.*requests.*storage growth/s);
  });

  it('prices the same stacks in every region of the table, and names the region it has no prices for', () => {
    for (const region of Object.keys(PRICE_TABLE.regions)) expect(estimateCost(plan('mlflow-server'), region).unpriced).toEqual([]);
    // A stack planned in another region: its resources carry that region (provider 6 resources have a region attribute).
    const inRegion = (region: string) => plan('deployment').map((resource) => ({ ...resource, after: resource.after && { ...resource.after, region } }));
    const elsewhere = estimateCost(inRegion('ap-south-2'), 'ap-south-2');
    expect(elsewhere.monthlyUsd).toBe(0);
    expect(elsewhere.unpriced).toContainEqual(expect.stringMatching(/aws_sagemaker_endpoint_configuration\..*: no prices for region ap-south-2 \(the table has us-east-1, us-west-2, eu-west-1, eu-central-1\)/));
  });
});

describe('pricing from plan values', () => {
  it('prices a change as the difference: a larger database class and Multi-AZ', () => {
    const before = { engine: 'postgres', instance_class: 'db.t4g.micro', allocated_storage: 20, storage_type: 'gp3', multi_az: false };
    const after = { ...before, instance_class: 'db.t4g.medium', multi_az: true };
    const estimate = estimateCost([updated('aws_db_instance', before, after)], 'us-east-1');
    expect(estimate.monthlyUsd).toBeCloseTo(2 * (HOURS * 0.065 + 20 * 0.115), 9);
    expect(estimate.changeUsd).toBeCloseTo(2 * (HOURS * 0.065 + 20 * 0.115) - (HOURS * 0.016 + 20 * 0.115), 9);
    expect(formatEstimate(estimate)[1]).toMatch(/^ {2}~ \$99\.50\/month \(was \$13\.98\) {2}RDS postgres db\.t4g\.medium Multi-AZ: 2 × \(730 h × \$0\.065/);
  });

  it('counts what a destroyed resource saved, and leaves unchanged ones out of the lines but in the total', () => {
    const nat = { address: 'aws_nat_gateway.gone', type: 'aws_nat_gateway', actions: ['delete'], before: {}, after: null, unknown: [] };
    const kept = { address: 'aws_lb.kept', type: 'aws_lb', actions: ['no-op'], before: { load_balancer_type: 'application' }, after: { load_balancer_type: 'application' }, unknown: [] };
    const estimate = estimateCost([nat, kept], 'us-east-1');
    expect(estimate.monthlyUsd).toBeCloseTo(HOURS * 0.0225, 9);
    expect(estimate.changeUsd).toBeCloseTo(-HOURS * 0.045, 9);
    const text = formatEstimate(estimate);
    expect(text).toContain('  - $0.00/month (was $32.85)  NAT gateway: 730 h × $0.045  [aws_nat_gateway.gone]');
    expect(text).toContain('    1 unchanged: $16.43/month');
    expect(text).toContain('  Stack total: $16.43/month (-$32.85/month)');
  });

  it('prices every production and shadow variant of an endpoint configuration, and serverless only by use', () => {
    const config = created('aws_sagemaker_endpoint_configuration', {
      name: 'c',
      production_variants: [{ variant_name: 'primary', instance_type: 'ml.m5.large', initial_instance_count: 2, serverless_config: [] }],
      shadow_production_variants: [{ variant_name: 'shadow', instance_type: 'ml.c5.large', initial_instance_count: 1, serverless_config: [] }],
    });
    expect(estimateCost([config], 'us-east-1').monthlyUsd).toBeCloseTo(HOURS * (2 * 0.115 + 0.102), 9);
    const serverless = created('aws_sagemaker_endpoint_configuration', {
      production_variants: [{ variant_name: 'primary', instance_type: null, serverless_config: [{ memory_size_in_mb: 2048, max_concurrency: 5, provisioned_concurrency: null }] }],
    });
    const estimate = estimateCost([serverless], 'us-east-1');
    expect(estimate.monthlyUsd).toBe(0);
    expect(estimate.lines[0].usage).toEqual(['primary (production): $0.00004 per second of inference (2 GB × $0.00002/GB-s)']);
    expect(estimateCost([serverless], 'eu-west-1').lines[0].usage[0]).toContain('no serverless inference price in the table for this region');
  });

  it('names the instance type a region has no price for, and leaves it out of the total', () => {
    const config = created('aws_sagemaker_endpoint_configuration', { production_variants: [{ variant_name: 'primary', instance_type: 'ml.p3.2xlarge', initial_instance_count: 1 }] });
    const estimate = estimateCost([config], 'eu-central-1');
    expect(estimate.unpriced).toEqual(['aws_sagemaker_endpoint_configuration.x: no price for ml.p3.2xlarge in the table for this region']);
    expect(formatEstimate(estimate).join('\n')).toContain('Stack total: $0.00/month (no change, without 1 not priced)');
  });

  it('prices a Fargate service by the tasks autoscaling keeps, its task definition found by ARN, on ARM at the ARM rate', () => {
    const definition = { family: 'svc', revision: 3, arn: 'arn:aws:ecs:us-east-1:1:task-definition/svc:3', cpu: '512', memory: '1024', runtime_platform: [{ cpu_architecture: 'ARM64' }] };
    const other = { family: 'other', revision: 1, arn: 'arn:aws:ecs:us-east-1:1:task-definition/other:1', cpu: '4096', memory: '8192' };
    const estimate = estimateCost(
      [
        created('aws_ecs_service', { name: 'svc', launch_type: 'FARGATE', desired_count: 1, task_definition: definition.arn }),
        created('aws_ecs_task_definition', definition, [], 'aws_ecs_task_definition.a'),
        created('aws_ecs_task_definition', other, [], 'aws_ecs_task_definition.b'),
        created('aws_appautoscaling_target', { resource_id: 'service/cluster/svc', min_capacity: 3, max_capacity: 6 }),
      ],
      'us-east-1',
    );
    expect(estimate.monthlyUsd).toBeCloseTo(3 * HOURS * (0.5 * 0.03238 + 1 * 0.00356), 9);
  });

  it('prices a GPU training job on the cheapest allowed EC2 type that fits, from its container properties', () => {
    const definition = created('aws_batch_job_definition', {
      name: 'gpu',
      platform_capabilities: ['EC2'],
      container_properties: JSON.stringify({ resourceRequirements: [{ type: 'VCPU', value: '8' }, { type: 'MEMORY', value: '30000' }, { type: 'GPU', value: '1' }] }),
      timeout: [{ attempt_duration_seconds: 7200 }],
      tags: { [JOB_SHAPE_TAGS.vcpus]: '1', [JOB_SHAPE_TAGS.memoryMiB]: '2048', [JOB_SHAPE_TAGS.gpus]: '0' },
    });
    const environment = created('aws_batch_compute_environment', { compute_resources: [{ type: 'EC2', instance_type: ['g4dn', 'g5'] }] });
    const estimate = estimateCost([definition, environment], 'us-east-1');
    // g4dn.2xlarge (8 vCPU, 32 GiB, 1 GPU) at $0.752 is cheaper than g5.2xlarge at $1.212; the container properties win over the tags.
    expect(estimate.perRun!.hourUsd).toBe(0.752);
    expect(estimate.perRun!.maxAttemptUsd).toBeCloseTo(2 * 0.752, 9);
    expect(estimate.perRun!.detail).toContain('EC2 g4dn.2xlarge, the cheapest allowed type that fits 8 vCPU, 30000 MiB, 1 GPU');
    expect(estimate.unpriced).toEqual([]);
    const warm = created('aws_batch_compute_environment', { name: 'warm', compute_resources: [{ type: 'EC2', instance_type: ['g5'], min_vcpus: 4 }] });
    expect(estimateCost([definition, warm], 'us-east-1').unpriced).toEqual([
      'aws_batch_compute_environment.x: min_vcpus 4 keeps instances running between jobs; which types Batch picks is not known before it does',
    ]);
  });

  it('says which value is known only after apply instead of guessing', () => {
    const definition = created('aws_batch_job_definition', { name: 'j', platform_capabilities: ['FARGATE'], tags: null }, ['container_properties']);
    expect(estimateCost([definition], 'us-east-1').unpriced).toEqual(['aws_batch_job_definition.x: container_properties is known only after apply']);
  });

  it('reads a state file: every managed instance as unchanged, data sources left out', () => {
    const state = {
      version: 4,
      resources: [
        { mode: 'data', type: 'aws_partition', name: 'p', instances: [{ attributes: { partition: 'aws' } }] },
        { mode: 'managed', type: 'aws_nat_gateway', name: 'nat', instances: [{ index_key: 0, attributes: { region: 'eu-central-1' } }] },
        { mode: 'managed', type: 'aws_cloudwatch_dashboard', name: 'd', instances: [{ attributes: {} }] },
      ],
    };
    const resources = resourcesFromState(state);
    expect(resources.map((resource) => [resource.address, resource.actions])).toEqual([
      ['aws_nat_gateway.nat[0]', ['no-op']],
      ['aws_cloudwatch_dashboard.d', ['no-op']],
    ]);
    // The NAT gateway's own region attribute wins over the stack's.
    expect(estimateCost(resources, 'us-east-1').monthlyUsd).toBeCloseTo(HOURS * 0.052 + 3, 9);
    expect(estimateCost(resources, 'us-east-1').changeUsd).toBe(0);
  });
});

describe('--max-monthly-usd', () => {
  const estimate = estimateCost(plan('deployment'), 'eu-west-1');

  it('passes a stack within the limit and refuses one above it, naming both figures', () => {
    expect(() => checkMonthlyBudget(estimate, 50, 'the deployment stack of x')).not.toThrow();
    expect(() => checkMonthlyBudget(estimate, 1, 'the deployment stack of x')).toThrow(UsageError);
    expect(() => checkMonthlyBudget(estimate, 1, 'the deployment stack of x')).toThrow(
      'refusing to apply: the deployment stack of x would cost an estimated $48.46/month, more than --max-monthly-usd 1; nothing was applied',
    );
  });

  it('refuses when the region has no prices to check the limit with', () => {
    expect(() => checkMonthlyBudget(estimateCost(plan('deployment'), 'ap-south-2'), 1000, 'the deployment stack of x')).toThrow(
      /cannot check the deployment stack of x — no prices for region ap-south-2/,
    );
  });
});
