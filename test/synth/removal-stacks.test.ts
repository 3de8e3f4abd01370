import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { App, TerraformStack } from 'cdktf';
import { buildDeploymentStack, buildDeploymentStackForRemoval } from '../../cli/builders/deployment.js';
import { buildTrainingStack, buildTrainingStackForRemoval } from '../../cli/builders/training.js';
import { loadMlProject } from '../../cli/ml-project.js';
import { synthesize } from '../../cli/synth.js';
import { parseSettings } from '../../core/settings/parse.js';

const environment = { stateBucket: 'acme-tf-state', region: 'eu-west-1', project: 'acme', envName: 'dev' };
// The defaults: no tracking_uri, so the stacks take the MLflow server stack's SSM parameters.
const config = { environment, settings: parseSettings('{}', 'settings.json') };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function synth(build: (app: App) => TerraformStack): Record<string, any> {
  const outdir = mkdtempSync(join(tmpdir(), 'mlops-synth-removal-'));
  try {
    const [dir] = synthesize((app) => [build(app)], outdir);
    return JSON.parse(readFileSync(join(dir, 'cdk.tf.json'), 'utf8'));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * `training-job-rm`, `deployment-job-rm` and `unlock` synthesize a stack by its project's name alone
 * that reads nothing at plan time: after `mlflow-server-rm` the server's SSM parameters are gone,
 * and a data source reading them would fail the destroy. Destroy works from the state, so the
 * removal variant needs only the same backend and provider.
 */
describe.each([
  ['training', (app: App) => buildTrainingStack(app, config, loadMlProject('test-project')), (app: App) => buildTrainingStackForRemoval(app, config, 'test-project')],
  ['deployment', (app: App) => buildDeploymentStack(app, config, loadMlProject('test-project'), '1'), (app: App) => buildDeploymentStackForRemoval(app, config, 'test-project')],
])('the %s stack for removal', (_kind, build, buildForRemoval) => {
  const applied = synth(build);
  const removal = synth(buildForRemoval);

  it('reads the MLflow server stack’s SSM parameters when applied, and none for removal', () => {
    expect(Object.keys(applied.data.aws_ssm_parameter ?? {}).length).toBeGreaterThan(0);
    expect(removal.data?.aws_ssm_parameter).toBeUndefined();
    expect(removal.data?.aws_vpc).toBeUndefined();
    expect(removal.data?.aws_subnets).toBeUndefined();
  });

  it('has the same state and provider as the applied stack', () => {
    expect(removal.terraform.backend).toEqual(applied.terraform.backend);
    expect(removal.provider).toEqual(applied.provider);
  });
});
