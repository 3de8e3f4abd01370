import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';
import { MlopsStack, AWS_PROVIDER_CONSTRAINT } from '../../stacks/common/mlops-stack.js';
import { parseSettings } from '../../core/settings/parse.js';
import { synthesize } from '../../cli/synth.js';

const environment = { stateBucket: 'acme-tf-state', region: 'eu-west-1', project: 'acme', envName: 'dev' };

describe('MlopsStack', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'mlops-synth-'));
  const [dir] = synthesize(
    (app) => {
      const stack = new MlopsStack(app, 'probe', { environment, settings: parseSettings('{}', 'inline'), stateKey: 'acme/dev/probe.tfstate', stackTag: 'probe' });
      new IamRole(stack, 'some-role', { name: 'acme-dev-probe', assumeRolePolicy: '{}' });
      return [stack];
    },
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

  it("gives every IAM role, whichever construct made it, the environment's permissions boundary", () => {
    const role = config.resource.aws_iam_role['some-role'];
    const partition = Object.keys(config.data.aws_partition)[0];
    const account = Object.keys(config.data.aws_caller_identity)[0];
    expect(role.permissions_boundary).toBe(
      `arn:\${data.aws_partition.${partition}.partition}:iam::\${data.aws_caller_identity.${account}.account_id}:policy/mlops-boundary/acme-dev`,
    );
  });
});
