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
  /** What a 401 of this server means and what to do about it, given what was sent. */
  readonly refusal: string;
}

/** What the MLflow server stack of one environment publishes, read only when the tracking URI may be its server's. */
export interface MlflowAccessSources {
  /** The tracking URI the stack published; undefined without an MLflow server stack. */
  publishedTrackingUri(): Promise<string | undefined>;
  /** The CLI's credential (its Secrets Manager secret); undefined when the stack made none. */
  cliCredential(): Promise<MlflowCredential | undefined>;
  /** The project CA that signed the load balancer's certificate, PEM; undefined when not published. */
  caCertificate(): Promise<string | undefined>;
  /** Names the credential's origin in messages. */
  readonly credentialName: string;
  /** Names the environment whose stack this is, in messages. */
  readonly environmentName: string;
}

const sameServer = (a: string, b: string) => a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

/**
 * Whether `trackingUri` can be an MLflow server stack's at all: the stack publishes only
 * `https://` URIs (its load balancer listens for HTTPS alone), so a plain-HTTP or file URI is a
 * server of the team's own, and nothing of the stacks is read for it (no SSM, no Secrets Manager:
 * such a server is reachable without AWS access).
 */
export const mayBeStackServer = (trackingUri: string): boolean => /^https:\/\//i.test(trackingUri.trim());

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

const OWN_CREDENTIAL = 'MLFLOW_TRACKING_USERNAME/TOKEN';
const ownCredentialRefused = `the credential in ${OWN_CREDENTIAL} was refused: correct it, or unset it to use the MLflow server stack's CLI secret`;

/**
 * The access to `trackingUri`. The server an environment's MLflow server stack published gets that
 * environment's CLI credential from Secrets Manager and its project CA from SSM — unless the person
 * running the CLI set MLFLOW_TRACKING_USERNAME/TOKEN or MLFLOW_TRACKING_SERVER_CERT_PATH, which win.
 * `stacks` are the environments whose stacks may own the URI, asked in order (a promotion asks the
 * target's and the source's). Any other server (settings' tracking_uri, a team's own) is reached
 * with the environment as it is.
 */
export async function resolveMlflowAccess(trackingUri: string, stacks: readonly MlflowAccessSources[], env: NodeJS.ProcessEnv): Promise<MlflowAccess> {
  const own = Boolean(env.MLFLOW_TRACKING_USERNAME || env.MLFLOW_TRACKING_TOKEN);
  let stack: MlflowAccessSources | undefined;
  if (mayBeStackServer(trackingUri)) {
    for (const candidate of stacks) {
      const published = await candidate.publishedTrackingUri();
      if (published && sameServer(published, trackingUri)) {
        stack = candidate;
        break;
      }
    }
  }
  if (!stack) {
    return {
      env,
      fetch: serverFetch({ caPem: env.MLFLOW_TRACKING_SERVER_CERT_PATH ? readCa(env.MLFLOW_TRACKING_SERVER_CERT_PATH) : undefined }),
      refusal: own
        ? ownCredentialRefused
        : `${
            mayBeStackServer(trackingUri)
              ? `no MLflow server stack${stacks.length ? ` of ${stacks.map((s) => `"${s.environmentName}"`).join(' or ')}` : ''} published this server`
              : 'an MLflow server stack publishes only https:// servers'
          }, so mlops sends only MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (or MLFLOW_TRACKING_TOKEN): set them`,
    };
  }
  const credential = own ? undefined : await stack.cliCredential();
  const caPath = env.MLFLOW_TRACKING_SERVER_CERT_PATH || writeCaFile(await stack.caCertificate());
  const caPem = caPath ? readCa(caPath) : undefined;
  return {
    env: {
      ...env,
      ...(credential ? { MLFLOW_TRACKING_USERNAME: credential.username, MLFLOW_TRACKING_PASSWORD: credential.password } : {}),
      ...(caPath ? { MLFLOW_TRACKING_SERVER_CERT_PATH: caPath } : {}),
    },
    fetch: serverFetch({ caPem, authorization: credential ? `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}` : undefined }),
    refusal: own
      ? ownCredentialRefused
      : credential
        ? `the "${stack.environmentName}" MLflow server stack's CLI credential (user ${credential.username}, ${stack.credentialName}) was refused: ` +
          "the server sets its users' passwords from their secrets when its tasks start, so a secret changed since holds another password: " +
          "put back the one the server started with, or start new tasks of that environment's MLflow service (ECS: force a new deployment)"
        : `${stack.credentialName} of the "${stack.environmentName}" MLflow server stack, which published this server, holds no credential: ` +
          'run make mlflow-server in that environment (it puts a generated password in it), or set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD',
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
    environmentName: environment.envName,
  };
}

/** One access per tracking URI for the whole CLI run, resolved on first use; each stack's parameters and secret are read once. */
export function createMlflowAccess(stacks: readonly MlflowAccessSources[], env: NodeJS.ProcessEnv = process.env): (trackingUri: string) => Promise<MlflowAccess> {
  const once = stacks.map(memoizedSources);
  const resolved = new Map<string, Promise<MlflowAccess>>();
  return (trackingUri) => {
    if (!resolved.has(trackingUri)) resolved.set(trackingUri, resolveMlflowAccess(trackingUri, once, env));
    return resolved.get(trackingUri)!;
  };
}

/** A fetch for the REST client that resolves the access on its first request (so building a client stays synchronous). */
export function accessFetch(access: (trackingUri: string) => Promise<MlflowAccess>, trackingUri: string): typeof fetch {
  return (async (input: string | URL, init?: RequestInit) => (await access(trackingUri)).fetch(input, init)) as typeof fetch;
}

function memoizedSources(sources: MlflowAccessSources): MlflowAccessSources {
  const memo = <T>(read: () => Promise<T>) => {
    let value: Promise<T> | undefined;
    return () => (value ??= read());
  };
  return { ...sources, publishedTrackingUri: memo(sources.publishedTrackingUri), cliCredential: memo(sources.cliCredential), caCertificate: memo(sources.caCertificate) };
}

/**
 * The REST client and the Python client's environment for any tracking URI, in one AWS account:
 * a server one of `environments`' MLflow server stacks published is reached with that environment's
 * credential and CA (the first environment is asked first).
 */
export function createMlflowConnections(aws: AwsContext, environments: Pick<Environment, 'project' | 'envName'> | readonly Pick<Environment, 'project' | 'envName'>[], env: NodeJS.ProcessEnv = process.env) {
  const stacks = (Array.isArray(environments) ? environments : [environments]).map((environment) => createMlflowAccessSources(aws, environment));
  const access = createMlflowAccess(stacks, env);
  return {
    access,
    client: (trackingUri: string) => new MlflowClient(trackingUri, accessFetch(access, trackingUri), env, async () => (await access(trackingUri)).refusal),
    pythonEnv: async (trackingUri: string) => (await access(trackingUri)).env,
  };
}
