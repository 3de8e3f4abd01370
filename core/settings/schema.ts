import { z } from 'zod';

/**
 * The checked-in settings file (`cli/settings.json`, or the file named by MLOPS_SETTINGS_FILE).
 * Every field has a default; the descriptions are the documentation (`mlops settings` prints them).
 */
const requirementEntry = z.object({ type: z.string(), value: z.union([z.string(), z.number()]) }).strict();

const vpnSchema = z
  .object({
    enabled: z.boolean().default(true).describe('Create a Client VPN endpoint in front of the MLflow server; off for teams with their own network path'),
    client_cidr: z.string().default('10.100.0.0/22').describe('Address range handed to VPN clients; must not overlap the VPC'),
    clients: z
      .array(z.string().regex(/^[a-z][a-z0-9-]*$/))
      .default(['ml-engineer'])
      .describe('One client certificate (and .ovpn file) per name'),
    associated_subnets: z
      .number()
      .int()
      .min(1)
      .max(6)
      .default(1)
      .describe('Private subnets the VPN endpoint is associated with (each is billed hourly; 2 or more survive the loss of an AZ)'),
    session_timeout_hours: z
      .union([z.literal(8), z.literal(10), z.literal(12), z.literal(24)])
      .default(12)
      .describe('How long a VPN session lasts before the client reconnects (8, 10, 12 or 24)'),
  })
  .strict();

const mlflowServerSchema = z
  .object({
    mlflow_version: z.string().default('3.17.2').describe('MLflow version baked into the server image'),
    vpc_cidr: z.string().default('10.0.0.0/16').describe('CIDR of the VPC the server lives in'),
    availability_zones: z.number().int().min(2).max(6).default(2).describe('How many AZs the subnets span (at least 2)'),
    task_cpu: z.number().int().default(1024).describe('Fargate CPU units of one MLflow task'),
    task_memory_mib: z.number().int().default(2048).describe('Fargate memory (MiB) of one MLflow task'),
    min_tasks: z.number().int().min(1).default(1).describe('Autoscaling minimum of MLflow tasks'),
    max_tasks: z.number().int().min(1).default(2).describe('Autoscaling maximum of MLflow tasks; equal to min_tasks = a fixed count, no autoscaling'),
    db_engine: z.enum(['postgres', 'mysql']).default('postgres').describe('Backend store engine'),
    db_instance_class: z.string().default('db.t4g.micro').describe('RDS instance class of the backend store'),
    db_allocated_storage_gib: z.number().int().min(20).default(20).describe('RDS storage in GiB'),
    db_backup_retention_days: z.number().int().min(1).max(35).default(7).describe('RDS automated backup retention'),
    db_deletion_protection: z.boolean().default(true).describe('Refuse to delete the database while on'),
    db_final_snapshot: z.boolean().default(true).describe('Take a final snapshot when the database is destroyed'),
    artifact_bucket_force_destroy: z.boolean().default(false).describe('Let `-rm` delete a non-empty artifact bucket'),
    log_retention_days: z.number().int().default(30).describe('CloudWatch log retention of the server'),
    db_engine_version: z
      .string()
      .nullable()
      .default(null)
      .describe('RDS engine version (major, e.g. "17" or "8.4"); null = 17 for postgres, 8.4 for mysql'),
    db_multi_az: z.boolean().default(false).describe('Run the database with a standby in a second AZ'),
    nat_gateway_per_az: z
      .boolean()
      .default(false)
      .describe('One NAT gateway per AZ (egress survives the loss of an AZ); off = one NAT gateway, cheaper'),
    allowed_cidrs: z
      .array(z.string())
      .default([])
      .describe('Further CIDRs (a peered network, an office range) admitted to the load balancer besides the VPC and the VPN clients'),
    autoscaling_cpu_percent: z.number().int().min(10).max(90).default(60).describe('Average task CPU the autoscaling keeps the service at'),
    ecr_keep_images: z.number().int().min(1).default(10).describe('Server images kept in ECR'),
    vpn: vpnSchema.prefault({}),
  })
  .strict();

