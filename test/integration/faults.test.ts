import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { terraformProcessesIn } from '../../cli/effects/terraform-processes.js';
import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { sharedParameterNames } from '../../core/naming.js';
import { cliResult, expectExit, runCli, startCli, type CliResult } from '../harness/cli.js';
import { emulatorCliEnv, motoPython, motoResourceNames, startTestMoto, TEST_REGION, type TestMoto } from '../harness/moto.js';
import { requireTool, toolchainEnv } from '../harness/toolchain.js';
import { copyTestProject, fargateTrainingResources } from '../harness/training-project.js';

/**
 * Faults of issue 11 against moto and OpenTofu, on the cheapest stack there is: one project's
 * training stack, applied with `--no-wait` (no MLflow server is needed to submit a job), in one
 * emulator for the whole file. The MLflow server stack is not applied (moto lacks Client VPN): its
 * SSM parameters are written here as that stack would publish them (moto's default VPC), so the
 * training stack reads them at plan time exactly as in a real account, and deleting them stands for
 * `mlflow-server-rm` having run first.
 */
const STATE_BUCKET = 'acme-tf-state';
const STATE_KEY = 'acme/dev/training/wine.tfstate';
const LOCK_KEY = `${STATE_KEY}.tflock`;
const TRAIN = ['training-job', '--project', 'wine', '--image-build', 'skip', '--no-wait'];

const scratch: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
};

/** A lock object as tofu writes it, held by a run on another machine that started `minutesAgo`. */
const foreignLock = (minutesAgo: number) =>
  JSON.stringify({
    ID: 'f00dfeed-0000-4000-8000-000000000001',
    Operation: 'OperationTypeApply',
    Info: '',
    Who: 'ana@elsewhere',
    Version: '1.10.10',
    Created: new Date(Date.now() - minutesAgo * 60_000).toISOString(),
    Path: `${STATE_BUCKET}/${LOCK_KEY}`,
  });

/** The parameters the MLflow server stack publishes, pointing at moto's default VPC and a client security group. */
const PUBLISH_PARAMETERS = `
ec2, ssm = boto3.client('ec2', **kw), boto3.client('ssm', **kw)
names = json.loads(sys.argv[1])
vpc = ec2.describe_vpcs(Filters=[{'Name': 'isDefault', 'Values': ['true']}])['Vpcs'][0]['VpcId']
subnets = [s['SubnetId'] for s in ec2.describe_subnets(Filters=[{'Name': 'vpc-id', 'Values': [vpc]}])['Subnets']]
existing = ec2.describe_security_groups(Filters=[{'Name': 'group-name', 'Values': ['acme-dev-mlflow-clients']}])['SecurityGroups']
group = existing[0]['GroupId'] if existing else ec2.create_security_group(GroupName='acme-dev-mlflow-clients', Description='MLflow clients', VpcId=vpc)['GroupId']
values = {'trackingUri': 'https://127.0.0.1:9/', 'vpcId': vpc, 'privateSubnetIds': ','.join(subnets), 'mlflowClientSecurityGroupId': group,
          'trainingCredentialSecretArn': 'arn:aws:secretsmanager:%s:123456789012:secret:acme/dev/mlflow-server/credentials/training-jobs-AbCdEf' % kw['region_name'],
          'caCertificate': 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg=='}
for key, value in values.items():
    ssm.put_parameter(Name=names[key], Value=value, Type='StringList' if key == 'privateSubnetIds' else 'String', Overwrite=True)
`;

