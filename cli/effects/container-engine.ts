import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { execa } from 'execa';
import { ExternalError, UsageError } from '../../core/errors.js';
import { startDetached, stopProcessGroup } from '../local/processes.js';
import type { Reporter } from '../progress.js';

/**
 * The container engine that builds, pushes and runs the images: Docker, or a daemonless podman or
 * buildah (the default on Fedora/RHEL, rootless setups and many CI runners). The same build context
 * and tag give the same image whichever engine builds it.
 */

export const CONTAINER_ENGINES = ['docker', 'podman', 'buildah'] as const;
export type ContainerEngineName = (typeof CONTAINER_ENGINES)[number];
export const CONTAINER_ENGINE_VARIABLE = 'MLOPS_CONTAINER_ENGINE';

/** The engines to try, in order: the one MLOPS_CONTAINER_ENGINE names, else docker, podman, buildah. */
export function engineCandidates(env: NodeJS.ProcessEnv): readonly ContainerEngineName[] {
  const requested = env[CONTAINER_ENGINE_VARIABLE]?.trim();
  if (!requested) return CONTAINER_ENGINES;
  if (!(CONTAINER_ENGINES as readonly string[]).includes(requested)) {
    throw new UsageError(`${CONTAINER_ENGINE_VARIABLE}="${requested}" is not a container engine mlops drives: use one of ${CONTAINER_ENGINES.join(', ')} (or unset it to use the first that works)`);
  }
  return [requested as ContainerEngineName];
}

/** The command that proves an engine works, not only that its client is installed (docker needs its daemon). */
export function probeArgs(engine: ContainerEngineName): string[] {
  return engine === 'docker' ? ['info', '--format', '{{.ServerVersion}}'] : ['info'];
}

/** `always` fetches the newest base image (production); `never` builds only from local images (offline tests). */
export type PullPolicy = 'always' | 'never';

export interface BuildRequest {
  readonly contextDir: string;
  readonly imageUri: string;
  readonly pull: PullPolicy;
  /** `host:container[:options]` mounts for RUN steps (podman and buildah only; Docker builds have none). */
  readonly volumes: readonly string[];
}

/** Every image is built for linux/amd64, what Batch, ECS and SageMaker run here. */
export function buildArgs(engine: ContainerEngineName, request: BuildRequest): string[] {
  const platform = ['--platform', 'linux/amd64', '-t', request.imageUri];
  if (engine === 'docker') {
    if (request.volumes.length > 0) throw new UsageError(`docker build cannot mount volumes (${request.volumes.join(', ')}): use podman or buildah (${CONTAINER_ENGINE_VARIABLE})`);
    return ['build', ...(request.pull === 'always' ? ['--pull'] : []), ...platform, request.contextDir];
  }
  return ['build', `--pull=${request.pull}`, ...platform, ...request.volumes.flatMap((volume) => ['--volume', volume]), request.contextDir];
}

/** The registry part of an image URI (`host[:port]`), or undefined for a Docker Hub short name. */
export function registryHost(imageUri: string): string | undefined {
  const first = imageUri.split('/')[0];
  return imageUri.includes('/') && /[.:]|^localhost$/.test(first) ? first : undefined;
}

/**
 * A registry on the loopback interface speaks plain HTTP: Docker allows that by itself, podman and
 * buildah need --tls-verify=false. Every other registry (ECR) is verified.
 */
function tlsFlags(engine: ContainerEngineName, registry: string | undefined): string[] {
  const loopback = registry !== undefined && /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/.test(registry);
  return engine !== 'docker' && loopback ? ['--tls-verify=false'] : [];
}

export function pushArgs(engine: ContainerEngineName, imageUri: string): string[] {
  return ['push', ...tlsFlags(engine, registryHost(imageUri)), imageUri];
}

/**
 * The password goes on stdin, never on the command line. ECR's endpoint is a URL: docker takes it
 * as is, podman and buildah want the registry host alone.
 */
export function loginArgs(engine: ContainerEngineName, endpoint: string, username: string): string[] {
  const host = endpoint.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  return ['login', ...tlsFlags(engine, host), '--username', username, '--password-stdin', engine === 'docker' ? endpoint : host];
}

