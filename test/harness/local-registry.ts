import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { ImageRegistry } from '../../cli/effects/container-image.js';
import { freePort, startDetached, stopProcessGroup, waitForHttp } from '../../cli/local/processes.js';
import { createRecordingReporter } from './reporter.js';
import { requireTool, toolchainEnv } from './toolchain.js';

/** What a registry answers a manifest request with, for every image format an engine pushes. */
const MANIFEST_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

export interface LocalRegistry extends ImageRegistry {
  /** `127.0.0.1:<port>`, the registry part of its image URIs. */
  readonly host: string;
  stop(): Promise<void>;
}

/**
 * A real OCI registry (`crane registry serve`, from the offline toolchain) on a free port of
 * 127.0.0.1, its blobs in a temporary folder: the push path of publishImage, with the registry API
 * instead of ECR's. It accepts any login, so the engine's login runs for real with test credentials.
 */
export async function startLocalRegistry(): Promise<LocalRegistry> {
  const crane = requireTool(toolchainEnv(), 'MLOPS_CRANE_BIN');
  const dir = mkdtempSync(join(tmpdir(), 'mlops-test-registry-'));
  const host = `127.0.0.1:${await freePort()}`;
  const logFile = join(dir, 'registry.log');
  // crane writes uploads into the --disk folder but does not create it.
  const blobs = join(dir, 'blobs');
  mkdirSync(blobs);
  const pid = startDetached(crane, ['registry', 'serve', '--address', host, '--disk', blobs], { logFile });
  await waitForHttp(`http://${host}/v2/`, { timeoutMs: 30_000, reporter: createRecordingReporter(), label: 'the local registry', pid, logFile });
  return {
    host,
    repositoryUri: async (repositoryName) => `${host}/${repositoryName}`,
    async imageExists(repositoryName, tag) {
      const response = await fetch(`http://${host}/v2/${repositoryName}/manifests/${tag}`, { method: 'HEAD', headers: { accept: MANIFEST_TYPES } });
      if (response.status === 404) return false;
      if (response.ok) return true;
      throw new Error(`the local registry answered ${response.status} for ${repositoryName}:${tag}; see ${logFile}`);
    },
    loginCredentials: async () => ({ username: 'mlops-test', password: 'any', endpoint: `http://${host}` }),
    async stop() {
      await execa('buildah', ['logout', host], { reject: false });
      await stopProcessGroup(pid);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
