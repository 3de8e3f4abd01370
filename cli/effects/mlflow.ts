import { ExternalError, UsageError } from '../../core/errors.js';

/** A model version as the MLflow registry describes it (the fields mlops reads). */
export interface ModelVersion {
  readonly name: string;
  readonly version: string;
  readonly source: string;
  readonly run_id?: string;
  readonly status?: string;
  readonly creation_timestamp?: number;
  readonly tags?: { key: string; value: string }[];
  readonly aliases?: string[];
}

export interface RunInfo {
  readonly info: { run_id: string; experiment_id: string; status: string; run_name?: string };
  readonly data: { metrics?: { key: string; value: number }[]; params?: { key: string; value: string }[]; tags?: { key: string; value: string }[] };
}

/** How a user names a version on the command line: `3`, `latest` or `@champion`. */
export type ModelSpec = { kind: 'number'; version: string } | { kind: 'latest' } | { kind: 'alias'; alias: string };

export function parseModelSpec(text: string): ModelSpec {
  const value = text.trim();
  if (value === '') throw new UsageError('model= (--model) is required: a version number (3), "latest", or an alias (@champion)');
  if (/^[1-9]\d*$/.test(value)) return { kind: 'number', version: value };
  if (value === 'latest') return { kind: 'latest' };
  if (/^@[A-Za-z_][A-Za-z0-9_-]*$/.test(value)) return { kind: 'alias', alias: value.slice(1) };
  throw new UsageError(`model "${text}" is not a version: use a version number (3), "latest", or an alias (@champion)`);
}

function parsePayload(text: string): Record<string, unknown> {
  try {
    const value: unknown = text ? JSON.parse(text) : {};
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The MLflow tracking server's REST API, over fetch (cli/effects/mlflow-access.ts adds the stack's credential and CA); MLFLOW_TRACKING_TOKEN or basic auth when set. */
export class MlflowClient {
  constructor(
    readonly trackingUri: string,
    private readonly fetchImpl: typeof fetch = fetch,
    private readonly env: NodeJS.ProcessEnv = process.env,
    /** What a 401 means for this server and what to do (cli/effects/mlflow-access.ts knows which credential was sent). */
    private readonly refusal?: () => Promise<string>,
  ) {}

  private headers(): Record<string, string> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.env.MLFLOW_TRACKING_TOKEN) headers.authorization = `Bearer ${this.env.MLFLOW_TRACKING_TOKEN}`;
    else if (this.env.MLFLOW_TRACKING_USERNAME) {
      const basic = Buffer.from(`${this.env.MLFLOW_TRACKING_USERNAME}:${this.env.MLFLOW_TRACKING_PASSWORD ?? ''}`).toString('base64');
      headers.authorization = `Basic ${basic}`;
    }
    return headers;
  }

  /** Calls the API; resolves to undefined when MLflow answers RESOURCE_DOES_NOT_EXIST. */
  async call<T>(
    method: 'GET' | 'POST',
    path: string,
    body?: Record<string, unknown>,
    isMissing: (payload: Record<string, unknown>) => boolean = () => false,
  ): Promise<T | undefined> {
    const url = new URL(`${this.trackingUri.replace(/\/$/, '')}/api/2.0/mlflow/${path}`);
    if (method === 'GET' && body) {
      for (const [key, value] of Object.entries(body)) if (value !== undefined) url.searchParams.set(key, String(value));
    }
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers: this.headers(),
        body: method === 'POST' ? JSON.stringify(body ?? {}) : undefined,
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      throw new ExternalError(`cannot reach the MLflow server at ${this.trackingUri}: ${(error as Error).message}`);
    }
    const text = await response.text();
    if (response.status === 401) {
      const why = this.refusal
        ? await this.refusal()
        : "it needs a user. mlops uses the MLflow server stack's CLI secret for that server, else MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (or MLFLOW_TRACKING_TOKEN)";
      throw new ExternalError(`MLflow at ${this.trackingUri} refused ${method} ${path} (401): ${why}`);
    }
    // MLflow's auth app answers a denied request (403) with plain text, not JSON.
    const payload = parsePayload(text);
    if (response.status === 404 || payload.error_code === 'RESOURCE_DOES_NOT_EXIST' || isMissing(payload)) return undefined;
    if (!response.ok) {
      throw new ExternalError(`MLflow ${method} ${path} failed (${response.status}): ${String(payload.message ?? text).slice(0, 500)}`);
    }
    return payload as T;
  }

  async registeredModelExists(name: string): Promise<boolean> {
    return (await this.call('GET', 'registered-models/get', { name })) !== undefined;
  }

  /** A registered model's aliases (alias → version); undefined when no model has that name. */
  async modelAliases(name: string): Promise<Record<string, string> | undefined> {
    const model = await this.call<{ registered_model: { aliases?: { alias: string; version: string }[] } }>('GET', 'registered-models/get', { name });
    return model && Object.fromEntries((model.registered_model.aliases ?? []).map(({ alias, version }) => [alias, version]));
  }

  async modelVersion(name: string, version: string): Promise<ModelVersion | undefined> {
    return (await this.call<{ model_version: ModelVersion }>('GET', 'model-versions/get', { name, version }))?.model_version;
  }

  async modelVersionByAlias(name: string, alias: string): Promise<ModelVersion | undefined> {
    try {
      // MLflow answers an unknown alias with INVALID_PARAMETER_VALUE ("alias … not found"), not a 404.
    const aliasMissing = (payload: Record<string, unknown>) => payload.error_code === 'INVALID_PARAMETER_VALUE' && /not found/i.test(String(payload.message));
    return (await this.call<{ model_version: ModelVersion }>('GET', 'registered-models/alias', { name, alias }, aliasMissing))?.model_version;
    } catch (error) {
      // MLflow answers an unknown alias with 400 INVALID_PARAMETER_VALUE ("… alias x not found"), not 404.
      if (error instanceof ExternalError && /alias \S+ not found/i.test(error.message)) return undefined;
      throw error;
    }
  }

  async searchModelVersions(filter: string): Promise<ModelVersion[]> {
    const versions: ModelVersion[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.call<{ model_versions?: ModelVersion[]; next_page_token?: string }>('GET', 'model-versions/search', {
        filter,
        max_results: 200,
        page_token: pageToken,
      });
      versions.push(...(page?.model_versions ?? []));
      pageToken = page?.next_page_token;
    } while (pageToken);
    return versions;
  }

  async setModelVersionTag(name: string, version: string, key: string, value: string): Promise<void> {
    await this.call('POST', 'model-versions/set-tag', { name, version, key, value });
  }

  /** Points `@alias` at `version` (MLflow moves it when another version had it). */
  async setModelAlias(name: string, alias: string, version: string): Promise<void> {
    await this.call('POST', 'registered-models/alias', { name, alias, version });
  }

  async experimentId(name: string): Promise<string | undefined> {
    return (await this.call<{ experiment: { experiment_id: string } }>('GET', 'experiments/get-by-name', { experiment_name: name }))?.experiment
      .experiment_id;
  }

  async run(runId: string): Promise<RunInfo | undefined> {
    return (await this.call<{ run: RunInfo }>('GET', 'runs/get', { run_id: runId }))?.run;
  }

  async findRunsByName(experimentName: string, runName: string): Promise<RunInfo[]> {
    const experimentId = await this.experimentId(experimentName);
    if (!experimentId) return [];
    const escaped = runName.replace(/'/g, "\\'");
    const result = await this.call<{ runs?: RunInfo[] }>('POST', 'runs/search', {
      experiment_ids: [experimentId],
      filter: `attributes.run_name = '${escaped}'`,
      max_results: 10,
    });
    return result?.runs ?? [];
  }
}