/** What an image runs, as its config says (OCI image config field names). */
export interface ImageEntryConfig {
  readonly Entrypoint?: readonly string[] | null;
  readonly Cmd?: readonly string[] | null;
}

/** Docker's rule: the entry point followed by the given command, or by the image's CMD when none is given. */
export function entryCommand(config: ImageEntryConfig, command?: readonly string[]): string[] {
  const resolved = [...(config.Entrypoint ?? []), ...(command ?? config.Cmd ?? [])];
  if (resolved.length === 0) throw new UsageError('the image has no ENTRYPOINT nor CMD and no command was given: nothing to run');
  return resolved;
}

export interface RunRequest {
  readonly image: string;
  /** A unique name for the container, so it can be removed afterwards. */
  readonly name: string;
  /** Replaces the image's CMD (the entry point stays), as `docker run IMAGE COMMAND…` does. */
  readonly command?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** `host:container[:options]` bind mounts. */
  readonly volumes?: readonly string[];
}

/**
 * The container shares the host's network with every engine: buildah run has no port publishing,
 * so chroot isolation (no new namespaces) is what makes a served port reachable, and docker and
 * podman use --network host to behave the same. buildah runs a working container made by
 * `buildah from`, given the image's resolved entry command (buildah run does not apply it).
 */
export function runArgs(engine: ContainerEngineName, request: RunRequest, entry?: readonly string[]): string[] {
  const options = [
    ...Object.entries(request.env ?? {}).flatMap(([name, value]) => ['--env', `${name}=${value}`]),
    ...(request.volumes ?? []).flatMap((volume) => ['--volume', volume]),
  ];
  if (engine === 'buildah') {
    if (!entry) throw new Error('buildah run needs the resolved entry command');
    return ['run', '--isolation', 'chroot', ...options, request.name, '--', ...entry];
  }
  return ['run', '--rm', '--name', request.name, '--network', 'host', '--pull', 'never', ...options, request.image, ...(request.command ?? [])];
}

export interface RunResult {
  readonly exitCode: number;
  readonly output: string;
}

/** A container started in the background; `stop` ends it and removes it. */
export interface RunningContainer {
  readonly pid: number;
  readonly logFile: string;
  stop(): Promise<void>;
}

export type EngineSelection = { readonly engine: ContainerEngineName } | { readonly engine: undefined; readonly problems: readonly string[] };

/** The container engine, as far as publishing and running the images needs it. */
export interface ContainerEngine {
  /** Which engine works here, or why none does. */
  select(): Promise<EngineSelection>;
  /** Whether an engine works (an installed docker client alone is not enough to build). */
  engineAvailable(): Promise<boolean>;
  login(endpoint: string, username: string, password: string): Promise<void>;
  build(contextDir: string, imageUri: string, reporter: Reporter): Promise<void>;
  push(imageUri: string, reporter: Reporter): Promise<void>;
  /** Runs the image to completion, its output streamed to stderr and returned. */
  run(request: RunRequest, reporter: Reporter): Promise<RunResult>;
  /** Starts the image in the background, its output in `logFile`. */
  start(request: RunRequest & { logFile: string }): Promise<RunningContainer>;
}

export interface ContainerEngineOptions {
  /** Where MLOPS_CONTAINER_ENGINE, PATH and the engines' own variables (BUILDAH_ISOLATION…) come from. */
  readonly env?: NodeJS.ProcessEnv;
  /** @default 'always' — every build starts from the newest base image */
  readonly pull?: PullPolicy;
  /** @default [] — no mounts into RUN steps */
  readonly buildVolumes?: readonly string[];
}

function onPath(binary: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, binary), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * The engine MLOPS_CONTAINER_ENGINE names, else the first of docker, podman, buildah that is on PATH
 * and works. A wrong variable is refused at once (exit 2); the probing waits for the first use.
 */
