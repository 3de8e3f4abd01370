import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDeploymentStack } from '../../cli/builders/deployment.js';
import { buildMlflowServerStack } from '../../cli/builders/mlflow-server.js';
import { buildTrainingStack } from '../../cli/builders/training.js';
import { loadMlProject } from '../../cli/ml-project.js';
import { loadSettings } from '../../cli/settings/load.js';
import { synthesize } from '../../cli/synth.js';

const config = {
  environment: { stateBucket: 'acme-tf-state', region: 'eu-west-1', project: 'acme', envName: 'dev' },
  settings: loadSettings(),
};
const project = loadMlProject('test-project');

/** One stack is synthesized in-process, well under a second of work once the modules are loaded. */
describe.each([
  ['mlflow-server', (app: never) => buildMlflowServerStack(app, config)],
  ['training', (app: never) => buildTrainingStack(app, config, project)],
  ['deployment', (app: never) => buildDeploymentStack(app, config, project, '1')],
])('the %s stack', (_name, build) => {
  it('synthesizes in under 500 ms', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'mlops-speed-'));
    try {
      synthesize((app) => [build(app as never)], outdir);
      const started = performance.now();
      synthesize((app) => [build(app as never)], outdir);
      expect(performance.now() - started).toBeLessThan(500);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
