import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { createContainerEngine, type ContainerEngine } from '../../cli/effects/container-engine.js';
import type { Reporter } from '../../cli/progress.js';
import { toolchainEnv } from './toolchain.js';

/**
 * How the image tests build and run real images on a machine without a Docker daemon:
 * - buildah, in chroot isolation: the host's cgroups refuse OCI runtimes (podman run fails here),
 *   and chroot shares the host network, so a container reaches the test servers on 127.0.0.1;
 * - from local images only: the offline toolchain's Debian base (`scripts/install-tools.sh images`)
 *   is tagged with the name each Dockerfile's FROM asks for, so the Dockerfiles stay as shipped;
 * - pip installs only from a wheelhouse cached across runs, through a pip.conf mounted into RUN
 *   steps (no index: pip 23 prefers the index's copy of a wheel it also finds locally). Each test
 *   fills it with what its Dockerfile installs, once per requirement set (fillWheelhouse); a
 *   requirement left out fails the build, naming it.
 */
export const TEST_ENGINE_ENV = { MLOPS_CONTAINER_ENGINE: 'buildah', BUILDAH_ISOLATION: 'chroot' } as const;

const cacheDir = process.env.MLOPS_TOOLS_CACHE ?? join(homedir(), '.cache', 'lean-mlops');
const wheelhouse = join(cacheDir, 'wheels');
const WHEELHOUSE_IN_BUILD = '/opt/mlops-wheels';

export function testContainerEngine(): ContainerEngine {
  mkdirSync(wheelhouse, { recursive: true });
  const pipConf = join(cacheDir, 'pip-wheelhouse.conf');
  writeFileSync(pipConf, `[global]\nno-index = true\nfind-links = ${WHEELHOUSE_IN_BUILD}\n`);
  return createContainerEngine({
    env: { ...process.env, ...TEST_ENGINE_ENV },
    pull: 'never',
    buildVolumes: [`${pipConf}:/etc/pip.conf:ro`, `${wheelhouse}:${WHEELHOUSE_IN_BUILD}:ro`],
  });
}

const buildah = (args: string[]) => execa('buildah', args, { env: { ...process.env, ...TEST_ENGINE_ENV }, reject: false, all: true });

/** The base images a Dockerfile names (`FROM [--platform=…] image [AS stage]`), stages excluded. */
export function baseImages(dockerfile: string): string[] {
  const names: string[] = [];
  const stages = new Set<string>();
  for (const match of dockerfile.matchAll(/^FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/gim)) {
    if (!stages.has(match[1])) names.push(match[1]);
    if (match[2]) stages.add(match[2]);
  }
  return names;
}

/** The offline toolchain's base image; fails, saying how to make it, when it is not in the image store. */
async function testBaseImage(): Promise<string> {
  const base = toolchainEnv().MLOPS_TEST_BASE_IMAGE;
  if (!base || (await buildah(['inspect', '--type', 'image', base])).exitCode !== 0) {
    throw new Error(`the image tests' base image ${base ?? '(unknown)'} is not in the local image store: run \`scripts/install-tools.sh images\` (make tools)`);
  }
  return base;
}

/** Tags the toolchain's base image with every name the Dockerfile builds FROM; returns the names. */
export async function provideBaseImages(dockerfile: string): Promise<string[]> {
  const base = await testBaseImage();
  const names = baseImages(dockerfile);
  for (const name of names) {
    const tagged = await buildah(['tag', base, name]);
    if (tagged.exitCode !== 0) throw new Error(`buildah tag ${base} ${name} failed: ${tagged.all}`);
  }
  return names;
}

/** The host's CA bundle, for pip behind a proxy that re-signs TLS (as on the test machine). */
const HOST_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

/**
 * Downloads the wheels of `requirements` (and their dependencies) once into the wheelhouse, with
 * the base image's own pip, so they fit its Python whatever the host's.
 */
