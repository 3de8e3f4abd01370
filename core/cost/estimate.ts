import { UsageError } from '../errors.js';
import { JOB_SHAPE_TAGS } from '../training/names.js';
import type { PlannedResource, Values } from './plan-resources.js';
import { PRICE_TABLE, type PriceTable, type RegionPrices } from './price-table.js';

/**
 * The monthly cost of a stack from its plan (or state): each billed resource priced from its own
 * attribute values (instance types, counts, vCPU, memory, storage) with the region's list prices.
 * Only what runs by the hour (or the month) is in the total; what is priced by use (data, requests,
 * stored GB) is shown as a rate beside its resource and listed in NOT_COUNTED.
 */

export type Change = 'create' | 'update' | 'replace' | 'delete' | 'unchanged';

/** The cost of a training job (Batch), which is paid per run, not per month. */
export interface PerRun {
  /** What one job costs per hour it runs. */
  readonly hourUsd: number;
  /** The job's attempt timeout, and the most one attempt can cost by running until it. */
  readonly timeoutHours: number;
  readonly maxAttemptUsd: number;
  readonly detail: string;
}

export interface CostLine {
  readonly address: string;
  readonly type: string;
  readonly change: Change;
  /** What is billed and the arithmetic: `NAT gateway: 730 h × $0.048`. */
  readonly description: string;
  /** After the change (0 when destroyed). */
  readonly monthlyUsd: number;
  /** Before the change (0 when created). */
  readonly previousMonthlyUsd: number;
  /** Usage-priced rates of this resource, not in the total. */
  readonly usage: readonly string[];
  readonly perRun?: PerRun;
  /** Why this resource has no price (no price for its type in the region, a value known only after apply). */
  readonly unpriced?: string;
}

export interface CostEstimate {
  readonly region: string;
  readonly currency: 'USD';
  readonly asOf: string;
  /** The stack's monthly cost once the plan is applied (priced resources only). */
  readonly monthlyUsd: number;
  /** What the plan adds to (or takes off) the monthly cost. */
  readonly changeUsd: number;
  /** Training stacks: the cost of one job run. */
  readonly perRun?: PerRun;
  /** Every billed resource of the stack, changed or not. */
  readonly lines: readonly CostLine[];
  /** `address: reason` for each billed resource the total leaves out. */
  readonly unpriced: readonly string[];
  readonly notCounted: readonly string[];
}

/** What no estimate here includes; printed with every estimate. */
export const NOT_COUNTED: readonly string[] = [
  'data transfer (internet egress, cross-AZ, GB processed by NAT gateways and endpoints)',
  'requests and use (S3 and API requests, load-balancer LCUs, VPN connection hours, serverless inference seconds, log ingestion)',
  'storage growth (S3 artifacts and captured requests, ECR images, logs, RDS backups)',
  'custom metrics the CLI publishes, two fleets during a blue/green rollout',
  'free tier, Savings Plans, Spot discounts, tax',
];

/** The cost of one resource on one side of a change; undefined for a resource AWS does not bill. */
interface Charge {
  readonly monthlyUsd: number;
  readonly description: string;
  readonly usage?: readonly string[];
  readonly perRun?: PerRun;
  readonly unpriced?: string;
}

interface Side {
  readonly resources: readonly { address: string; type: string; values: Values; unknown: readonly string[] }[];
  readonly hours: number;
}

/** Prices one resource; undefined when AWS does not bill it as configured (a gateway VPC endpoint). */
type Pricer = (values: Values, prices: RegionPrices, side: Side, unknown: readonly string[]) => Charge | undefined;

/** Dollars with cents, or three significant digits below ten cents (a Fargate job-hour). */
const usd = (value: number) => `$${value !== 0 && Math.abs(value) < 0.1 ? Number(value.toPrecision(3)) : value.toFixed(2)}`;
/** A unit price as the price pages print it: at least cents, at most four significant digits. */
const rate = (value: number) => {
  const precise = Number(value.toPrecision(4));
  return `$${Number(precise.toFixed(2)) === precise ? precise.toFixed(2) : precise}`;
};
const list = (value: unknown): Values[] => (Array.isArray(value) ? (value as Values[]) : []);
const first = (value: unknown): Values => list(value)[0] ?? {};
const unpriced = (description: string, reason: string): Charge => ({ monthlyUsd: 0, description, unpriced: reason });
const afterApply = (what: string, attribute: string) => unpriced(what, `${attribute} is known only after apply`);

