import { createRecordingReporter } from '../harness/reporter.js';
import { importVpnServerCertificate, removeVpnServerCertificate, type VpnServerCertificates } from '../../cli/vpn/acm.js';
import { ensureVpnPki } from '../../cli/vpn/pki.js';
import { createMemoryObjectStore } from '../harness/object-store.js';

const environment = { stateBucket: 'acme-tf-state', region: 'eu-west-1', project: 'acme', envName: 'dev' };
const PARAMETER = '/acme/dev/mlflow-server/vpn/server-certificate-arn';

/** ACM and SSM in memory, recording every import: what each call sent. */
function memoryCertificates() {
  const certificates = new Map<string, string>();
  const parameters = new Map<string, string>();
  const imports: { arn?: string; tags: Record<string, string>; privateKey: string }[] = [];
  let next = 1;
  const fake: VpnServerCertificates = {
    current: async (arn) => certificates.get(arn),
    async import({ certificate, privateKey, arn, tags }) {
      imports.push({ arn, tags, privateKey });
      const target = arn ?? `arn:aws:acm:eu-west-1:123456789012:certificate/${next++}`;
      certificates.set(target, certificate);
      return target;
    },
    remove: async (arn) => void certificates.delete(arn),
    parameters: {
      get: async (name) => parameters.get(name),
      put: async (name, value) => void parameters.set(name, value),
      remove: async (name) => void parameters.delete(name),
    },
  };
  return { fake, certificates, parameters, imports };
}

describe('the VPN server certificate goes into ACM from the CLI, and only its ARN to Terraform', () => {
  const issue = async (store = createMemoryObjectStore(), rotate = false) =>
    (await ensureVpnPki({ store, environment, clients: ['alice'], rotate, reporter: createRecordingReporter() })).pki;

  it('imports it the first time with the environment tags and publishes the ARN where the stack reads it', async () => {
    const acm = memoryCertificates();
    const pki = await issue();
    const arn = await importVpnServerCertificate({ certificates: acm.fake, environment, pki, reporter: createRecordingReporter() });
    expect(acm.parameters.get(PARAMETER)).toBe(arn);
    expect(acm.imports).toEqual([
      { arn: undefined, tags: { Name: 'acme-dev-vpn-server', project: 'acme', environment: 'dev', 'managed-by': 'lean-mlops' }, privateKey: pki.server!.privateKey },
    ]);
  });

  it('imports nothing when ACM already holds the stored certificate, and re-imports in place (same ARN) when it was rotated', async () => {
    const acm = memoryCertificates();
    const store = createMemoryObjectStore();
    const arn = await importVpnServerCertificate({ certificates: acm.fake, environment, pki: await issue(store), reporter: createRecordingReporter() });
    expect(await importVpnServerCertificate({ certificates: acm.fake, environment, pki: await issue(store), reporter: createRecordingReporter() })).toBe(arn);
    expect(acm.imports).toHaveLength(1);
    const rotated = await issue(store, true);
    expect(await importVpnServerCertificate({ certificates: acm.fake, environment, pki: rotated, reporter: createRecordingReporter() })).toBe(arn);
    expect(acm.imports.map((call) => call.arn)).toEqual([undefined, arn]);
    expect(acm.certificates.get(arn)).toBe(rotated.server!.certificate);
  });

  it('imports a new certificate and records its ARN when the recorded one is gone from ACM', async () => {
    const acm = memoryCertificates();
    const pki = await issue();
    const first = await importVpnServerCertificate({ certificates: acm.fake, environment, pki, reporter: createRecordingReporter() });
    acm.certificates.delete(first);
    const second = await importVpnServerCertificate({ certificates: acm.fake, environment, pki, reporter: createRecordingReporter() });
    expect(second).not.toBe(first);
    expect(acm.parameters.get(PARAMETER)).toBe(second);
  });

  it('removes the certificate and its parameter after the stack, and nothing when there was none', async () => {
    const acm = memoryCertificates();
    const arn = await importVpnServerCertificate({ certificates: acm.fake, environment, pki: await issue(), reporter: createRecordingReporter() });
    expect(await removeVpnServerCertificate({ certificates: acm.fake, environment })).toBe(true);
    expect({ certificate: acm.certificates.has(arn), parameter: acm.parameters.has(PARAMETER) }).toEqual({ certificate: false, parameter: false });
    expect(await removeVpnServerCertificate({ certificates: acm.fake, environment })).toBe(false);
  });
});
