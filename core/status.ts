/**
 * The environment at a glance (`mlops status`): what each lookup found, or why it could not look,
 * so one failing service fills its own cells and never hides the rest of the view.
 */
export type Lookup<T> = { readonly value: T } | { readonly error: string };

export interface RegistryStatus {
  /** The highest version number, undefined when the model has no version. */
  readonly latest?: string;
  /** The version deployed last to this environment (the deployment step's MLflow tags). */
  readonly serving?: { readonly version: string; readonly deployedAt?: string };
  /** Alias → version. */
  readonly aliases: Readonly<Record<string, string>>;
}

export interface EndpointStatus {
  readonly name: string;
  /** SageMaker's EndpointStatus; undefined when there is no endpoint. */
  readonly state?: string;
  /** The model version the endpoint is tagged with. */
  readonly version?: string;
  readonly failureReason?: string;
}

export interface TrainingJobStatus {
  readonly id: string;
  readonly status: string;
  readonly createdAt?: string;
  readonly reason?: string;
}

export interface ProjectStatus {
  readonly project: string;
  /** undefined: no model registered under the project's name. */
  readonly registry: Lookup<RegistryStatus | undefined>;
  readonly endpoint: Lookup<EndpointStatus>;
  /** undefined: the queue has no job. */
  readonly lastTrainingJob: Lookup<TrainingJobStatus | undefined>;
  readonly trainingState: Lookup<boolean>;
  readonly deploymentState: Lookup<boolean>;
}

export interface EnvironmentStatus {
  readonly project: string;
  readonly envName: string;
  readonly region: string;
  readonly stateBucket: string;
  readonly trackingUri: Lookup<string>;
  readonly mlflowServerState: Lookup<boolean>;
  readonly projects: readonly ProjectStatus[];
}

/** A version's MLflow tags, as far as finding the one serving needs them. */
export interface TaggedVersion {
  readonly version: string;
  readonly tags?: readonly { key: string; value: string }[];
}

/**
 * The version deployed last to one environment: the deployment step tags each version it deploys
 * with `<prefix>.endpoint` and `<prefix>.deployed_at`, and a later deployment tags a later time.
 */
export function servingVersion(versions: readonly TaggedVersion[], tagPrefix: string): RegistryStatus['serving'] {
  let serving: { version: string; deployedAt?: string } | undefined;
  for (const version of versions) {
    const tags = new Map((version.tags ?? []).map((tag) => [tag.key, tag.value]));
    if (!tags.has(`${tagPrefix}.endpoint`)) continue;
    const deployedAt = tags.get(`${tagPrefix}.deployed_at`);
    if (!serving || (deployedAt ?? '') > (serving.deployedAt ?? '')) serving = { version: version.version, deployedAt };
  }
  return serving;
}

/** The highest version number of a model. */
export function latestVersion(versions: readonly { version: string }[]): string | undefined {
  return versions.reduce<string | undefined>((latest, { version }) => (latest === undefined || Number(version) > Number(latest) ? version : latest), undefined);
}

/** An ISO time to the minute, in UTC: `2026-12-01 09:12Z`. */
const minute = (iso?: string) => (iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}Z` : '');

const HEADERS = ['PROJECT', 'LATEST', 'SERVING (MLflow)', 'ALIASES', 'ENDPOINT', 'LAST TRAINING JOB', 'STATE'] as const;

/**
 * The status as a table a person reads: one row per ML project, a failed lookup shown as
 * `error [n]` in its cell with the message below the table.
 */
export function formatStatus(status: EnvironmentStatus): string {
  const errors: string[] = [];
  const cell = <T>(lookup: Lookup<T>, what: string, show: (value: T) => string): string => {
    if ('value' in lookup) return show(lookup.value);
    // The registry's three columns share one lookup: its error is listed once.
    const text = `${what}: ${lookup.error}`;
    if (!errors.includes(text)) errors.push(text);
    return `error [${errors.indexOf(text) + 1}]`;
  };
  const header = [
    `Environment ${status.project}-${status.envName} (${status.region}), state bucket ${status.stateBucket}`,
    `  MLflow: ${cell(status.trackingUri, 'MLflow tracking URI', (uri) => uri)}; MLflow server stack: ${cell(status.mlflowServerState, 'MLflow server state', (exists) => (exists ? 'applied' : 'not applied'))}`,
  ];
  const rows = status.projects.map((project) => {
    const what = (lookup: string) => `${project.project} ${lookup}`;
    const states = [
      cell(project.trainingState, what('training state'), (exists) => (exists ? 'training' : '')),
      cell(project.deploymentState, what('deployment state'), (exists) => (exists ? 'deployment' : '')),
    ].filter(Boolean);
    return [
      project.project,
      cell(project.registry, what('registry'), (registry) => (registry ? (registry.latest ? `v${registry.latest}` : 'no version') : 'not registered')),
      cell(project.registry, what('registry'), (registry) =>
        registry?.serving ? `v${registry.serving.version}${registry.serving.deployedAt ? ` since ${minute(registry.serving.deployedAt)}` : ''}` : '—',
      ),
      cell(project.registry, what('registry'), (registry) =>
        Object.entries(registry?.aliases ?? {})
          .map(([alias, version]) => `@${alias}=v${version}`)
          .join(' ') || '—',
      ),
      cell(project.endpoint, what('endpoint'), (endpoint) =>
        endpoint.state ? `${endpoint.state}${endpoint.version ? ` v${endpoint.version}` : ''}${endpoint.failureReason ? ` (${endpoint.failureReason})` : ''}` : 'none',
      ),
      cell(project.lastTrainingJob, what('last training job'), (job) =>
        // AWS Batch gives a reason for every stopped job; only a failure's says something.
        job ? `${job.status}${job.createdAt ? ` ${minute(job.createdAt)}` : ''}${job.reason && job.status === 'FAILED' ? ` (${job.reason})` : ''}` : 'none',
      ),
      states.join(', ') || 'none',
    ];
  });
  const table = [[...HEADERS], ...rows];
  const widths = HEADERS.map((_, column) => Math.max(...table.map((row) => row[column].length)));
  const lines = table.map((row) => row.map((text, column) => text.padEnd(widths[column])).join('  ').trimEnd());
  if (status.projects.length === 0) lines.push('(no ML projects in ml-projects/)');
  return [...header, '', ...lines, ...(errors.length > 0 ? ['', ...errors.map((error, index) => `[${index + 1}] ${error}`)] : [])].join('\n');
}