function hourly(what: string, count: number, unitHour: number, hours: number, usage?: string[]): Charge {
  const countText = count === 1 ? '' : `${count} × `;
  return { monthlyUsd: count * unitHour * hours, description: `${what}: ${countText}${hours} h × ${rate(unitHour)}`, usage };
}

const monthly = (what: string, count: number, unitMonth: number): Charge => ({
  monthlyUsd: count * unitMonth,
  description: `${what}: ${count === 1 ? '' : `${count} × `}${rate(unitMonth)}/month`,
});

const usageOnly = (what: string, usage: string[]): Charge => ({ monthlyUsd: 0, description: what, usage });

function fargateRate(prices: RegionPrices, architecture: unknown) {
  return architecture === 'ARM64' ? prices.fargate.arm : prices.fargate.x86;
}

/** The task definition an ECS service runs: the one its ARN names, else the stack's only one (a plan leaves the ARN unknown). */
function taskDefinitionOf(service: Values, side: Side): Values | undefined {
  const definitions = side.resources.filter((resource) => resource.type === 'aws_ecs_task_definition');
  const named = typeof service.task_definition === 'string' ? service.task_definition : undefined;
  if (named) {
    const match = definitions.find(({ values }) => values.arn === named || named.endsWith(`task-definition/${String(values.family)}:${String(values.revision)}`) || named === values.family);
    if (match) return match.values;
  }
  return definitions.length === 1 ? definitions[0].values : undefined;
}

const ecsService: Pricer = (values, prices, side, unknown) => {
  const what = `ECS service ${String(values.name ?? '')}`.trim();
  const strategy = list(values.capacity_provider_strategy).map((entry) => String(entry.capacity_provider));
  if (values.launch_type !== 'FARGATE' && !strategy.some((provider) => provider.startsWith('FARGATE'))) {
    return unpriced(what, `launch type ${String(values.launch_type ?? 'EC2')}: only Fargate services are priced (EC2 capacity is billed as instances)`);
  }
  const definition = taskDefinitionOf(values, side);
  if (!definition) return unpriced(what, 'its task definition is not in this stack');
  if (typeof definition.cpu !== 'string' || typeof definition.memory !== 'string') return afterApply(what, 'the task size');
  const vcpus = Number(definition.cpu) / 1024;
  const gb = Number(definition.memory) / 1024;
  const scaling = side.resources.find(
    (resource) => resource.type === 'aws_appautoscaling_target' && String(resource.values.resource_id ?? '').endsWith(`/${String(values.name)}`),
  )?.values;
  if (typeof values.desired_count !== 'number' && unknown.includes('desired_count')) return afterApply(what, 'desired_count');
  const tasks = Math.max(Number(values.desired_count ?? 1), Number(scaling?.min_capacity ?? 0));
  const fargate = fargateRate(prices, first(definition.runtime_platform).cpu_architecture);
  const taskHour = vcpus * fargate.vcpuHour + gb * fargate.gbHour;
  const maxTasks = Number(scaling?.max_capacity ?? tasks);
  const spot = strategy.includes('FARGATE_SPOT') ? ' (Fargate Spot priced on demand)' : '';
  const scaled = maxTasks > tasks ? `; autoscaling up to ${maxTasks} tasks: ${usd(maxTasks * taskHour * side.hours)}` : '';
  return {
    monthlyUsd: tasks * taskHour * side.hours,
    description: `Fargate ${what}: ${tasks} × (${vcpus} vCPU × ${rate(fargate.vcpuHour)} + ${gb} GB × ${rate(fargate.gbHour)}) × ${side.hours} h${spot}${scaled}`,
  };
};

/** A Batch job's vCPUs, memory and GPUs: from its container properties, else (unknown until apply) from the shape tags the stack sets. */
function jobShape(values: Values): { vcpus: number; memoryMiB: number; gpus: number } | undefined {
  if (typeof values.container_properties === 'string') {
    const requirements = list((JSON.parse(values.container_properties) as Values).resourceRequirements);
    const of = (type: string) => Number(requirements.find((entry) => entry.type === type)?.value ?? 0);
    return { vcpus: of('VCPU'), memoryMiB: of('MEMORY'), gpus: of('GPU') };
  }
  const tags = (values.tags ?? {}) as Record<string, string>;
  if (tags[JOB_SHAPE_TAGS.vcpus] === undefined) return undefined;
  return { vcpus: Number(tags[JOB_SHAPE_TAGS.vcpus]), memoryMiB: Number(tags[JOB_SHAPE_TAGS.memoryMiB]), gpus: Number(tags[JOB_SHAPE_TAGS.gpus] ?? 0) };
}

