import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto';

/**
 * X.509 v3 certificates for the Client VPN's mutual TLS, made with node:crypto alone: Node generates
 * and signs, this file writes the DER structure (RFC 5280) that Node has no API for. No OpenSSL
 * binary and no Terraform `tls` provider needed (the offline mirror has only hashicorp/aws).
 * Keys are RSA 2048, which both ACM import and Client VPN accept.
 */

/** A certificate and its private key, PEM text. */
export interface KeyPairPem {
  readonly certificate: string;
  /** PKCS#1 ("BEGIN RSA PRIVATE KEY"), the form ACM's import documents. */
  readonly privateKey: string;
}

export type CertificateProfile = 'ca' | 'server' | 'client';

export interface IssueOptions {
  /** The subject's common name. */
  readonly commonName: string;
  readonly profile: CertificateProfile;
  /** The signing CA; absent for a self-signed CA. */
  readonly issuer?: KeyPairPem;
  readonly validDays: number;
  /** @default new Date() */
  readonly now?: Date;
  /** @default 2048 */
  readonly keyBits?: number;
  /**
   * A server certificate's DNS names (subjectAltName), when they differ from the common name: a load
   * balancer's name AWS chose, longer than the 64 characters a common name may have.
   * @default [commonName]
   */
  readonly dnsNames?: readonly string[];
}

// --- DER encoding (only what a certificate needs) ---

