import type { ResourceNamer } from '../naming.js';

/**
 * Every name of one project's training stack, from `<project>-<env>-<ml-project>`; each is checked
 * against its service's limit (ResourceNamer throws NameTooLongError), so a name that does not fit
 * stops synthesis before anything is applied.
 */
export function trainingResourceNames(projectNamer: ResourceNamer) {
  return {
    repository: projectNamer.name('ecrRepository', 'training'),
    logGroup: `/aws/batch/${projectNamer.name('logGroup', 'training')}`,
    computeEnvironmentPrefix: projectNamer.name('batch', 'training'),
    jobQueue: projectNamer.name('batch', 'training'),
    jobDefinition: projectNamer.name('batch', 'training'),
    securityGroup: projectNamer.name('securityGroup', 'training-jobs'),
    executionRole: projectNamer.name('iamRole', 'train-exec'),
    jobRole: projectNamer.name('iamRole', 'train-job'),
    serviceRole: projectNamer.name('iamRole', 'train-batch'),
    instanceRole: projectNamer.name('iamRole', 'train-gpu-ec2'),
    schedule: projectNamer.name('schedule', 'retrain'),
    schedulerRole: projectNamer.name('iamRole', 'train-schedule'),
  };
}