/** The cheapest instance of the allowed types or families that fits the job: what Batch's best-fit strategy launches at least. */
function cheapestInstance(allowed: readonly string[], shape: { vcpus: number; memoryMiB: number; gpus: number }, prices: RegionPrices, table: PriceTable) {
  return Object.entries(table.ec2InstanceTypes)
    .filter(([name]) => allowed.some((entry) => entry === name || entry === name.split('.')[0]))
    .filter(([, spec]) => spec.vcpus >= shape.vcpus && spec.memoryGiB * 1024 >= shape.memoryMiB && spec.gpus >= shape.gpus)
    .filter(([name]) => prices.ec2InstanceHour[name] !== undefined)
    .sort(([a], [b]) => prices.ec2InstanceHour[a] - prices.ec2InstanceHour[b])[0]?.[0];
}

const batchJobDefinition =
  (table: PriceTable): Pricer =>
  (values, prices, side) => {
    const what = `Batch job ${String(values.name ?? '')}`.trim();
    const shape = jobShape(values);
    if (!shape) return afterApply(what, 'container_properties');
    const environment = first(side.resources.find((resource) => resource.type === 'aws_batch_compute_environment')?.values.compute_resources);
    const timeoutHours = Number(first(values.timeout).attempt_duration_seconds ?? 0) / 3600;
    const onFargate = ((values.platform_capabilities as unknown[] | undefined) ?? []).includes('FARGATE');
    let hourUsd: number;
    let detail: string;
    if (onFargate) {
      const gb = shape.memoryMiB / 1024;
      const fargate = prices.fargate.x86;
      hourUsd = shape.vcpus * fargate.vcpuHour + gb * fargate.gbHour;
      const spot = environment.type === 'FARGATE_SPOT' ? ' (Fargate Spot priced on demand)' : '';
      detail = `Fargate ${shape.vcpus} vCPU × ${rate(fargate.vcpuHour)} + ${gb} GB × ${rate(fargate.gbHour)}${spot}`;
    } else {
      const allowed = ((environment.instance_type as unknown[] | undefined) ?? []).map(String);
      const instance = cheapestInstance(allowed, shape, prices, table);
      if (!instance) return unpriced(what, `no priced EC2 instance of ${allowed.join(', ') || 'the compute environment'} fits ${shape.vcpus} vCPU, ${shape.memoryMiB} MiB, ${shape.gpus} GPU`);
      hourUsd = prices.ec2InstanceHour[instance];
      detail = `EC2 ${instance}, the cheapest allowed type that fits ${shape.vcpus} vCPU, ${shape.memoryMiB} MiB, ${shape.gpus} GPU`;
    }
    const maxAttemptUsd = hourUsd * timeoutHours;
    return {
      monthlyUsd: 0,
      description: `${what}: paid per run`,
      perRun: {
        hourUsd,
        timeoutHours,
        maxAttemptUsd,
        detail: `${usd(hourUsd)} per job-hour (${detail}); at most ${usd(maxAttemptUsd)} per attempt at the ${Number(timeoutHours.toFixed(2))} h timeout`,
      },
    };
  };

/** A Batch compute environment costs nothing itself; one on EC2 that keeps instances up (min_vcpus) does, and is not estimated. */
const computeEnvironment: Pricer = (values) => {
  const resources = first(values.compute_resources);
  const minVcpus = Number(resources.min_vcpus ?? 0);
  if (minVcpus === 0 || String(resources.type).startsWith('FARGATE')) return undefined;
  return unpriced(`Batch compute environment ${String(values.name ?? '')}`.trim(), `min_vcpus ${minVcpus} keeps instances running between jobs; which types Batch picks is not known before it does`);
};

