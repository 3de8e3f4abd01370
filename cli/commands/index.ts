import type { Command } from '../command.js';
import { demo } from './demo.js';
import { deploymentJob, deploymentJobRm } from './deployment-job.js';
import { localBatchInference } from './local-batch-inference.js';
import { localDeployment, localDeploymentRm } from './local-deployment.js';
import { localDeploymentTest } from './local-deployment-test.js';
import { localMlflowServer, localMlflowServerRm } from './local-mlflow-server.js';
import { localTraining } from './local-training.js';
import { mlflowServer, mlflowServerRm, vpnConfig } from './mlflow-server.js';
import { monitor } from './monitor.js';
import { newProject } from './new-project.js';
import { promoteModel } from './promote-model.js';
import { settings } from './settings.js';
import { status } from './status.js';
import { sync } from './sync.js';
import { synth } from './synth.js';
import { trainingJob, trainingJobRm } from './training-job.js';
import { unlock } from './unlock.js';

/** Every command, registered explicitly (no directory scanning). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: Command<any>[] = [
  synth,
  settings,
  status,
  demo,
  newProject,
  localMlflowServer,
  localMlflowServerRm,
  localTraining,
  localDeployment,
  localDeploymentRm,
  localDeploymentTest,
  localBatchInference,
  mlflowServer,
  mlflowServerRm,
  vpnConfig,
  trainingJob,
  trainingJobRm,
  deploymentJob,
  deploymentJobRm,
  promoteModel,
  sync,
  monitor,
  unlock,
];
