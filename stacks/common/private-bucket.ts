import type { Construct } from 'constructs';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket/index.js';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls/index.js';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block/index.js';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration/index.js';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning/index.js';

export interface PrivateBucketOptions {
  readonly name: string;
  readonly forceDestroy: boolean;
  /** `aws:kms` (with a bucket key) or `AES256` (S3-managed keys, for services that accept only those). */
  readonly encryption: 'aws:kms' | 'AES256';
}

/**
 * The part every bucket of the stacks shares, made in `scope` itself (the resources keep their
 * addresses): the bucket, objects owned by the bucket owner (no ACLs), every kind of public access
 * blocked, default encryption and versioning. A bucket policy must depend on `publicAccess`.
 */
export function privateBucket(scope: Construct, options: PrivateBucketOptions): { bucket: S3Bucket; publicAccess: S3BucketPublicAccessBlock } {
  const bucket = new S3Bucket(scope, 'bucket', { bucket: options.name, forceDestroy: options.forceDestroy });
  new S3BucketOwnershipControls(scope, 'ownership', { bucket: bucket.id, rule: { objectOwnership: 'BucketOwnerEnforced' } });
  const publicAccess = new S3BucketPublicAccessBlock(scope, 'public-access', {
    bucket: bucket.id,
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  });
  new S3BucketServerSideEncryptionConfigurationA(scope, 'encryption', {
    bucket: bucket.id,
    rule: [
      options.encryption === 'aws:kms'
        ? { applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms' }, bucketKeyEnabled: true }
        : { applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } },
    ],
  });
  new S3BucketVersioningA(scope, 'versioning', { bucket: bucket.id, versioningConfiguration: { status: 'Enabled' } });
  return { bucket, publicAccess };
}

/** The bucket policy statement that refuses every request not made over TLS. */
export const denyInsecureTransport = (bucketArn: string) => ({
  Sid: 'DenyInsecureTransport',
  Effect: 'Deny',
  Principal: '*',
  Action: 's3:*',
  Resource: [bucketArn, `${bucketArn}/*`],
  Condition: { Bool: { 'aws:SecureTransport': 'false' } },
});
