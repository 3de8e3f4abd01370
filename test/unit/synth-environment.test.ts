import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSynthEnvironment, recordedEnvironmentFile } from '../../cli/settings/load.js';
import { usageErrorMessage } from '../harness/usage-error.js';

const VARIABLES = { TF_VAR_state_bucket_name: 'acme-state', TF_VAR_region: 'eu-west-1', TF_VAR_project: 'acme', TF_VAR_env_name: 'dev' };

describe('readSynthEnvironment (cdktf-cli removes TF_VAR_* from its app)', () => {
  const previous = process.env.MLOPS_STATE_DIR;
  beforeEach(() => {
    process.env.MLOPS_STATE_DIR = mkdtempSync(join(tmpdir(), 'mlops-synth-env-'));
  });
  afterAll(() => {
    if (previous === undefined) delete process.env.MLOPS_STATE_DIR;
    else process.env.MLOPS_STATE_DIR = previous;
  });

  it('records the TF_VAR_* environment it synthesizes for, and reads it back when none is set, saying so', () => {
    const notes: string[] = [];
    expect(readSynthEnvironment({ ...VARIABLES }, (note) => notes.push(note))).toEqual({ stateBucket: 'acme-state', region: 'eu-west-1', project: 'acme', envName: 'dev' });
    expect(JSON.parse(readFileSync(recordedEnvironmentFile(), 'utf8'))).toEqual(VARIABLES);
    expect(notes).toEqual([]);
    expect(readSynthEnvironment({}, (note) => notes.push(note))).toMatchObject({ project: 'acme', envName: 'dev' });
    expect(notes[0]).toContain('synthesizing for acme-dev in eu-west-1, recorded in');
  });

  it('never falls back when some TF_VAR_* is set: a missing one is named', () => {
    readSynthEnvironment({ ...VARIABLES }, () => {});
    const message = usageErrorMessage(() => readSynthEnvironment({ TF_VAR_project: 'acme' }, () => {}));
    expect(message).toContain('TF_VAR_state_bucket_name is not set');
    expect(message).not.toContain('cdktf-cli');
  });

  it('without TF_VAR_* or a record, says how to make one, and writes nothing', () => {
    expect(usageErrorMessage(() => readSynthEnvironment({}, () => {}))).toContain('run `make synth` once with them set');
    expect(existsSync(recordedEnvironmentFile())).toBe(false);
  });

  it('checks a recorded file like the variables themselves', () => {
    writeFileSync(recordedEnvironmentFile(), JSON.stringify({ ...VARIABLES, TF_VAR_env_name: 'Dev_1' }));
    const message = usageErrorMessage(() => readSynthEnvironment({}, () => {}));
    expect(message).toContain(`${recordedEnvironmentFile()} (recorded by \`make synth\`)`);
    expect(message).toContain('TF_VAR_env_name="Dev_1"');
  });
});
