import { SAGEMAKER_INSTANCE_TYPES } from '../deployment/instance-types.js';

/**
 * Public on-demand list prices (USD, Linux, no Savings Plans, no free tier) of what the stacks
 * create, per region. `mlops` prints estimates from this table and from nothing else, so a price
 * that changes is changed here, once, with the date below.
 *
 * Where a price is missing for a region, the estimate says so ("no price for … in <region>") and
 * leaves that resource out of the total rather than guessing.
 */
export interface PriceTable {
  readonly currency: 'USD';
  /** The month AWS bills hourly resources for: 730 hours (AWS's own calculator uses 730). */
  readonly hoursPerMonth: number;
  /** When the prices were transcribed from the sources. */
  readonly asOf: string;
  readonly sources: readonly string[];
  readonly regions: Readonly<Record<string, RegionPrices>>;
  /** EC2 GPU instance types AWS Batch may launch for GPU jobs: what each offers. */
  readonly ec2InstanceTypes: Readonly<Record<string, { vcpus: number; memoryGiB: number; gpus: number }>>;
}

export interface RegionPrices {
  /** Fargate (ECS services and Batch jobs) per vCPU-hour and per GB-hour of memory. */
  readonly fargate: { readonly x86: FargateRate; readonly arm: FargateRate };
  readonly natGatewayHour: number;
  /** Usage: per GB a NAT gateway processes. */
  readonly natGatewayGb: number;
  /** A public IPv4 address (an Elastic IP, in use or not), per hour. */
  readonly publicIpv4Hour: number;
  readonly albHour: number;
  /** Usage: per load-balancer capacity unit-hour. */
  readonly albLcuHour: number;
  /** A VPC interface endpoint, per AZ-hour (gateway endpoints are free). */
  readonly interfaceEndpointAzHour: number;
  /** A Client VPN endpoint's subnet association, per hour. */
  readonly clientVpnAssociationHour: number;
  /** Usage: per connected client, per hour. */
  readonly clientVpnConnectionHour: number;
  /** RDS single-AZ instance-hours by engine and class (Multi-AZ: twice). */
  readonly rdsInstanceHour: Readonly<Record<'postgres' | 'mysql', Readonly<Record<string, number>>>>;
  /** RDS gp2/gp3 storage per GB-month (Multi-AZ: twice). */
  readonly rdsStorageGbMonth: number;
  /** SageMaker real-time inference instance-hours. */
  readonly sagemakerInstanceHour: Readonly<Record<string, number>>;
  /** Usage: SageMaker Serverless Inference per GB-second of compute. */
  readonly sagemakerServerlessGbSecond?: number;
  /** EC2 Linux on-demand instance-hours (Batch GPU compute environments). */
  readonly ec2InstanceHour: Readonly<Record<string, number>>;
  /** Usage: S3 Standard per GB-month. */
  readonly s3GbMonth: number;
  /** Usage: ECR image storage per GB-month. */
  readonly ecrGbMonth: number;
  readonly cloudwatchDashboardMonth: number;
  /** A standard-resolution (period ≥ 60 s) alarm per month; high resolution costs highResAlarmMonth. */
  readonly cloudwatchAlarmMonth: number;
  readonly cloudwatchHighResAlarmMonth: number;
  /** Usage: CloudWatch Logs ingestion per GB. */
  readonly logsIngestGb: number;
  readonly secretMonth: number;
  readonly kmsKeyMonth: number;
}

export interface FargateRate {
  readonly vcpuHour: number;
  readonly gbHour: number;
}

const GPU_TYPES = {
  'g4dn.xlarge': { vcpus: 4, memoryGiB: 16, gpus: 1 },
  'g4dn.2xlarge': { vcpus: 8, memoryGiB: 32, gpus: 1 },
  'g4dn.4xlarge': { vcpus: 16, memoryGiB: 64, gpus: 1 },
  'g4dn.8xlarge': { vcpus: 32, memoryGiB: 128, gpus: 1 },
  'g4dn.12xlarge': { vcpus: 48, memoryGiB: 192, gpus: 4 },
  'g4dn.16xlarge': { vcpus: 64, memoryGiB: 256, gpus: 1 },
  'g5.xlarge': { vcpus: 4, memoryGiB: 16, gpus: 1 },
  'g5.2xlarge': { vcpus: 8, memoryGiB: 32, gpus: 1 },
  'g5.4xlarge': { vcpus: 16, memoryGiB: 64, gpus: 1 },
  'g5.8xlarge': { vcpus: 32, memoryGiB: 128, gpus: 1 },
  'g5.12xlarge': { vcpus: 48, memoryGiB: 192, gpus: 4 },
  'g5.16xlarge': { vcpus: 64, memoryGiB: 256, gpus: 1 },
  'g5.24xlarge': { vcpus: 96, memoryGiB: 384, gpus: 4 },
  'g5.48xlarge': { vcpus: 192, memoryGiB: 768, gpus: 8 },
};

