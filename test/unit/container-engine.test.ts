import { afterAll, describe, expect, it } from '@jest/globals';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildArgs,
  createContainerEngine,
  engineCandidates,
  entryCommand,
  loginArgs,
  pushArgs,
  registryHost,
  runArgs,
  type ContainerEngineName,
} from '../../cli/effects/container-engine.js';
import { usageErrorMessage } from '../harness/usage-error.js';

describe('engine selection', () => {
  it('tries docker, podman, buildah in that order when MLOPS_CONTAINER_ENGINE is not set', () => {
    expect(engineCandidates({})).toEqual(['docker', 'podman', 'buildah']);
    expect(engineCandidates({ MLOPS_CONTAINER_ENGINE: ' ' })).toEqual(['docker', 'podman', 'buildah']);
  });

  it('uses only the engine MLOPS_CONTAINER_ENGINE names', () => {
    expect(engineCandidates({ MLOPS_CONTAINER_ENGINE: 'podman' })).toEqual(['podman']);
  });

  it('refuses an engine it does not drive, naming the ones it does', () => {
    expect(usageErrorMessage(() => engineCandidates({ MLOPS_CONTAINER_ENGINE: 'nerdctl' }))).toBe(
      'MLOPS_CONTAINER_ENGINE="nerdctl" is not a container engine mlops drives: use one of docker, podman, buildah (or unset it to use the first that works)',
    );
  });

  describe('with fake engines on PATH', () => {
    const bin = mkdtempSync(join(tmpdir(), 'mlops-engines-'));
    afterAll(() => rmSync(bin, { recursive: true, force: true }));
    const fake = (name: ContainerEngineName, script: string) => {
      writeFileSync(join(bin, name), `#!/bin/sh\n${script}\n`);
      chmodSync(join(bin, name), 0o755);
    };
    fake('docker', 'echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock" >&2; exit 1');
    fake('podman', 'echo "host: ok"');

    it('skips a docker client whose daemon does not answer and takes the next engine that works', async () => {
      const engine = createContainerEngine({ env: { PATH: bin } });
      expect(await engine.select()).toEqual({ engine: 'podman' });
      expect(await engine.engineAvailable()).toBe(true);
    });

    it('says for every engine why it cannot be used when none works', async () => {
      const engine = createContainerEngine({ env: { PATH: bin, MLOPS_CONTAINER_ENGINE: 'docker' } });
      expect(await engine.select()).toEqual({
        engine: undefined,
        problems: ['docker: `docker info --format {{.ServerVersion}}` failed (Cannot connect to the Docker daemon at unix:///var/run/docker.sock)'],
      });
      const none = createContainerEngine({ env: { PATH: join(bin, 'empty') } });
      expect(await none.select()).toEqual({ engine: undefined, problems: ['docker: not on PATH', 'podman: not on PATH', 'buildah: not on PATH'] });
      await expect(none.build('/ctx', 'x:1', { info: () => undefined, warn: () => undefined, step: () => { throw new Error('no build expected'); } })).rejects.toThrow(
        'no container engine works (docker: not on PATH; podman: not on PATH; buildah: not on PATH): start Docker, or install podman or buildah (MLOPS_CONTAINER_ENGINE picks one)',
      );
    });
  });
});