const dbInstance: Pricer = (values, prices, side) => {
  const engine = String(values.engine ?? '');
  const instanceClass = String(values.instance_class ?? '');
  const what = `RDS ${engine} ${instanceClass}`;
  const hourPrice = (prices.rdsInstanceHour as Record<string, Record<string, number>>)[engine]?.[instanceClass];
  if (hourPrice === undefined) return unpriced(what, `no price for ${engine} ${instanceClass} in the table for this region`);
  const storageType = String(values.storage_type ?? 'gp2');
  if (!['gp2', 'gp3'].includes(storageType)) return unpriced(what, `storage type ${storageType}: only gp2 and gp3 are priced`);
  const copies = values.multi_az === true ? 2 : 1;
  const storage = Number(values.allocated_storage ?? 0);
  const secret = values.manage_master_user_password === true ? prices.secretMonth : 0;
  const az = copies === 2 ? 'Multi-AZ' : 'single-AZ';
  return {
    monthlyUsd: copies * (hourPrice * side.hours + storage * prices.rdsStorageGbMonth) + secret,
    description:
      `${what} ${az}: ${copies === 2 ? '2 × (' : ''}${side.hours} h × ${rate(hourPrice)} + ${storage} GB ${storageType} × ${rate(prices.rdsStorageGbMonth)}${copies === 2 ? ')' : ''}` +
      (secret > 0 ? ` + master password secret ${rate(secret)}` : ''),
  };
};

const endpointConfiguration: Pricer = (values, prices, side) => {
  const variants = [
    ...list(values.production_variants).map((variant) => ({ variant, role: 'production' })),
    ...list(values.shadow_production_variants).map((variant) => ({ variant, role: 'shadow' })),
  ];
  let total = 0;
  const parts: string[] = [];
  const usage: string[] = [];
  for (const { variant, role } of variants) {
    const name = `${String(variant.variant_name ?? role)} (${role})`;
    const serverless = first(variant.serverless_config);
    if (Object.keys(serverless).length > 0) {
      if (Number(serverless.provisioned_concurrency ?? 0) > 0) return unpriced(`SageMaker ${name}`, 'serverless provisioned concurrency is not in the price table');
      const memoryGb = Number(serverless.memory_size_in_mb) / 1024;
      parts.push(`${name} serverless ${memoryGb} GB: no charge while idle`);
      usage.push(
        prices.sagemakerServerlessGbSecond === undefined
          ? `${name}: no serverless inference price in the table for this region`
          : `${name}: ${rate(prices.sagemakerServerlessGbSecond * memoryGb)} per second of inference (${memoryGb} GB × ${rate(prices.sagemakerServerlessGbSecond)}/GB-s)`,
      );
      continue;
    }
    const instanceType = String(variant.instance_type ?? '');
    const hourPrice = prices.sagemakerInstanceHour[instanceType];
    if (hourPrice === undefined) return unpriced(`SageMaker ${name} ${instanceType}`, `no price for ${instanceType} in the table for this region`);
    const count = Number(variant.initial_instance_count ?? 1);
    total += count * hourPrice * side.hours;
    parts.push(`${name} ${count} × ${instanceType} × ${side.hours} h × ${rate(hourPrice)}`);
  }
  const name = typeof values.name === 'string' ? ` ${values.name}` : '';
  return { monthlyUsd: total, description: `SageMaker endpoint configuration${name}: ${parts.join('; ')}`, usage };
};

const loadBalancer: Pricer = (values, prices, side) => {
  const kind = String(values.load_balancer_type ?? 'application');
  if (kind !== 'application') return unpriced(`${kind} load balancer`, `only application load balancers are priced`);
  return hourly('Application load balancer', 1, prices.albHour, side.hours, [`${rate(prices.albLcuHour)} per LCU-hour`]);
};

const vpcEndpoint: Pricer = (values, prices, side, unknown) => {
  if (values.vpc_endpoint_type !== 'Interface') return undefined;
  if (!Array.isArray(values.subnet_ids) && unknown.includes('subnet_ids')) return afterApply('Interface VPC endpoint', 'subnet_ids');
  return hourly('Interface VPC endpoint (per AZ)', list(values.subnet_ids).length, prices.interfaceEndpointAzHour, side.hours);
};

const alarm: Pricer = (values, prices) =>
  Number(values.period ?? 60) < 60 ? monthly('High-resolution CloudWatch alarm', 1, prices.cloudwatchHighResAlarmMonth) : monthly('CloudWatch alarm', 1, prices.cloudwatchAlarmMonth);

