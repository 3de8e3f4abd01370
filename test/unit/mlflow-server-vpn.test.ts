import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { connect, createServer } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { MLFLOW_SERVER_IMAGE_DIR, mlflowServerImageTag, pinMlflowRequirement } from '../../cli/builders/mlflow-server.js';
import { connectionHelp, type MlflowServerEffects } from '../../cli/workflows/mlflow-server.js';
import { removalBlockers } from '../../cli/workflows/mlflow-server-rm.js';
import { writeVpnConfig } from '../../cli/workflows/vpn-config.js';
import { ExternalError, UsageError } from '../../core/errors.js';
import { createMemoryObjectStore } from '../harness/object-store.js';
import { createRecordingReporter } from '../harness/reporter.js';
import { parseSettings } from '../../core/settings/parse.js';
import { ensureVpnPki, planVpnPki, readVpnPki, removeVpnPki } from '../../cli/vpn/pki.js';
import { renderOvpnConfig, stateOutputs } from '../../cli/vpn/ovpn.js';
import { certificateExpiry, issueCertificate, issuedBy, objectIdentifier, type KeyPairPem } from '../../cli/vpn/x509.js';
import { stateKeys } from '../../core/naming.js';

const environment = { stateBucket: 'acme-tf-state', region: 'eu-west-1', project: 'acme-ml', envName: 'dev' };
const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-vpn-test-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('X.509 certificates made with node:crypto', () => {
  const ca = issueCertificate({ commonName: 'acme-ml-dev-vpn-ca', profile: 'ca', validDays: 3650 });
  const server = issueCertificate({ commonName: 'acme-ml-dev-vpn-server', profile: 'server', issuer: ca, validDays: 825 });
  const client = issueCertificate({ commonName: 'ml-engineer.acme-ml-dev', profile: 'client', issuer: ca, validDays: 825 });

  it('encodes object identifiers as DER', () => {
    expect(objectIdentifier('1.2.840.113549.1.1.11').toString('hex')).toBe('06092a864886f70d01010b');
    expect(objectIdentifier('2.5.29.19').toString('hex')).toBe('0603551d13');
  });

  it('makes a CA, and server and client certificates it signed, with RSA 2048 keys in PKCS#1 PEM', () => {
    const parsed = new X509Certificate(ca.certificate);
    expect(parsed.ca).toBe(true);
    expect(parsed.subject).toBe('CN=acme-ml-dev-vpn-ca');
    expect(new X509Certificate(server.certificate).ca).toBe(false);
    expect(new X509Certificate(server.certificate).subjectAltName).toBe('DNS:acme-ml-dev-vpn-server');
    expect(issuedBy(server.certificate, ca.certificate)).toBe(true);
    expect(issuedBy(client.certificate, ca.certificate)).toBe(true);
    const otherCa = issueCertificate({ commonName: 'other-ca', profile: 'ca', validDays: 10 });
    expect(issuedBy(client.certificate, otherCa.certificate)).toBe(false);
    expect(server.privateKey).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
    expect(new X509Certificate(server.certificate).publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
  });

  it('passes openssl verify -x509_strict for the server and client purposes, and not for the wrong one', () => {
    const dir = tempDir();
    for (const [name, pem] of Object.entries({ ca: ca.certificate, server: server.certificate, client: client.certificate })) writeFileSync(join(dir, `${name}.pem`), pem);
    const verify = (purpose: string, file: string) => execFileSync('openssl', ['verify', '-x509_strict', '-purpose', purpose, '-CAfile', 'ca.pem', file], { cwd: dir, encoding: 'utf8' });
    expect(verify('sslserver', 'server.pem')).toContain('server.pem: OK');
    expect(verify('sslclient', 'client.pem')).toContain('client.pem: OK');
    expect(() => verify('sslserver', 'client.pem')).toThrow();
  });

  it('completes a mutual-TLS handshake, and the server refuses a client certificate from another CA', async () => {
    /** One connection with `clientPair`; what each side concluded, and whether the server's answer arrived. */
    const handshake = (clientPair: KeyPairPem) =>
      new Promise<{ serverAccepted: boolean; clientTrustedServer: boolean; answered: boolean }>((resolve) => {
        let serverAccepted = false;
        const tlsServer = createServer({ key: server.privateKey, cert: server.certificate, ca: [ca.certificate], requestCert: true, rejectUnauthorized: true }, (socket) => {
          serverAccepted = socket.authorized;
          socket.end('ok');
        });
        tlsServer.on('tlsClientError', () => undefined);
        tlsServer.listen(0, '127.0.0.1', () => {
          const port = (tlsServer.address() as { port: number }).port;
          const socket = connect({ host: '127.0.0.1', port, key: clientPair.privateKey, cert: clientPair.certificate, ca: [ca.certificate], servername: 'acme-ml-dev-vpn-server' });
          let clientTrustedServer = false;
          let answered = false;
          socket.on('secureConnect', () => {
            clientTrustedServer = socket.authorized;
          });
          socket.on('data', (chunk) => {
            answered = chunk.toString() === 'ok';
          });
          socket.on('error', () => undefined);
          socket.on('close', () => {
            tlsServer.close();
            resolve({ serverAccepted, clientTrustedServer, answered });
          });
        });
      });
    await expect(handshake(client)).resolves.toEqual({ serverAccepted: true, clientTrustedServer: true, answered: true });
    const strangerCa = issueCertificate({ commonName: 'stranger-ca', profile: 'ca', validDays: 10 });
    const stranger = issueCertificate({ commonName: 'stranger', profile: 'client', issuer: strangerCa, validDays: 10 });
    await expect(handshake(stranger)).resolves.toMatchObject({ serverAccepted: false, answered: false });
  });

  it('refuses a leaf certificate without an issuer and a name that is not DNS-safe', () => {
    expect(() => issueCertificate({ commonName: 'x', profile: 'client', validDays: 1 })).toThrow(/needs an issuer/);
    expect(() => issueCertificate({ commonName: 'Bad Name', profile: 'ca', validDays: 0 })).toThrow(/commonName "Bad Name".*\n.*validDays 0/s);
  });

  it('uses GeneralizedTime for dates from 2050 on', () => {
    const late = issueCertificate({ commonName: 'late-ca', profile: 'ca', validDays: 30, now: new Date('2060-01-01T00:00:00Z') });
    expect(certificateExpiry(late.certificate).toISOString()).toBe('2060-01-31T00:00:00.000Z');
  });
});

describe('VPN PKI kept in the state bucket', () => {
  const reporter = createRecordingReporter();

  it('issues CA, server and one certificate per client on the first run, then nothing on the second', async () => {
    const store = createMemoryObjectStore();
    const first = await ensureVpnPki({ store, environment, clients: ['alice', 'bob'], reporter });
    expect(first.plan).toMatchObject({ issueCa: true, issueServer: true, issueClients: ['alice', 'bob'], removeClients: [] });
    expect([...store.objects.keys()].sort()).toEqual([
      'acme-ml/dev/mlflow-server/vpn/ca.json',
      'acme-ml/dev/mlflow-server/vpn/clients/alice.json',
      'acme-ml/dev/mlflow-server/vpn/clients/bob.json',
      'acme-ml/dev/mlflow-server/vpn/server.json',
    ]);
    const server = JSON.parse(store.objects.get('acme-ml/dev/mlflow-server/vpn/server.json')!);
    expect(Object.keys(server).sort()).toEqual(['certificate', 'certificate_chain', 'private_key']);
    expect(issuedBy(server.certificate, server.certificate_chain)).toBe(true);
    const before = new Map(store.objects);
    const second = await ensureVpnPki({ store, environment, clients: ['alice', 'bob'], reporter });
    expect(second.plan).toMatchObject({ issueCa: false, issueServer: false, issueClients: [], removeClients: [] });
    expect(store.objects).toEqual(before);
  });

  it('adds a new client alone and deletes the key of a client no longer listed', async () => {
    const store = createMemoryObjectStore();
    await ensureVpnPki({ store, environment, clients: ['alice', 'bob'], reporter });
    const server = store.objects.get('acme-ml/dev/mlflow-server/vpn/server.json');
    const { plan } = await ensureVpnPki({ store, environment, clients: ['alice', 'carol'], reporter });
    expect(plan).toMatchObject({ issueCa: false, issueServer: false, issueClients: ['carol'], removeClients: ['bob'] });
    expect(plan.reasons.join('\n')).toContain('stays valid until the CA is rotated');
    expect(Object.keys((await readVpnPki(store, environment)).clients).sort()).toEqual(['alice', 'carol']);
    expect(store.objects.get('acme-ml/dev/mlflow-server/vpn/server.json')).toBe(server);
  });

  it('renews certificates that expire within 30 days, and rotation re-issues everything under a new CA', async () => {
    const store = createMemoryObjectStore();
    await ensureVpnPki({ store, environment, clients: ['alice'], reporter });
    const existing = await readVpnPki(store, environment);
    const in810Days = new Date(Date.now() + 810 * 24 * 3600 * 1000);
    expect(planVpnPki(existing, ['alice'], { now: in810Days })).toMatchObject({ issueCa: false, issueServer: true, issueClients: ['alice'] });
    const rotated = await ensureVpnPki({ store, environment, clients: ['alice'], rotate: true, reporter });
    expect(rotated.plan).toMatchObject({ issueCa: true, issueServer: true, issueClients: ['alice'] });
    expect(issuedBy(rotated.pki.clients.alice.certificate, existing.ca!.certificate)).toBe(false);
    expect(issuedBy(rotated.pki.clients.alice.certificate, rotated.pki.ca!.certificate)).toBe(true);
  });

  it('re-issues a certificate that the current CA did not sign', async () => {
    const store = createMemoryObjectStore();
    await ensureVpnPki({ store, environment, clients: ['alice'], reporter });
    const existing = await readVpnPki(store, environment);
    const foreignCa = issueCertificate({ commonName: 'foreign-ca', profile: 'ca', validDays: 10 });
    const foreign = issueCertificate({ commonName: 'alice.acme-ml-dev', profile: 'client', issuer: foreignCa, validDays: 10 });
    const plan = planVpnPki({ ...existing, clients: { alice: foreign } }, ['alice'], { now: new Date() });
    expect(plan.issueClients).toEqual(['alice']);
    expect(plan.reasons).toContain('the client certificate "alice" is not signed by the current CA: issuing it again');
  });

  it('removes every VPN object of the environment and nothing else', async () => {
    const store = createMemoryObjectStore(new Map([['acme-ml/dev/mlflow-server.tfstate', '{}']]));
    await ensureVpnPki({ store, environment, clients: ['alice'], reporter });
    expect(await removeVpnPki(store, environment)).toBe(3);
    expect([...store.objects.keys()]).toEqual(['acme-ml/dev/mlflow-server.tfstate']);
  });
});

describe('vpn-config', () => {
  const settings = parseSettings(JSON.stringify({ mlflow_server: { vpn: { clients: ['alice'] } } }), 'settings.json');
  const config = { environment, settings };
  const state = (outputs: Record<string, unknown>) =>
    JSON.stringify({ version: 4, outputs: Object.fromEntries(Object.entries(outputs).map(([name, value]) => [name, { value, type: 'string' }])) });

  it('writes an .ovpn file (mode 600) for the endpoint recorded in the state, the client key inline', async () => {
    const store = createMemoryObjectStore();
    await ensureVpnPki({ store, environment, clients: ['alice'], reporter: createRecordingReporter() });
    store.objects.set(
      stateKeys.mlflowServer(environment),
      state({ vpn_dns_name: '*.cvpn-endpoint-0123456789abcdef0.prod.clientvpn.eu-west-1.amazonaws.com', tracking_uri: 'http://internal-x.elb.amazonaws.com' }),
    );
    const file = join(tempDir(), 'alice.ovpn');
    const result = await writeVpnConfig(store, config, 'alice', file);
    expect(result).toEqual({
      file,
      caFile: join(dirname(file), 'alice-ca.pem'),
      endpoint: '*.cvpn-endpoint-0123456789abcdef0.prod.clientvpn.eu-west-1.amazonaws.com',
      trackingUri: 'http://internal-x.elb.amazonaws.com',
    });
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('remote cvpn-endpoint-0123456789abcdef0.prod.clientvpn.eu-west-1.amazonaws.com 443\nremote-random-hostname');
    expect(text).toContain('verify-x509-name acme-ml-dev-vpn-server name');
    const pki = await readVpnPki(store, environment);
    expect(text).toContain(pki.clients.alice.privateKey.trim());
    expect(text).toContain(pki.ca!.certificate.trim());
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // The same CA as a file for MLflow's client: it signed the load balancer's certificate.
    expect(readFileSync(result.caFile, 'utf8')).toBe(pki.ca!.certificate);
  });

  it('refuses a client that is not in settings, naming the ones that are', async () => {
    await expect(writeVpnConfig(createMemoryObjectStore(), config, 'mallory', '/tmp/x.ovpn')).rejects.toThrow(UsageError);
    await expect(writeVpnConfig(createMemoryObjectStore(), config, 'mallory', '/tmp/x.ovpn')).rejects.toThrow(/--client "mallory" is not a VPN client; .* lists: alice/);
  });

  it('explains that the server must be applied first when the state has no VPN endpoint', async () => {
    const store = createMemoryObjectStore(new Map([[stateKeys.mlflowServer(environment), state({ tracking_uri: 'http://x' })]]));
    await expect(writeVpnConfig(store, config, 'alice', '/tmp/x.ovpn')).rejects.toThrow(ExternalError);
    await expect(writeVpnConfig(store, config, 'alice', '/tmp/x.ovpn')).rejects.toThrow(/run `make mlflow-server` first/);
  });

  it('refuses when the VPN is off in settings', async () => {
    const off = { environment, settings: parseSettings(JSON.stringify({ mlflow_server: { vpn: { enabled: false } } }), 'settings.json') };
    await expect(writeVpnConfig(createMemoryObjectStore(), off, 'ml-engineer', '/tmp/x.ovpn')).rejects.toThrow(/the VPN is off \(mlflow_server.vpn.enabled is false/);
  });

  it('refuses PEM-less input and an endpoint name that is not a host name', () => {
    const base = { endpointDnsName: '*.cvpn-endpoint-1.prod.clientvpn.eu-west-1.amazonaws.com', caCertificate: 'x', clientCertificate: 'y', clientPrivateKey: 'z', serverName: 's' };
    expect(() => renderOvpnConfig(base)).toThrow(/the CA certificate is not PEM text/);
    expect(() => renderOvpnConfig({ ...base, endpointDnsName: 'a b' })).toThrow(/is not a Client VPN endpoint DNS name/);
  });

  it('reads outputs from a version-4 state only', () => {
    expect(stateOutputs(state({ a: 'b' }))).toEqual({ a: 'b' });
    expect(() => stateOutputs('{"version":3}')).toThrow(/unsupported Terraform state format version 3/);
  });
});

describe('mlflow-server-rm pre-checks', () => {
  const stateText = JSON.stringify({ version: 4, outputs: { database_identifier: { value: 'acme-ml-dev-mlflow' }, artifact_bucket: { value: 'acme-ml-dev-mlflow-artifacts-1' } } });
  const effects = (holdsObjects: boolean, withState = true) =>
    ({
      stateStore: createMemoryObjectStore(new Map(withState ? [[stateKeys.mlflowServer(environment), stateText]] : [])),
      bucketHoldsObjects: async () => holdsObjects,
    }) as unknown as MlflowServerEffects;
  const settings = (server: Record<string, unknown>) => ({ environment, settings: parseSettings(JSON.stringify({ mlflow_server: server }), 'settings.json') });

  it('names both blockers before anything is destroyed: deletion protection and a non-empty bucket kept on destroy', async () => {
    const blockers = await removalBlockers(effects(true), settings({}));
    expect(blockers).toHaveLength(2);
    expect(blockers[0]).toMatch(/acme-ml-dev-mlflow has deletion protection \(mlflow_server.db_deletion_protection is true/);
    expect(blockers[1]).toMatch(/acme-ml-dev-mlflow-artifacts-1 still holds artifacts and mlflow_server.artifact_bucket_force_destroy is false/);
  });

  it('has no blockers once the settings allow removal, for an empty bucket, or before the first apply', async () => {
    expect(await removalBlockers(effects(true), settings({ db_deletion_protection: false, artifact_bucket_force_destroy: true }))).toEqual([]);
    expect(await removalBlockers(effects(false), settings({ db_deletion_protection: false }))).toEqual([]);
    expect(await removalBlockers(effects(true, false), settings({}))).toEqual([]);
  });
});

describe('server image and connection help', () => {
  it('pins MLflow to the settings version and refuses requirements without an MLflow pin', () => {
    expect(pinMlflowRequirement('# x\nmlflow==3.17.2\nboto3==1.0\n', '3.1.0')).toBe('# x\nmlflow==3.1.0\nboto3==1.0\n');
    expect(() => pinMlflowRequirement('mlflow>=3\n', '3.1.0')).toThrow(/must pin mlflow/);
  });

  it('tags the image by its inputs: a bytecode cache does not change the tag, a changed Dockerfile does', () => {
    const dir = tempDir();
    cpSync(MLFLOW_SERVER_IMAGE_DIR, dir, { recursive: true });
    const settings = parseSettings('{}', 'settings.json');
    const tag = mlflowServerImageTag(settings, dir);
    mkdirSync(join(dir, '__pycache__'));
    writeFileSync(join(dir, '__pycache__', 'serve.cpython-311.pyc'), 'bytecode');
    expect(mlflowServerImageTag(settings, dir)).toBe(tag);
    writeFileSync(join(dir, 'Dockerfile'), `${readFileSync(join(dir, 'Dockerfile'), 'utf8')}\nLABEL changed=1\n`);
    expect(mlflowServerImageTag(settings, dir)).not.toBe(tag);
    expect(readFileSync(join(MLFLOW_SERVER_IMAGE_DIR, '.dockerignore'), 'utf8')).toMatch(/^__pycache__\/$/m);
  });

  it('pins every package of the checked-in image', () => {
    const requirements = readFileSync(join(MLFLOW_SERVER_IMAGE_DIR, 'requirements.txt'), 'utf8');
    const packages = requirements.split('\n').filter((line) => line.trim() && !line.startsWith('#'));
    expect(packages.map((line) => line.split('==')[0]).sort()).toEqual(['Flask-WTF', 'PyMySQL', 'boto3', 'mlflow', 'psycopg2-binary']);
    for (const line of packages) expect(line).toMatch(/^[A-Za-z0-9-]+==\d+(\.\d+)+$/);
  });

  it('tells how to connect: the VPN file first when the VPN is on, then the tracking URI, the CA file and the admin secret', () => {
    const access = { adminSecret: 'acme-ml/dev/mlflow-server/credentials/admin', caParameter: '/acme-ml/dev/mlflow-server/ca-certificate' };
    expect(connectionHelp('https://internal-a', { enabled: true, clients: ['alice', 'bob'] }, access)).toBe(
      [
        'MLflow tracking URI: https://internal-a',
        'To connect:',
        '  1. mlops vpn-config --client alice   (make vpn-config client=alice; clients: alice, bob)',
        '     and import the .ovpn file into the AWS VPN Client or OpenVPN, then connect',
        '  2. export MLFLOW_TRACKING_URI=https://internal-a',
        '     export MLFLOW_TRACKING_SERVER_CERT_PATH=<the -ca.pem file vpn-config writes beside the .ovpn file>',
        "  3. log in: the admin's password is in Secrets Manager secret acme-ml/dev/mlflow-server/credentials/admin; give each person a user of their own",
        '     (MLflow UI, or its auth REST API) and set MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD',
      ].join('\n'),
    );
    const off = connectionHelp('https://internal-a', { enabled: false, clients: [] }, access);
    expect(off).toContain('the VPN is off in settings');
    expect(off).toContain('base64 -d of SSM parameter /acme-ml/dev/mlflow-server/ca-certificate');
  });
});