export function createContainerEngine(options: ContainerEngineOptions = {}): ContainerEngine {
  const env = options.env ?? process.env;
  const candidates = engineCandidates(env);
  const pull = options.pull ?? 'always';
  const buildVolumes = options.buildVolumes ?? [];
  let selection: Promise<EngineSelection> | undefined;
  const select = () =>
    (selection ??= (async () => {
      const problems: string[] = [];
      for (const engine of candidates) {
        if (!onPath(engine, env)) {
          problems.push(`${engine}: not on PATH`);
          continue;
        }
        const probe = await execa(engine, probeArgs(engine), { env, reject: false, all: true, timeout: 30_000 });
        if (probe.exitCode === 0 && probe.stdout.trim() !== '') return { engine };
        problems.push(`${engine}: \`${engine} ${probeArgs(engine).join(' ')}\` failed (${String(probe.all ?? '').trim().split('\n').pop() || `exit ${probe.exitCode}`})`);
      }
      return { engine: undefined, problems };
    })());
  const engineName = async (): Promise<ContainerEngineName> => {
    const selected = await select();
    if (selected.engine) return selected.engine;
    throw new ExternalError(`no container engine works (${selected.problems.join('; ')}): start Docker, or install podman or buildah (${CONTAINER_ENGINE_VARIABLE} picks one)`);
  };
  const stream = async (engine: ContainerEngineName, args: string[], label: string, reporter: Reporter): Promise<RunResult> => {
    const step = reporter.step(label);
    const child = execa(engine, args, { env, reject: false, all: true });
    child.all?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    const result = await child;
    if (result.exitCode === 0) step.done();
    else step.fail();
    return { exitCode: result.exitCode ?? 1, output: String(result.all ?? '') };
  };
  const mustSucceed = async (engine: ContainerEngineName, args: string[], label: string, reporter: Reporter) => {
    const result = await stream(engine, args, label, reporter);
    if (result.exitCode !== 0) throw new ExternalError(`${label} failed (exit ${result.exitCode}); its output is above`);
  };
  /** buildah runs a working container: made from the image here, with the image's entry command resolved. */
  const prepareRun = async (engine: ContainerEngineName, request: RunRequest): Promise<string[]> => {
    if (engine !== 'buildah') return runArgs(engine, request);
    const inspected = await execa(engine, ['inspect', '--type', 'image', request.image], { env, reject: false });
    if (inspected.exitCode !== 0) throw new ExternalError(`buildah inspect ${request.image} failed: ${inspected.stderr.trim()} (build the image first)`);
    const config = (JSON.parse(inspected.stdout) as { OCIv1?: { config?: ImageEntryConfig } }).OCIv1?.config ?? {};
    const created = await execa(engine, ['from', '--pull=never', '--name', request.name, request.image], { env, reject: false });
    if (created.exitCode !== 0) throw new ExternalError(`buildah from ${request.image} failed: ${created.stderr.trim()}`);
    return runArgs(engine, request, entryCommand(config, request.command));
  };
  const remove = async (engine: ContainerEngineName, name: string) => {
    await execa(engine, engine === 'buildah' ? ['rm', name] : ['rm', '--force', name], { env, reject: false });
  };
  return {
    select,
    engineAvailable: async () => (await select()).engine !== undefined,
    async login(endpoint, username, password) {
      const engine = await engineName();
      const result = await execa(engine, loginArgs(engine, endpoint, username), { env, input: password, reject: false, all: true });
      if (result.exitCode !== 0) throw new ExternalError(`${engine} login to ${endpoint} failed: ${String(result.all).trim()}`);
    },
    async build(contextDir, imageUri, reporter) {
      const engine = await engineName();
      await mustSucceed(engine, buildArgs(engine, { contextDir, imageUri, pull, volumes: buildVolumes }), `${engine} build ${imageUri}`, reporter);
    },
    async push(imageUri, reporter) {
      const engine = await engineName();
      await mustSucceed(engine, pushArgs(engine, imageUri), `${engine} push ${imageUri}`, reporter);
    },
    async run(request, reporter) {
      const engine = await engineName();
      try {
        return await stream(engine, await prepareRun(engine, request), `${engine} run ${request.image}`, reporter);
      } finally {
        await remove(engine, request.name);
      }
    },
    async start(request) {
      const engine = await engineName();
      let pid: number;
      try {
        pid = startDetached(engine, await prepareRun(engine, request), { logFile: request.logFile, env });
      } catch (error) {
        await remove(engine, request.name);
        throw error;
      }
      return {
        pid,
        logFile: request.logFile,
        async stop() {
          await stopProcessGroup(pid);
          await remove(engine, request.name);
        },
      };
    },
  };
}
