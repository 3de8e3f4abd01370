import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { execa } from 'execa';
import { repoRoot } from '../../cli/paths.js';
import { mlflowCredentialSecretNames, mlflowLoadBalancerCertificateParameterName, sharedParameterNames } from '../../core/naming.js';
import { runCli } from '../harness/cli.js';
import { motoPython, TEST_REGION, type TestMoto } from '../harness/moto.js';
import { privateKeysInStates, startMotoWithStateBucket } from './mlflow-server-setup.js';

/**
 * `mlops mlflow-server` / `mlflow-server-rm` end to end against moto, with OpenTofu and the offline
 * AWS provider, through the built CLI (`npx tsc -p .` first).
 *
 * What the emulator cannot do, and how this test deals with it:
 * - moto has no Client VPN: the settings switch the VPN off (its resources are proven by the synth
 *   and validate tiers, its certificates by test/unit/mlflow-server-vpn.test.ts).
 * - moto cannot store image layers: `--image-build skip`. The ECR repository is still created first
 *   and asked for the content-hash tag (DescribeImages); the image is built, pushed to a real
 *   registry and run against PostgreSQL in test/integration/mlflow-server-container.test.ts.
 * - moto's Application Auto Scaling has no ListTagsForResource (the provider retries it for ever):
 *   min_tasks = max_tasks = 1, for which the stack makes no scaling target (autoscaling itself is
 *   proven by the synth and validate tiers).
 * - moto ignores two create-time parameters that real AWS honours: CreateBucket's tags
 *   (CreateBucketConfiguration.Tags) and CreateService's healthCheckGracePeriodSeconds /
 *   enableECSManagedTags. The Terraform runner's emulator table (EMULATOR_GAPS in
 *   cli/effects/terraform.ts) ignores exactly those attributes, so a re-run changes nothing.
 * - moto evaluates a bucket policy without request context, so the artifact bucket's TLS-only policy
 *   would deny every request: the emulator table leaves bucket policies out (their content is pinned
 *   by the synth tier), so the stack applies one resource fewer here than on AWS.
 * - moto's DeleteNatGateway keeps the gateway's network interface (AWS deletes it with the gateway):
 *   the inventory reports such interfaces apart, and the test checks they are exactly the NAT
 *   gateway's own.
 */
const project = 'mlit';
const envName = 'dev';
const stateBucket = 'mlit-terraform-state';
const inventoryScript = join(repoRoot, 'test', 'integration', 'mlflow-server-inventory.py');

interface Inventory {
  resources: Record<string, string[]>;
  ssm_values: Record<string, string>;
  moto_kept_nat_gateway_interfaces: string[];
}

