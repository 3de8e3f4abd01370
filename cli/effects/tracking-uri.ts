import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import type { AwsContext } from './aws.js';
import { sharedParameterNames } from '../../core/naming.js';
import { ExternalError, UsageError } from '../../core/errors.js';
import type { Environment } from '../../core/environment.js';
import type { Settings } from '../../core/settings/schema.js';

/** Reads one SSM parameter; undefined when it does not exist. */
export type ParameterReader = (name: string) => Promise<string | undefined>;

export function ssmParameterReader(aws: AwsContext): ParameterReader {
  const client = aws.client(SSMClient);
  return async (name) => {
    try {
      return (await client.send(new GetParameterCommand({ Name: name }))).Parameter?.Value;
    } catch (error) {
      if (error instanceof ParameterNotFound) return undefined;
      throw new ExternalError(`cannot read SSM parameter ${name}: ${(error as Error).message}`);
    }
  };
}

/** The tracking URI the person named (MLFLOW_TRACKING_URI, else the settings' tracking_uri); undefined: the MLflow server stack's. */
export function explicitTrackingUri(settings: Settings, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.MLFLOW_TRACKING_URI || settings.tracking_uri || undefined;
}

/**
 * The MLflow server the CLI talks to: MLFLOW_TRACKING_URI, else the settings' tracking_uri, else the
 * URI the MLflow server stack of this environment published in SSM (reachable through its VPN).
 */
export async function resolveTrackingUri(
  settings: Settings,
  environment: Environment,
  env: NodeJS.ProcessEnv = process.env,
  readParameter: ParameterReader,
): Promise<string> {
  const explicit = explicitTrackingUri(settings, env);
  if (explicit) return explicit;
  const parameter = sharedParameterNames(environment).trackingUri;
  const published = await readParameter(parameter);
  if (published) return published;
  throw new UsageError(
    `no MLflow tracking URI: SSM parameter ${parameter} does not exist (run make mlflow-server first), ` +
      'or set MLFLOW_TRACKING_URI, or tracking_uri in the settings for a server of your own',
  );
}
