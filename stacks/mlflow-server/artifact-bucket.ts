import { Construct } from 'constructs';
import { Fn } from 'cdktf';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration/index.js';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy/index.js';
import type { ResourceNamer } from '../../core/naming.js';
import { denyInsecureTransport, privateBucket } from '../common/private-bucket.js';
import { throwIfViolations } from '../../core/errors.js';

export interface ArtifactBucketProps {
  readonly namer: ResourceNamer;
  /**
   * The AWS account id (a token such as `data.aws_caller_identity.account_id`): bucket names are
   * global, so the account keeps `<project>-<env>-mlflow-artifacts-<account>` unique.
   */
  readonly accountId: string;
  /** Let destroy delete a bucket that still holds artifacts. @default false — a non-empty bucket stops `-rm` */
  readonly forceDestroy?: boolean;
  /** Days a replaced or deleted artifact's old version is kept. @default 90 */
  readonly noncurrentVersionExpirationDays?: number;
}

/** The name's fixed part; the account id (12 digits) follows it. */
export const ARTIFACT_BUCKET_NAME_PART = 'mlflow-artifacts';
const ACCOUNT_ID_PLACEHOLDER = '000000000000';

/**
 * The MLflow artifact store: versioned, encrypted with KMS (bucket key on), every kind of public
 * access blocked, objects owned by the bucket owner (no ACLs), and a policy that refuses any request
 * not made over TLS. Old versions expire; unfinished multipart uploads are cleaned up.
 */
export class ArtifactBucket extends Construct {
  readonly bucketName: string;
  readonly bucketArn: string;

  constructor(scope: Construct, id: string, props: ArtifactBucketProps) {
    super(scope, id);
    const forceDestroy = props.forceDestroy ?? false;
    const noncurrentDays = props.noncurrentVersionExpirationDays ?? 90;
    const violations: string[] = [];
    if (!Number.isInteger(noncurrentDays) || noncurrentDays < 1) {
      violations.push(`noncurrentVersionExpirationDays=${noncurrentDays}: must be a whole number of days, 1 or more`);
    }
    // Checks the length with a 12-digit stand-in for the account id (throws NameTooLongError).
    props.namer.name('s3Bucket', ARTIFACT_BUCKET_NAME_PART, ACCOUNT_ID_PLACEHOLDER);
    throwIfViolations('ArtifactBucket', violations);

    const { bucket, publicAccess } = privateBucket(this, { name: `${props.namer.prefix}-${ARTIFACT_BUCKET_NAME_PART}-${props.accountId}`, forceDestroy: forceDestroy, encryption: 'aws:kms' });
    new S3BucketLifecycleConfiguration(this, 'lifecycle', {
      bucket: bucket.id,
      rule: [
        {
          id: 'expire-old-versions',
          status: 'Enabled',
          filter: [{ prefix: '' }],
          noncurrentVersionExpiration: [{ noncurrentDays }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
      ],
    });
    new S3BucketPolicy(this, 'tls-only', {
      bucket: bucket.id,
      policy: Fn.jsonencode({
        Version: '2012-10-17',
        Statement: [
          denyInsecureTransport(bucket.arn),
        ],
      }),
      dependsOn: [publicAccess],
    });
    this.bucketName = bucket.bucket;
    this.bucketArn = bucket.arn;
  }
}