/** us-east-1 and us-west-2 list the same prices for everything below. */
const US: RegionPrices = {
  fargate: { x86: { vcpuHour: 0.04048, gbHour: 0.004445 }, arm: { vcpuHour: 0.03238, gbHour: 0.00356 } },
  natGatewayHour: 0.045,
  natGatewayGb: 0.045,
  publicIpv4Hour: 0.005,
  albHour: 0.0225,
  albLcuHour: 0.008,
  interfaceEndpointAzHour: 0.01,
  clientVpnAssociationHour: 0.1,
  clientVpnConnectionHour: 0.05,
  rdsInstanceHour: {
    postgres: {
      'db.t4g.micro': 0.016,
      'db.t4g.small': 0.032,
      'db.t4g.medium': 0.065,
      'db.t4g.large': 0.129,
      'db.t3.micro': 0.018,
      'db.t3.small': 0.036,
      'db.t3.medium': 0.072,
      'db.t3.large': 0.145,
      'db.m6g.large': 0.159,
      'db.m5.large': 0.178,
      'db.r6g.large': 0.225,
    },
    mysql: {
      'db.t4g.micro': 0.016,
      'db.t4g.small': 0.032,
      'db.t4g.medium': 0.065,
      'db.t4g.large': 0.129,
      'db.t3.micro': 0.017,
      'db.t3.small': 0.034,
      'db.t3.medium': 0.068,
      'db.t3.large': 0.136,
      'db.m6g.large': 0.152,
      'db.m5.large': 0.171,
      'db.r6g.large': 0.215,
    },
  },
  rdsStorageGbMonth: 0.115,
  // The instance-type catalogue's hourly prices are us-east-1's (core/deployment/instance-types.ts).
  sagemakerInstanceHour: Object.fromEntries(SAGEMAKER_INSTANCE_TYPES.map((type) => [type.name, type.hourlyUsd])),
  sagemakerServerlessGbSecond: 0.00002,
  ec2InstanceHour: {
    'g4dn.xlarge': 0.526,
    'g4dn.2xlarge': 0.752,
    'g4dn.4xlarge': 1.204,
    'g4dn.8xlarge': 2.176,
    'g4dn.12xlarge': 3.912,
    'g4dn.16xlarge': 4.352,
    'g5.xlarge': 1.006,
    'g5.2xlarge': 1.212,
    'g5.4xlarge': 1.624,
    'g5.8xlarge': 2.448,
    'g5.12xlarge': 5.672,
    'g5.16xlarge': 4.096,
    'g5.24xlarge': 8.144,
    'g5.48xlarge': 16.288,
  },
  s3GbMonth: 0.023,
  ecrGbMonth: 0.1,
  cloudwatchDashboardMonth: 3,
  cloudwatchAlarmMonth: 0.1,
  cloudwatchHighResAlarmMonth: 0.3,
  logsIngestGb: 0.5,
  secretMonth: 0.4,
  kmsKeyMonth: 1,
};

