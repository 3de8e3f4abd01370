import { SAGEMAKER_INSTANCE_TYPES, toSageMakerInstance } from '../../core/deployment/instance-types.js';
import { deploymentRequirements, endpointTarget, toServerlessConfig } from '../../core/deployment/target.js';
import type { MlProject } from '../../core/ml-project.js';
import { usageErrorMessage as messageOf } from '../harness/usage-error.js';

const asked = (vcpus: number, memoryMiB: number, gpus = 0) => ({ vcpus, memoryMiB, gpus });

describe('toSageMakerInstance', () => {
  it.each([
    [asked(1, 2048), 'ml.t2.medium'],
    [asked(2, 4096), 'ml.t2.medium'],
    [asked(2, 6144), 'ml.t2.large'],
    [asked(4, 8192), 'ml.c5.xlarge'],
    [asked(4, 16384), 'ml.t2.xlarge'],
    [asked(8, 65536), 'ml.r5.2xlarge'],
    [asked(16, 16384), 'ml.c5.4xlarge'],
    [asked(64, 262144), 'ml.m5.24xlarge'],
    [asked(4, 16384, 1), 'ml.g4dn.xlarge'],
    [asked(8, 32768, 1), 'ml.g4dn.2xlarge'],
    [asked(8, 49152, 1), 'ml.g4dn.4xlarge'],
    [asked(8, 32768, 2), 'ml.g4dn.12xlarge'],
    [asked(8, 32768, 8), 'ml.g5.48xlarge'],
  ])('gives %j the cheapest type that fits: %s', (requirements, expected) => {
    expect(toSageMakerInstance(requirements).name).toBe(expected);
  });

  it('never puts a CPU-only model on a GPU instance, however large', () => {
    expect(toSageMakerInstance(asked(96, 393216)).gpus).toBe(0);
  });

  it('refuses 16 GPUs and names the largest GPU types', () => {
    const message = messageOf(() => toSageMakerInstance(asked(8, 32768, 16)));
    expect(message).toContain('no SageMaker instance type has 8 vCPU, 32768 MiB, 16 GPU');
    expect(message).toContain('ml.g5.48xlarge (192 vCPU, 768 GiB, 8 GPU)');
  });

  it('refuses 1 TiB of memory on CPU types and names the largest CPU types', () => {
    expect(messageOf(() => toSageMakerInstance(asked(4, 1_048_576)))).toMatch(/largest CPU types are ml\.(m5|r5)\.24xlarge/);
  });

  it('lists only ml.* types, each with positive vCPU and memory', () => {
    for (const type of SAGEMAKER_INSTANCE_TYPES) {
      expect(type.name).toMatch(/^ml\.[a-z0-9]+\.[a-z0-9]+$/);
      expect(type.vcpus).toBeGreaterThan(0);
      expect(type.memoryGiB).toBeGreaterThan(0);
    }
  });
});

describe('toServerlessConfig', () => {
  it.each([1024, 2048, 3072, 4096, 5120, 6144])('accepts %i MiB', (memoryMiB) => {
    expect(toServerlessConfig({ memoryMiB, maxConcurrency: 5 }, 0, 'file')).toEqual({ kind: 'serverless', memoryMiB, maxConcurrency: 5 });
  });

  it('refuses 3000 MiB and suggests 2048 or 3072', () => {
    expect(messageOf(() => toServerlessConfig({ memoryMiB: 3000, maxConcurrency: 5 }, 0, 'x/resource-requirements.json'))).toContain(
      'memory_mib 3000 is not a serverless memory size; allowed: 1024, 2048, 3072, 4096, 5120, 6144; nearest: 2048 or 3072',
    );
  });

  it.each([
    [8192, 'nearest: 6144'],
    [512, 'nearest: 1024'],
  ])('refuses %i MiB (%s)', (memoryMiB, nearest) => {
    expect(messageOf(() => toServerlessConfig({ memoryMiB, maxConcurrency: 5 }, 0, 'file'))).toContain(nearest);
  });

  it('refuses a GPU with a clear reason', () => {
    expect(messageOf(() => toServerlessConfig({ memoryMiB: 2048, maxConcurrency: 5 }, 1, 'file'))).toContain(
      'GPU 1 cannot be served serverless (SageMaker Serverless Inference has no GPUs)',
    );
  });

  it('reports memory, concurrency and GPU violations together, naming the file', () => {
    const message = messageOf(() => toServerlessConfig({ memoryMiB: 100, maxConcurrency: 500 }, 2, 'p/resource-requirements.json (deployment.serverless)'));
    expect(message).toContain('p/resource-requirements.json (deployment.serverless) asks for serverless inference that SageMaker cannot give');
    expect(message).toContain('memory_mib 100');
    expect(message).toContain('max_concurrency 500 must be a whole number from 1 to 200');
    expect(message).toContain('GPU 2');
  });
});

describe('endpointTarget', () => {
  const project = (requirementsFile?: MlProject['requirementsFile']): MlProject => ({ name: 'p', dir: '/p', environment: 'python_env', requirementsFile });
  const file = (overrides: Partial<NonNullable<MlProject['requirementsFile']>>) => ({ path: '/p/resource-requirements.json', training: {}, deployment: {}, ...overrides });
  const defaults = { VCPU: 1, MEMORY: 2048 };

  it('uses the settings defaults when the project has no requirements file', () => {
    expect(endpointTarget(project(), defaults, 1)).toMatchObject({ kind: 'instance', instanceType: 'ml.t2.medium', instanceCount: 1 });
  });

  it('uses the file entries (its training needs) when it has no deployment section', () => {
    expect(deploymentRequirements(project(file({ training: { VCPU: 4, MEMORY: 16384 } })), defaults)).toEqual(asked(4, 16384));
  });

  it('prefers the deployment section over the file entries, keeping defaults for what it leaves out', () => {
    const target = endpointTarget(project(file({ training: { VCPU: 8, MEMORY: 32768, GPU: 1 }, deployment: { VCPU: 4 } })), defaults, 2);
    expect(target).toEqual({ kind: 'instance', instanceType: 'ml.c5.xlarge', instanceCount: 2, requirements: asked(4, 2048) });
  });

  it('serves serverless when the file asks for it', () => {
    expect(endpointTarget(project(file({ serverless: { memoryMiB: 4096, maxConcurrency: 10 } })), defaults, 1)).toEqual({
      kind: 'serverless',
      memoryMiB: 4096,
      maxConcurrency: 10,
    });
  });

  it('refuses serverless with a GPU from the deployment section, naming the file', () => {
    const message = messageOf(() => endpointTarget(project(file({ deployment: { GPU: 1 }, serverless: { memoryMiB: 2048, maxConcurrency: 5 } })), defaults, 1));
    expect(message).toContain('/p/resource-requirements.json (deployment.serverless)');
    expect(message).toContain('no GPUs');
  });

  it('names the file when no instance type fits', () => {
    expect(messageOf(() => endpointTarget(project(file({ deployment: { GPU: 16 } })), defaults, 1))).toMatch(/^\/p\/resource-requirements.json: no SageMaker instance type/);
  });
});
