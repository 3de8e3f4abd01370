import { UsageError, violationsMessage } from '../errors.js';
import type { Settings } from '../settings/schema.js';

/**
 * Where an endpoint's network and data come from: the MLflow server stack of this environment (its
 * SSM parameters: private subnets and artifact bucket), or — with a tracking server of the team's
 * own — a VPC named in the settings or none, and a bucket of the deployment's own.
 */
export type DeploymentPlacement =
  | { readonly kind: 'mlflow-server-stack' }
  | { readonly kind: 'own'; readonly vpcId: string | null; readonly subnetIds: readonly string[] };

export function deploymentPlacement(settings: Settings): DeploymentPlacement {
  const { vpc_id: vpcId, subnet_ids: subnetIds } = settings.deployment;
  const violations: string[] = [];
  if (settings.tracking_uri === null && (vpcId !== null || subnetIds.length > 0)) {
    violations.push(
      'deployment.vpc_id and deployment.subnet_ids apply only with tracking_uri set; without it the endpoint uses the MLflow server stack’s private subnets (set them to null and [])',
    );
  }
  if (vpcId === null && subnetIds.length > 0) violations.push(`deployment.subnet_ids ${JSON.stringify(subnetIds)} need deployment.vpc_id, the VPC they belong to`);
  if (violations.length > 0) throw new UsageError(violationsMessage('the settings place the endpoint inconsistently', violations));
  return settings.tracking_uri === null ? { kind: 'mlflow-server-stack' } : { kind: 'own', vpcId, subnetIds };
}