function pricers(table: PriceTable): Record<string, Pricer> {
  return {
    aws_nat_gateway: (_values, prices, side) => hourly('NAT gateway', 1, prices.natGatewayHour, side.hours, [`${rate(prices.natGatewayGb)} per GB processed`]),
    aws_eip: (_values, prices, side) => hourly('Public IPv4 address', 1, prices.publicIpv4Hour, side.hours),
    aws_lb: loadBalancer,
    aws_vpc_endpoint: vpcEndpoint,
    aws_ec2_client_vpn_endpoint: (_values, prices) => usageOnly('Client VPN endpoint', [`${rate(prices.clientVpnConnectionHour)} per connected client-hour`]),
    aws_ec2_client_vpn_network_association: (_values, prices, side) => hourly('Client VPN subnet association', 1, prices.clientVpnAssociationHour, side.hours),
    aws_ecs_service: ecsService,
    aws_db_instance: dbInstance,
    aws_batch_job_definition: batchJobDefinition(table),
    aws_batch_compute_environment: computeEnvironment,
    aws_sagemaker_endpoint_configuration: endpointConfiguration,
    aws_cloudwatch_dashboard: (_values, prices) => monthly('CloudWatch dashboard', 1, prices.cloudwatchDashboardMonth),
    aws_cloudwatch_metric_alarm: alarm,
    aws_cloudwatch_log_group: (_values, prices) => usageOnly('CloudWatch log group', [`${rate(prices.logsIngestGb)} per GB ingested`]),
    aws_s3_bucket: (_values, prices) => usageOnly('S3 bucket', [`${rate(prices.s3GbMonth)} per GB-month stored`]),
    aws_ecr_repository: (_values, prices) => usageOnly('ECR repository', [`${rate(prices.ecrGbMonth)} per GB-month of images`]),
    aws_secretsmanager_secret: (_values, prices) => monthly('Secrets Manager secret', 1, prices.secretMonth),
    aws_kms_key: (_values, prices) => monthly('KMS key', 1, prices.kmsKeyMonth),
  };
}

function changeOf(actions: readonly string[]): Change {
  if (actions.includes('create') && actions.includes('delete')) return 'replace';
  if (actions.includes('create')) return 'create';
  if (actions.includes('delete')) return 'delete';
  if (actions.includes('update')) return 'update';
  return 'unchanged';
}

/**
 * Prices a plan's (or a state's) resources for `region`. Each side of the change is priced with the
 * resources of that side, since a resource's cost can depend on another (an ECS service on its task
 * definition and scaling target, a Batch job on its compute environment).
 */
export function estimateCost(resources: readonly PlannedResource[], region: string, table: PriceTable = PRICE_TABLE): CostEstimate {
  const byType = pricers(table);
  const billed = resources.filter((resource) => byType[resource.type]);
  // Every resource of a side, billed or not: a price may depend on another (a task definition, a scaling target).
  const sideOf = (pick: (resource: PlannedResource) => Values | null): Side => ({
    hours: table.hoursPerMonth,
    resources: resources.flatMap((resource) => {
      const values = pick(resource);
      return values ? [{ address: resource.address, type: resource.type, values, unknown: resource.unknown }] : [];
    }),
  });
  const after = sideOf((resource) => resource.after);
  const before = sideOf((resource) => resource.before);
  const charge = (resource: PlannedResource, values: Values | null, side: Side, unknown: readonly string[]): Charge | undefined => {
    if (!values) return undefined;
    const resourceRegion = typeof values.region === 'string' && values.region !== '' ? values.region : region;
    const prices = table.regions[resourceRegion];
    if (!prices) return unpriced(resource.type, `no prices for region ${resourceRegion} (the table has ${Object.keys(table.regions).join(', ')})`);
    return byType[resource.type](values, prices, side, unknown);
  };
  const lines: CostLine[] = billed.flatMap((resource) => {
    const now = charge(resource, resource.after, after, resource.unknown);
    const previous = charge(resource, resource.before, before, []);
    const shown = now ?? previous;
    if (!shown) return [];
    return {
      address: resource.address,
      type: resource.type,
      change: changeOf(resource.actions),
      description: shown.description,
      monthlyUsd: now?.monthlyUsd ?? 0,
      previousMonthlyUsd: previous?.monthlyUsd ?? 0,
      usage: shown.usage ?? [],
      ...(now?.perRun ? { perRun: now.perRun } : {}),
      ...(now?.unpriced ? { unpriced: now.unpriced } : {}),
    };
  });
  const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
  const monthlyUsd = sum(lines.map((line) => line.monthlyUsd));
  const perRun = lines.find((line) => line.perRun)?.perRun;
  return {
    region,
    currency: table.currency,
    asOf: table.asOf,
    monthlyUsd,
    changeUsd: monthlyUsd - sum(lines.map((line) => line.previousMonthlyUsd)),
    ...(perRun ? { perRun } : {}),
    lines,
    unpriced: lines.filter((line) => line.unpriced).map((line) => `${line.address}: ${line.unpriced}`),
    notCounted: NOT_COUNTED,
  };
}

