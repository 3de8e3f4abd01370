import type { App } from 'cdktf';
import type { StackConfig } from '../../stacks/common/config.js';
import { MlflowServerStack } from '../../stacks/mlflow-server-stack.js';

export const MLFLOW_SERVER_STACK_ID = 'mlflow-server';

/** Builds the MLflow server stack from the settings (what `mlops synth` and `mlops mlflow-server` synthesize). */
export function buildMlflowServerStack(app: App, config: StackConfig): MlflowServerStack {
  return new MlflowServerStack(app, MLFLOW_SERVER_STACK_ID, config);
}
