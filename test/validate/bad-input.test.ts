import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../harness/cli.js';
import { VALID_MLPROJECT } from '../harness/mlproject-fixture.js';

const environment = { TF_VAR_state_bucket_name: 'acme-terraform-state', TF_VAR_region: 'eu-west-1', TF_VAR_project: 'acme', TF_VAR_env_name: 'dev' };

/** Input the CLI reads from an ML project's folder ends in exit 2 and a message naming the file, never a crash. */
describe('mlops synth with a hostile resource-requirements.json', () => {
  const root = mkdtempSync(join(tmpdir(), 'mlops-bad-input-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('refuses a 10 MB file of 374k entries with exit 2, naming the file (it once crashed with exit 70)', async () => {
    mkdirSync(join(root, 'projects', 'wine'), { recursive: true });
    writeFileSync(join(root, 'projects', 'wine', 'MLproject'), VALID_MLPROJECT);
    const file = join(root, 'projects', 'wine', 'resource-requirements.json');
    writeFileSync(file, JSON.stringify(Array.from({ length: 374_000 }, () => ({ type: 'VCPU', value: '1' }))));
    const result = await runCli(['synth'], { ...environment, MLOPS_PROJECTS_DIR: join(root, 'projects'), MLOPS_OUTDIR: join(root, 'out') });
    expect({ exitCode: result.exitCode, stderr: result.stderr }).toEqual({ exitCode: 2, stderr: expect.stringContaining(`${file} is `) });
    expect(result.stderr).not.toMatch(/RangeError|\n\s+at /);
  });
});