export const PRICE_TABLE: PriceTable = {
  currency: 'USD',
  hoursPerMonth: 730,
  asOf: '2025-06',
  sources: [
    'https://aws.amazon.com/fargate/pricing/',
    'https://aws.amazon.com/vpc/pricing/ (NAT gateway, public IPv4, interface endpoints)',
    'https://aws.amazon.com/elasticloadbalancing/pricing/',
    'https://aws.amazon.com/vpn/pricing/ (AWS Client VPN)',
    'https://aws.amazon.com/rds/postgresql/pricing/ and https://aws.amazon.com/rds/mysql/pricing/',
    'https://aws.amazon.com/sagemaker/pricing/ (real-time and serverless inference)',
    'https://aws.amazon.com/ec2/pricing/on-demand/ (Batch on EC2 pays the instances; Batch itself is free)',
    'https://aws.amazon.com/s3/pricing/, https://aws.amazon.com/ecr/pricing/',
    'https://aws.amazon.com/cloudwatch/pricing/ (dashboards, alarms, logs)',
    'https://aws.amazon.com/secrets-manager/pricing/, https://aws.amazon.com/kms/pricing/',
  ],
  regions: {
    'us-east-1': US,
    'us-west-2': US,
    'eu-west-1': {
      ...US,
      natGatewayHour: 0.048,
      natGatewayGb: 0.048,
      albHour: 0.0252,
      interfaceEndpointAzHour: 0.011,
      rdsInstanceHour: {
        postgres: {
          'db.t4g.micro': 0.018,
          'db.t4g.small': 0.036,
          'db.t4g.medium': 0.072,
          'db.t4g.large': 0.144,
          'db.t3.micro': 0.019,
          'db.t3.small': 0.038,
          'db.t3.medium': 0.076,
          'db.t3.large': 0.152,
        },
        mysql: {
          'db.t4g.micro': 0.018,
          'db.t4g.small': 0.036,
          'db.t4g.medium': 0.072,
          'db.t4g.large': 0.144,
          'db.t3.micro': 0.018,
          'db.t3.small': 0.036,
          'db.t3.medium': 0.072,
          'db.t3.large': 0.144,
        },
      },
      rdsStorageGbMonth: 0.127,
      sagemakerInstanceHour: {
        'ml.t2.medium': 0.062,
        'ml.t2.large': 0.124,
        'ml.m5.large': 0.128,
        'ml.m5.xlarge': 0.256,
        'ml.c5.large': 0.115,
        'ml.c5.xlarge': 0.23,
        'ml.g4dn.xlarge': 0.822,
      },
      sagemakerServerlessGbSecond: undefined,
      ec2InstanceHour: {
        'g4dn.xlarge': 0.587,
        'g4dn.2xlarge': 0.838,
        'g4dn.4xlarge': 1.342,
        'g4dn.8xlarge': 2.426,
        'g4dn.12xlarge': 4.362,
        'g4dn.16xlarge': 4.853,
        'g5.xlarge': 1.123,
        'g5.2xlarge': 1.353,
        'g5.4xlarge': 1.813,
        'g5.8xlarge': 2.733,
        'g5.12xlarge': 6.332,
        'g5.16xlarge': 4.573,
        'g5.24xlarge': 9.092,
        'g5.48xlarge': 18.184,
      },
      logsIngestGb: 0.57,
    },
    'eu-central-1': {
      ...US,
      fargate: { x86: { vcpuHour: 0.04656, gbHour: 0.00511 }, arm: { vcpuHour: 0.03725, gbHour: 0.00409 } },
      natGatewayHour: 0.052,
      natGatewayGb: 0.052,
      albHour: 0.027,
      interfaceEndpointAzHour: 0.012,
      rdsInstanceHour: {
        postgres: {
          'db.t4g.micro': 0.019,
          'db.t4g.small': 0.038,
          'db.t4g.medium': 0.076,
          'db.t4g.large': 0.152,
          'db.t3.micro': 0.021,
          'db.t3.small': 0.041,
          'db.t3.medium': 0.082,
          'db.t3.large': 0.164,
        },
        mysql: {
          'db.t4g.micro': 0.019,
          'db.t4g.small': 0.038,
          'db.t4g.medium': 0.076,
          'db.t4g.large': 0.152,
          'db.t3.micro': 0.02,
          'db.t3.small': 0.04,
          'db.t3.medium': 0.08,
          'db.t3.large': 0.16,
        },
      },
      rdsStorageGbMonth: 0.137,
      sagemakerInstanceHour: {
        'ml.t2.medium': 0.067,
        'ml.m5.large': 0.138,
        'ml.m5.xlarge': 0.276,
        'ml.g4dn.xlarge': 0.879,
      },
      sagemakerServerlessGbSecond: undefined,
      ec2InstanceHour: {
        'g4dn.xlarge': 0.658,
        'g4dn.2xlarge': 0.94,
        'g4dn.4xlarge': 1.505,
        'g4dn.8xlarge': 2.72,
        'g4dn.12xlarge': 4.89,
        'g4dn.16xlarge': 5.44,
      },
      s3GbMonth: 0.0245,
      logsIngestGb: 0.63,
    },
  },
  ec2InstanceTypes: GPU_TYPES,
};
