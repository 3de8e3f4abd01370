import { UsageError } from './errors.js';

/**
 * AWS name rules the stacks depend on. Every resource name is `<project>-<env>-<what>`; a name is
 * checked against its service's length limit when it is made, so synthesis fails before Terraform
 * (or AWS, halfway through an apply) would.
 */
export const AWS_NAME_LIMITS = {
  s3Bucket: 63,
  iamRole: 64,
  loadBalancer: 32,
  targetGroup: 32,
  rdsIdentifier: 63,
  sagemaker: 63,
  ecrRepository: 256,
  batch: 128,
  logGroup: 512,
  securityGroup: 255,
  ecs: 255,
  secret: 512,
  dashboard: 255,
  alarm: 255,
  schedule: 64,
} as const;

export type AwsNameKind = keyof typeof AWS_NAME_LIMITS;

/** Lower-case letters, digits and single hyphens, starting with a letter: valid in every name above. */
export const NAME_PART_PATTERN = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
export const NAME_PART_RULE =
  'lower-case letters, digits and single hyphens, starting with a letter and not ending with a hyphen';

function partViolations(value: string, maxLength: number, pattern: RegExp, rule: string): string[] {
  const violations: string[] = [];
  if (!pattern.test(value)) violations.push(`must be ${rule}`);
  if (value.length > maxLength) violations.push(`must be at most ${maxLength} characters (is ${value.length})`);
  return violations;
}

/** The violations of one name part (an ML project name); empty when valid. */
export function namePartViolations(value: string, maxLength: number): string[] {
  return partViolations(value, maxLength, NAME_PART_PATTERN, NAME_PART_RULE);
}

/**
 * The project and environment parts hold no hyphen: the hyphen separates them, so a policy's
 * `<project>-<env>-*` can match only that pair (with hyphens, `acme-dev-*` would also match project
 * `acme` with environment `dev-eu`, and project `acme-dev`).
 */
export const ENVIRONMENT_PART_PATTERN = /^[a-z][a-z0-9]*$/;
export const ENVIRONMENT_PART_RULE =
  'lower-case letters and digits, starting with a letter, and no hyphen: the hyphen separates <project>-<env>-<resource>';

/** The violations of a project or environment name; empty when valid. */
export function environmentPartViolations(value: string, maxLength: number): string[] {
  return partViolations(value, maxLength, ENVIRONMENT_PART_PATTERN, ENVIRONMENT_PART_RULE);
}

export class NameTooLongError extends UsageError {
  constructor(kind: AwsNameKind, name: string) {
    super(
      `the ${kind} name "${name}" is ${name.length} characters; AWS allows ${AWS_NAME_LIMITS[kind]}. ` +
        'Shorten TF_VAR_project, TF_VAR_env_name or the ML project name.',
    );
    this.name = 'NameTooLongError';
  }
}

/** Builds `<project>-<env>[-<part>…]` names and refuses any that break their service's limit. */
export class ResourceNamer {
  private constructor(readonly prefix: string) {}

  static forEnvironment(project: string, envName: string): ResourceNamer {
    return new ResourceNamer(`${project}-${envName}`);
  }

  /** A namer whose prefix also carries a part such as an ML project name (`<project>-<env>-<ml-project>`). */
  child(part: string): ResourceNamer {
    return new ResourceNamer(`${this.prefix}-${part}`);
  }

  name(kind: AwsNameKind, ...parts: string[]): string {
    const name = [this.prefix, ...parts].join('-');
    if (name.length > AWS_NAME_LIMITS[kind]) throw new NameTooLongError(kind, name);
    return name;
  }
}

/** The parts of an environment that names are made of. */
export interface EnvironmentNames {
  readonly project: string;
  readonly envName: string;
}

/** Terraform state keys, one state per stack, keyed by project and environment. */
export const stateKeys = {
  mlflowServer: ({ project, envName }: EnvironmentNames) => `${project}/${envName}/mlflow-server.tfstate`,
  training: ({ project, envName }: EnvironmentNames, mlProject: string) => `${project}/${envName}/training/${mlProject}.tfstate`,
  deployment: ({ project, envName }: EnvironmentNames, mlProject: string) => `${project}/${envName}/deployment/${mlProject}.tfstate`,
};

/**
 * SSM parameters through which the MLflow server stack publishes what later stacks need, so no
 * value is copied by hand and each stack keeps its own state.
 */
export function sharedParameterNames({ project, envName }: EnvironmentNames) {
  const prefix = `/${project}/${envName}/mlflow-server`;
  return {
    prefix,
    trackingUri: `${prefix}/tracking-uri`,
    vpcId: `${prefix}/vpc-id`,
    privateSubnetIds: `${prefix}/private-subnet-ids`,
    mlflowClientSecurityGroupId: `${prefix}/client-security-group-id`,
    artifactBucket: `${prefix}/artifact-bucket`,
    /** The ARN of the training jobs' MLflow credential secret (their Batch job definitions name it). */
    trainingCredentialSecretArn: `${prefix}/training-credential-secret-arn`,
    /** The project CA's certificate that signed the load balancer's, base64 of the PEM (core/training/mlflow-ca.ts): written by the CLI, which holds the CA. */
    caCertificate: `${prefix}/ca-certificate`,
  };
}

/**
 * The SSM parameter through which the CLI hands the stack the ARN of the server certificate it
 * imported into ACM (cli/vpn/acm.ts), beside the parameters the MLflow server stack publishes.
 */
export function vpnServerCertificateParameterName(environment: EnvironmentNames): string {
  return `${sharedParameterNames(environment).prefix}/vpn/server-certificate-arn`;
}

/**
 * The MLflow server's own name inside its VPC (a private hosted zone the VPC and the VPN clients
 * resolve): the load balancer's certificate is issued for it before the load balancer exists, and
 * the tracking URI stays the same when the load balancer is replaced.
 */
export function mlflowServerDomain({ project, envName }: EnvironmentNames) {
  const zone = `${project}-${envName}.internal`;
  return { zone, host: `mlflow.${zone}` };
}

/** The SSM parameter through which the CLI hands the stack the ARN of the load balancer's certificate (issued by the project's CA). */
export function mlflowLoadBalancerCertificateParameterName(environment: EnvironmentNames): string {
  return `${sharedParameterNames(environment).prefix}/load-balancer-certificate-arn`;
}

/** The MLflow users the stack makes credentials for: the server's admin, training jobs and the mlops CLI. */
export const MLFLOW_USERS = { admin: 'admin', training: 'training-jobs', cli: 'mlops-cli' } as const;
export type MlflowUserRole = keyof typeof MLFLOW_USERS;

/**
 * The Secrets Manager secrets holding each MLflow user's credential, JSON `{"username", "password"}`:
 * Terraform makes the (empty) secrets, the CLI puts a generated password in them, so no password is
 * in Terraform's configuration or state.
 */
export function mlflowCredentialSecretNames({ project, envName }: EnvironmentNames): Record<MlflowUserRole, string> {
  const prefix = `${project}/${envName}/mlflow-server/credentials`;
  return { admin: `${prefix}/admin`, training: `${prefix}/training-jobs`, cli: `${prefix}/mlops-cli` };
}
