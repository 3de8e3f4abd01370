import { afterAll, describe, expect, it } from '@jest/globals';
import { validateStack } from '../harness/validate.js';
import { removeTrainingScratch, synthTrainingStack } from '../harness/training-project.js';

afterAll(removeTrainingScratch);

/**
 * `tofu validate` with the offline hashicorp/aws provider: the Terraform JSON of each shape of the
 * training stack is accepted by the provider's schema (attribute names, types, blocks).
 */
describe('training stack passes tofu validate', () => {
  it.each([
    ['Fargate, network from the MLflow server stack', {}],
    ['Fargate Spot, own tracking server in the default VPC', { settings: { tracking_uri: 'https://mlflow.example.com', training: { fargate_spot: true } } }],
    [
      'EC2 GPU with the ECS GPU AMI, own VPC and subnets',
      {
        settings: { tracking_uri: 'https://mlflow.example.com', training: { vpc_id: 'vpc-0abc', subnet_ids: ['subnet-01'] } },
        requirements: [
          { type: 'VCPU', value: '4' },
          { type: 'MEMORY', value: '16384' },
          { type: 'GPU', value: '1' },
        ],
      },
    ],
    ['Fargate with a retraining schedule (EventBridge Scheduler)', { requirements: { training: [{ type: 'VCPU', value: '1' }], schedule: 'cron(0 3 ? * MON *)' } }],
  ])('%s', async (_label, options) => {
    const { dir } = synthTrainingStack(options);
    const result = await validateStack(dir);
    expect(result.diagnostics).toEqual([]);
    expect(result.valid).toBe(true);
  });
});
