import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDeploymentStack } from '../../cli/builders/deployment.js';
import type { MlProject } from '../../core/ml-project.js';
import { parseSettings } from '../../core/settings/parse.js';
import { synthesize } from '../../cli/synth.js';
import { validateStack } from '../harness/validate.js';

const environment = { stateBucket: 'acme-tf-state', region: 'eu-west-1', project: 'acme', envName: 'dev' };
const project: MlProject = { name: 'churn', dir: '/p/churn', environment: 'python_env' };
const serverless: MlProject = {
  ...project,
  requirementsFile: { path: '/p/churn/resource-requirements.json', training: {}, deployment: {}, serverless: { memoryMiB: 3072, maxConcurrency: 10 } },
};

/**
 * `tofu validate` with the offline hashicorp/aws provider: each shape of the deployment stack is
 * accepted by the provider's schema (attribute names, types, blocks, the blue/green policy).
 */
describe('deployment stack passes tofu validate', () => {
  it.each([
    // Every row has all four values: jest takes a test function with more parameters than the row for one awaiting `done`.
    ['instances in the MLflow server stack’s private subnets, with data capture', project, {}, null],
    ['serverless, no capture, no VPC', serverless, {}, null],
    ['own tracking server: own bucket, VPC of the settings with every subnet', project, { tracking_uri: 'https://mlflow.example.com', deployment: { vpc_id: 'vpc-0abc' } }, null],
    ['instances with a shadow version beside the served one', project, {}, '8'],
  ])('%s', async (_label, mlProject, settings, shadowVersion: string | null) => {
    const outdir = mkdtempSync(join(tmpdir(), 'mlops-validate-deployment-'));
    const release = (version: string) => ({
      imageTag: `v${version}-0123456789abcdef`,
      record: { mlProject: 'churn', modelVersion: version, runId: 'r', modelMetrics: { accuracy: 0.9 }, features: ['a'], featureStatistics: null, servingInputExample: null },
    });
    const shadow = shadowVersion ? { modelVersion: shadowVersion, release: release(shadowVersion) } : undefined;
    const [dir] = synthesize(
      (app) => [buildDeploymentStack(app, { environment, settings: parseSettings(JSON.stringify(settings), 'settings.json') }, mlProject, '7', release('7'), undefined, shadow)],
      outdir,
    );
    const result = await validateStack(dir);
    expect(result.diagnostics.filter((diagnostic) => diagnostic.startsWith('error'))).toEqual([]);
    expect(result.valid).toBe(true);
  });
});
