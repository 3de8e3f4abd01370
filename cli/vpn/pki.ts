import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { vpnPkiObjectKeys, type VpnServerCertificateObject } from '../../stacks/mlflow-server/vpn-server-certificate.js';
import type { Environment } from '../../core/environment.js';
import { ExternalError } from '../../core/errors.js';
import type { AwsContext } from '../effects/aws.js';
import type { Reporter } from '../progress.js';
import { certificateDnsNames, certificateExpiry, issueCertificate, issuedBy, type KeyPairPem } from './x509.js';

/**
 * The project's certificates: one CA; for the Client VPN one server certificate and one client
 * certificate per name in settings' vpn.clients; and the MLflow load balancer's certificate (all
 * server certificates imported into ACM by the CLI). Made once and kept in the state bucket; a run
 * issues only what is missing, about to expire, or (with `rotate`) everything again.
 */

/** How long what the CLI issues stays valid, and how early it is renewed. */
export const PKI_VALIDITY = { caDays: 3650, leafDays: 825, renewWithinDays: 30 } as const;

export interface VpnPki {
  readonly ca?: KeyPairPem;
  readonly server?: KeyPairPem;
  readonly clients: Readonly<Record<string, KeyPairPem>>;
  /** The MLflow load balancer's certificate (ensureLoadBalancerCertificate). */
  readonly loadBalancer?: KeyPairPem;
}

export interface PkiPlan {
  readonly issueCa: boolean;
  readonly issueServer: boolean;
  readonly issueClients: readonly string[];
  readonly removeClients: readonly string[];
  /** Why, one line per decision, for the person running the command. */
  readonly reasons: readonly string[];
}

function expiresWithin(certificate: string, now: Date, days: number): boolean {
  return certificateExpiry(certificate).getTime() - now.getTime() < days * 24 * 60 * 60 * 1000;
}

/** Decides what to (re)issue: a new CA re-issues everything under it; otherwise only what is missing, foreign or expiring. */
export function planVpnPki(existing: VpnPki, wantedClients: readonly string[], options: { now: Date; rotate?: boolean; vpn?: boolean }): PkiPlan {
  const reasons: string[] = [];
  const { now } = options;
  const renew = PKI_VALIDITY.renewWithinDays;
  let issueCa = false;
  if (options.rotate) {
    issueCa = true;
    reasons.push('rotation asked for: a new CA, server and client certificates (every old .ovpn file stops working)');
  } else if (!existing.ca) {
    issueCa = true;
    reasons.push('no VPN certificate authority yet: creating one');
  } else if (expiresWithin(existing.ca.certificate, now, renew)) {
    issueCa = true;
    reasons.push(`the VPN CA expires ${certificateExpiry(existing.ca.certificate).toISOString()}: a new CA and new certificates`);
  }
  const valid = (pair: KeyPairPem | undefined, what: string): boolean => {
    if (issueCa) return false;
    if (!pair) {
      reasons.push(`no ${what} yet: issuing it`);
      return false;
    }
    if (!issuedBy(pair.certificate, existing.ca!.certificate)) {
      reasons.push(`the ${what} is not signed by the current CA: issuing it again`);
      return false;
    }
    if (expiresWithin(pair.certificate, now, renew)) {
      reasons.push(`the ${what} expires ${certificateExpiry(pair.certificate).toISOString()}: renewing it`);
      return false;
    }
    return true;
  };
  // Without the VPN only the CA is needed (for the load balancer's certificate); its objects are left as they are.
  if (options.vpn === false) return { issueCa, issueServer: false, issueClients: [], removeClients: [], reasons };
  const issueServer = !valid(existing.server, 'server certificate');
  const issueClients = wantedClients.filter((name) => !valid(existing.clients[name], `client certificate "${name}"`));
  const removeClients = Object.keys(existing.clients).filter((name) => !wantedClients.includes(name));
  for (const name of removeClients) {
    reasons.push(
      `client "${name}" is no longer in settings: its key is deleted, but a copy already handed out stays valid until the CA is rotated (--rotate-vpn-certificates)`,
    );
  }
  return { issueCa, issueServer, issueClients, removeClients, reasons };
}

/** The common names: `<project>-<env>-vpn-ca`, `<project>-<env>-vpn-server`, `<client>.<project>-<env>`. */
export function pkiCommonNames(prefix: string) {
  return { ca: `${prefix}-vpn-ca`, server: `${prefix}-vpn-server`, client: (name: string) => `${name}.${prefix}` };
}