describe('faults: locks, interrupts and removal in any order (training stack, moto, OpenTofu)', () => {
  let moto: TestMoto;
  let s3: S3Client;
  let env: Record<string, string>;
  let settingsDir: string;
  const parameters = sharedParameterNames({ project: 'acme', envName: 'dev' });

  beforeAll(async () => {
    const tools = toolchainEnv();
    for (const tool of ['MLOPS_TERRAFORM_BIN', 'TF_CLI_CONFIG_FILE', 'MLOPS_PYTHON_BIN']) requireTool(tools, tool);
    moto = await startTestMoto({ extraEnv: { MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' } });
    await fetch(`${moto.endpoint}/moto-api/config`, { method: 'POST', body: JSON.stringify({ batch: { use_docker: false } }) });
    s3 = new S3Client({ endpoint: moto.endpoint, region: TEST_REGION, forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    await s3.send(new CreateBucketCommand({ Bucket: STATE_BUCKET, CreateBucketConfiguration: { LocationConstraint: TEST_REGION } }));
    await motoPython(moto, PUBLISH_PARAMETERS, [JSON.stringify(parameters)]);
    const projectsDir = tempDir('mlops-faults-projects-');
    copyTestProject('wine', [{ type: 'VCPU', value: '0.5' }, { type: 'MEMORY', value: '2048' }], projectsDir);
    settingsDir = tempDir('mlops-faults-settings-');
    writeFileSync(join(settingsDir, 'short-wait.json'), JSON.stringify({ terraform: { lock_wait_seconds: 12 } }));
    writeFileSync(join(settingsDir, 'long-wait.json'), JSON.stringify({ terraform: { lock_wait_seconds: 120 } }));
    env = {
      ...emulatorCliEnv(tools, moto, STATE_BUCKET),
      MLOPS_PROJECTS_DIR: projectsDir,
      MLOPS_SETTINGS_FILE: join(settingsDir, 'short-wait.json'),
      MLOPS_OUTDIR: tempDir('mlops-faults-out-'),
      MLOPS_STATE_DIR: tempDir('mlops-faults-state-'),
    };
  });

  afterAll(async () => {
    await moto?.stop();
    scratch.forEach((dir) => rmSync(dir, { recursive: true, force: true }));
  });

  const cli = (args: string[], extraEnv: Record<string, string> = {}) => runCli(args, { ...env, ...extraEnv });
  const stateObjects = async () => ((await s3.send(new ListObjectsV2Command({ Bucket: STATE_BUCKET }))).Contents ?? []).map((object) => object.Key!).sort();
  const stateBody = async (key: string) => (await s3.send(new GetObjectCommand({ Bucket: STATE_BUCKET, Key: key }))).Body!.transformToString();
  const putLock = (minutesAgo: number) => s3.send(new PutObjectCommand({ Bucket: STATE_BUCKET, Key: LOCK_KEY, Body: foreignLock(minutesAgo) }));

  it('a run that finds the stack locked counts down naming the holder, then fails naming it and the unlock command; nothing is applied', async () => {
    await putLock(2);
    const result = await cli(TRAIN);
    expectExit(result, 1);
    expect(result.stderr).toMatch(/Stack training-wine is locked by ana@elsewhere since .* UTC \(2m\d\ds ago\), for apply \(lock ID f00dfeed-0000-4000-8000-000000000001\); waiting up to 12s/);
    expect(result.stderr).toMatch(/\[1\ds\] still locked by ana@elsewhere \(apply\); \ds left/);
    expect(result.stderr).toContain('error: the Terraform state of stack training-wine is locked (waited 12s; terraform.lock_wait_seconds): held by ana@elsewhere');
    expect(result.stderr).toContain('mlops unlock --stack training-wine   (or: make unlock stack=training-wine)');
    expect(await stateObjects()).toEqual([LOCK_KEY]);
  });

  it('unlock shows the holder, refuses a young lock, breaks it with --force through tofu force-unlock, and then finds nothing to do', async () => {
    const refused = await cli(['unlock', '--stack', 'training-wine']);
    expectExit(refused, 2);
    expect(refused.stderr).toContain('is locked by ana@elsewhere');
    expect(refused.stderr).toContain('younger than terraform.unlock_min_age_minutes (60)');
    expect(await stateObjects()).toEqual([LOCK_KEY]);

    const forced = await cli(['unlock', '--stack', 'training-wine', '--force', '--json']);
    expectExit(forced, 0);
    expect(JSON.parse(forced.stdout)).toMatchObject({ stack: 'training-wine', unlocked: true, lock: { who: 'ana@elsewhere', operation: 'OperationTypeApply' } });
    expect(forced.stderr).toContain('tofu force-unlock');
    expect(await stateObjects()).toEqual([]);

    const again = await cli(['unlock', '--stack', 'training-wine']);
    expectExit(again, 0);
    expect(again.stderr).toContain('Stack training-wine is not locked');
  });

  it('a second run waits for the lock and goes on when it is released; Ctrl-C mid-apply stops tofu gracefully, releases the lock, says what was applied, exits 130', async () => {
    await putLock(0);
    const run = startCli(TRAIN, { ...env, MLOPS_SETTINGS_FILE: join(settingsDir, 'long-wait.json') });
    let stderr = '';
    let interrupted = false;
    run.stderr?.on('data', (chunk: Buffer) => {
      stderr += String(chunk);
      // The lock is released while the run waits for it; once the main apply (the second one,
      // after the image repository's) reports its first operation, Ctrl-C.
      if (stderr.includes('waiting up to 2m00s') && !stderr.includes('released')) void s3.send(new DeleteObjectCommand({ Bucket: STATE_BUCKET, Key: LOCK_KEY }));
      const mainApply = stderr.split('tofu apply …')[2];
      if (!interrupted && mainApply?.includes('Creating...')) {
        interrupted = true;
        run.kill('SIGINT');
      }
    });
    const result = cliResult(await run);
    expectExit(result, 130);
    expect(result.stderr).toContain('the lock of training-wine was released; going on');
    expect(result.stderr).toContain('SIGINT: tofu apply stops gracefully (starts nothing new, cancels what is under way), saves the state and releases the lock; waiting for it');
    expect(result.stderr).toContain('error: interrupted by SIGINT: apply of stack training-wine stopped gracefully (nothing new started, what was under way cancelled); the state lock is released.');
    // Interrupted at its first operation: the provider cancels what is under way, nothing new starts.
    expect(result.stderr).toMatch(/\nApplied \(\d+\): /);
    expect(result.stderr).toMatch(/\nNot applied \([1-9]\d*\): aws_/);
    expect(await stateObjects()).toEqual([STATE_KEY]);
  });

  /**
   * Trains until the run converges, doing what its message says: resources named as their IDs are
   * adopted by the run itself; for the others the operator looks the ID up as the message says (here
   * with boto3) and runs its import command.
   */
  async function trainFollowingAdvice(): Promise<CliResult> {
    let next = await cli(TRAIN);
    for (let attempt = 0; next.exitCode !== 0 && attempt < 2; attempt += 1) {
      const advice = [...next.stderr.matchAll(/ \((\S+)\): its import ID is not its name; .*\(cd (\S+) && \S+ import '([^']+)' <ID>\)/g)];
      if (advice.length === 0) return next;
      for (const [, name, dir, address] of advice) {
        const id = (await motoPython(moto, "print(boto3.client('ec2', **kw).describe_security_groups(Filters=[{'Name': 'group-name', 'Values': [sys.argv[1]]}])['SecurityGroups'][0]['GroupId'])", [name])).trim();
        await execa(env.MLOPS_TERRAFORM_BIN, ['import', '-no-color', address, id], { cwd: dir, env: { ...process.env, ...env } });
      }
      next = await cli(TRAIN);
    }
    return next;
  }

  it('the next run converges to what an uninterrupted run leaves, adopting what the interrupted or a killed run left unrecorded', async () => {
    // A killed run (unlike an interrupted one) can create a resource without recording it: make the
    // log group by hand, as such a run would leave it, unless the interrupted run recorded it.
    const state = JSON.parse(await stateBody(STATE_KEY)) as { resources: { type: string }[] };
    const logGroupRecorded = state.resources.some((resource) => resource.type === 'aws_cloudwatch_log_group');
    // The interrupted run may itself have made it without recording it (its create was under way).
    if (!logGroupRecorded) {
      await motoPython(
        moto,
        "logs = boto3.client('logs', **kw)\nname = '/aws/batch/acme-dev-wine-training'\nif not logs.describe_log_groups(logGroupNamePrefix=name)['logGroups']: logs.create_log_group(logGroupName=name)",
      );
    }
    // An interrupt cancels what is under way, so the interrupted run too may leave resources unrecorded,
    // or recorded before the update that follows their creation (the security group's rules): the next
    // run may change those in place, and never destroys anything.
    const next = await trainFollowingAdvice();
    expectExit(next, 0);
    expect(next.stderr).toMatch(/Plan: [1-9]\d* to add, \d+ to change, 0 to destroy\./);
    if (!logGroupRecorded) expect(next.stderr).toContain('/aws/batch/acme-dev-wine-training exists but is not in the state (a killed run made it); adopting it (import)');
    // The same resources as an uninterrupted run, the job definition made once.
    expect(await motoResourceNames(moto, 'acme-dev-wine-')).toEqual(fargateTrainingResources('acme-dev-wine', 1));
  });

  it('training-job-rm removes everything after the MLflow server is gone (its SSM parameters deleted)', async () => {
    await motoPython(moto, "boto3.client('ssm', **kw).delete_parameters(Names=json.loads(sys.argv[1]))", [
      JSON.stringify([parameters.trackingUri, parameters.vpcId, parameters.privateSubnetIds, parameters.mlflowClientSecurityGroupId, parameters.trainingCredentialSecretArn, parameters.caCertificate]),
    ]);
    const removed = await cli(['training-job-rm', '--project', 'wine', '--json']);
    expectExit(removed, 0);
    expect(JSON.parse(removed.stdout).destroyed).toBeGreaterThan(0);
    expect(await motoResourceNames(moto, 'acme-dev-wine-')).toEqual([]);
    expect(await stateObjects()).toEqual([STATE_KEY]);
  });

  it('a run killed mid-apply (SIGKILL to its process group and to tofu) leaves a stale lock: the next run names it, unlock breaks it, and the run after that converges, adopting or naming what the killed run left unrecorded', async () => {
    await motoPython(moto, PUBLISH_PARAMETERS, [JSON.stringify(parameters)]); // the MLflow server is back
    const stackDir = join(env.MLOPS_OUTDIR, 'stacks', 'training-wine');
    const run = startCli(TRAIN, env, { detached: true });
    let stderr = '';
    let killed = false;
    run.stderr?.on('data', (chunk: Buffer) => {
      stderr += String(chunk);
      if (killed || !stderr.split('tofu apply …')[2]?.includes('Creating...')) return;
      killed = true;
      // What a closed laptop or a cancelled CI runner does: every process, no chance to clean up.
      void terraformProcessesIn(stackDir).then((pids) => {
        for (const pid of [run.pid!, ...(pids ?? [])]) {
          try {
            process.kill(-pid, 'SIGKILL');
          } catch {
            // not a group leader (a provider plugin), or gone
          }
        }
      });
    });
    const killedRun = await run;
    expect(killedRun.signal).toBe('SIGKILL');
    expect(await stateObjects()).toContain(LOCK_KEY);

    const blocked = await cli(TRAIN);
    expectExit(blocked, 1);
    expect(blocked.stderr).toContain(`is locked (waited 12s; terraform.lock_wait_seconds): held by ${userInfo().username}@${hostname()}`);
    expect(blocked.stderr).toContain('mlops unlock --stack training-wine');
    const refused = await cli(['unlock', '--stack', 'training-wine']);
    expectExit(refused, 2);
    expect(refused.stderr).toContain('younger than terraform.unlock_min_age_minutes');
    expectExit(await cli(['unlock', '--stack', 'training-wine', '--force']), 0);
    expect(await stateObjects()).not.toContain(LOCK_KEY);

    const next = await trainFollowingAdvice();
    expectExit(next, 0);
    const withoutDefinitions = (names: string[]) => names.filter((name) => !name.startsWith('job-definition'));
    expect(withoutDefinitions(await motoResourceNames(moto, 'acme-dev-wine-'))).toEqual(withoutDefinitions(fargateTrainingResources('acme-dev-wine', 0)));
  });
});
