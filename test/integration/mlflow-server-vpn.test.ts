import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { execa } from 'execa';
import { TerraformOutput } from 'cdktf';
import { createTerraformRunner, resolveTerraformBinary } from '../../cli/effects/terraform.js';
import { emulatorAwsContext } from '../harness/aws.js';
import { createRecordingReporter } from '../harness/reporter.js';
import { parseSettings } from '../../core/settings/parse.js';
import { synthesize } from '../../cli/synth.js';
import { createAcmVpnServerCertificates, importVpnServerCertificate, removeVpnServerCertificate } from '../../cli/vpn/acm.js';
import { createS3ObjectStore, ensureVpnPki, readVpnPki } from '../../cli/vpn/pki.js';
import { MlopsStack } from '../../stacks/common/mlops-stack.js';
import { vpnServerCertificateParameterName } from '../../core/naming.js';
import { VpnServerCertificate, vpnPkiObjectKeys } from '../../stacks/mlflow-server/vpn-server-certificate.js';
import { TEST_REGION, type TestMoto } from '../harness/moto.js';
import { privateKeysInStates, startMotoWithStateBucket } from './mlflow-server-setup.js';

/**
 * The VPN certificates' way into AWS, against moto: the CLI writes them to the state bucket and
 * imports the server certificate into ACM itself (moto's ACM parses certificate, key and chain with
 * `cryptography`); the stack gets only the ARN, through an SSM parameter, so no private key reaches a
 * Terraform state. moto has no Client VPN, so the endpoint itself is proven only by the synth and
 * validate tiers.
 */
describe('VPN server certificate: imported into ACM by the CLI, only its ARN in Terraform (moto)', () => {
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

  it('stores the certificates encrypted, imports the server one into ACM once, re-imports it in place when rotated, and Terraform state holds no key', async () => {
    const store = createS3ObjectStore(environment.stateBucket, emulatorAwsContext(moto.endpoint));
    const reporter = createRecordingReporter();
    const { plan, pki } = await ensureVpnPki({ store, environment, clients: ['alice'], reporter });
    expect(plan.issueCa).toBe(true);
    const keys = vpnPkiObjectKeys(environment);
    const head = await s3.send(new HeadObjectCommand({ Bucket: environment.stateBucket, Key: keys.server }));
    expect({ contentType: head.ContentType, encryption: head.ServerSideEncryption }).toEqual({ contentType: 'application/json', encryption: 'aws:kms' });
    expect(Object.keys((await readVpnPki(store, environment)).clients)).toEqual(['alice']);

    const certificates = createAcmVpnServerCertificates(emulatorAwsContext(moto.endpoint));
    const describe = async (arn: string) =>
      JSON.parse(
        (
          await execa(
            python,
            ['-c', `import boto3, json; c = boto3.client("acm").describe_certificate(CertificateArn=${JSON.stringify(arn)})["Certificate"]; print(json.dumps({"domain": c["DomainName"], "type": c["Type"], "serial": c["Serial"]}))`],
            { env },
          )
        ).stdout,
      ) as { domain: string; type: string; serial: string };
    const arn = await importVpnServerCertificate({ certificates, environment, pki, reporter });
    expect(await certificates.parameters.get(vpnServerCertificateParameterName(environment))).toBe(arn);
    const first = await describe(arn);
    expect(first).toMatchObject({ domain: 'vpnit-dev-vpn-server', type: 'IMPORTED' });
    expect(await importVpnServerCertificate({ certificates, environment, pki, reporter })).toBe(arn);
    expect(reporter.lines.filter((line) => line.includes('ACM'))).toEqual([expect.stringContaining(`imported into ACM: ${arn}`)]);

    const rotated = await ensureVpnPki({ store, environment, clients: ['alice'], rotate: true, reporter });
    expect(await importVpnServerCertificate({ certificates, environment, pki: rotated.pki, reporter })).toBe(arn);
    expect((await describe(arn)).serial).not.toBe(first.serial);

    const settings = parseSettings('{}', 'settings.json');
    const [dir] = synthesize((app) => {
      const stack = new MlopsStack(app, 'vpn-certificate', { environment, settings, stateKey: 'vpnit/dev/vpn-certificate.tfstate', stackTag: 'test' });
      const certificate = new VpnServerCertificate(stack, 'server-certificate', { parameterName: vpnServerCertificateParameterName(environment) });
      new TerraformOutput(stack, 'certificate_arn', { value: certificate.certificateArn });
      return [stack];
    }, join(work, 'cdktf.out'));
    const runner = createTerraformRunner(await resolveTerraformBinary(env), reporter, env);
    await runner.init(dir);
    await runner.plan(dir);
    await runner.applyPlan(dir);
    expect((await runner.outputs(dir)).certificate_arn).toBe(arn);
    expect(await privateKeysInStates(s3, environment.stateBucket)).toEqual({ states: ['vpnit/dev/vpn-certificate.tfstate'], holdingKeys: [] });
    await runner.destroy(dir);

    expect(await removeVpnServerCertificate({ certificates, environment })).toBe(true);
    expect(await certificates.current(arn)).toBeUndefined();
    expect(await certificates.parameters.get(vpnServerCertificateParameterName(environment))).toBeUndefined();
  });
});
