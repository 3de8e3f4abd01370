import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ExternalError } from '../../core/errors.js';
import type { AwsContext } from './aws.js';

/** Whether a stack's Terraform state exists in the state bucket (HeadObject: the state itself is not read). */
export function stateObjectChecker(aws: AwsContext, bucket: string): (key: string) => Promise<boolean> {
  const client = aws.client(S3Client);
  return async (key) => {
    try {
      await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return true;
    } catch (error) {
      if ((error as Error).name === 'NotFound' || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
      throw new ExternalError(`S3 HeadObject s3://${bucket}/${key} failed: ${(error as Error).name}: ${(error as Error).message}`);
    }
  };
}
