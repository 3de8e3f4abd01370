import { request as httpRequest } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { issueCertificate, type KeyPairPem } from '../../cli/vpn/x509.js';

export interface TlsProxy {
  /** `https://localhost:<port>`: the name the certificate is issued for. */
  readonly url: string;
  /** The CA that signed the proxy's certificate, PEM. */
  readonly ca: KeyPairPem;
  stop(): Promise<void>;
}

/**
 * What the internal load balancer does for the MLflow tasks: ends TLS with a certificate the
 * project's PKI code (cli/vpn/x509.ts) issued, and forwards plain HTTP to `target` with the
 * client's Host header.
 */
export async function startTlsProxy(target: string): Promise<TlsProxy> {
  const ca = issueCertificate({ commonName: 'test-proxy-ca', profile: 'ca', validDays: 1 });
  const leaf = issueCertificate({ commonName: 'localhost', dnsNames: ['localhost'], profile: 'server', issuer: ca, validDays: 1 });
  const upstream = new URL(target);
  const server = createServer({ cert: leaf.certificate, key: leaf.privateKey }, (incoming, outgoing) => {
    const forwarded = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: incoming.method, path: incoming.url, headers: { ...incoming.headers, 'x-forwarded-proto': 'https' } },
      (response) => {
        outgoing.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(outgoing);
      },
    );
    forwarded.on('error', (error) => {
      outgoing.writeHead(502);
      outgoing.end(String(error));
    });
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://localhost:${port}`,
    ca,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
