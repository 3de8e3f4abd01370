import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildMlflowServerStack } from '../../cli/builders/mlflow-server.js';
import { parseSettings } from '../../core/settings/parse.js';
import { synthesize } from '../../cli/synth.js';
import { validateStack } from '../harness/validate.js';

const environment = { stateBucket: 'acme-tf-state', region: 'eu-west-1', project: 'acme-ml', envName: 'dev' };
const outdirs: string[] = [];
afterAll(() => outdirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function synthesizeWith(mlflowServer: Record<string, unknown>): string {
  const outdir = mkdtempSync(join(tmpdir(), 'mlops-validate-mlflow-'));
  outdirs.push(outdir);
  const settings = parseSettings(JSON.stringify({ mlflow_server: mlflowServer }), 'settings.json');
  return synthesize((app) => [buildMlflowServerStack(app, { environment, settings })], outdir)[0];
}

describe('MLflow server stack against the AWS provider schema (tofu validate, offline mirror)', () => {
  it('validates with the defaults: PostgreSQL, Client VPN with mutual TLS', async () => {
    const result = await validateStack(synthesizeWith({}));
    expect(result.diagnostics).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('validates with MySQL, three AZs, a NAT gateway per AZ and the VPN off', async () => {
    const result = await validateStack(
      synthesizeWith({ db_engine: 'mysql', availability_zones: 3, nat_gateway_per_az: true, vpn: { enabled: false }, allowed_cidrs: ['192.168.0.0/16'] }),
    );
    expect(result.diagnostics).toEqual([]);
    expect(result.valid).toBe(true);
  });
});