const trainingSchema = z
  .object({
    fargate_spot: z.boolean().default(false).describe('Run CPU-only jobs on Fargate Spot'),
    max_vcpus: z.number().int().min(1).default(16).describe('Upper bound of a compute environment'),
    gpu_instance_types: z.array(z.string()).default(['g4dn', 'g5']).describe('EC2 instance families for GPU jobs'),
    job_timeout_seconds: z.number().int().min(60).default(86_400).describe('A job running longer is stopped'),
    retry_attempts: z.number().int().min(1).max(10).default(2).describe('Batch retry attempts of a job'),
    log_retention_days: z.number().int().default(30).describe('CloudWatch log retention of training jobs'),
    ecr_keep_images: z.number().int().min(1).default(10).describe('Training images kept in ECR per project'),
    runnable_hint_after_seconds: z.number().int().min(10).default(300).describe('After this long in RUNNABLE, explain what usually holds a job there'),
    job_poll_seconds: z.number().int().min(1).max(300).default(10).describe("How often a followed job's state and new log lines are read"),
    base_image: z
      .string()
      .nullable()
      .default(null)
      .describe('Base image of the generated training Dockerfile; null = python:<python_env version>-slim-bookworm, or Miniforge for conda projects'),
    vpc_id: z
      .string()
      .regex(/^vpc-[0-9a-f]+$/)
      .nullable()
      .default(null)
      .describe('Only with tracking_uri set (no MLflow server stack): the VPC jobs run in; null = the default VPC of the region'),
    subnet_ids: z
      .array(z.string().regex(/^subnet-[0-9a-f]+$/))
      .default([])
      .describe('Only with tracking_uri set: subnets of vpc_id the jobs run in; empty = every subnet of that VPC'),
    assign_public_ip: z
      .boolean()
      .nullable()
      .default(null)
      .describe('Only with tracking_uri set: give Fargate jobs a public IP (subnets without NAT need it); null = on in the default VPC, off otherwise'),
  })
  .strict();

const deploymentSchema = z
  .object({
    data_capture_sampling_percent: z.number().int().min(0).max(100).default(20).describe('Share of requests captured to S3 (0 = off)'),
    shadow_sampling_percent: z.number().int().min(1).max(100).default(100).describe('Share of live requests copied to a shadow version (`deployment-job shadow=true`)'),
    alarm_5xx_errors: z.number().int().min(1).default(5).describe('Invocation 5XX errors in a minute that trigger a rollback'),
    alarm_model_latency_ms: z.number().int().min(1).default(2000).describe('Average model latency (ms) that triggers a rollback'),
    blue_green_wait_seconds: z.number().int().min(0).max(3600).default(300).describe('Time the new fleet is watched before traffic moves for good'),
    endpoint_wait_minutes: z
      .number()
      .int()
      .min(10)
      .max(60)
      .default(45)
      .describe(
        'How long to wait for an endpoint to be InService; also the blue/green rollout time limit after which SageMaker rolls back. At most 60: the AWS provider waits a fixed 60 minutes for an endpoint',
      ),
    log_retention_days: z.number().int().default(30).describe('CloudWatch log retention of the endpoint'),
    ecr_keep_images: z.number().int().min(1).default(10).describe('Serving images kept in ECR per project'),
    instance_count: z.number().int().min(1).max(20).default(1).describe('Instances behind a real-time endpoint (not used for serverless)'),
    network_isolation: z
      .boolean()
      .default(true)
      .describe('Run the serving container without any network access (the model and its packages are baked into the image); not available for serverless'),
    metrics_namespace: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_.-]*$/)
      .default('LeanMLOps')
      .describe('CloudWatch namespace root of model and data metrics; the environment is appended (LeanMLOps/<project>-<env>)'),
    monitor_lookback_hours: z.number().int().min(1).max(24 * 14).default(24).describe('How far back `mlops monitor` reads captured requests'),
    vpc_id: z
      .string()
      .regex(/^vpc-[0-9a-f]+$/)
      .nullable()
      .default(null)
      .describe(
        "Only with tracking_uri set (no MLflow server stack): the VPC the endpoint's network interfaces live in; null = SageMaker's own network (the container stays network-isolated)",
      ),
    subnet_ids: z
      .array(z.string().regex(/^subnet-[0-9a-f]+$/))
      .default([])
      .describe('Only with vpc_id set: the (private) subnets of the endpoint; empty = every subnet of that VPC'),
  })
  .strict();

const terraformSchema = z
  .object({
    lock_wait_seconds: z
      .number()
      .int()
      .min(0)
      .max(3600)
      .default(300)
      .describe(
        "How long a run waits for another run's lock on the same stack's state (a countdown names the holder) before it fails naming the holder; 0 = fail at once",
      ),
    unlock_min_age_minutes: z
      .number()
      .int()
      .min(0)
      .default(60)
      .describe(
        '`mlops unlock` refuses to break a lock younger than this without --force: a long apply (an RDS instance, an endpoint rollout) holds the lock that long while alive',
      ),
  })
  .strict();

export const settingsSchema = z
  .object({
    $schema: z.string().optional(),
    default_resource_requirements: z
      .array(requirementEntry)
      .default([
        { type: 'VCPU', value: '1' },
        { type: 'MEMORY', value: '2048' },
      ])
      .describe('Used where a project has no resource-requirements.json (Batch shape)'),
    tracking_uri: z
      .string()
      .url()
      .nullable()
      .default(null)
      .describe('An MLflow server of your own (or Databricks); null = the MLflow server stack of this environment'),
    mlflow_server: mlflowServerSchema.prefault({}),
    training: trainingSchema.prefault({}),
    deployment: deploymentSchema.prefault({}),
    terraform: terraformSchema.prefault({}),
  })
  .strict();

export type Settings = z.infer<typeof settingsSchema>;
