import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectVersionsCommand, NoSuchBucket, S3Client } from '@aws-sdk/client-s3';
import { ExternalError, UsageError } from '../../core/errors.js';
import type { StackConfig } from '../../stacks/common/config.js';
import type { MlflowServerStack } from '../../stacks/mlflow-server-stack.js';
import { buildMlflowServerStack, MLFLOW_SERVER_IMAGE_DIR, mlflowServerImageTag, pinMlflowRequirement } from '../builders/mlflow-server.js';
import type { ImageBuildMode, PublishedImage } from '../effects/container-image.js';
import type { PlanSummary } from '../effects/terraform.js';
import { paths } from '../paths.js';
import { printJson } from '../command.js';
import { createReporter, type Reporter } from '../progress.js';
import { loadStepConfig } from '../settings/load.js';
import { planAndApply } from '../stack-lifecycle.js';
import { synthesize } from '../synth.js';
import { ensureLoadBalancerCertificate, ensureVpnPki, type ObjectStore } from '../vpn/pki.js';
import { createAcmVpnServerCertificates, importServerCertificate, importVpnServerCertificate, type VpnServerCertificates } from '../vpn/acm.js';
import { stateResourceAttribute } from '../vpn/ovpn.js';
import { createMlflowCredentialSecrets, ensureMlflowCredentials, type MlflowCredentialSecrets } from '../effects/mlflow-credentials.js';
import { mlflowCredentialSecretNames, sharedParameterNames, stateKeys } from '../../core/naming.js';
import { encodeMlflowCa } from '../../core/training/mlflow-ca.js';
import { applyRepositoryThenImage } from './repository-then-image.js';
import { createStateStore, createStepEffects, type StepEffects } from './step-effects.js';

/** The effects the MLflow server commands use, injectable so tests can swap them. */
export interface MlflowServerEffects extends StepEffects {
  /** Objects in the state bucket: the stack's state (read-only) and the VPN certificates. */
  readonly stateStore: ObjectStore;
  /** The VPN server certificate in ACM, and the SSM parameter that hands its ARN to the stack. */
  readonly vpnCertificates: VpnServerCertificates;
  /** The MLflow users' credential secrets, which the CLI fills. */
  readonly credentials: MlflowCredentialSecrets;
  /** Whether a bucket holds any object version or delete marker; undefined when there is no such bucket. */
  bucketHoldsObjects(bucket: string): Promise<boolean | undefined>;
}

export async function createMlflowServerEffects(config: StackConfig, reporter: Reporter): Promise<MlflowServerEffects> {
  const step = await createStepEffects(config, reporter);
  const s3 = step.aws.client(S3Client);
  return {
    ...step,
    stateStore: createStateStore(config, step.aws),
    vpnCertificates: createAcmVpnServerCertificates(step.aws),
    credentials: createMlflowCredentialSecrets(step.aws),
    async bucketHoldsObjects(bucket) {
      try {
        const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, MaxKeys: 1 }));
        return (page.Versions ?? []).length + (page.DeleteMarkers ?? []).length > 0;
      } catch (error) {
        if (error instanceof NoSuchBucket || (error as Error).name === 'NoSuchBucket') return undefined;
        throw new ExternalError(`S3 ListObjectVersions on ${bucket} failed: ${(error as Error).message}`);
      }
    },
  };
}

