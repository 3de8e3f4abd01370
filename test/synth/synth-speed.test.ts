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

/**
 * One stack is synthesized in-process in well under a second of work once the modules are loaded.
 * Work is CPU time (user + system), not wall time: the figure holds on a machine busy with other runs.
 */
describe.each([
  ['mlflow-server', (app: never) => buildMlflowServerStack(app, config)],
  ['training', (app: never) => buildTrainingStack(app, config, project)],
  ['deployment', (app: never) => buildDeploymentStack(app, config, project, '1')],
])('the %s stack', (_name, build) => {
  it('synthesizes in under 500 ms of CPU time', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'mlops-speed-'));
    try {
      synthesize((app) => [build(app as never)], outdir);
      const started = process.cpuUsage();
      synthesize((app) => [build(app as never)], outdir);
      const used = process.cpuUsage(started);
      expect((used.user + used.system) / 1000).toBeLessThan(500);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
