import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import { mlflowCredentialSecretNames } from '../../core/naming.js';
import { encodeMlflowCa, MLFLOW_CA_VARIABLE, withMlflowCaFile } from '../../core/training/mlflow-ca.js';
import { resolveMlflowAccess, type MlflowAccessSources } from '../../cli/effects/mlflow-access.js';
import { ensureMlflowCredentials, type MlflowCredential, type MlflowCredentialSecrets } from '../../cli/effects/mlflow-credentials.js';
import { ExternalError } from '../../core/errors.js';
import { loadBalancerCertificateReason } from '../../cli/vpn/pki.js';
import { certificateDnsNames, issueCertificate } from '../../cli/vpn/x509.js';
import { createRecordingReporter } from '../harness/reporter.js';

const environment = { project: 'acme', envName: 'dev' };
const ca = issueCertificate({ commonName: 'acme-dev-vpn-ca', profile: 'ca', validDays: 30 });
const ALB = 'internal-acme-production-mlflow-1234567890.ap-southeast-2.elb.amazonaws.com';

function memorySecrets(initial: Record<string, MlflowCredential> = {}): MlflowCredentialSecrets & { values: Map<string, MlflowCredential> } {
  const values = new Map(Object.entries(initial));
  return { values, read: async (name) => values.get(name), put: async (name, credential) => void values.set(name, credential) };
}

describe('MLflow users’ credentials (cli/effects/mlflow-credentials.ts)', () => {
  const names = mlflowCredentialSecretNames(environment);

  it('generates a long random password for every secret without a value, as JSON the task and job secrets read key by key', async () => {
    const secrets = memorySecrets();
    expect(await ensureMlflowCredentials(secrets, environment, createRecordingReporter())).toEqual(['admin', 'training', 'cli']);
    expect([...secrets.values.keys()].sort()).toEqual([names.admin, names.cli, names.training].sort());
    expect(secrets.values.get(names.training)?.username).toBe('training-jobs');
    const passwords = [...secrets.values.values()].map((credential) => credential.password);
    for (const password of passwords) expect(password).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Set(passwords).size).toBe(3);
  });

  it('keeps a password already there, so the server and the jobs keep working on the next run', async () => {
    const secrets = memorySecrets({ [names.cli]: { username: 'mlops-cli', password: 'chosen-by-the-team' } });
    expect(await ensureMlflowCredentials(secrets, environment, createRecordingReporter())).toEqual(['admin', 'training']);
    expect(secrets.values.get(names.cli)).toEqual({ username: 'mlops-cli', password: 'chosen-by-the-team' });
  });

  it('refuses to overwrite a secret that names another user, saying which', async () => {
    const secrets = memorySecrets({ [names.admin]: { username: 'root', password: 'x' } });
    await expect(ensureMlflowCredentials(secrets, environment, createRecordingReporter())).rejects.toThrow(ExternalError);
    await expect(ensureMlflowCredentials(secrets, environment, createRecordingReporter())).rejects.toThrow(/acme\/dev\/mlflow-server\/credentials\/admin holds user "root", not admin/);
    expect(secrets.values.get(names.admin)).toEqual({ username: 'root', password: 'x' });
  });
});

