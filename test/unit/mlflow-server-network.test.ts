import { cidrSubnet, cidrsOverlap, cidrViolations, subnetLayout, vpcResolverAddress } from '../../stacks/mlflow-server/cidr.js';
import { fargateMemoryChoices, fargateTaskSizeViolations } from '../../stacks/mlflow-server/fargate-task-size.js';

describe('cidrViolations', () => {
  it.each([
    ['10.0.0.0/16', []],
    ['10.0.0.0', ['must be an IPv4 CIDR such as 10.0.0.0/16']],
    ['10.0.300.0/16', ['has an octet above 255']],
    ['10.0.0.0/8', ['must have a prefix length from /16 to /24 (is /8)']],
    ['10.0.1.0/16', ['has host bits set: the network address of /16 is 10.0.0.0']],
    ['10.0.0.0/25', ['must have a prefix length from /16 to /24 (is /25)']],
  ])('%s → %j', (cidr, expected) => {
    expect(cidrViolations(cidr, { minPrefix: 16, maxPrefix: 24 })).toEqual(expected);
  });
});

describe('cidrSubnet (as Terraform computes it)', () => {
  it.each([
    ['10.0.0.0/16', 2, 0, '10.0.0.0/18'],
    ['10.0.0.0/16', 2, 3, '10.0.192.0/18'],
    ['10.0.0.0/16', 3, 5, '10.0.160.0/19'],
    ['172.16.0.0/24', 4, 15, '172.16.0.240/28'],
  ])('cidrsubnet(%s, %i, %i) = %s', (cidr, bits, index, expected) => {
    expect(cidrSubnet(cidr, bits, index)).toBe(expected);
  });

  it('refuses an index outside the range', () => {
    expect(() => cidrSubnet('10.0.0.0/16', 2, 4)).toThrow(/has 4 subnets of \/18; index 4 is outside/);
  });
});

describe('cidrsOverlap', () => {
  it.each([
    ['10.0.0.0/16', '10.100.0.0/22', false],
    ['10.0.0.0/16', '10.0.4.0/22', true],
    ['10.0.4.0/22', '10.0.0.0/16', true],
    ['192.168.0.0/24', '192.168.1.0/24', false],
  ])('%s and %s → %s', (a, b, expected) => {
    expect(cidrsOverlap(a, b)).toBe(expected);
  });
});

describe('subnetLayout', () => {
  it('gives private subnets the first half and public / isolated the last two quarters (2 AZs)', () => {
    expect(subnetLayout('10.0.0.0/16', 2)).toEqual({
      private: ['10.0.0.0/18', '10.0.64.0/18'],
      public: ['10.0.128.0/19', '10.0.160.0/19'],
      isolated: ['10.0.192.0/19', '10.0.224.0/19'],
    });
  });

  it('rounds the slots up to a power of two (3 AZs) without any overlap', () => {
    const layout = subnetLayout('10.0.0.0/16', 3);
    expect(layout.private).toEqual(['10.0.0.0/19', '10.0.32.0/19', '10.0.64.0/19']);
    expect(layout.public).toEqual(['10.0.128.0/20', '10.0.144.0/20', '10.0.160.0/20']);
    expect(layout.isolated).toEqual(['10.0.192.0/20', '10.0.208.0/20', '10.0.224.0/20']);
    const all = [...layout.private, ...layout.public, ...layout.isolated];
    for (const [i, a] of all.entries()) for (const b of all.slice(i + 1)) expect(cidrsOverlap(a, b)).toBe(false);
  });

  it('finds the VPC resolver at network + 2', () => {
    expect(vpcResolverAddress('10.0.0.0/16')).toBe('10.0.0.2');
    expect(vpcResolverAddress('172.31.128.0/20')).toBe('172.31.128.2');
  });
});

describe('Fargate task sizes', () => {
  it('lists the memory that goes with a CPU size', () => {
    expect(fargateMemoryChoices(256)).toEqual([512, 1024, 2048]);
    expect(fargateMemoryChoices(1024)).toEqual([2048, 3072, 4096, 5120, 6144, 7168, 8192]);
    expect(fargateMemoryChoices(300)).toEqual([]);
  });

  it.each([
    [1024, 2048, []],
    [16384, 122880, []],
    [256, 1536, ['memory=1536 MiB does not go with cpu=256: Fargate takes 512, 1024, 2048 MiB (nearest: 1024 or 2048)']],
    [1024, 1024, ['memory=1024 MiB does not go with cpu=1024: Fargate takes 2048, 3072, 4096, 5120, 6144, 7168, 8192 MiB (nearest: 2048); 1024 MiB goes with cpu 256 or 512']],
    [512, 3000, ['memory=3000 MiB does not go with cpu=512: Fargate takes 1024, 2048, 3072, 4096 MiB (nearest: 2048 or 3072)']],
    [300, 2048, ['cpu=300: Fargate takes 256, 512, 1024, 2048, 4096, 8192, 16384 CPU units']],
  ])('cpu %i with %i MiB → %j', (cpu, memory, expected) => {
    expect(fargateTaskSizeViolations(cpu, memory)).toEqual(expected);
  });
});