/** Carries out a plan; returns the PKI as it now is. */
export function applyPkiPlan(existing: VpnPki, plan: PkiPlan, prefix: string, now: Date): VpnPki {
  const names = pkiCommonNames(prefix);
  const ca = plan.issueCa || !existing.ca ? issueCertificate({ commonName: names.ca, profile: 'ca', validDays: PKI_VALIDITY.caDays, now }) : existing.ca;
  const leaf = (commonName: string, profile: 'server' | 'client') =>
    issueCertificate({ commonName, profile, issuer: ca, validDays: PKI_VALIDITY.leafDays, now });
  // In a VPN plan a new CA sets issueServer and every client too (planVpnPki).
  const server = plan.issueServer ? leaf(names.server, 'server') : existing.server;
  const clients: Record<string, KeyPairPem> = {};
  for (const [name, pair] of Object.entries(existing.clients)) {
    if (!plan.removeClients.includes(name)) clients[name] = pair;
  }
  for (const name of plan.issueClients) clients[name] = leaf(names.client(name), 'client');
  return { ca, server, clients, loadBalancer: existing.loadBalancer };
}

/**
 * Why the load balancer's certificate must be issued (again), or undefined when the one kept still
 * fits: missing, signed by another CA (the CA was rotated), for another name (the load balancer was
 * replaced), or about to expire.
 */
export function loadBalancerCertificateReason(existing: KeyPairPem | undefined, ca: KeyPairPem, dnsName: string, now: Date): string | undefined {
  if (!existing) return 'no load balancer certificate yet: issuing it';
  if (!issuedBy(existing.certificate, ca.certificate)) return 'the load balancer certificate is not signed by the current CA: issuing it again';
  if (!certificateDnsNames(existing.certificate).includes(dnsName)) return `the load balancer is now ${dnsName}: issuing its certificate again`;
  if (expiresWithin(existing.certificate, now, PKI_VALIDITY.renewWithinDays)) {
    return `the load balancer certificate expires ${certificateExpiry(existing.certificate).toISOString()}: renewing it`;
  }
  return undefined;
}

/**
 * The MLflow load balancer's certificate for the DNS name AWS gave it (known only once the load
 * balancer exists), issued by the project's CA and kept in the state bucket beside the VPN's.
 */
export async function ensureLoadBalancerCertificate(options: {
  store: ObjectStore;
  environment: Pick<Environment, 'project' | 'envName'>;
  dnsName: string;
  now?: Date;
  reporter: Reporter;
}): Promise<{ pair: KeyPairPem; ca: KeyPairPem; issued: boolean }> {
  const { store, environment, dnsName, reporter } = options;
  const now = options.now ?? new Date();
  const pki = await readVpnPki(store, environment);
  if (!pki.ca) throw new ExternalError('the project CA has not been issued: ensureVpnPki runs first');
  const reason = loadBalancerCertificateReason(pki.loadBalancer, pki.ca, dnsName, now);
  if (!reason) return { pair: pki.loadBalancer!, ca: pki.ca, issued: false };
  reporter.info(`MLflow certificates: ${reason}`);
  const pair = issueCertificate({
    commonName: `${environment.project}-${environment.envName}-mlflow`,
    dnsNames: [dnsName],
    profile: 'server',
    issuer: pki.ca,
    validDays: PKI_VALIDITY.leafDays,
    now,
  });
  const stored: VpnServerCertificateObject = { certificate: pair.certificate, private_key: pair.privateKey, certificate_chain: pki.ca.certificate };
  await store.write(vpnPkiObjectKeys(environment).loadBalancer, `${JSON.stringify(stored, null, 2)}\n`);
  return { pair, ca: pki.ca, issued: true };
}

/** Text objects by key; S3 in the state bucket, or memory in tests. */
export interface ObjectStore {
  read(key: string): Promise<string | undefined>;
  write(key: string, text: string): Promise<void>;
  remove(key: string): Promise<void>;
  list(prefix: string): Promise<string[]>;
}

