/**
 * An OpenVPN client configuration for an AWS Client VPN endpoint with mutual TLS, in the form AWS's
 * own export gives (udp/443, `remote-random-hostname`), with the CA, the client certificate and its
 * key inline, so one file is all a user imports (AWS VPN Client, OpenVPN, Tunnelblick).
 */
export interface OvpnInput {
  /** The endpoint's DNS name as Terraform reports it: `*.cvpn-endpoint-….clientvpn.<region>.amazonaws.com`. */
  readonly endpointDnsName: string;
  readonly caCertificate: string;
  readonly clientCertificate: string;
  readonly clientPrivateKey: string;
  /** The server certificate's common name, which the client insists on. */
  readonly serverName: string;
  /** @default 443 */
  readonly port?: number;
  /** @default 'udp' */
  readonly protocol?: 'udp' | 'tcp';
}

const inline = (tag: string, pem: string) => `<${tag}>\n${pem.trim()}\n</${tag}>`;

export function renderOvpnConfig(input: OvpnInput): string {
  const host = input.endpointDnsName.replace(/^\*\./, '');
  if (!/^[a-z0-9.-]+$/i.test(host)) throw new Error(`"${input.endpointDnsName}" is not a Client VPN endpoint DNS name`);
  for (const [what, pem] of [
    ['CA certificate', input.caCertificate],
    ['client certificate', input.clientCertificate],
    ['client key', input.clientPrivateKey],
  ] as const) {
    if (!/^-----BEGIN [A-Z ]+-----\n[\s\S]+\n-----END [A-Z ]+-----\s*$/.test(pem)) throw new Error(`the ${what} is not PEM text`);
  }
  return [
    'client',
    'dev tun',
    `proto ${input.protocol ?? 'udp'}`,
    `remote ${host} ${input.port ?? 443}`,
    'remote-random-hostname',
    'resolv-retry infinite',
    'nobind',
    'remote-cert-tls server',
    `verify-x509-name ${input.serverName} name`,
    'cipher AES-256-GCM',
    'verb 3',
    'reneg-sec 0',
    inline('ca', input.caCertificate),
    inline('cert', input.clientCertificate),
    inline('key', input.clientPrivateKey),
    '',
  ].join('\n');
}

/** The outputs recorded in a Terraform state file (format version 4), by name. */
export function stateOutputs(stateText: string): Record<string, unknown> {
  const state = JSON.parse(stateText) as { version?: number; outputs?: Record<string, { value: unknown }> };
  if (state.version !== 4) throw new Error(`unsupported Terraform state format version ${state.version}`);
  return Object.fromEntries(Object.entries(state.outputs ?? {}).map(([name, output]) => [name, output.value]));
}

/** An attribute of a managed resource recorded in a Terraform state file (its single instance); undefined when not recorded. */
export function stateResourceAttribute(stateText: string, type: string, name: string, attribute: string): unknown {
  const state = JSON.parse(stateText) as { version?: number; resources?: { mode: string; type: string; name: string; instances?: { attributes?: Record<string, unknown> }[] }[] };
  if (state.version !== 4) throw new Error(`unsupported Terraform state format version ${state.version}`);
  const resource = (state.resources ?? []).find((entry) => entry.mode === 'managed' && entry.type === type && entry.name === name);
  return resource?.instances?.[0]?.attributes?.[attribute];
}
