import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { execa } from 'execa';
import { createTerraformRunner, resolveTerraformBinary } from '../../cli/effects/terraform.js';
import { emulatorAwsContext } from '../harness/aws.js';
import { createRecordingReporter } from '../harness/reporter.js';
import { parseSettings } from '../../core/settings/parse.js';
import { synthesize } from '../../cli/synth.js';
import { createS3ObjectStore, ensureVpnPki, readVpnPki } from '../../cli/vpn/pki.js';
import { MlopsStack } from '../../stacks/common/mlops-stack.js';
import { VpnServerCertificate, vpnPkiObjectKeys } from '../../stacks/mlflow-server/vpn-server-certificate.js';
import { TerraformOutput } from 'cdktf';
import { TEST_REGION, type TestMoto } from '../harness/moto.js';
import { startMotoWithStateBucket } from './mlflow-server-setup.js';

/**
 * The VPN certificates' way into AWS, against moto: the CLI writes them to the state bucket, the
 * stack's VpnServerCertificate reads the server object (data.aws_s3_object) and imports it into ACM
 * (moto's ACM parses the certificate, key and chain with `cryptography`). moto has no Client VPN, so
 * the endpoint itself is proven only by the synth and validate tiers.
 */
describe('VPN server certificate from the state bucket into ACM (moto)', () => {
  const environment = { stateBucket: 'vpnit-terraform-state', region: TEST_REGION, project: 'vpnit', envName: 'dev' };
  let moto: TestMoto;
  let s3: S3Client;
  let work: string;
  let env: NodeJS.ProcessEnv;
  let python: string;

  beforeAll(async () => {
    let tools: Record<string, string>;
    ({ moto, s3, tools, python } = await startMotoWithStateBucket(environment.stateBucket));
    work = mkdtempSync(join(tmpdir(), 'mlops-it-vpn-'));
    env = { ...process.env, ...tools, ...moto.env };
  });

  afterAll(async () => {
    await moto?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('stores the certificates encrypted as JSON, and ACM imports the server certificate Terraform reads from there', async () => {
    const store = createS3ObjectStore(environment.stateBucket, emulatorAwsContext(moto.endpoint));
    const reporter = createRecordingReporter();
    const { plan } = await ensureVpnPki({ store, environment, clients: ['alice'], reporter });
    expect(plan.issueCa).toBe(true);
    const keys = vpnPkiObjectKeys(environment);
    const head = await s3.send(new HeadObjectCommand({ Bucket: environment.stateBucket, Key: keys.server }));
    expect({ contentType: head.ContentType, encryption: head.ServerSideEncryption }).toEqual({ contentType: 'application/json', encryption: 'aws:kms' });
    expect(Object.keys((await readVpnPki(store, environment)).clients)).toEqual(['alice']);
    expect((await ensureVpnPki({ store, environment, clients: ['alice'], reporter })).plan).toMatchObject({ issueCa: false, issueServer: false, issueClients: [] });

    const settings = parseSettings('{}', 'settings.json');
    const [dir] = synthesize((app) => {
      const stack = new MlopsStack(app, 'vpn-certificate', { environment, settings, stateKey: 'vpnit/dev/vpn-certificate.tfstate', stackTag: 'test' });
      const certificate = new VpnServerCertificate(stack, 'server-certificate', { object: { bucket: environment.stateBucket, key: keys.server }, name: 'vpnit-dev-vpn-server' });
      new TerraformOutput(stack, 'certificate_arn', { value: certificate.certificateArn });
      return [stack];
    }, join(work, 'cdktf.out'));
    const runner = createTerraformRunner(await resolveTerraformBinary(env), reporter, env);
    await runner.init(dir);
    expect(await runner.plan(dir)).toMatchObject({ add: 1, change: 0, destroy: 0 });
    await runner.applyPlan(dir);
    const arn = String((await runner.outputs(dir)).certificate_arn);
    const described = await execa(
      python,
      ['-c', `import boto3, json; c = boto3.client("acm").describe_certificate(CertificateArn=${JSON.stringify(arn)})["Certificate"]; print(json.dumps({"domain": c["DomainName"], "type": c["Type"], "issuer": c.get("Issuer")}))`],
      { env },
    );
    expect(JSON.parse(described.stdout)).toMatchObject({ domain: 'vpnit-dev-vpn-server', type: 'IMPORTED' });
    expect(await runner.plan(dir)).toMatchObject({ add: 0, change: 0, destroy: 0 });
    await runner.destroy(dir);
  });
});
