import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
  ImageNotFoundException,
  RepositoryNotFoundException,
} from '@aws-sdk/client-ecr';
import { ExternalError } from '../../core/errors.js';
import type { Reporter } from '../progress.js';
import type { AwsContext } from './aws.js';
import type { ContainerEngine } from './container-engine.js';

/**
 * A content hash of a build context: every file's relative path and bytes (sorted, so the same
 * inputs give the same tag on every machine) plus extra strings such as a generated Dockerfile.
 */
export function contentHashTag(dir: string, extra: readonly string[] = [], ignore: (relativePath: string) => boolean = () => false): string {
  const hash = createHash('sha256');
  const walk = (current: string): string[] =>
    readdirSync(current)
      .sort()
      .flatMap((entry) => {
        const path = join(current, entry);
        const rel = relative(dir, path);
        if (ignore(rel)) return [];
        return statSync(path).isDirectory() ? walk(path) : [path];
      });
  for (const file of walk(dir)) {
    hash.update(relative(dir, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  for (const item of extra) hash.update(item).update('\0');
  return hash.digest('hex').slice(0, 16);
}

/** A registry (ECR in production), as far as image publishing needs it. */
export interface ImageRegistry {
  /** The URI of an existing repository (`<account>.dkr.ecr.<region>.amazonaws.com/<name>`). */
  repositoryUri(repositoryName: string): Promise<string>;
  imageExists(repositoryName: string, tag: string): Promise<boolean>;
  /** Login credentials (ECR's authorization token). */
  loginCredentials(): Promise<{ username: string; password: string; endpoint: string }>;
}

export function createEcrRegistry(aws: AwsContext): ImageRegistry {
  const client = aws.client(ECRClient);
  return {
    async repositoryUri(repositoryName) {
      try {
        const result = await client.send(new DescribeRepositoriesCommand({ repositoryNames: [repositoryName] }));
        const uri = result.repositories?.[0]?.repositoryUri;
        if (!uri) throw new Error('no repositoryUri in the answer');
        return uri;
      } catch (error) {
        throw new ExternalError(`ECR DescribeRepositories ${repositoryName} failed: ${(error as Error).message}`);
      }
    },
    async imageExists(repositoryName, tag) {
      try {
        const result = await client.send(new DescribeImagesCommand({ repositoryName, imageIds: [{ imageTag: tag }] }));
        return (result.imageDetails ?? []).length > 0;
      } catch (error) {
        if (error instanceof ImageNotFoundException) return false;
        if (error instanceof RepositoryNotFoundException) throw new ExternalError(`ECR repository ${repositoryName} does not exist (apply its stack first)`);
        throw new ExternalError(`ECR DescribeImages on ${repositoryName} failed: ${(error as Error).message}`);
      }
    },
    async loginCredentials() {
      const result = await client.send(new GetAuthorizationTokenCommand({}));
      const data = result.authorizationData?.[0];
      if (!data?.authorizationToken || !data.proxyEndpoint) throw new ExternalError('ECR returned no authorization token');
      const [username, password] = Buffer.from(data.authorizationToken, 'base64').toString('utf8').split(':');
      return { username, password, endpoint: data.proxyEndpoint };
    },
  };
}

/** `auto` builds and pushes what ECR lacks; `skip` never builds (for emulators, which cannot store layers). */
export type ImageBuildMode = 'auto' | 'skip';

export interface PublishedImage {
  readonly imageUri: string;
  readonly action: 'already-in-registry' | 'built-and-pushed' | 'skipped';
}

/**
 * Makes sure `repositoryUri:tag` is in the registry: nothing is built or pushed when the tag is
 * already there; otherwise the context is prepared, built, pushed after a login with the registry's
 * credentials (ECR's token), and cleaned up whatever happens.
 */
export async function publishImage(options: {
  registry: ImageRegistry;
  /** The container engine (docker, podman or buildah) that builds and pushes. */
  docker: ContainerEngine;
  repositoryName: string;
  repositoryUri: string;
  tag: string;
  prepareContext: () => { dir: string; cleanup: () => void };
  mode: ImageBuildMode;
  reporter: Reporter;
}): Promise<PublishedImage> {
  const { registry, docker, repositoryName, repositoryUri, tag, reporter } = options;
  const imageUri = `${repositoryUri}:${tag}`;
  if (await registry.imageExists(repositoryName, tag)) {
    reporter.info(`Image ${imageUri} is already in ECR: nothing to build.`);
    return { imageUri, action: 'already-in-registry' };
  }
  if (options.mode === 'skip') {
    reporter.warn(`image build skipped (--image-build=skip): ECR has no ${imageUri}, so nothing can run it until it is pushed`);
    return { imageUri, action: 'skipped' };
  }
  const selected = await docker.select();
  if (!selected.engine) {
    throw new ExternalError(`no container engine works (${selected.problems.join('; ')}), so ${imageUri} cannot be built: start Docker, or install podman or buildah`);
  }
  const context = options.prepareContext();
  try {
    const credentials = await registry.loginCredentials();
    await docker.login(credentials.endpoint, credentials.username, credentials.password);
    await docker.build(context.dir, imageUri, reporter);
    await docker.push(imageUri, reporter);
  } finally {
    context.cleanup();
  }
  return { imageUri, action: 'built-and-pushed' };
}
