import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ListObjectVersionsCommand, NoSuchBucket, S3Client } from '@aws-sdk/client-s3';
import type { Command } from '../command.js';
import { printJson, withJson, withYes } from '../command.js';
import {
  buildMlflowServerStack,
  MLFLOW_SERVER_IMAGE_DIR,
  mlflowServerImageTag,
  pinMlflowRequirement,
} from '../builders/mlflow-server.js';
import { createContainerEngine, type ContainerEngine } from '../effects/container-engine.js';
import { createEcrRegistry, publishImage, type ImageBuildMode, type ImageRegistry, type PublishedImage } from '../effects/container-image.js';
import { repositoryUri } from '../effects/serving-image.js';
import { createTerraformRunner, describePlan, resolveTerraformBinary, type PlanSummary, type TerraformRunner } from '../effects/terraform.js';
import { ExternalError, UsageError } from '../errors.js';
import { paths } from '../paths.js';
import { createReporter, type Reporter } from '../progress.js';
import { loadSettings, readEnvironment, type Environment } from '../settings/load.js';
import type { Settings } from '../settings/schema.js';
import { applyStack, destroyStack, type Confirm } from '../stack-lifecycle.js';
import { synthesize } from '../synth.js';
import { stateKeys } from '../../stacks/common/config.js';
import type { MlflowServerStack } from '../../stacks/mlflow-server-stack.js';
import { pkiCommonNames, createS3ObjectStore, ensureVpnPki, readVpnPki, removeVpnPki, type ObjectStore } from '../vpn/pki.js';
import { renderOvpnConfig, stateOutputs } from '../vpn/ovpn.js';

/** The effects the MLflow server commands use, injectable so tests can swap them. */
export interface MlflowServerEffects {
  readonly runner: TerraformRunner;
  /** Objects in the state bucket: the stack's state (read-only) and the VPN certificates. */
  readonly stateStore: ObjectStore;
  readonly registry: ImageRegistry;
  readonly docker: ContainerEngine;
  /** The URI of an existing ECR repository. */
  repositoryUri(name: string): Promise<string>;
  /** Whether a bucket holds any object version or delete marker; undefined when there is no such bucket. */
  bucketHoldsObjects(bucket: string): Promise<boolean | undefined>;
  readonly reporter: Reporter;
}

export async function createMlflowServerEffects(environment: Environment, reporter: Reporter): Promise<MlflowServerEffects> {
  const runner = createTerraformRunner(await resolveTerraformBinary(), reporter);
  const s3 = new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL) });
  const ecr = new ECRClient({});
  return {
    runner,
    stateStore: createS3ObjectStore(environment.stateBucket, s3),
    registry: createEcrRegistry(ecr),
    docker: createContainerEngine(),
    repositoryUri: (name) => repositoryUri(name, ecr),
    async bucketHoldsObjects(bucket) {
      try {
        const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, MaxKeys: 1 }));
        return (page.Versions ?? []).length + (page.DeleteMarkers ?? []).length > 0;
      } catch (error) {
        if (error instanceof NoSuchBucket || (error as Error).name === 'NoSuchBucket') return undefined;
        throw new ExternalError(`S3 ListObjectVersions on ${bucket} failed: ${(error as Error).message}`);
      }
    },
    reporter,
  };
}

/** Synthesizes the stack into cdktf.out (or MLOPS_OUTDIR) and returns it with its folder. */
function synthesizeServer(config: { environment: Environment; settings: Settings }, imageTag: string): { stack: MlflowServerStack; dir: string } {
  let stack: MlflowServerStack | undefined;
  const [dir] = synthesize((app) => [(stack = buildMlflowServerStack(app, config, { imageTag }))]);
  return { stack: stack!, dir };
}