const SIGN: Record<Change, string> = { create: '+', update: '~', replace: '±', delete: '-', unchanged: ' ' };

/** A line with neither a monthly price nor a reason it lacks one: billed by use only (a bucket, a log group). */
const byUseOnly = (line: CostLine) => line.monthlyUsd === 0 && line.previousMonthlyUsd === 0 && !line.unpriced && !line.perRun;

/**
 * The estimate as lines a person reads: each billed resource the plan changes (or, with `all`,
 * every one) with its arithmetic, the stack's total and the change, the per-run cost of a training
 * job, the rates of what is billed by use, and what is left out.
 */
export function formatEstimate(estimate: CostEstimate, options: { all?: boolean } = {}): string[] {
  const shown = estimate.lines.filter((line) => !byUseOnly(line) && (options.all || line.change !== 'unchanged'));
  const unchanged = estimate.lines.filter((line) => !byUseOnly(line) && line.change === 'unchanged');
  const lines = [`Estimated cost in ${estimate.region} (on-demand list prices of ${estimate.asOf}, core/cost/price-table.ts):`];
  for (const line of shown) {
    const amount = line.unpriced ? 'not priced' : line.perRun ? `${usd(line.perRun.hourUsd)}/job-hour` : `${usd(line.monthlyUsd)}/month`;
    const was = line.change === 'update' || line.change === 'replace' || line.change === 'delete' ? ` (was ${usd(line.previousMonthlyUsd)})` : '';
    lines.push(`  ${SIGN[line.change]} ${amount}${was}  ${line.description}${line.unpriced ? ` — ${line.unpriced}` : ''}  [${line.address}]`);
  }
  if (!options.all && unchanged.length > 0) {
    lines.push(`    ${unchanged.length} unchanged: ${usd(unchanged.reduce((total, line) => total + line.monthlyUsd, 0))}/month`);
  }
  // A state (`all`) changes nothing: its total alone.
  const change = options.all ? [] : [estimate.changeUsd === 0 ? 'no change' : `${estimate.changeUsd > 0 ? '+' : '-'}${usd(Math.abs(estimate.changeUsd))}/month`];
  const notes = [...change, ...(estimate.unpriced.length > 0 ? [`without ${estimate.unpriced.length} not priced`] : [])];
  lines.push(`  Stack total: ${usd(estimate.monthlyUsd)}/month${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`);
  if (estimate.perRun) lines.push(`  Per training run: ${estimate.perRun.detail}`);
  const rates = new Map<string, number>();
  for (const line of estimate.lines.filter((entry) => entry.change !== 'delete')) {
    for (const usage of line.usage) {
      const key = `${line.description.split(':')[0]} ${usage}`;
      rates.set(key, (rates.get(key) ?? 0) + 1);
    }
  }
  if (rates.size > 0) lines.push(`  Billed by use, not in the total: ${[...rates].map(([rate, count]) => (count > 1 ? `${count} × ${rate}` : rate)).join('; ')}`);
  lines.push(`  Not counted: ${estimate.notCounted.join('; ')}`);
  return lines;
}
/**
 * Refuses (bad input, exit 2) a plan whose stack would cost more per month than `maxMonthlyUsd`, or
 * whose cost cannot be checked because the region has no prices.
 */
export function checkMonthlyBudget(estimate: CostEstimate, maxMonthlyUsd: number, what: string, table: PriceTable = PRICE_TABLE): void {
  if (!table.regions[estimate.region]) {
    throw new UsageError(
      `--max-monthly-usd ${maxMonthlyUsd}: cannot check ${what} — no prices for region ${estimate.region} (core/cost/price-table.ts has ${Object.keys(table.regions).join(', ')}); nothing was applied`,
    );
  }
  if (estimate.monthlyUsd > maxMonthlyUsd) {
    const partial = estimate.unpriced.length > 0 ? ` (and ${estimate.unpriced.length} resources not priced)` : '';
    throw new UsageError(
      `refusing to apply: ${what} would cost an estimated ${usd(estimate.monthlyUsd)}/month${partial}, more than --max-monthly-usd ${maxMonthlyUsd}; nothing was applied. ` +
        'Raise the limit or choose smaller settings (see the estimate above).',
    );
  }
}