/**
 * Resolves what the user named to one registered version, before anything is built or applied;
 * unknown model, version or alias end with a usage error saying what exists.
 */
export async function resolveModelVersion(client: MlflowClient, name: string, spec: ModelSpec): Promise<ModelVersion> {
  if (!(await client.registeredModelExists(name))) {
    throw new UsageError(`MLflow at ${client.trackingUri} has no registered model "${name}": train the project first`);
  }
  const describeAvailable = async () => {
    const versions = (await client.searchModelVersions(`name='${name}'`)).map((version) => Number(version.version)).sort((a, b) => a - b);
    return versions.length > 0 ? `versions ${versions.join(', ')}` : 'no versions';
  };
  if (spec.kind === 'number') {
    const version = await client.modelVersion(name, spec.version);
    if (!version) throw new UsageError(`model "${name}" has no version ${spec.version} (it has ${await describeAvailable()})`);
    return version;
  }
  if (spec.kind === 'alias') {
    const version = await client.modelVersionByAlias(name, spec.alias);
    if (!version) throw new UsageError(`model "${name}" has no alias @${spec.alias} (it has ${await describeAvailable()})`);
    return version;
  }
  const versions = await client.searchModelVersions(`name='${name}'`);
  const ready = versions.filter((version) => !version.status || version.status === 'READY');
  if (ready.length === 0) throw new UsageError(`model "${name}" has no version ready to serve`);
  return ready.reduce((latest, version) => (Number(version.version) > Number(latest.version) ? version : latest));
}

/** A run name no other run has, so the version this run registers can be found afterwards. */
export function uniqueRunName(kind: string, project: string, now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  return `${kind}-${project}-${stamp}-${Math.random().toString(36).slice(2, 6)}`;
}

/** The version of `name` registered by the run called `runName` (each job and local training names its run). */
export async function findVersionRegisteredByRun(client: MlflowClient, name: string, experimentName: string, runName: string): Promise<ModelVersion | undefined> {
  const runs = await client.findRunsByName(experimentName, runName);
  for (const run of runs) {
    const versions = await client.searchModelVersions(`name='${name}' and run_id='${run.info.run_id}'`);
    if (versions.length > 0) return versions.reduce((latest, version) => (Number(version.version) > Number(latest.version) ? version : latest));
  }
  return undefined;
}
