import { describe, expect, it } from '@jest/globals';
import { usageErrorMessage } from '../harness/usage-error.js';
import {
  ECS_GPU_IMAGE_TYPE,
  FARGATE_PAIRS,
  describePlacement,
  isFargatePair,
  nearestFargatePairs,
  toBatchPlacement,
  type PlacementOptions,
} from '../../core/training/placement.js';

const options: PlacementOptions = { fargateSpot: false, gpuInstanceTypes: ['g4dn', 'g5'], maxVcpus: 16, source: 'ml-projects/x/resource-requirements.json' };
const req = (vcpus: number, memoryMiB: number, gpus = 0) => ({ vcpus, memoryMiB, gpus });

describe('Fargate sizes', () => {
  it.each([
    [0.25, [512, 1024, 2048]],
    [0.5, [1024, 2048, 3072, 4096]],
    [1, [2048, 3072, 4096, 5120, 6144, 7168, 8192]],
  ])('%s vCPU accepts exactly %j MiB', (vcpus, memory) => {
    expect(FARGATE_PAIRS.filter((pair) => pair.vcpus === vcpus).map((pair) => pair.memoryMiB)).toEqual(memory);
  });

  it.each([
    [2, 4096, 16384, 13],
    [4, 8192, 30720, 23],
    [8, 16384, 61440, 12],
    [16, 32768, 122880, 12],
  ])('%s vCPU accepts %s to %s MiB (%s sizes)', (vcpus, from, to, count) => {
    const memory = FARGATE_PAIRS.filter((pair) => pair.vcpus === vcpus).map((pair) => pair.memoryMiB);
    expect(memory[0]).toBe(from);
    expect(memory[memory.length - 1]).toBe(to);
    expect(memory).toHaveLength(count);
  });

  it.each([
    [0.25, 1536, false],
    [8, 20480, true],
    [8, 18432, false],
    [16, 40960, true],
    [16, 36864, false],
    [3, 8192, false],
  ])('%s vCPU with %s MiB valid: %s', (vcpus, memory, valid) => {
    expect(isFargatePair(vcpus, memory)).toBe(valid);
  });
});

describe('toBatchPlacement', () => {
  it.each([
    [req(1, 2048), { kind: 'fargate', spot: false, vcpus: 1, memoryMiB: 2048 }],
    [req(0.25, 512), { kind: 'fargate', spot: false, vcpus: 0.25, memoryMiB: 512 }],
    [req(16, 122880), { kind: 'fargate', spot: false, vcpus: 16, memoryMiB: 122880 }],
  ])('puts CPU-only %j on Fargate', (requirements, placement) => {
    expect(toBatchPlacement(requirements, options)).toEqual(placement);
  });

  it('puts CPU-only jobs on Fargate Spot when the setting asks for it', () => {
    expect(toBatchPlacement(req(2, 4096), { ...options, fargateSpot: true })).toMatchObject({ kind: 'fargate', spot: true });
  });

  it('puts a job with a GPU on EC2 GPU instances with the ECS GPU AMI, whatever Fargate would say of its memory', () => {
    expect(toBatchPlacement(req(4, 15000, 1), options)).toEqual({
      kind: 'ec2-gpu',
      vcpus: 4,
      memoryMiB: 15000,
      gpus: 1,
      instanceTypes: ['g4dn', 'g5'],
      imageType: ECS_GPU_IMAGE_TYPE,
    });
  });

  it('refuses 1 vCPU with 512 MiB on Fargate and suggests 2048 first', () => {
    const message = usageErrorMessage(() => toBatchPlacement(req(1, 512), options));
    expect(message).toContain('ml-projects/x/resource-requirements.json');
    expect(message).toContain('1 vCPU with 512 MiB is not a Fargate size');
    expect(message).toContain('with 1 vCPU Fargate takes 2048–8192 in steps of 1024 MiB');
    expect(message).toMatch(/Nearest valid: 1 vCPU with 2048 MiB/);
  });

  it('refuses 3 vCPU and names the vCPU values Fargate takes', () => {
    const message = usageErrorMessage(() => toBatchPlacement(req(3, 8192), options));
    expect(message).toContain('Fargate takes 0.25, 0.5, 1, 2, 4, 8, 16 vCPUs');
    expect(message).toContain('Nearest valid: 4 vCPU with 8192 MiB');
  });

  it('refuses more vCPUs than the compute environment may have, naming the setting', () => {
    const message = usageErrorMessage(() => toBatchPlacement(req(16, 32768), { ...options, maxVcpus: 8 }));
    expect(message).toContain('settings training.max_vcpus');
  });

  it('refuses GPUs when no GPU instance type is configured, and more GPUs than an instance has, at once', () => {
    const message = usageErrorMessage(() => toBatchPlacement(req(4, 16384, 9), { ...options, gpuInstanceTypes: [] }));
    expect(message).toContain('9 GPUs');
    expect(message).toContain('gpu_instance_types is empty');
  });

  it('refuses fractional vCPUs for GPU jobs', () => {
    expect(usageErrorMessage(() => toBatchPlacement(req(0.5, 4096, 1), options))).toContain('whole vCPUs');
  });
});

describe('nearestFargatePairs', () => {
  it.each([
    [1, 512, [{ vcpus: 1, memoryMiB: 2048 }]],
    [0.25, 4096, [{ vcpus: 0.5, memoryMiB: 4096 }]],
    [16, 200000, [{ vcpus: 16, memoryMiB: 122880 }]],
    [8, 18000, [{ vcpus: 8, memoryMiB: 20480 }]],
  ])('for %s vCPU with %s MiB starts with %j', (vcpus, memory, first) => {
    const pairs = nearestFargatePairs(vcpus, memory);
    expect(pairs.slice(0, first.length)).toEqual(first);
    expect(pairs).toHaveLength(3);
    for (const pair of pairs) expect(isFargatePair(pair.vcpus, pair.memoryMiB)).toBe(true);
  });
});

describe('describePlacement', () => {
  it('says Fargate Spot or the GPU families', () => {
    expect(describePlacement({ kind: 'fargate', spot: true, vcpus: 1, memoryMiB: 2048 })).toBe('Fargate Spot (1 vCPU, 2048 MiB)');
    expect(describePlacement(toBatchPlacement(req(4, 16384, 1), options))).toContain('g4dn, g5');
  });
});
