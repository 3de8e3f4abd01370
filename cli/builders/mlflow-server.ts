import { join } from 'node:path';
import type { App } from 'cdktf';
import type { StackConfig } from '../../stacks/common/config.js';
import { MlflowServerStack } from '../../stacks/mlflow-server-stack.js';
import { contentHashTag } from '../effects/container-image.js';
import { repoRoot } from '../paths.js';
import type { Settings } from '../../core/settings/schema.js';
import { stackIds } from '../../core/state-lock.js';

export const MLFLOW_SERVER_STACK_ID = stackIds.mlflowServer;

/** The server image's build context: Dockerfile, pinned requirements, entry point. */
export const MLFLOW_SERVER_IMAGE_DIR = join(repoRoot, 'stacks', 'mlflow-server', 'image');

/** The MLflow pin the image's requirements carry, as `mlflow==X.Y.Z`. */
const MLFLOW_PIN = /^mlflow==\S+$/m;

/**
 * The requirements with MLflow pinned to `version` (settings' mlflow_server.mlflow_version); refuses
 * requirements that do not pin MLflow, since the server's version must never float.
 */
export function pinMlflowRequirement(requirements: string, version: string): string {
  if (!MLFLOW_PIN.test(requirements)) throw new Error('the server image requirements must pin mlflow (a line mlflow==X.Y.Z)');
  return requirements.replace(MLFLOW_PIN, `mlflow==${version}`);
}

/** Files that are not build inputs (Python's bytecode caches, as .dockerignore keeps them out of the context). */
export const isImageBuildByproduct = (relativePath: string) => relativePath.split(/[\\/]/).includes('__pycache__') || relativePath.endsWith('.pyc');

/** The image tag: a content hash of the build context and the MLflow version it is built with. */
export function mlflowServerImageTag(settings: Settings, imageDir: string = MLFLOW_SERVER_IMAGE_DIR): string {
  return contentHashTag(imageDir, [`mlflow==${settings.mlflow_server.mlflow_version}`], isImageBuildByproduct);
}

/** Builds the MLflow server stack from the settings (what `mlops synth` and `mlops mlflow-server` synthesize). */
export function buildMlflowServerStack(app: App, config: StackConfig, options: { imageTag?: string } = {}): MlflowServerStack {
  return new MlflowServerStack(app, MLFLOW_SERVER_STACK_ID, { ...config, imageTag: options.imageTag ?? mlflowServerImageTag(config.settings) });
}
