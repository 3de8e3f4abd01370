import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MlopsStack, AWS_PROVIDER_CONSTRAINT } from '../../stacks/common/mlops-stack.js';
import { parseSettings } from '../../core/settings/parse.js';
import { synthesize } from '../../cli/synth.js';

const environment = { stateBucket: 'acme-tf-state', region: 'eu-west-1', project: 'acme', envName: 'dev' };

describe('MlopsStack', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'mlops-synth-'));
  const [dir] = synthesize(
    (app) => [new MlopsStack(app, 'probe', { environment, settings: parseSettings('{}', 'inline'), stateKey: 'acme/dev/probe.tfstate', stackTag: 'probe' })],
    outdir,
  );
  const config = JSON.parse(readFileSync(join(dir, 'cdk.tf.json'), 'utf8'));

  it('keeps its state in its own key of the state bucket, encrypted, with S3-native locking', () => {
    expect(config.terraform.backend.s3).toEqual({
      bucket: 'acme-tf-state',
      key: 'acme/dev/probe.tfstate',
      region: 'eu-west-1',
      encrypt: true,
      use_lockfile: true,
    });
  });

  it('accepts hashicorp/aws from 6.25.0 up to the next major', () => {
    expect(config.terraform.required_providers.aws.version).toBe(AWS_PROVIDER_CONSTRAINT);
    expect(AWS_PROVIDER_CONSTRAINT).toBe('>= 6.25.0, < 7.0.0');
  });

  it('tags every resource with project, environment and stack', () => {
    expect(config.provider.aws[0]).toEqual({
      region: 'eu-west-1',
      default_tags: [{ tags: { project: 'acme', environment: 'dev', stack: 'probe', 'managed-by': 'lean-mlops' } }],
    });
  });
});