/** Objects in an S3 bucket, encrypted with KMS, `application/json` (so Terraform's aws_s3_object data source returns the body). */
export function createS3ObjectStore(bucket: string, aws: AwsContext): ObjectStore {
  const client = aws.client(S3Client);
  const fail = (action: string, key: string, error: unknown) =>
    new ExternalError(`S3 ${action} s3://${bucket}/${key} failed: ${(error as Error).message}`, { cause: error });
  return {
    async read(key) {
      try {
        const result = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return await result.Body!.transformToString('utf8');
      } catch (error) {
        if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
        throw fail('GetObject', key, error);
      }
    },
    async write(key, text) {
      try {
        await client.send(
          new PutObjectCommand({ Bucket: bucket, Key: key, Body: text, ContentType: 'application/json', ServerSideEncryption: 'aws:kms' }),
        );
      } catch (error) {
        throw fail('PutObject', key, error);
      }
    },
    async remove(key) {
      try {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      } catch (error) {
        throw fail('DeleteObject', key, error);
      }
    },
    async list(prefix) {
      const keys: string[] = [];
      let token: string | undefined;
      try {
        do {
          const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
          keys.push(...(page.Contents ?? []).map((object) => object.Key!).filter(Boolean));
          token = page.NextContinuationToken;
        } while (token);
      } catch (error) {
        throw fail('ListObjectsV2', prefix, error);
      }
      return keys;
    },
  };
}

interface StoredPair {
  certificate: string;
  private_key: string;
  certificate_chain?: string;
}

const toPair = (text: string | undefined): KeyPairPem | undefined => {
  if (!text) return undefined;
  const stored = JSON.parse(text) as StoredPair;
  return { certificate: stored.certificate, privateKey: stored.private_key };
};

/** Reads what the store holds under the environment's VPN prefix. */
export async function readVpnPki(store: ObjectStore, environment: Pick<Environment, 'project' | 'envName'>): Promise<VpnPki> {
  const keys = vpnPkiObjectKeys(environment);
  const clientKeys = await store.list(keys.clientsPrefix);
  const clients: Record<string, KeyPairPem> = {};
  for (const key of clientKeys) {
    const pair = toPair(await store.read(key));
    if (pair) clients[key.slice(keys.clientsPrefix.length).replace(/\.json$/, '')] = pair;
  }
  return { ca: toPair(await store.read(keys.ca)), server: toPair(await store.read(keys.server)), clients, loadBalancer: toPair(await store.read(keys.loadBalancer)) };
}

export interface EnsureVpnPkiResult {
  readonly plan: PkiPlan;
  readonly pki: VpnPki;
}

/**
 * Makes the stored PKI match the settings: issues what the plan says, writes only what changed (so
 * a second run writes nothing and Terraform sees the same server certificate), deletes keys of
 * clients no longer listed.
 */
export async function ensureVpnPki(options: {
  store: ObjectStore;
  environment: Pick<Environment, 'project' | 'envName'>;
  clients: readonly string[];
  rotate?: boolean;
  /** @default true — false: only the CA (the load balancer's certificate needs it even without the VPN) */
  vpn?: boolean;
  now?: Date;
  reporter: Reporter;
}): Promise<EnsureVpnPkiResult> {
  const { store, environment, reporter } = options;
  const now = options.now ?? new Date();
  const keys = vpnPkiObjectKeys(environment);
  const existing = await readVpnPki(store, environment);
  const plan = planVpnPki(existing, options.clients, { now, rotate: options.rotate, vpn: options.vpn });
  for (const reason of plan.reasons) reporter.info(`VPN certificates: ${reason}`);
  const prefix = `${environment.project}-${environment.envName}`;
  const pki = applyPkiPlan(existing, plan, prefix, now);
  const serialize = (pair: KeyPairPem, chain?: string) =>
    `${JSON.stringify({ certificate: pair.certificate, private_key: pair.privateKey, ...(chain ? { certificate_chain: chain } : {}) }, null, 2)}\n`;
  if (plan.issueCa) await store.write(keys.ca, serialize(pki.ca!));
  if (plan.issueServer) {
    const server: VpnServerCertificateObject = { certificate: pki.server!.certificate, private_key: pki.server!.privateKey, certificate_chain: pki.ca!.certificate };
    await store.write(keys.server, `${JSON.stringify(server, null, 2)}\n`);
  }
  for (const name of plan.issueClients) {
    await store.write(keys.client(name), serialize(pki.clients[name], pki.ca!.certificate));
  }
  for (const name of plan.removeClients) await store.remove(keys.client(name));
  return { plan, pki };
}

/** Deletes every VPN object of the environment (after `-rm`). */
export async function removeVpnPki(store: ObjectStore, environment: Pick<Environment, 'project' | 'envName'>): Promise<number> {
  const keys = await store.list(`${vpnPkiObjectKeys(environment).prefix}/`);
  for (const key of keys) await store.remove(key);
  return keys.length;
}