export async function fillWheelhouse(requirements: readonly string[], reporter: Reporter): Promise<void> {
  const lines = requirements.map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
  const marker = join(wheelhouse, `.filled-${createHash('sha256').update([...lines].sort().join('\n')).digest('hex').slice(0, 16)}`);
  if (existsSync(marker)) return;
  mkdirSync(wheelhouse, { recursive: true });
  const requirementsFile = `${marker}.txt`;
  writeFileSync(requirementsFile, `${lines.join('\n')}\n`);
  reporter.info(`Downloading ${lines.length} requirements and their dependencies into the wheelhouse ${wheelhouse}.`);
  const result = await testContainerEngine().run(
    {
      image: await testBaseImage(),
      name: `mlops-wheelhouse-${process.pid}-${Date.now()}`,
      command: ['python', '-m', 'pip', 'download', '--quiet', '--dest', WHEELHOUSE_IN_BUILD, '--requirement', `${WHEELHOUSE_IN_BUILD}/${basename(requirementsFile)}`],
      volumes: [`${wheelhouse}:${WHEELHOUSE_IN_BUILD}`, ...(existsSync(HOST_CA_BUNDLE) ? [`${HOST_CA_BUNDLE}:${HOST_CA_BUNDLE}:ro`] : [])],
    },
    reporter,
  );
  if (result.exitCode !== 0) throw new Error(`pip download of ${requirementsFile} into ${wheelhouse} failed: ${result.output.trim().split('\n').slice(-3).join(' ')}`);
  writeFileSync(marker, '');
}

/** Removes every image named after a registry (what a test built for it, pushed or not), so the store does not grow a gigabyte a run. */
export async function removeImagesOf(registryHost: string): Promise<void> {
  const listed = await buildah(['images', '--format', '{{.Name}}:{{.Tag}}']);
  const names = listed.stdout.split('\n').filter((name) => name.startsWith(`${registryHost}/`));
  if (names.length > 0) await buildah(['rmi', '--force', ...names]);
}

/** Where Debian's pip (the test base's) installs root's packages, so where the serving image's MLflow is. */
const BASE_SITE_PACKAGES = '/usr/local/lib/python3.11/dist-packages';
const SERVING_NGINX_CONF = 'mlflow/models/container/scoring_server/nginx.conf';

/**
 * MLflow's serving nginx listens on port 8080 of every interface, and servers the tests start may
 * listen on 127.0.0.1 only: a copy of its nginx.conf (from the toolchain's MLflow, the version the
 * serving Dockerfile pins) that listens on 127.0.0.1:8080 is mounted over it. Nothing else changes.
 * Returns the mount for RunRequest.volumes.
 */
export function loopbackServingNginx(dir: string): string {
  const lib = join(toolchainEnv().MLOPS_PYTHON_BIN, '..', 'lib');
  const python = readdirSync(lib).find((name) => name.startsWith('python3'));
  const conf = readFileSync(join(lib, python ?? 'python3', 'site-packages', SERVING_NGINX_CONF), 'utf8');
  if ((conf.match(/^\s*listen 8080\b/gm) ?? []).length !== 1) throw new Error(`MLflow's ${SERVING_NGINX_CONF} no longer has one "listen 8080" line: update loopbackServingNginx`);
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, conf.replace(/^(\s*)listen 8080\b/m, '$1listen 127.0.0.1:8080'));
  return `${file}:${BASE_SITE_PACKAGES}/${SERVING_NGINX_CONF}:ro`;
}

/** The addresses something listens on at this TCP port, IPv4 dotted, IPv6 in /proc's hex (from /proc/net/tcp*). */
export function listeningAddresses(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const addresses: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(table)) continue;
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state !== '0A' || !local?.endsWith(`:${hexPort}`)) continue;
      const hex = local.split(':')[0];
      addresses.push(hex.length === 8 ? (hex.match(/../g) ?? []).reverse().map((byte) => parseInt(byte, 16)).join('.') : hex === '0'.repeat(32) ? '::' : hex);
    }
  }
  return addresses;
}