describe('mlops mlflow-server against moto (VPN off)', () => {
  let moto: TestMoto;
  let env: Record<string, string>;
  let python: string;
  let s3: S3Client;
  let work: string;
  let vpcIds: string[] = [];
  const started = Date.now();
  /** What the stack makes in moto, its image repository included (bucket policies are left out: EMULATOR_GAPS). */
  const STACK_RESOURCES = 69;
  let firstAdded = 0;

  const inventory = async (): Promise<Inventory> => {
    const result = await execa(python, [inventoryScript, project, envName, ...vpcIds], { env: { ...process.env, ...moto.env }, reject: false });
    if (result.exitCode !== 0) throw new Error(`inventory failed:\n${result.stderr}`);
    return JSON.parse(result.stdout) as Inventory;
  };
  const nonEmpty = (found: Inventory) => Object.fromEntries(Object.entries(found.resources).filter(([, ids]) => ids.length > 0));
  const json = (stdout: string) => JSON.parse(stdout);

  beforeAll(async () => {
    let tools: Record<string, string>;
    ({ moto, s3, tools, python } = await startMotoWithStateBucket(stateBucket));
    work = mkdtempSync(join(tmpdir(), 'mlops-it-mlflow-server-'));
    const settings = {
      mlflow_server: {
        vpn: { enabled: false },
        min_tasks: 1,
        max_tasks: 1,
        db_deletion_protection: false,
        db_final_snapshot: false,
        artifact_bucket_force_destroy: true,
      },
    };
    writeFileSync(join(work, 'settings.json'), JSON.stringify(settings));
    writeFileSync(join(work, 'protected-settings.json'), JSON.stringify({ mlflow_server: { ...settings.mlflow_server, db_deletion_protection: true } }));
    env = {
      ...tools,
      ...moto.env,
      TF_VAR_state_bucket_name: stateBucket,
      TF_VAR_region: TEST_REGION,
      TF_VAR_project: project,
      TF_VAR_env_name: envName,
      MLOPS_SETTINGS_FILE: join(work, 'settings.json'),
      MLOPS_OUTDIR: join(work, 'cdktf.out'),
    };
  });

  afterAll(async () => {
    await moto?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
    process.stderr.write(`mlflow-server integration test took ${Math.round((Date.now() - started) / 1000)}s\n`);
  });

  it('applies from an empty account, publishes the shared values, and prints how to connect', async () => {
    expect(nonEmpty(await inventory())).toEqual({});
    const result = await runCli(['mlflow-server', '--image-build', 'skip', '--json'], env);
    expect({ exitCode: result.exitCode, tail: result.exitCode === 0 ? '' : String(result.stderr).slice(-3000) }).toEqual({ exitCode: 0, tail: '' });
    const output = json(String(result.stdout));
    // First the repository, the users' secrets and the load balancer (with what it needs), then the rest.
    const first = /The image repository, aws_secretsmanager_secret and aws_lb first — Plan: (\d+) to add, 0 to change, 0 to destroy\./.exec(result.stderr);
    expect(first).not.toBeNull();
    firstAdded = Number(first![1]);
    expect(output.plan).toMatchObject({ change: 0, destroy: 0 });
    expect(firstAdded + output.plan.add).toBe(STACK_RESOURCES);
    expect(result.stderr).toContain(`Plan: ${output.plan.add} to add, 0 to change, 0 to destroy.`);
    expect(output.image).toEqual({ imageUri: expect.stringMatching(/\/mlit-dev-mlflow-server:[0-9a-f]{16}$/), action: 'skipped' });
    expect(output.trackingUri).toMatch(/^https:\/\/mlit-dev-mlflow-.*\.elb\.amazonaws\.com$/);
    expect(output.generatedCredentials).toEqual(['admin', 'training', 'cli']);
    expect(result.stderr).toContain(`export MLFLOW_TRACKING_URI=${output.trackingUri}`);

    const found = await inventory();
    vpcIds = found.resources['ec2:vpc'];
    expect(found.moto_kept_nat_gateway_interfaces).toEqual([]);
    expect(Object.fromEntries(Object.entries(found.resources).map(([kind, ids]) => [kind, ids.length]))).toMatchObject({
      'ec2:vpc': 1,
      'ec2:subnet': 6,
      'ec2:nat-gateway': 1,
      'ec2:vpc-endpoint': 1,
      'rds:db': 1,
      'secretsmanager:secret': 4,
      'ecs:cluster': 1,
      'ecs:service': 1,
      'ecs:task-definition': 1,
      'elasticloadbalancing:loadbalancer': 1,
      'elasticloadbalancing:targetgroup': 1,
      'iam:role': 3,
      'ecr:repository': 1,
      'logs:log-group': 2,
      's3:bucket': 2,
      'ssm:parameter': 8,
      'acm:certificate': 1,
    });
    const names = sharedParameterNames({ project, envName });
    expect(found.ssm_values).toEqual({
      [names.trackingUri]: output.trackingUri,
      [names.vpcId]: output.outputs.vpc_id,
      [names.privateSubnetIds]: (output.outputs.private_subnet_ids as string[]).join(','),
      [names.mlflowClientSecurityGroupId]: output.outputs.client_security_group_id,
      [names.artifactBucket]: output.outputs.artifact_bucket,
      [names.trainingCredentialSecretArn]: expect.stringContaining(':secret:mlit/dev/mlflow-server/credentials/training-jobs'),
      [names.caCertificate]: expect.stringMatching(/^[A-Za-z0-9+/]+=*$/),
      [mlflowLoadBalancerCertificateParameterName({ project, envName })]: found.resources['acm:certificate'][0],
    });
  });

  it('keeps its state under <project>/<env>/mlflow-server.tfstate in the state bucket', async () => {
    const state = JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: stateBucket, Key: 'mlit/dev/mlflow-server.tfstate' }))).Body!.transformToString());
    expect(state.outputs.tracking_uri.value).toMatch(/^https:\/\//);
    // The users' passwords went into Secrets Manager from the CLI: the state knows the secrets, not their values.
    const read = "print(json.dumps([json.loads(boto3.client('secretsmanager', **kw).get_secret_value(SecretId=n)['SecretString'])['password'] for n in sys.argv[1:]]))";
    const passwords = JSON.parse(await motoPython(moto, read, Object.values(mlflowCredentialSecretNames({ project, envName })))) as string[];
    expect(passwords).toHaveLength(3);
    for (const password of passwords) expect(JSON.stringify(state)).not.toContain(password);
    expect(JSON.stringify(state)).not.toContain('secret_string');
    expect(await privateKeysInStates(s3, stateBucket)).toEqual({ states: ['mlit/dev/mlflow-server.tfstate'], holdingKeys: [] });
  });

  it('changes nothing on a re-run, nor on the run after', async () => {
    const second = await runCli(['mlflow-server', '--image-build', 'skip', '--json'], env);
    expect(second.exitCode).toBe(0);
    expect(json(String(second.stdout)).plan).toEqual({ add: 0, change: 0, destroy: 0, updatedInPlace: [], replaced: [] });

    const third = await runCli(['mlflow-server', '--image-build', 'skip', '--json'], env);
    expect(third.exitCode).toBe(0);
    expect(json(String(third.stdout)).plan).toEqual({ add: 0, change: 0, destroy: 0, updatedInPlace: [], replaced: [] });
    expect(third.stderr).toContain('No changes: the infrastructure matches the configuration.');
    expect(third.stderr).not.toContain('tofu apply');
  });

  it('refuses to remove a database under deletion protection before destroying anything', async () => {
    const before = await inventory();
    const result = await runCli(['mlflow-server-rm', '--yes'], { ...env, MLOPS_SETTINGS_FILE: join(work, 'protected-settings.json') });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('the database mlit-dev-mlflow has deletion protection (mlflow_server.db_deletion_protection is true');
    expect(await inventory()).toEqual(before);
  });

  it('mlflow-server-rm removes every resource of the stack', async () => {
    const result = await runCli(['mlflow-server-rm', '--json'], env); // CI=true in runCli: no question asked
    expect({ exitCode: result.exitCode, tail: result.exitCode === 0 ? '' : String(result.stderr).slice(-3000) }).toEqual({ exitCode: 0, tail: '' });
    // Every resource of both applies, the image repository too; the CA's and the load balancer certificate's objects.
    expect(json(String(result.stdout))).toEqual({ destroyed: STACK_RESOURCES, vpnObjectsRemoved: 2 });
    const after = await inventory();
    expect(nonEmpty(after)).toEqual({});
    expect(after.moto_kept_nat_gateway_interfaces).toHaveLength(1); // the one NAT gateway's, see the top of this file
  });
});
