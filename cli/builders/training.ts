import type { App } from 'cdktf';
import type { StackConfig } from '../../stacks/common/config.js';
import { TrainingStack } from '../../stacks/training-stack.js';
import { stackIds } from '../../core/state-lock.js';
import { REQUIREMENTS_FILE, trainingRequirements, type MlProject } from '../../core/ml-project.js';
import { parseRequirementEntries } from '../../core/settings/resource-requirements.js';
import { paths } from '../paths.js';
import { readProjectEnvironment, renderDockerfile, trainingCommand, trainingImageTag } from '../training/image.js';
import { toBatchPlacement, type BatchPlacement } from '../../core/training/placement.js';
import { loadTrainingJobPolicy, type JobPolicy } from '../training/policy.js';

export const trainingStackId = stackIds.training;

/** Everything a project's training stack is made from, decided before anything is synthesized. */
export interface TrainingInputs {
  readonly placement: BatchPlacement;
  readonly dockerfile: string;
  readonly imageTag: string;
  readonly jobPolicy: JobPolicy;
}

/**
 * Checks and derives a project's training inputs: requirements (the project's file over the
 * settings' defaults) mapped to a placement, the generated Dockerfile and the image tag, the job
 * role's policy. Every bad input is a UsageError naming the file.
 */
export function trainingInputs(config: StackConfig, project: MlProject): TrainingInputs {
  const { settings } = config;
  const defaults = parseRequirementEntries(settings.default_resource_requirements).values;
  const source = project.requirementsFile
    ? `${project.requirementsFile.path}`
    : `ML project "${project.name}" (no ${REQUIREMENTS_FILE}; default_resource_requirements of ${paths.settingsFile()})`;
  const placement = toBatchPlacement(trainingRequirements(project, defaults), {
    fargateSpot: settings.training.fargate_spot,
    gpuInstanceTypes: settings.training.gpu_instance_types,
    maxVcpus: settings.training.max_vcpus,
    source,
  });
  const dockerfile = renderDockerfile(project.name, readProjectEnvironment(project), settings.training.base_image);
  return { placement, dockerfile, imageTag: trainingImageTag(project, dockerfile), jobPolicy: loadTrainingJobPolicy() };
}

/** Builds one ML project's training stack (what `mlops synth` and `mlops training-job` synthesize). */
export function buildTrainingStack(app: App, config: StackConfig, project: MlProject, inputs: TrainingInputs = trainingInputs(config, project)): TrainingStack {
  return new TrainingStack(app, trainingStackId(project.name), {
    ...config,
    mlProject: project.name,
    placement: inputs.placement,
    imageTag: inputs.imageTag,
    command: trainingCommand(project.name),
    jobPolicy: inputs.jobPolicy,
    schedule: project.requirementsFile?.schedule?.expression,
  });
}

/** A shape every Batch setup accepts, for removal, where only the state matters. */
const REMOVAL_PLACEHOLDER: BatchPlacement = { kind: 'fargate', spot: false, vcpus: 1, memoryMiB: 2048 };

/**
 * A network that looks nothing up, for removal: the MLflow server stack (and its SSM parameters)
 * may already be gone, and destroy never reads these values.
 */
const REMOVAL_NETWORK = { kind: 'own-server', trackingUri: 'http://removal.invalid', vpcId: 'vpc-00000000', subnetIds: ['subnet-00000000'], assignPublicIp: false } as const;

/**
 * The training stack of a project by name alone, for `training-job-rm` and `unlock`: destroy works
 * from the state, so the project folder may be gone or broken, and the MLflow server removed first,
 * and the stack can still be removed.
 */
export function buildTrainingStackForRemoval(app: App, config: StackConfig, mlProject: string): TrainingStack {
  const policy = loadTrainingJobPolicy();
  return new TrainingStack(app, trainingStackId(mlProject), {
    ...config,
    mlProject,
    placement: REMOVAL_PLACEHOLDER,
    imageTag: 'removal',
    command: trainingCommand(mlProject),
    jobPolicy: policy,
    network: REMOVAL_NETWORK,
  });
}
