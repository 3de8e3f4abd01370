import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { execa } from 'execa';
import { emulatorOverrides } from '../../cli/effects/terraform.js';
import { repoRoot } from '../../cli/paths.js';
import { runCli } from '../harness/cli.js';
import { startTestMoto, TEST_REGION, type TestMoto } from '../harness/moto.js';
import { requireTool, toolchainEnv } from '../harness/toolchain.js';

const ENVIRONMENT = { TF_VAR_state_bucket_name: 'acme-terraform-state', TF_VAR_region: TEST_REGION, TF_VAR_project: 'acme', TF_VAR_env_name: 'dev' };

/** cdktf-cli 0.21 (a dev dependency), run from the repository root as a CDKTF user runs it. */
const cdktf = (args: string[], env: Record<string, string>) =>
  execa(join(repoRoot, 'node_modules', '.bin', 'cdktf'), args, {
    cwd: repoRoot,
    // The TF_VAR_* variables are set as a user has them; cdktf-cli removes them from its app's environment.
    env: { ...ENVIRONMENT, ...env, CHECKPOINT_DISABLE: '1', CI: 'true', FORCE_COLOR: '0' },
    reject: false,
    all: true,
    timeout: 10 * 60_000,
  });

const stackFiles = (outdir: string) =>
  Object.fromEntries(readdirSync(join(outdir, 'stacks')).map((stack) => [stack, readFileSync(join(outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8')]));

/**
 * cdktf.json works with cdktf-cli: `mlops synth` records the environment (cdktf-cli removes every
 * TF_VAR_* variable from its app's environment), `cdktf synth` writes the same Terraform JSON as
 * `mlops synth`, and `cdktf diff <stack>` plans a stack (here against the emulator's state bucket).
 */
describe('cdktf.json with cdktf-cli', () => {
  const work = mkdtempSync(join(tmpdir(), 'mlops-cdktf-'));
  const stateDir = join(work, 'state');
  const settingsFile = join(work, 'settings.json');
  let moto: TestMoto;

  beforeAll(async () => {
    // A tracking URI in the settings: the training stack then needs no MLflow server stack to plan.
    writeFileSync(settingsFile, JSON.stringify({ tracking_uri: 'http://mlflow.example:5000' }));
    moto = await startTestMoto();
  }, 120_000);

  afterAll(async () => {
    await moto?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("cdktf synth writes exactly mlops synth's stacks, for the environment mlops synth recorded", async () => {
    const mlopsOut = join(work, 'mlops.out');
    const synth = await runCli(['synth'], { ...ENVIRONMENT, MLOPS_STATE_DIR: stateDir, MLOPS_SETTINGS_FILE: settingsFile, MLOPS_OUTDIR: mlopsOut });
    expect(synth.exitCode).toBe(0);

    const cdktfOut = join(work, 'cdktf.out');
    const result = await cdktf(['synth', '--output', cdktfOut], { MLOPS_STATE_DIR: stateDir, MLOPS_SETTINGS_FILE: settingsFile });
    expect(result.all).not.toContain('TF_VAR_state_bucket_name is not set');
    expect(result.exitCode).toBe(0);
    expect(Object.keys(stackFiles(cdktfOut)).sort()).toEqual(['deployment-test-project', 'mlflow-server', 'training-test-project']);
    expect(stackFiles(cdktfOut)).toEqual(stackFiles(mlopsOut));
  });

  it('without a recorded environment, cdktf synth says to run make synth first', async () => {
    const result = await cdktf(['synth', '--output', join(work, 'unrecorded.out')], { MLOPS_STATE_DIR: join(work, 'empty-state') });
    expect(result.exitCode).not.toBe(0);
    expect(result.all).toContain('cdktf-cli removes TF_VAR_* variables from its app');
    expect(result.all).toContain('run `make synth` once with them set');
  });

  it('cdktf diff <stack> plans the stack against its S3 state', async () => {
    const tools = toolchainEnv();
    requireTool(tools, 'MLOPS_TERRAFORM_BIN');
    await new S3Client({ endpoint: moto.endpoint, region: TEST_REGION, forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } }).send(
      new CreateBucketCommand({ Bucket: ENVIRONMENT.TF_VAR_state_bucket_name, CreateBucketConfiguration: { LocationConstraint: TEST_REGION } }),
    );
    // What `mlops` passes to `init` for an emulator, given the way cdktf-cli lets it through: TF_CLI_ARGS_init.
    const backendFile = join(work, 'emulator.s3.tfbackend');
    writeFileSync(backendFile, emulatorOverrides({}, moto.endpoint).backend);
    const result = await cdktf(['diff', 'training-test-project', '--skip-provider-lock', '--output', join(work, 'diff.out')], {
      ...moto.env,
      TF_CLI_CONFIG_FILE: tools.TF_CLI_CONFIG_FILE,
      TERRAFORM_BINARY_NAME: tools.MLOPS_TERRAFORM_BIN,
      TF_CLI_ARGS_init: `-backend-config=${backendFile}`,
      MLOPS_STATE_DIR: stateDir,
      MLOPS_SETTINGS_FILE: settingsFile,
    });
    expect(result.exitCode).toBe(0);
    expect(result.all).toMatch(/Plan: \d+ to add, 0 to change, 0 to destroy/);
    expect(result.all).toMatch(/job_queue\s+= "acme-dev-test-project-training"/);
  });
});
