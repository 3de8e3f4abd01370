import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { trainingInputs, type TrainingInputs } from '../../cli/builders/training.js';
import { createContainerEngine, type ContainerEngine } from '../../cli/effects/container-engine.js';
import { publishImage } from '../../cli/effects/container-image.js';
import { MlflowClient, findVersionRegisteredByRun, uniqueRunName, type ModelVersion } from '../../cli/effects/mlflow.js';
import { downloadModel, type DownloadedModel } from '../../cli/effects/model-artifacts.js';
import { prepareServingImage, type ServingImageContext } from '../../cli/effects/serving-image.js';
import { waitForHttp } from '../../cli/local/processes.js';
import { loadMlProject } from '../../cli/ml-project.js';
import { type MlProject } from '../../core/ml-project.js';
import { createReporter } from '../../cli/progress.js';
import { loadSettings } from '../../cli/settings/load.js';
import { jobCommand, prepareBuildContext } from '../../cli/training/image.js';
import { fillWheelhouse, listeningAddresses, loopbackServingNginx, provideBaseImages, removeImagesOf, TEST_ENGINE_ENV, testContainerEngine } from '../harness/container-images.js';
import { startLocalRegistry, type LocalRegistry } from '../harness/local-registry.js';
import { startTestMlflowServer, type TestMlflowServer } from '../harness/mlflow.js';
import { removeTrainingScratch, TRAINING_TEST_ENVIRONMENT, trainingScratchDir } from '../harness/training-project.js';

/**
 * The training and serving images, built for real from the Dockerfiles mlops generates, pushed to a
 * real OCI registry, and run: the Batch job's command trains in the training container and
 * registers a version; that version, baked into MLflow's serving image, answers SageMaker's calls.
 * See test/harness/container-images.ts for how this runs without a Docker daemon.
 */