/** The image's build context: the image folder, with MLflow pinned to the settings' version. */
function prepareImageContext(mlflowVersion: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-mlflow-image-'));
  cpSync(MLFLOW_SERVER_IMAGE_DIR, dir, { recursive: true });
  const requirements = join(dir, 'requirements.txt');
  writeFileSync(requirements, pinMlflowRequirement(readFileSync(requirements, 'utf8'), mlflowVersion));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** How to reach the server once it runs; the VPN part only when the stack has one. */
export function connectionHelp(trackingUri: string, vpn: { enabled: boolean; clients: readonly string[] }): string {
  const lines = [`MLflow tracking URI: ${trackingUri}`, 'To connect:'];
  if (vpn.enabled) {
    lines.push(
      `  1. mlops vpn-config --client ${vpn.clients[0] ?? 'NAME'}   (make vpn-config client=${vpn.clients[0] ?? 'NAME'}; clients: ${vpn.clients.join(', ')})`,
      '     and import the .ovpn file into the AWS VPN Client or OpenVPN, then connect',
    );
  } else {
    lines.push('  1. be inside the VPC or a network admitted by mlflow_server.allowed_cidrs (the VPN is off in settings)');
  }
  lines.push(`  2. export MLFLOW_TRACKING_URI=${trackingUri}`);
  return lines.join('\n');
}

export interface DeployResult {
  readonly trackingUri: string;
  readonly plan: PlanSummary;
  readonly image: PublishedImage;
  readonly vpn: { readonly enabled: boolean; readonly issued: readonly string[] };
  readonly outputs: Record<string, unknown>;
}

/**
 * synth → init → the ECR repository alone (targeted plan/apply) → the image, built and pushed only
 * when its content-hash tag is missing from ECR → plan summary → apply → outputs.
 */
export async function deployMlflowServer(
  effects: MlflowServerEffects,
  config: { environment: Environment; settings: Settings },
  options: { imageBuild: ImageBuildMode; rotateVpnCertificates: boolean },
): Promise<DeployResult> {
  const { runner, reporter } = effects;
  const server = config.settings.mlflow_server;
  let issued: string[] = [];
  if (server.vpn.enabled) {
    const { plan } = await ensureVpnPki({
      store: effects.stateStore,
      environment: config.environment,
      clients: server.vpn.clients,
      rotate: options.rotateVpnCertificates,
      reporter,
    });
    issued = [...(plan.issueCa ? ['ca'] : []), ...(plan.issueCa || plan.issueServer ? ['server'] : []), ...plan.issueClients];
  } else if (options.rotateVpnCertificates) {
    throw new UsageError(`--rotate-vpn-certificates: the VPN is off (mlflow_server.vpn.enabled is false in ${paths.settingsFile()})`);
  }

  const imageTag = mlflowServerImageTag(config.settings);
  const { stack, dir } = synthesizeServer(config, imageTag);
  await runner.init(dir);
  const repository = stack.imageRepository.repository;
  const repositoryPlan = await runner.plan(dir, { targets: [`${repository.terraformResourceType}.${repository.friendlyUniqueId}`] });
  if (repositoryPlan.add + repositoryPlan.change + repositoryPlan.destroy > 0) {
    reporter.info(`The image repository first — ${describePlan(repositoryPlan)}`);
    await runner.applyPlan(dir);
  }
  const repositoryName = stack.imageRepository.repositoryName;
  const image = await publishImage({
    registry: effects.registry,
    docker: effects.docker,
    repositoryName,
    repositoryUri: await effects.repositoryUri(repositoryName),
    tag: imageTag,
    prepareContext: () => prepareImageContext(server.mlflow_version),
    mode: options.imageBuild,
    reporter,
  });
  const { plan, outputs } = await applyStack(dir, runner, reporter);
  const trackingUri = String(outputs.tracking_uri ?? '');
  if (!trackingUri) throw new ExternalError(`the stack in ${dir} has no tracking_uri output after apply`);
  return { trackingUri, plan, image, vpn: { enabled: server.vpn.enabled, issued }, outputs };
}

/** The stack's outputs as its state in the state bucket records them; undefined before the first apply. */
async function recordedOutputs(store: ObjectStore, environment: Environment): Promise<Record<string, unknown> | undefined> {
  const text = await store.read(stateKeys.mlflowServer(environment));
  return text === undefined ? undefined : stateOutputs(text);
}

/**
 * Refuses `-rm` up front when destroy would stop halfway: a database under deletion protection, or
 * an artifact bucket that still holds artifacts and may not be force-destroyed.
 */
export async function removalBlockers(effects: MlflowServerEffects, config: { environment: Environment; settings: Settings }): Promise<string[]> {
  const server = config.settings.mlflow_server;
  const outputs = await recordedOutputs(effects.stateStore, config.environment);
  if (!outputs) return [];
  const file = paths.settingsFile();
  const blockers: string[] = [];
  if (outputs.database_identifier && server.db_deletion_protection) {
    blockers.push(
      `the database ${String(outputs.database_identifier)} has deletion protection (mlflow_server.db_deletion_protection is true in ${file}): ` +
        'set it to false and run `make mlflow-server` to apply that, then remove',
    );
  }
  const bucket = typeof outputs.artifact_bucket === 'string' ? outputs.artifact_bucket : undefined;
  if (bucket && !server.artifact_bucket_force_destroy && (await effects.bucketHoldsObjects(bucket))) {
    blockers.push(
      `the artifact bucket ${bucket} still holds artifacts and mlflow_server.artifact_bucket_force_destroy is false in ${file}: ` +
        'copy what you need, set it to true and run `make mlflow-server` to apply that, then remove',
    );
  }
  return blockers;
}

export async function removeMlflowServer(
  effects: MlflowServerEffects,
  config: { environment: Environment; settings: Settings },
  options: { yes: boolean; confirm?: Confirm },
): Promise<{ plan: PlanSummary; vpnObjectsRemoved: number }> {
  const blockers = await removalBlockers(effects, config);
  if (blockers.length > 0) throw new UsageError(`The MLflow server cannot be removed yet (nothing was removed):\n${blockers.map((b) => `  - ${b}`).join('\n')}`);
  const { dir } = synthesizeServer(config, mlflowServerImageTag(config.settings));
  const plan = await destroyStack(dir, effects.runner, effects.reporter, { yes: options.yes, what: 'the MLflow server stack', confirm: options.confirm });
  const vpnObjectsRemoved = await removeVpnPki(effects.stateStore, config.environment);
  if (vpnObjectsRemoved > 0) effects.reporter.info(`Removed ${vpnObjectsRemoved} VPN certificate objects from the state bucket.`);
  return { plan, vpnObjectsRemoved };
}

/** Writes one client's .ovpn file from the stored certificates and the endpoint recorded in the stack's state. */
export async function writeVpnConfig(
  store: ObjectStore,
  config: { environment: Environment; settings: Settings },
  client: string,
  outFile: string,
): Promise<{ file: string; endpoint: string; trackingUri: string }> {
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
  return { file: target, endpoint, trackingUri: String(outputs?.tracking_uri ?? '') };
}

interface DeployArgs {
  json: boolean;
  'image-build': ImageBuildMode;
  'rotate-vpn-certificates': boolean;
}

export const mlflowServer: Command<DeployArgs> = {
  command: 'mlflow-server',
  describe:
    'Create or update the MLflow server on AWS (VPC, RDS, S3, ECS Fargate behind an internal load balancer, Client VPN): synth → plan summary → apply; builds the server image only when its inputs changed',
  builder: (yargs) =>
    withJson(yargs)
      .option('image-build', {
        choices: ['auto', 'skip'] as const,
        default: 'auto' as const,
        describe: 'auto: build and push the server image when ECR lacks its content-hash tag; skip: never build (emulators, no Docker engine)',
      })
      .option('rotate-vpn-certificates', {
        type: 'boolean',
        default: false,
        describe: 'Issue a new VPN CA, server and client certificates (revokes every .ovpn file handed out)',
      }),
  handler: async (args) => {
    const reporter = createReporter();
    const config = { environment: readEnvironment(), settings: loadSettings() };
    const effects = await createMlflowServerEffects(config.environment, reporter);
    const result = await deployMlflowServer(effects, config, { imageBuild: args['image-build'], rotateVpnCertificates: args['rotate-vpn-certificates'] });
    reporter.info(connectionHelp(result.trackingUri, config.settings.mlflow_server.vpn));
    if (args.json) {
      printJson({
        trackingUri: result.trackingUri,
        plan: {
          add: result.plan.add,
          change: result.plan.change,
          destroy: result.plan.destroy,
          updatedInPlace: result.plan.updateInPlace,
          replaced: result.plan.replace,
        },
        image: result.image,
        vpn: result.vpn,
        outputs: result.outputs,
      });
    }
  },
};

export const mlflowServerRm: Command<{ json: boolean; yes: boolean }> = {
  command: 'mlflow-server-rm',
  describe: 'Destroy everything the MLflow server stack created (asks first unless --yes or CI); refuses up front what destroy could not finish',
  builder: (yargs) => withYes(withJson(yargs)),
  handler: async (args) => {
    const reporter = createReporter();
    const config = { environment: readEnvironment(), settings: loadSettings() };
    const effects = await createMlflowServerEffects(config.environment, reporter);
    const result = await removeMlflowServer(effects, config, { yes: args.yes });
    if (args.json) printJson({ destroyed: result.plan.destroy, vpnObjectsRemoved: result.vpnObjectsRemoved });
  },
};

export const vpnConfig: Command<{ client: string; out?: string; json: boolean }> = {
  command: 'vpn-config',
  describe: "Write a VPN client's .ovpn file (mutual-TLS certificate inline) for the MLflow server's Client VPN endpoint",
  builder: (yargs) =>
    withJson(yargs)
      .option('client', { type: 'string', demandOption: true, describe: 'A name from mlflow_server.vpn.clients in the settings' })
      .option('out', { type: 'string', describe: 'Where to write the file (default: ./<project>-<env>-<client>.ovpn)' }),
  handler: async (args) => {
    const reporter = createReporter();
    const config = { environment: readEnvironment(), settings: loadSettings() };
    const { environment } = config;
    const store = createS3ObjectStore(environment.stateBucket);
    const result = await writeVpnConfig(store, config, args.client, args.out ?? `${environment.project}-${environment.envName}-${args.client}.ovpn`);
    reporter.info(
      `Wrote ${result.file} (mode 600: it holds the client's private key).\n` +
        'Import it into the AWS VPN Client or OpenVPN and connect, then:\n' +
        `  export MLFLOW_TRACKING_URI=${result.trackingUri}`,
    );
    if (args.json) printJson(result);
  },
};
