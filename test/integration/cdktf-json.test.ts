import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../cli/paths.js';
import { runCli } from '../harness/cli.js';

/** cdktf.json is usable by cdktf-cli: its app synthesizes every stack into the folder cdktf-cli names. */
describe('cdktf.json', () => {
  const config = JSON.parse(readFileSync(join(repoRoot, 'cdktf.json'), 'utf8'));

  it('declares a TypeScript app whose command runs the CLI synth', () => {
    expect(config).toMatchObject({ language: 'typescript', output: 'cdktf.out' });
    expect(config.app).toMatch(/node dist\/cli\/main\.js synth$/);
  });

  it('synthesizes into CDKTF_OUTDIR, with the manifest cdktf-cli reads', async () => {
    const outdir = mkdtempSync(join(tmpdir(), 'mlops-cdktf-'));
    try {
      const result = await runCli(['synth'], {
        CDKTF_OUTDIR: outdir,
        TF_VAR_state_bucket_name: 'acme-terraform-state',
        TF_VAR_region: 'eu-west-1',
        TF_VAR_project: 'acme',
        TF_VAR_env_name: 'dev',
      });
      expect(result.exitCode).toBe(0);
      const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8'));
      expect(Object.keys(manifest.stacks)).toContain('mlflow-server');
      expect(existsSync(join(outdir, 'stacks', 'mlflow-server', 'cdk.tf.json'))).toBe(true);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
