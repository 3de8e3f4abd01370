import { S3Client } from '@aws-sdk/client-s3';
import { SSMClient } from '@aws-sdk/client-ssm';
import { AWS_MAX_ATTEMPTS, createAwsContext } from '../../cli/effects/aws.js';

describe('the one AWS context', () => {
  const saved = { AWS_REGION: process.env.AWS_REGION };
  afterEach(() => {
    if (saved.AWS_REGION === undefined) delete process.env.AWS_REGION;
    else process.env.AWS_REGION = saved.AWS_REGION;
  });

  it("makes every client in the environment's region, whatever AWS_REGION says", async () => {
    process.env.AWS_REGION = 'us-west-2';
    const aws = createAwsContext('eu-west-1', {});
    expect(await aws.client(SSMClient).config.region()).toBe('eu-west-1');
    expect(await aws.client(S3Client).config.region()).toBe('eu-west-1');
  });

  it('works with no SDK region at all', async () => {
    delete process.env.AWS_REGION;
    expect(await createAwsContext('ap-southeast-2', {}).client(SSMClient).config.region()).toBe('ap-southeast-2');
  });

  it('retries throttled calls more than the SDK default, and speaks S3 path-style only to an emulator', async () => {
    const real = createAwsContext('eu-west-1', {}).client(S3Client);
    const emulated = createAwsContext('eu-west-1', { AWS_ENDPOINT_URL: 'http://127.0.0.1:5000' }).client(S3Client);
    expect(await real.config.maxAttempts()).toBe(AWS_MAX_ATTEMPTS);
    expect(real.config.forcePathStyle).toBe(false);
    expect(emulated.config.forcePathStyle).toBe(true);
  });
});