describe('engine arguments', () => {
  const request = { contextDir: '/ctx', imageUri: '123.dkr.ecr.eu-west-1.amazonaws.com/acme-dev-wine:abc', pull: 'always' as const, volumes: [] };

  it('builds for linux/amd64 from the newest base image with every engine', () => {
    expect(buildArgs('docker', request)).toEqual(['build', '--pull', '--platform', 'linux/amd64', '-t', request.imageUri, '/ctx']);
    expect(buildArgs('podman', request)).toEqual(['build', '--pull=always', '--platform', 'linux/amd64', '-t', request.imageUri, '/ctx']);
    expect(buildArgs('buildah', request)).toEqual(['build', '--pull=always', '--platform', 'linux/amd64', '-t', request.imageUri, '/ctx']);
  });

  it('builds from local images only, with mounts into RUN steps, when asked (podman and buildah)', () => {
    const offline = { ...request, pull: 'never' as const, volumes: ['/certs.crt:/etc/ssl/certs/ca-certificates.crt:ro'] };
    expect(buildArgs('buildah', offline)).toEqual([
      'build', '--pull=never', '--platform', 'linux/amd64', '-t', request.imageUri, '--volume', '/certs.crt:/etc/ssl/certs/ca-certificates.crt:ro', '/ctx',
    ]);
    expect(buildArgs('docker', { ...offline, volumes: [] })).toEqual(['build', '--platform', 'linux/amd64', '-t', request.imageUri, '/ctx']);
    expect(usageErrorMessage(() => buildArgs('docker', offline))).toContain('docker build cannot mount volumes');
  });

  it('finds the registry of an image URI', () => {
    expect(registryHost(request.imageUri)).toBe('123.dkr.ecr.eu-west-1.amazonaws.com');
    expect(registryHost('127.0.0.1:5000/wine:abc')).toBe('127.0.0.1:5000');
    expect(registryHost('localhost/python:3.11')).toBe('localhost');
    expect(registryHost('library/python:3.11')).toBeUndefined();
    expect(registryHost('python:3.11')).toBeUndefined();
  });

  it('pushes to a loopback registry over plain HTTP with podman and buildah, and verifies TLS everywhere else', () => {
    expect(pushArgs('buildah', '127.0.0.1:5000/wine:abc')).toEqual(['push', '--tls-verify=false', '127.0.0.1:5000/wine:abc']);
    expect(pushArgs('podman', 'localhost:5000/wine:abc')).toEqual(['push', '--tls-verify=false', 'localhost:5000/wine:abc']);
    expect(pushArgs('docker', '127.0.0.1:5000/wine:abc')).toEqual(['push', '127.0.0.1:5000/wine:abc']);
    expect(pushArgs('podman', request.imageUri)).toEqual(['push', request.imageUri]);
    expect(pushArgs('podman', '127.0.0.1.example.com/wine:abc')).toEqual(['push', '127.0.0.1.example.com/wine:abc']);
  });

  it("logs in with the password on stdin only, to ECR's endpoint URL (docker) or its host (podman, buildah)", () => {
    const endpoint = 'https://123.dkr.ecr.eu-west-1.amazonaws.com';
    expect(loginArgs('docker', endpoint, 'AWS')).toEqual(['login', '--username', 'AWS', '--password-stdin', endpoint]);
    expect(loginArgs('podman', endpoint, 'AWS')).toEqual(['login', '--username', 'AWS', '--password-stdin', '123.dkr.ecr.eu-west-1.amazonaws.com']);
    expect(loginArgs('buildah', 'http://127.0.0.1:5000', 'AWS')).toEqual(['login', '--tls-verify=false', '--username', 'AWS', '--password-stdin', '127.0.0.1:5000']);
  });

  it("runs the image's entry point with its CMD, or with the given command instead of the CMD", () => {
    expect(entryCommand({ Cmd: ['mlflow', 'run', '.'] })).toEqual(['mlflow', 'run', '.']);
    expect(entryCommand({ Cmd: ['mlflow', 'run', '.'] }, ['mlflow', 'run', '.', '--run-name', 'job-1'])).toEqual(['mlflow', 'run', '.', '--run-name', 'job-1']);
    expect(entryCommand({ Entrypoint: ['python', '/opt/mlflow/serve.py'], Cmd: null }, ['--port', '5000'])).toEqual(['python', '/opt/mlflow/serve.py', '--port', '5000']);
    expect(entryCommand({ Entrypoint: ['python', '-c', 'serve()'], Cmd: ['ignored'] }, [])).toEqual(['python', '-c', 'serve()']);
    expect(usageErrorMessage(() => entryCommand({}))).toContain('the image has no ENTRYPOINT nor CMD');
  });

  it('runs on the host network with every engine: docker and podman with --network host, buildah with chroot isolation', () => {
    const run = { image: 'wine:abc', name: 'mlops-run-1', command: ['python', 'train.py'], env: { MLFLOW_TRACKING_URI: 'http://127.0.0.1:5000' }, volumes: ['/tmp/a:/a:ro'] };
    expect(runArgs('docker', run)).toEqual([
      'run', '--rm', '--name', 'mlops-run-1', '--network', 'host', '--pull', 'never', '--env', 'MLFLOW_TRACKING_URI=http://127.0.0.1:5000', '--volume', '/tmp/a:/a:ro', 'wine:abc', 'python', 'train.py',
    ]);
    expect(runArgs('buildah', run, ['python', 'train.py'])).toEqual([
      'run', '--isolation', 'chroot', '--env', 'MLFLOW_TRACKING_URI=http://127.0.0.1:5000', '--volume', '/tmp/a:/a:ro', 'mlops-run-1', '--', 'python', 'train.py',
    ]);
    expect(() => runArgs('buildah', run)).toThrow('buildah run needs the resolved entry command');
  });
});
