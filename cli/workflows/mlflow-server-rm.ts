import { UsageError, violationsMessage } from '../../core/errors.js';
import { sharedParameterNames, stateKeys } from '../../core/naming.js';
import type { StackConfig } from '../../stacks/common/config.js';
import { printJson } from '../command.js';
import type { PlanSummary } from '../effects/terraform.js';
import { paths } from '../paths.js';
import { createReporter } from '../progress.js';
import { loadStepConfig } from '../settings/load.js';
import { destroyStack, type Confirm } from '../stack-lifecycle.js';
import { stateOutputs } from '../vpn/ovpn.js';
import { removeVpnServerCertificate } from '../vpn/acm.js';
import { removeVpnPki, type ObjectStore } from '../vpn/pki.js';
import { createMlflowServerEffects, synthesizeServer, type MlflowServerEffects } from './mlflow-server.js';

/** The stack's outputs as its state in the state bucket records them; undefined before the first apply. */
export async function recordedOutputs(store: ObjectStore, environment: StackConfig['environment']): Promise<Record<string, unknown> | undefined> {
  const text = await store.read(stateKeys.mlflowServer(environment));
  return text === undefined ? undefined : stateOutputs(text);
}

/**
 * Refuses `-rm` up front when destroy would stop halfway: a database under deletion protection, or
 * an artifact bucket that still holds artifacts and may not be force-destroyed.
 */
export async function removalBlockers(effects: MlflowServerEffects, config: StackConfig): Promise<string[]> {
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
  config: StackConfig,
  options: { yes: boolean; confirm?: Confirm },
): Promise<{ plan: PlanSummary; vpnObjectsRemoved: number }> {
  const blockers = await removalBlockers(effects, config);
  if (blockers.length > 0) throw new UsageError(violationsMessage('The MLflow server cannot be removed yet (nothing was removed)', blockers));
  const { dir } = synthesizeServer(config);
  const plan = await destroyStack(dir, effects.terraform, effects.reporter, { yes: options.yes, what: 'the MLflow server stack', confirm: options.confirm });
  if (await removeVpnServerCertificate({ certificates: effects.vpnCertificates, environment: config.environment })) effects.reporter.info('Removed the VPN server certificate from ACM.');
  if (await removeVpnServerCertificate({ certificates: effects.vpnCertificates, environment: config.environment, kind: 'load-balancer' })) {
    effects.reporter.info("Removed the MLflow load balancer's certificate from ACM.");
  }
  // The CA certificate the CLI published for training jobs (the stack's own parameters went with it).
  await effects.vpnCertificates.parameters.remove(sharedParameterNames(config.environment).caCertificate);
  const vpnObjectsRemoved = await removeVpnPki(effects.stateStore, config.environment);
  if (vpnObjectsRemoved > 0) effects.reporter.info(`Removed ${vpnObjectsRemoved} VPN certificate objects from the state bucket.`);
  return { plan, vpnObjectsRemoved };
}

/** `mlops mlflow-server-rm`. */
export async function runMlflowServerRm(args: { json: boolean; yes: boolean }): Promise<void> {
  const reporter = createReporter();
  const config = loadStepConfig();
  const result = await removeMlflowServer(await createMlflowServerEffects(config, reporter), config, { yes: args.yes });
  if (args.json) printJson({ destroyed: result.plan.destroy, vpnObjectsRemoved: result.vpnObjectsRemoved });
}