/** Synthesizes the stack into cdktf.out (or MLOPS_OUTDIR) and returns it with its folder. */
export function synthesizeServer(config: StackConfig, imageTag: string = mlflowServerImageTag(config.settings)): { stack: MlflowServerStack; dir: string } {
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
export function connectionHelp(trackingUri: string, vpn: { enabled: boolean; clients: readonly string[] }, access: { adminSecret: string; caParameter: string }): string {
  const lines = [`MLflow tracking URI: ${trackingUri}`, 'To connect:'];
  if (vpn.enabled) {
    lines.push(
      `  1. mlops vpn-config --client ${vpn.clients[0] ?? 'NAME'}   (make vpn-config client=${vpn.clients[0] ?? 'NAME'}; clients: ${vpn.clients.join(', ')})`,
      '     and import the .ovpn file into the AWS VPN Client or OpenVPN, then connect',
    );
  } else {
    lines.push('  1. be inside the VPC or a network admitted by mlflow_server.allowed_cidrs (the VPN is off in settings)');
  }
  lines.push(
    `  2. export MLFLOW_TRACKING_URI=${trackingUri}`,
    vpn.enabled
      ? '     export MLFLOW_TRACKING_SERVER_CERT_PATH=<the -ca.pem file vpn-config writes beside the .ovpn file>'
      : `     export MLFLOW_TRACKING_SERVER_CERT_PATH=<a file with the project CA: base64 -d of SSM parameter ${access.caParameter}>`,
    `  3. log in: the admin's password is in Secrets Manager secret ${access.adminSecret}; give each person a user of their own`,
    '     (MLflow UI, or its auth REST API) and set MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD',
  );
  return lines.join('\n');
}

export interface DeployResult {
  readonly trackingUri: string;
  readonly plan: PlanSummary;
  readonly image: PublishedImage;
  readonly vpn: { readonly enabled: boolean; readonly issued: readonly string[] };
  /** The MLflow users whose credential was generated in this run. */
  readonly generatedCredentials: readonly string[];
  readonly outputs: Record<string, unknown>;
}

/**
 * The project's CA and the VPN certificates first (the CLI imports the VPN server's into ACM; the
 * stack reads only its ARN); then the repository, the users' empty credential secrets and the load
 * balancer (targeted), the image; then the CLI fills the secrets and issues and imports the load
 * balancer's certificate for the DNS name AWS gave it; then the rest of the stack.
 */
export async function deployMlflowServer(
  effects: MlflowServerEffects,
  config: StackConfig,
  options: { imageBuild: ImageBuildMode; rotateVpnCertificates: boolean },
): Promise<DeployResult> {
  const server = config.settings.mlflow_server;
  const { environment } = config;
  const { reporter } = effects;
  if (!server.vpn.enabled && options.rotateVpnCertificates) {
    throw new UsageError(`--rotate-vpn-certificates: the VPN is off (mlflow_server.vpn.enabled is false in ${paths.settingsFile()})`);
  }
  // The CA always: the load balancer's HTTPS certificate needs it, with or without the VPN.
  const { plan: pkiPlan, pki } = await ensureVpnPki({
    store: effects.stateStore,
    environment,
    clients: server.vpn.enabled ? server.vpn.clients : [],
    vpn: server.vpn.enabled,
    rotate: options.rotateVpnCertificates,
    reporter,
  });
  const issued = [...(pkiPlan.issueCa ? ['ca'] : []), ...(pkiPlan.issueServer ? ['server'] : []), ...pkiPlan.issueClients];
  if (server.vpn.enabled) await importVpnServerCertificate({ certificates: effects.vpnCertificates, environment, pki, reporter });
  // Training jobs trust the load balancer through this CA (the training stack reads it).
  const caParameter = sharedParameterNames(environment).caCertificate;
  const encodedCa = encodeMlflowCa(pki.ca!.certificate);
  if ((await effects.vpnCertificates.parameters.get(caParameter)) !== encodedCa) await effects.vpnCertificates.parameters.put(caParameter, encodedCa);

  const imageTag = mlflowServerImageTag(config.settings);
  const { stack, dir } = synthesizeServer(config, imageTag);
  const image = await applyRepositoryThenImage(effects, dir, {
    repository: stack.imageRepository,
    tag: imageTag,
    prepareContext: () => prepareImageContext(server.mlflow_version),
    mode: options.imageBuild,
    alsoFirst: [...stack.credentials.secrets, stack.loadBalancer.loadBalancer],
  });
  const generatedCredentials = await ensureMlflowCredentials(effects.credentials, environment, reporter);
  const state = await effects.stateStore.read(stateKeys.mlflowServer(environment));
  const balancer = stack.loadBalancer.loadBalancer;
  const dnsName = state === undefined ? undefined : stateResourceAttribute(state, balancer.terraformResourceType, balancer.friendlyUniqueId, 'dns_name');
  if (typeof dnsName !== 'string' || dnsName === '') throw new ExternalError(`the load balancer's DNS name is not in the state after its apply (${dir}): run the command again`);
  const certificate = await ensureLoadBalancerCertificate({ store: effects.stateStore, environment, dnsName: dnsName.toLowerCase(), reporter });
  await importServerCertificate({ certificates: effects.vpnCertificates, environment, kind: 'load-balancer', pair: certificate.pair, ca: certificate.ca, reporter });

  const { plan, outputs } = await planAndApply(dir, effects.terraform, reporter);
  const trackingUri = String(outputs.tracking_uri ?? '');
  if (!trackingUri) throw new ExternalError(`the stack in ${dir} has no tracking_uri output after apply`);
  return { trackingUri, plan, image, vpn: { enabled: server.vpn.enabled, issued }, generatedCredentials, outputs };
}

/** `mlops mlflow-server`: real effects, progress on stderr, the result on stdout with --json. */
export async function runMlflowServer(args: { json: boolean; 'image-build': ImageBuildMode; 'rotate-vpn-certificates': boolean }): Promise<void> {
  const reporter = createReporter();
  const config = loadStepConfig();
  const effects = await createMlflowServerEffects(config, reporter);
  const result = await deployMlflowServer(effects, config, { imageBuild: args['image-build'], rotateVpnCertificates: args['rotate-vpn-certificates'] });
  reporter.info(
    connectionHelp(result.trackingUri, config.settings.mlflow_server.vpn, {
      adminSecret: mlflowCredentialSecretNames(config.environment).admin,
      caParameter: sharedParameterNames(config.environment).caCertificate,
    }),
  );
  const { plan } = result;
  if (args.json) {
    printJson({
      trackingUri: result.trackingUri,
      plan: { add: plan.add, change: plan.change, destroy: plan.destroy, updatedInPlace: plan.updateInPlace, replaced: plan.replace },
      image: result.image,
      vpn: result.vpn,
      generatedCredentials: result.generatedCredentials,
      outputs: result.outputs,
    });
  }
}