describe('training and serving images', () => {
  const reporter = createReporter();
  let engine: ContainerEngine;
  let registry: LocalRegistry;
  let mlflow: TestMlflowServer;
  let project: MlProject;
  let inputs: TrainingInputs;
  let trainingImage: string;
  let registered: ModelVersion;

  beforeAll(async () => {
    engine = testContainerEngine();
    [registry, mlflow] = await Promise.all([startLocalRegistry(), startTestMlflowServer()]);
    project = loadMlProject('test-project');
    inputs = trainingInputs({ environment: TRAINING_TEST_ENVIRONMENT, settings: loadSettings() }, project);
  });
  afterAll(async () => {
    if (registry) await removeImagesOf(registry.host);
    await Promise.all([registry?.stop(), mlflow?.stop()]);
    removeTrainingScratch();
  });

  /** Publishes as the commands do, timing the build. */
  async function publish(repositoryName: string, tag: string, prepareContext: () => { dir: string; cleanup: () => void }) {
    const started = Date.now();
    const published = await publishImage({ registry, docker: engine, repositoryName, repositoryUri: await registry.repositoryUri(repositoryName), tag, prepareContext, mode: 'auto', reporter });
    reporter.info(`publishing ${published.imageUri}: ${published.action} in ${Math.round((Date.now() - started) / 1000)}s`);
    return published;
  }

  it("builds test-project's training image from its generated Dockerfile and pushes it under its content-hash tag, once", async () => {
    const environment = parseYaml(readFileSync(join(project.dir, 'python_env.yaml'), 'utf8')) as { build_dependencies: string[]; dependencies: string[] };
    await fillWheelhouse([...environment.build_dependencies, ...environment.dependencies], reporter);
    expect(await provideBaseImages(inputs.dockerfile)).toEqual(['python:3.11-slim-bookworm']);
    const contextDir = join(trainingScratchDir('mlops-training-context-'), 'context');

    const first = await publish('acme-dev-test-project', inputs.imageTag, () => prepareBuildContext(project, inputs.dockerfile, contextDir));
    expect(first).toEqual({ imageUri: `${registry.host}/acme-dev-test-project:${inputs.imageTag}`, action: 'built-and-pushed' });
    expect(await registry.imageExists('acme-dev-test-project', inputs.imageTag)).toBe(true);
    expect(await registry.imageExists('acme-dev-test-project', 'not-built')).toBe(false);

    const second = await publish('acme-dev-test-project', inputs.imageTag, () => {
      throw new Error('the tag is in the registry: nothing may be prepared or built');
    });
    expect(second.action).toBe('already-in-registry');
    trainingImage = first.imageUri;
  });

  it("runs the Batch job's command in the training container: it trains against MLflow and registers a version", async () => {
    expect(trainingImage).toBeDefined();
    const jobName = uniqueRunName('batch', project.name);
    // The job definition's environment (stacks/training/job-definition.ts), with the test server's URI.
    const env = { MLFLOW_TRACKING_URI: mlflow.url, MLFLOW_EXPERIMENT_NAME: project.name };
    const result = await engine.run({ image: trainingImage, name: jobName, command: jobCommand(project.name, jobName), env }, reporter);
    expect(result.exitCode).toBe(0);

    const version = await findVersionRegisteredByRun(new MlflowClient(mlflow.url), project.name, project.name, jobName);
    expect(version).toMatchObject({ name: project.name, status: 'READY' });
    registered = version!;
  });

  it('gives the same training tag for the same project in another checkout (other path, other times, local run output)', () => {
    const root = trainingScratchDir('mlops-other-checkout-');
    cpSync(project.dir, join(root, project.name), { recursive: true, preserveTimestamps: false });
    mkdirSync(join(root, project.name, 'mlruns', '0'), { recursive: true });
    writeFileSync(join(root, project.name, 'mlruns', '0', 'meta.yaml'), 'local run\n');
    const elsewhere = trainingInputs({ environment: TRAINING_TEST_ENVIRONMENT, settings: loadSettings() }, loadMlProject(project.name, root));
    expect(elsewhere.imageTag).toBe(inputs.imageTag);
    writeFileSync(join(root, project.name, 'train.py'), `${readFileSync(join(project.dir, 'train.py'), 'utf8')}\n`);
    expect(trainingInputs({ environment: TRAINING_TEST_ENVIRONMENT, settings: loadSettings() }, loadMlProject(project.name, root)).imageTag).not.toBe(inputs.imageTag);
  });

  it('builds and pushes with podman alone, the same way (podman cannot run containers here: crun refuses the host cgroups)', async () => {
    const podman = createContainerEngine({ env: { ...process.env, ...TEST_ENGINE_ENV, MLOPS_CONTAINER_ENGINE: 'podman' }, pull: 'never' });
    expect(await podman.select()).toEqual({ engine: 'podman' });
    const dir = trainingScratchDir('mlops-podman-context-');
    const base = (await provideBaseImages(inputs.dockerfile))[0];
    writeFileSync(join(dir, 'Dockerfile'), `FROM ${base}\nRUN ["python", "-c", "open('/built-by', 'w').write('podman')"]\n`);
    const published = await publishImage({
      registry,
      docker: podman,
      repositoryName: 'acme-dev-podman',
      repositoryUri: await registry.repositoryUri('acme-dev-podman'),
      tag: 'v1',
      prepareContext: () => ({ dir, cleanup: () => undefined }),
      mode: 'auto',
      reporter,
    });
    expect(published.action).toBe('built-and-pushed');
    expect(await registry.imageExists('acme-dev-podman', 'v1')).toBe(true);
  });

  describe('the serving image', () => {
    let model: DownloadedModel;
    let context: ServingImageContext;
    let servingImage: string;
    afterAll(() => {
      context?.cleanup();
      model?.cleanup();
    });

    it("builds MLflow's serving image with the registered version baked in and pushes it", async () => {
      expect(registered).toBeDefined();
      model = await downloadModel(mlflow.url, `models:/${registered.name}/${registered.version}`);
      context = await prepareServingImage(model.dir, registered.version);
      const modelEnvironment = parseYaml(readFileSync(join(model.dir, 'python_env.yaml'), 'utf8')) as { build_dependencies: string[] };
      // What the Dockerfile installs: MLflow, the model's environment, and the container's own server (gunicorn[gevent], MLflow's _install_pyfunc_deps).
      const requirements = readFileSync(join(model.dir, 'requirements.txt'), 'utf8').split('\n');
      await fillWheelhouse([`mlflow==${context.mlflowVersion}`, ...modelEnvironment.build_dependencies, ...requirements, 'gunicorn[gevent]'], reporter);
      await provideBaseImages(readFileSync(join(context.dir, 'Dockerfile'), 'utf8'));

      const published = await publish('acme-dev-test-project-serving', context.tag, () => ({ dir: context.dir, cleanup: () => undefined }));
      expect(published.action).toBe('built-and-pushed');
      servingImage = published.imageUri;
    });

    it('gives the same serving tag when the same version is downloaded and generated again, elsewhere', async () => {
      expect(context).toBeDefined();
      const again = await downloadModel(mlflow.url, `models:/${registered.name}/${registered.version}`);
      try {
        const regenerated = await prepareServingImage(again.dir, registered.version);
        regenerated.cleanup();
        expect(regenerated.tag).toBe(context.tag);
      } finally {
        again.cleanup();
      }
    });

    it('answers GET /ping and POST /invocations with the input example, as SageMaker calls it on port 8080', async () => {
      expect(servingImage).toBeDefined();
      // The container's nginx (8080, SageMaker's port) and scoring server (8000) have fixed ports.
      for (const port of [8080, 8000]) expect({ port, listeners: listeningAddresses(port) }).toEqual({ port, listeners: [] });
      const scratch = trainingScratchDir('mlops-serving-run-');
      const container = await engine.start({ image: servingImage, name: `mlops-serving-${Date.now()}`, logFile: join(scratch, 'serve.log'), volumes: [loopbackServingNginx(scratch)] });
      try {
        await waitForHttp('http://127.0.0.1:8080/ping', { timeoutMs: 180_000, reporter, label: 'the serving container', pid: container.pid, logFile: container.logFile });
        expect(listeningAddresses(8080)).toEqual(['127.0.0.1']);
        expect(model.servingInputExample).toBeDefined();
        const response = await fetch('http://127.0.0.1:8080/invocations', { method: 'POST', headers: { 'content-type': 'application/json' }, body: model.servingInputExample });
        expect(response.status).toBe(200);
        const predictions = ((await response.json()) as { predictions: unknown[] }).predictions;
        expect(predictions).toHaveLength(5);
        for (const prediction of predictions) expect([0, 1, 2]).toContain(prediction);
      } finally {
        await container.stop();
      }
      expect(listeningAddresses(8080)).toEqual([]);
    });
  });
});
