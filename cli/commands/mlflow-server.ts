import type { ImageBuildMode } from '../effects/container-image.js';
import type { Command } from '../command.js';
import { lazyHandler, withImageBuild, withJson, withMaxMonthlyUsd, withYes } from '../command.js';

export const mlflowServer: Command<{ json: boolean; 'image-build': ImageBuildMode; 'rotate-vpn-certificates': boolean; 'max-monthly-usd'?: number }> = {
  command: 'mlflow-server',
  describe:
    'Create or update the MLflow server on AWS (VPC, RDS, S3, ECS Fargate behind an internal load balancer, Client VPN): synth → plan summary and estimated cost → apply; builds the server image only when its inputs changed',
  builder: (yargs) =>
    withMaxMonthlyUsd(withImageBuild(withJson(yargs))).option('rotate-vpn-certificates', {
      type: 'boolean',
      default: false,
      describe: 'Issue a new VPN CA, server and client certificates (revokes every .ovpn file handed out)',
    }),
  handler: lazyHandler(async () => (await import('../workflows/mlflow-server.js')).runMlflowServer),
};

export const mlflowServerRm: Command<{ json: boolean; yes: boolean }> = {
  command: 'mlflow-server-rm',
  describe: 'Destroy everything the MLflow server stack created (asks first unless --yes or CI); refuses up front what destroy could not finish',
  builder: (yargs) => withYes(withJson(yargs)),
  handler: lazyHandler(async () => (await import('../workflows/mlflow-server-rm.js')).runMlflowServerRm),
};

export const vpnConfig: Command<{ client: string; out?: string; json: boolean }> = {
  command: 'vpn-config',
  describe: "Write a VPN client's .ovpn file (mutual-TLS certificate inline) for the MLflow server's Client VPN endpoint",
  builder: (yargs) =>
    withJson(yargs)
      .option('client', { type: 'string', demandOption: true, describe: 'A name from mlflow_server.vpn.clients in the settings' })
      .option('out', { type: 'string', describe: 'Where to write the file (default: ./<project>-<env>-<client>.ovpn)' }),
  handler: lazyHandler(async () => (await import('../workflows/vpn-config.js')).runVpnConfig),
};
