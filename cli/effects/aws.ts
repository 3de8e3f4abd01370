/**
 * The one place AWS SDK clients are made. Every client works in the environment's region
 * (TF_VAR_region, the region Terraform applies in), never in the SDK's own choice (AWS_REGION, a
 * profile's region): a user who sets the four TF_VAR_* variables gets every call in one region.
 * Credentials come from the SDK's default chain (environment, profile, SSO, OIDC web identity,
 * instance role).
 */
export interface AwsClientConfig {
  readonly region: string;
  /** Standard retry mode with more attempts than the SDK's 3: a throttled control-plane call is retried, not fatal. */
  readonly maxAttempts: number;
  readonly retryMode: 'standard';
  /** Emulators (AWS_ENDPOINT_URL) answer S3 path-style only; other clients ignore it. */
  readonly forcePathStyle: boolean;
}

export interface AwsContext {
  readonly region: string;
  /** A client of any AWS SDK v3 service (`aws.client(SSMClient)`), configured as above. */
  client<C>(Client: new (config: AwsClientConfig) => C): C;
}

export const AWS_MAX_ATTEMPTS = 5;

export function awsClientConfig(region: string, env: NodeJS.ProcessEnv = process.env): AwsClientConfig {
  return { region, maxAttempts: AWS_MAX_ATTEMPTS, retryMode: 'standard', forcePathStyle: Boolean(env.AWS_ENDPOINT_URL) };
}

export function createAwsContext(region: string, env: NodeJS.ProcessEnv = process.env): AwsContext {
  const config = awsClientConfig(region, env);
  return { region, client: (Client) => new Client(config) };
}