function length(size: number): Buffer {
  if (size < 0x80) return Buffer.from([size]);
  const bytes: number[] = [];
  for (let rest = size; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...contents: Buffer[]): Buffer {
  const body = Buffer.concat(contents);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
}

const sequence = (...items: Buffer[]) => tlv(0x30, ...items);
const set = (...items: Buffer[]) => tlv(0x31, ...items);
const octetString = (bytes: Buffer) => tlv(0x04, bytes);
const bitString = (bytes: Buffer, unusedBits = 0) => tlv(0x03, Buffer.from([unusedBits]), bytes);
const boolean = (value: boolean) => tlv(0x01, Buffer.from([value ? 0xff : 0x00]));
const utf8String = (text: string) => tlv(0x0c, Buffer.from(text, 'utf8'));
const NULL = Buffer.from([0x05, 0x00]);

/** A non-negative INTEGER from big-endian bytes (leading zeros dropped, a zero added before a high bit). */
function integer(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start += 1;
  const trimmed = bytes.subarray(start);
  return tlv(0x02, trimmed[0] & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

export function objectIdentifier(dotted: string): Buffer {
  const [first, second, ...rest] = dotted.split('.').map(Number);
  const bytes = [40 * first + second];
  for (const arc of rest) {
    const chunk = [arc % 128];
    for (let value = Math.floor(arc / 128); value > 0; value = Math.floor(value / 128)) chunk.unshift((value % 128) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** UTCTime through 2049, GeneralizedTime after, as RFC 5280 requires. */
function time(date: Date): Buffer {
  const iso = date.toISOString();
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const year = date.getUTCFullYear();
  return year >= 1950 && year < 2050 ? tlv(0x17, Buffer.from(digits.slice(2), 'ascii')) : tlv(0x18, Buffer.from(digits, 'ascii'));
}

/** KeyUsage bits (RFC 5280 §4.2.1.3) as a DER BIT STRING with no trailing zero bits. */
const KEY_USAGE_BITS = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 } as const;
function keyUsage(...usages: (keyof typeof KEY_USAGE_BITS)[]): Buffer {
  const bits = usages.map((usage) => KEY_USAGE_BITS[usage]);
  const highest = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(highest / 8) + 1);
  for (const bit of bits) bytes[Math.floor(bit / 8)] |= 0x80 >> bit % 8;
  return bitString(bytes, 7 - (highest % 8));
}

const OID = {
  commonName: '2.5.4.3',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  subjectAltName: '2.5.29.17',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

const name = (commonName: string) => sequence(set(sequence(objectIdentifier(OID.commonName), utf8String(commonName))));

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return sequence(objectIdentifier(oid), ...(critical ? [boolean(true)] : []), octetString(value));
}

/** The key identifier: a SHA-1 of the SubjectPublicKeyInfo (RFC 7093 allows any stable hash). */
function keyIdentifier(spki: Buffer): Buffer {
  return createHash('sha1').update(spki).digest();
}

function profileExtensions(profile: CertificateProfile, dnsNames: readonly string[], subjectKeyId: Buffer, authorityKeyId: Buffer): Buffer[] {
  const identifiers = [
    extension(OID.subjectKeyIdentifier, false, octetString(subjectKeyId)),
    extension(OID.authorityKeyIdentifier, false, sequence(tlv(0x80, authorityKeyId))),
  ];
  switch (profile) {
    case 'ca':
      return [
        extension(OID.basicConstraints, true, sequence(boolean(true))),
        extension(OID.keyUsage, true, keyUsage('keyCertSign', 'cRLSign')),
        ...identifiers,
      ];
    case 'server':
      return [
        extension(OID.basicConstraints, true, sequence()),
        extension(OID.keyUsage, true, keyUsage('digitalSignature', 'keyEncipherment')),
        extension(OID.extKeyUsage, false, sequence(objectIdentifier(OID.serverAuth))),
        extension(OID.subjectAltName, false, sequence(...dnsNames.map((dnsName) => tlv(0x82, Buffer.from(dnsName, 'ascii'))))),
        ...identifiers,
      ];
    case 'client':
      return [
        extension(OID.basicConstraints, true, sequence()),
        extension(OID.keyUsage, true, keyUsage('digitalSignature')),
        extension(OID.extKeyUsage, false, sequence(objectIdentifier(OID.clientAuth))),
        ...identifiers,
      ];
  }
}

function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** The common names a name part may use: DNS-safe, so a server name is also its subjectAltName. */
const COMMON_NAME_PATTERN = /^[a-z0-9]([a-z0-9.-]{0,62}[a-z0-9])?$/;

const DNS_NAME_PATTERN = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** Issues a certificate of `profile` for a new RSA key, signed by `issuer` (or by itself for a CA). */
export function issueCertificate(options: IssueOptions): KeyPairPem {
  const violations: string[] = [];
  if (!COMMON_NAME_PATTERN.test(options.commonName)) violations.push(`commonName "${options.commonName}": lower-case letters, digits, dots and hyphens, at most 64`);
  if (!Number.isInteger(options.validDays) || options.validDays < 1) violations.push(`validDays ${options.validDays}: a whole number of days, 1 or more`);
  if (options.profile !== 'ca' && !options.issuer) violations.push(`a ${options.profile} certificate needs an issuer (the CA)`);
  const dnsNames = options.dnsNames ?? [options.commonName];
  for (const dnsName of dnsNames) if (!DNS_NAME_PATTERN.test(dnsName)) violations.push(`dnsNames "${dnsName}": a DNS name (letters, digits, dots and hyphens, at most 253)`);
  if (dnsNames.length === 0) violations.push('dnsNames: a server certificate needs at least one');
  if (violations.length > 0) throw new Error(`cannot issue a certificate:\n${violations.map((v) => `  - ${v}`).join('\n')}`);

  const now = options.now ?? new Date();
  const notBefore = new Date(now.getTime() - 60 * 60 * 1000); // an hour back, for clocks running behind
  const notAfter = new Date(now.getTime() + options.validDays * 24 * 60 * 60 * 1000);
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: options.keyBits ?? 2048 });
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const subjectKeyId = keyIdentifier(spki);

  const issuerCertificate = options.issuer ? new X509Certificate(options.issuer.certificate) : undefined;
  const issuerKey = options.issuer ? createPrivateKey(options.issuer.privateKey) : privateKey;
  const issuerName = issuerCertificate ? commonNameOf(issuerCertificate) : options.commonName;
  const authorityKeyId = issuerCertificate ? keyIdentifier(issuerCertificate.publicKey.export({ type: 'spki', format: 'der' })) : subjectKeyId;
  if (issuerCertificate && !issuerCertificate.ca) throw new Error(`the issuer ${issuerName} is not a CA certificate`);

  const serial = randomBytes(16);
  serial[0] &= 0x7f;
  serial[0] |= 0x01; // positive and non-zero, 16 bytes
  const signatureAlgorithm = sequence(objectIdentifier(OID.sha256WithRsa), NULL);
  const tbs = sequence(
    tlv(0xa0, integer(Buffer.from([2]))), // v3
    integer(serial),
    signatureAlgorithm,
    name(issuerName),
    sequence(time(notBefore), time(notAfter)),
    name(options.commonName),
    spki,
    tlv(0xa3, sequence(...profileExtensions(options.profile, dnsNames, subjectKeyId, authorityKeyId))),
  );
  const signature = sign('sha256', tbs, issuerKey);
  const certificate = sequence(tbs, signatureAlgorithm, bitString(signature));
  return {
    certificate: pem('CERTIFICATE', certificate),
    privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
  };
}

function commonNameOf(certificate: X509Certificate): string {
  const match = /(?:^|\n)CN=([^\n]+)/.exec(certificate.subject);
  if (!match) throw new Error(`certificate subject "${certificate.subject}" has no common name`);
  return match[1];
}

/** When a certificate stops being valid. */
export function certificateExpiry(certificatePem: string): Date {
  return new Date(new X509Certificate(certificatePem).validTo);
}

/** Whether `certificatePem` was signed by the CA `caCertificatePem`. */
export function issuedBy(certificatePem: string, caCertificatePem: string): boolean {
  const certificate = new X509Certificate(certificatePem);
  const ca = new X509Certificate(caCertificatePem);
  return certificate.checkIssued(ca) && certificate.verify(ca.publicKey);
}

/** A certificate's DNS subjectAltNames. */
export function certificateDnsNames(certificatePem: string): string[] {
  const names = new X509Certificate(certificatePem).subjectAltName ?? '';
  return names.split(', ').filter((entry) => entry.startsWith('DNS:')).map((entry) => entry.slice(4));
}
