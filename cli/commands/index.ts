import type { Command } from '../command.js';
import { demo } from './demo.js';
import { localBatchInference } from './local-batch-inference.js';
import { localDeployment, localDeploymentRm } from './local-deployment.js';
import { localDeploymentTest } from './local-deployment-test.js';
import { localMlflowServer, localMlflowServerRm } from './local-mlflow-server.js';
import { localTraining } from './local-training.js';
import { synth } from './synth.js';

/** Every command, registered explicitly (no directory scanning). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: Command<any>[] = [
  synth,
  demo,
  localMlflowServer,
  localMlflowServerRm,
  localTraining,
  localDeployment,
  localDeploymentRm,
  localDeploymentTest,
  localBatchInference,
];
