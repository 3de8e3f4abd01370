import { chmodSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ExternalError, UsageError } from '../../core/errors.js';
import type { StackConfig } from '../../stacks/common/config.js';
import { printJson } from '../command.js';
import { createAwsContext } from '../effects/aws.js';
import { paths } from '../paths.js';
import { createReporter } from '../progress.js';
import { loadStepConfig } from '../settings/load.js';
import { renderOvpnConfig } from '../vpn/ovpn.js';
import { createS3ObjectStore, pkiCommonNames, readVpnPki, type ObjectStore } from '../vpn/pki.js';
import { recordedOutputs } from './mlflow-server-rm.js';

/**
 * Writes one client's .ovpn file from the stored certificates and the endpoint recorded in the
 * stack's state, and beside it the project CA as a PEM file: the same CA signed the MLflow load
 * balancer's certificate, and MLflow's client takes it as a file (MLFLOW_TRACKING_SERVER_CERT_PATH).
 */
export async function writeVpnConfig(
  store: ObjectStore,
  config: StackConfig,
  client: string,
  outFile: string,
): Promise<{ file: string; caFile: string; endpoint: string; trackingUri: string }> {
  const vpn = config.settings.mlflow_server.vpn;
  const file = paths.settingsFile();
  if (!vpn.enabled) throw new UsageError(`the VPN is off (mlflow_server.vpn.enabled is false in ${file}): there is no VPN configuration to write`);
  if (!vpn.clients.includes(client)) {
    throw new UsageError(`--client "${client}" is not a VPN client; mlflow_server.vpn.clients in ${file} lists: ${vpn.clients.join(', ') || '(none)'}`);
  }
  const outputs = await recordedOutputs(store, config.environment);
  const endpoint = typeof outputs?.vpn_dns_name === 'string' ? outputs.vpn_dns_name : undefined;
  if (!endpoint) throw new ExternalError('the MLflow server stack has no VPN endpoint yet: run `make mlflow-server` first');
  const pki = await readVpnPki(store, config.environment);
  const pair = pki.clients[client];
  if (!pki.ca || !pair) throw new ExternalError(`no certificate for client "${client}" yet: run \`make mlflow-server\` to issue it`);
  const text = renderOvpnConfig({
    endpointDnsName: endpoint,
    caCertificate: pki.ca.certificate,
    clientCertificate: pair.certificate,
    clientPrivateKey: pair.privateKey,
    serverName: pkiCommonNames(`${config.environment.project}-${config.environment.envName}`).server,
  });
  const target = resolve(outFile);
  writeFileSync(target, text, { mode: 0o600 });
  chmodSync(target, 0o600);
  const caFile = `${target.replace(/\.ovpn$/, '')}-ca.pem`;
  writeFileSync(caFile, pki.ca.certificate);
  return { file: target, caFile, endpoint, trackingUri: String(outputs?.tracking_uri ?? '') };
}

/** `mlops vpn-config`. */
export async function runVpnConfig(args: { client: string; out?: string; json: boolean }): Promise<void> {
  const reporter = createReporter();
  const config = loadStepConfig();
  const { environment } = config;
  const store = createS3ObjectStore(environment.stateBucket, createAwsContext(environment.region));
  const result = await writeVpnConfig(store, config, args.client, args.out ?? `${environment.project}-${environment.envName}-${args.client}.ovpn`);
  reporter.info(
    `Wrote ${result.file} (mode 600: it holds the client's private key).\n` +
      'Import it into the AWS VPN Client or OpenVPN and connect, then:\n' +
      `  export MLFLOW_TRACKING_URI=${result.trackingUri}\n` +
      `  export MLFLOW_TRACKING_SERVER_CERT_PATH=${result.caFile}   (the project CA, which signed the server's certificate)`,
  );
  if (args.json) printJson(result);
}
