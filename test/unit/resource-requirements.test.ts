import { mergeRequirements, parseRequirementEntries, toBatchResourceRequirements } from '../../core/settings/resource-requirements.js';

describe('parseRequirementEntries', () => {
  it('parses VCPU, MEMORY and GPU given as strings or numbers', () => {
    const parsed = parseRequirementEntries([
      { type: 'VCPU', value: '2' },
      { type: 'MEMORY', value: 4096 },
      { type: 'GPU', value: '1' },
    ]);
    expect(parsed).toEqual({ values: { VCPU: 2, MEMORY: 4096, GPU: 1 }, violations: [] });
  });

  it.each([
    [[{ type: 'CPU', value: '2' }], 'entry 0: unknown type "CPU"; allowed: VCPU, MEMORY, GPU'],
    [[{ type: 'VCPU', value: 'two' }], 'entry 0 (VCPU): value "two" is not a number'],
    [[{ type: 'MEMORY', value: '100' }], 'entry 0 (MEMORY): value 100 is out of range 512'],
    [[{ type: 'GPU', value: '0.5' }], 'entry 0 (GPU): value 0.5 must be a whole number of GPUs'],
    [[{ type: 'VCPU', value: '1' }, { type: 'VCPU', value: '2' }], 'entry 1: duplicate type VCPU'],
    [[{ type: 'VCPU' }], 'entry 0: must be {"type"'],
  ])('reports %j as "%s"', (entries, expected) => {
    expect(parseRequirementEntries(entries).violations.join('\n')).toContain(expected);
  });

  it('collects every violation rather than stopping at the first', () => {
    const { violations } = parseRequirementEntries([
      { type: 'CPU', value: '1' },
      { type: 'MEMORY', value: 'lots' },
    ]);
    expect(violations).toHaveLength(2);
  });
});

describe('mergeRequirements', () => {
  it('keeps a default for every type the project leaves out', () => {
    expect(mergeRequirements({ VCPU: 1, MEMORY: 2048 }, { MEMORY: 8192 })).toEqual({ vcpus: 1, memoryMiB: 8192, gpus: 0 });
  });

  it('turns requirements back into the Batch shape, GPU only when asked', () => {
    expect(toBatchResourceRequirements({ vcpus: 2, memoryMiB: 4096, gpus: 0 })).toEqual([
      { type: 'VCPU', value: '2' },
      { type: 'MEMORY', value: '4096' },
    ]);
    expect(toBatchResourceRequirements({ vcpus: 4, memoryMiB: 16384, gpus: 1 })).toContainEqual({ type: 'GPU', value: '1' });
  });
});