describe('how the CLI reaches an MLflow server (cli/effects/mlflow-access.ts)', () => {
  const published = 'https://internal-acme-dev-mlflow-1.eu-west-1.elb.amazonaws.com';
  const sources = (overrides: Partial<MlflowAccessSources> = {}): MlflowAccessSources => ({
    publishedTrackingUri: async () => published,
    cliCredential: async () => ({ username: 'mlops-cli', password: 'from-secrets-manager' }),
    caCertificate: async () => ca.certificate,
    credentialName: 'secret acme/dev/mlflow-server/credentials/mlops-cli',
    environmentName: 'dev',
    ...overrides,
  });
  /** A stack that fails the test when anything of it is read. */
  const untouchable = (): MlflowAccessSources => {
    const fail = async (): Promise<never> => {
      throw new Error('read a stack for a server that cannot be its');
    };
    return { publishedTrackingUri: fail, cliCredential: fail, caCertificate: fail, credentialName: 'secret x', environmentName: 'x' };
  };

  it("uses the stack's CLI credential and CA for the stack's own server, and writes the CA to a file for MLflow's Python client", async () => {
    const access = await resolveMlflowAccess(`${published}/`, [sources()], { PATH: '/bin' });
    expect(access.env).toMatchObject({ PATH: '/bin', MLFLOW_TRACKING_USERNAME: 'mlops-cli', MLFLOW_TRACKING_PASSWORD: 'from-secrets-manager' });
    expect(readFileSync(access.env.MLFLOW_TRACKING_SERVER_CERT_PATH!, 'utf8')).toBe(ca.certificate);
    expect(access.refusal).toContain('the "dev" MLflow server stack\'s CLI credential (user mlops-cli, secret acme/dev/mlflow-server/credentials/mlops-cli) was refused');
  });

  it('takes the credential and CA of the environment whose stack published the server, of several (a promotion between environments)', async () => {
    const prodCa = issueCertificate({ commonName: 'acme-prod-vpn-ca', profile: 'ca', validDays: 30 });
    const prod = sources({
      publishedTrackingUri: async () => 'https://internal-acme-prod-mlflow-2.eu-west-1.elb.amazonaws.com',
      cliCredential: async () => ({ username: 'mlops-cli', password: 'prod-password' }),
      caCertificate: async () => prodCa.certificate,
      credentialName: 'secret acme/prod/mlflow-server/credentials/mlops-cli',
      environmentName: 'prod',
    });
    const dev = await resolveMlflowAccess(published, [prod, sources()], {});
    expect(dev.env.MLFLOW_TRACKING_PASSWORD).toBe('from-secrets-manager');
    expect(readFileSync(dev.env.MLFLOW_TRACKING_SERVER_CERT_PATH!, 'utf8')).toBe(ca.certificate);
    const toProd = await resolveMlflowAccess('https://internal-acme-prod-mlflow-2.eu-west-1.elb.amazonaws.com/', [prod, sources()], {});
    expect(toProd.env.MLFLOW_TRACKING_PASSWORD).toBe('prod-password');
    expect(readFileSync(toProd.env.MLFLOW_TRACKING_SERVER_CERT_PATH!, 'utf8')).toBe(prodCa.certificate);
  });

  it('lets a person’s own MLflow user win over the CLI’s, and still trusts the project CA', async () => {
    let asked = false;
    const access = await resolveMlflowAccess(published, [sources({ cliCredential: async () => ((asked = true), undefined) })], { MLFLOW_TRACKING_USERNAME: 'alice', MLFLOW_TRACKING_PASSWORD: 'a' });
    expect(asked).toBe(false);
    expect(access.env).toMatchObject({ MLFLOW_TRACKING_USERNAME: 'alice', MLFLOW_TRACKING_PASSWORD: 'a' });
    expect(access.env.MLFLOW_TRACKING_SERVER_CERT_PATH).toBeDefined();
    expect(access.refusal).toContain('MLFLOW_TRACKING_USERNAME/TOKEN was refused');
  });

  it("sends nothing of the stack's to any other server (settings' tracking_uri, a team's own)", async () => {
    const env = { MLFLOW_TRACKING_TOKEN: 'team-token' };
    const access = await resolveMlflowAccess('https://mlflow.example.com', [sources()], env);
    expect(access.env).toBe(env);
    expect(access.refusal).toContain('the credential in MLFLOW_TRACKING_USERNAME/TOKEN was refused');
    expect((await resolveMlflowAccess('https://mlflow.example.com', [sources()], {})).refusal).toMatch(/^no MLflow server stack of "dev" published this server, so mlops sends only/);
  });

  it('reads nothing of any stack for a URI a stack never publishes (plain HTTP, a file store): such a server needs no AWS access', async () => {
    for (const uri of ['http://127.0.0.1:5000', 'file:///tmp/mlruns']) {
      const access = await resolveMlflowAccess(uri, [untouchable()], {});
      expect(access.env).toEqual({});
      expect(access.refusal).toBe('an MLflow server stack publishes only https:// servers, so mlops sends only MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (or MLFLOW_TRACKING_TOKEN): set them');
    }
  });

  it('reaches a server of the stack made before it had auth (no secret, no CA) as it is, and says on a 401 which secret is empty', async () => {
    const access = await resolveMlflowAccess(published, [sources({ cliCredential: async () => undefined, caCertificate: async () => undefined })], {});
    expect(access.env).toEqual({});
    expect(access.refusal).toMatch(/^secret acme\/dev\/mlflow-server\/credentials\/mlops-cli of the "dev" MLflow server stack, which published this server, holds no credential: run make mlflow-server/);
  });
});

describe("the training job's CA (core/training/mlflow-ca.ts)", () => {
  it('writes the CA from its variable to a file MLFLOW_TRACKING_SERVER_CERT_PATH names, then runs the command with its arguments', async () => {
    const command = withMlflowCaFile(['sh', '-c', 'cat "$MLFLOW_TRACKING_SERVER_CERT_PATH"; echo "args: $*"', 'inner', 'one', 'two words']);
    const result = await execa(command[0], command.slice(1), { env: { [MLFLOW_CA_VARIABLE]: encodeMlflowCa(ca.certificate) } });
    expect(result.stdout).toBe(`${ca.certificate}args: one two words`);
  });

  it('holds no Terraform interpolation, since the job definition passes through Terraform', () => {
    expect(withMlflowCaFile(['x']).join(' ')).not.toMatch(/\$\{|%\{/);
  });
});

describe("the load balancer's certificate", () => {
  const issue = (options: { dnsName?: string; issuer?: typeof ca; validDays?: number } = {}) =>
    issueCertificate({ commonName: 'acme-dev-mlflow', dnsNames: [options.dnsName ?? ALB], profile: 'server', issuer: options.issuer ?? ca, validDays: options.validDays ?? 825 });

  it('names the load balancer in subjectAltName, past the 64 characters a common name may have', () => {
    expect(ALB.length).toBeGreaterThan(64);
    expect(certificateDnsNames(issue().certificate)).toEqual([ALB]);
    expect(() => issueCertificate({ commonName: 'x', dnsNames: ['not a name'], profile: 'server', issuer: ca, validDays: 1 })).toThrow(/dnsNames "not a name"/);
  });

  it('is issued again when missing, from another CA, for another load balancer, or about to expire — and kept otherwise', () => {
    const now = new Date();
    expect(loadBalancerCertificateReason(undefined, ca, ALB, now)).toMatch(/no load balancer certificate yet/);
    const other = issueCertificate({ commonName: 'other-ca', profile: 'ca', validDays: 30 });
    expect(loadBalancerCertificateReason(issue({ issuer: other }), ca, ALB, now)).toMatch(/not signed by the current CA/);
    expect(loadBalancerCertificateReason(issue({ dnsName: 'internal-acme-dev-mlflow-42.eu-west-1.elb.amazonaws.com' }), ca, ALB, now)).toMatch(/the load balancer is now internal-acme-production-mlflow-1234567890/);
    expect(loadBalancerCertificateReason(issue({ validDays: 10 }), ca, ALB, now)).toMatch(/expires .*: renewing it/);
    expect(loadBalancerCertificateReason(issue(), ca, ALB, now)).toBeUndefined();
  });
});
