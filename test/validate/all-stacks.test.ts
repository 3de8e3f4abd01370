import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listMlProjects } from '../../cli/ml-project.js';
import { runCli } from '../harness/cli.js';
import { validateStack } from '../harness/validate.js';

const environment = {
  TF_VAR_state_bucket_name: 'acme-terraform-state',
  TF_VAR_region: 'eu-west-1',
  TF_VAR_project: 'acme',
  TF_VAR_env_name: 'dev',
};

/** `mlops synth` writes every stack, and every one passes `tofu validate` against the offline provider. */
describe('every synthesized stack', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'mlops-validate-'));
  let stackIds: string[] = [];

  beforeAll(async () => {
    const result = await runCli(['synth', '--json'], { ...environment, MLOPS_OUTDIR: outdir });
    expect(result.exitCode).toBe(0);
    stackIds = readdirSync(join(outdir, 'stacks')).sort();
  });

  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('includes the MLflow server and a training and deployment stack per ML project', () => {
    const projects = listMlProjects();
    expect(projects.length).toBeGreaterThan(0);
    expect(stackIds).toEqual(['mlflow-server', ...projects.map((p) => `deployment-${p}`), ...projects.map((p) => `training-${p}`)].sort());
  });

  it('passes tofu validate, stack by stack', async () => {
    for (const id of stackIds) {
      const result = await validateStack(join(outdir, 'stacks', id));
      expect({ id, ...result }).toEqual({ id, valid: true, diagnostics: expect.not.arrayContaining([expect.stringMatching(/^error/)]) });
    }
  });
});
