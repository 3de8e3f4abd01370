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
    [[{ type: 'VCPU', value: 'two' }], 'entry 0 (VCPU): value "two" is not a plain decimal number'],
    [[{ type: 'MEMORY', value: '100' }], 'entry 0 (MEMORY): value 100 is out of range 512'],
    [[{ type: 'GPU', value: '0.5' }], 'entry 0 (GPU): value 0.5 must be a whole number of GPUs'],
    [[{ type: 'VCPU', value: '1' }, { type: 'VCPU', value: '2' }], 'entry 1: duplicate type VCPU'],
    [[{ type: 'VCPU' }], 'entry 0: must be {"type"'],
  ])('reports %j as "%s"', (entries, expected) => {
    expect(parseRequirementEntries(entries).violations.join('\n')).toContain(expected);
  });

  // Number() reads all of these, and would turn "0x10" into 16 vCPUs and "1e3" into 1000.
  it.each(['0x10', '1e3', ' 2 ', '+2', '.5', '2.', 'Infinity', '0b11', '1_000', ''])('refuses the value "%s" and names the allowed form', (value) => {
    expect(parseRequirementEntries([{ type: 'VCPU', value }]).violations).toEqual([
      `entry 0 (VCPU): value "${value}" is not a plain decimal number: digits, optionally a point and more digits, such as 2, 0.5 or 4096`,
    ]);
  });

  it('refuses more entries than there are types in one violation, however many there are', () => {
    const entries = Array.from({ length: 374_000 }, () => ({ type: 'VCPU', value: '1' }));
    expect(parseRequirementEntries(entries)).toEqual({ values: {}, violations: ['has 374000 entries; at most 3, one per type (VCPU, MEMORY, GPU)'] });
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
