import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { mlflowCredentialSecretNames, sharedParameterNames } from '../../core/naming.js';
import type { Environment } from '../../core/environment.js';
import { ExternalError } from '../../core/errors.js';
import type { AwsContext } from './aws.js';
import { createMlflowCredentialSecrets, type MlflowCredential } from './mlflow-credentials.js';
import { ssmParameterReader } from './tracking-uri.js';
import { MlflowClient } from './mlflow.js';

/** How the CLI reaches one MLflow server. */
export interface MlflowAccess {
  /** For MLflow's Python client (model downloads, run artifacts): the credential and CA file, when the server needs them. */
  readonly env: NodeJS.ProcessEnv;
  /** For the REST client (cli/effects/mlflow.ts): basic auth, and only the project's CA trusted, when the server needs them. */
  readonly fetch: typeof fetch;
  /** Where the credential came from, for messages. */
  readonly credentialSource?: string;
}

/** What the MLflow server stack of the environment publishes, read only when the tracking URI is its server's. */
export interface MlflowAccessSources {
  /** The tracking URI the stack published; undefined without an MLflow server stack. */
  publishedTrackingUri(): Promise<string | undefined>;
  /** The CLI's credential (its Secrets Manager secret); undefined when the stack made none. */
  cliCredential(): Promise<MlflowCredential | undefined>;
  /** The project CA that signed the load balancer's certificate, PEM; undefined when not published. */
  caCertificate(): Promise<string | undefined>;
  /** Names the credential's origin in messages. */
  readonly credentialName: string;
}

const sameServer = (a: string, b: string) => a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

/** fetch that trusts only `caPem` (when given) and sends `authorization` unless the request has its own. */
export function serverFetch(options: { caPem?: string; authorization?: string }): typeof fetch {
  const dispatcher = options.caPem ? new Agent({ connect: { ca: options.caPem } }) : undefined;
  return (async (input: string | URL, init?: RequestInit) => {
    const headers = { ...(init?.headers as Record<string, string> | undefined) };
    if (options.authorization && !Object.keys(headers).some((key) => key.toLowerCase() === 'authorization')) headers.authorization = options.authorization;
    const request = { ...init, headers } as RequestInit;
    if (!dispatcher) return fetch(input, request);
    return undiciFetch(input, { ...(request as object), dispatcher } as Parameters<typeof undiciFetch>[1]);
  }) as typeof fetch;
}

/**
 * The access to `trackingUri`. The stack's own server (the URI it published) gets the CLI's
 * credential from Secrets Manager and the project's CA from SSM — unless the person running the
 * CLI set MLFLOW_TRACKING_USERNAME/TOKEN or MLFLOW_TRACKING_SERVER_CERT_PATH, which win. Any other
 * server (settings' tracking_uri, a team's own) is reached with the environment as it is.
 */
export async function resolveMlflowAccess(trackingUri: string, sources: MlflowAccessSources, env: NodeJS.ProcessEnv): Promise<MlflowAccess> {
  const published = await sources.publishedTrackingUri();
  if (!published || !sameServer(published, trackingUri)) return { env, fetch: serverFetch({ caPem: env.MLFLOW_TRACKING_SERVER_CERT_PATH ? readCa(env.MLFLOW_TRACKING_SERVER_CERT_PATH) : undefined }) };
  const own = Boolean(env.MLFLOW_TRACKING_USERNAME || env.MLFLOW_TRACKING_TOKEN);
  const credential = own ? undefined : await sources.cliCredential();
  const caPath = env.MLFLOW_TRACKING_SERVER_CERT_PATH || writeCaFile(await sources.caCertificate());
  const caPem = caPath ? readCa(caPath) : undefined;
  return {
    env: {
      ...env,
      ...(credential ? { MLFLOW_TRACKING_USERNAME: credential.username, MLFLOW_TRACKING_PASSWORD: credential.password } : {}),
      ...(caPath ? { MLFLOW_TRACKING_SERVER_CERT_PATH: caPath } : {}),
    },
    fetch: serverFetch({ caPem, authorization: credential ? `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}` : undefined }),
    credentialSource: own ? 'MLFLOW_TRACKING_USERNAME/TOKEN' : credential ? sources.credentialName : undefined,
  };
}

function readCa(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ExternalError(`cannot read the MLflow server's CA file ${path} (MLFLOW_TRACKING_SERVER_CERT_PATH): ${(error as Error).message}`);
  }
}

/** MLflow's Python client takes the CA as a file: one per CLI run, removed when the CLI exits. */
function writeCaFile(pem: string | undefined): string | undefined {
  if (!pem) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'mlops-mlflow-ca-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'ca.pem');
  writeFileSync(file, pem);
  return file;
}

export function createMlflowAccessSources(aws: AwsContext, environment: Pick<Environment, 'project' | 'envName'>): MlflowAccessSources {
  const parameters = ssmParameterReader(aws);
  const names = sharedParameterNames(environment);
  const secretName = mlflowCredentialSecretNames(environment).cli;
  return {
    publishedTrackingUri: () => parameters(names.trackingUri),
    cliCredential: () => createMlflowCredentialSecrets(aws).read(secretName),
    caCertificate: async () => {
      const encoded = await parameters(names.caCertificate);
      return encoded ? Buffer.from(encoded, 'base64').toString('utf8') : undefined;
    },
    credentialName: `secret ${secretName}`,
  };
}

/** One access per tracking URI for the whole CLI run, resolved on first use. */
export function createMlflowAccess(sources: MlflowAccessSources, env: NodeJS.ProcessEnv = process.env): (trackingUri: string) => Promise<MlflowAccess> {
  const resolved = new Map<string, Promise<MlflowAccess>>();
  return (trackingUri) => {
    if (!resolved.has(trackingUri)) resolved.set(trackingUri, resolveMlflowAccess(trackingUri, sources, env));
    return resolved.get(trackingUri)!;
  };
}

/** A fetch for the REST client that resolves the access on its first request (so building a client stays synchronous). */
export function accessFetch(access: (trackingUri: string) => Promise<MlflowAccess>, trackingUri: string): typeof fetch {
  return (async (input: string | URL, init?: RequestInit) => (await access(trackingUri)).fetch(input, init)) as typeof fetch;
}

/** The REST client and the Python client's environment for any tracking URI, in one environment's AWS account. */
export function createMlflowConnections(aws: AwsContext, environment: Pick<Environment, 'project' | 'envName'>, env: NodeJS.ProcessEnv = process.env) {
  const access = createMlflowAccess(createMlflowAccessSources(aws, environment), env);
  return {
    access,
    client: (trackingUri: string) => new MlflowClient(trackingUri, accessFetch(access, trackingUri), env),
    pythonEnv: async (trackingUri: string) => (await access(trackingUri)).env,
  };
}
