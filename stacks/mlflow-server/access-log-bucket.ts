import { Construct } from 'constructs';
import { Fn } from 'cdktf';
import { DataAwsElbServiceAccount } from '@cdktf/provider-aws/lib/data-aws-elb-service-account/index.js';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration/index.js';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy/index.js';
import type { ResourceNamer } from '../../core/naming.js';
import { denyInsecureTransport, privateBucket } from '../common/private-bucket.js';
import { throwIfViolations } from '../../core/errors.js';

export interface AccessLogBucketProps {
  readonly namer: ResourceNamer;
  /** The AWS account id (a token): part of the bucket name, and the only account whose logs may be written. */
  readonly accountId: string;
  /** The key prefix the load balancer writes under (`<prefix>/AWSLogs/<account>/…`). @default 'mlflow-alb' */
  readonly prefix?: string;
  /** Days a log file is kept. @default 365 */
  readonly retentionDays?: number;
  /** Let destroy delete a bucket that still holds logs. @default false */
  readonly forceDestroy?: boolean;
}

export const ACCESS_LOG_BUCKET_NAME_PART = 'mlflow-alb-logs';

/**
 * Where the MLflow load balancer writes its access logs. Encrypted with S3-managed keys: the only
 * server-side encryption ALB log delivery supports (a KMS key would make every delivery fail).
 * Public access blocked, objects owned by the bucket owner, versioned, TLS-only; the load
 * balancer's log delivery may only put objects under this account's prefix — the regional ELB
 * account (Regions before August 2022) or the log delivery service principal (newer Regions).
 */
export class AccessLogBucket extends Construct {
  readonly bucketName: string;
  readonly bucketArn: string;
  readonly prefix: string;
  /** The load balancer depends on it: AWS checks that it may write when access logs are switched on. */
  readonly policy: S3BucketPolicy;

  constructor(scope: Construct, id: string, props: AccessLogBucketProps) {
    super(scope, id);
    const prefix = props.prefix ?? 'mlflow-alb';
    const retentionDays = props.retentionDays ?? 365;
    const violations: string[] = [];
    if (!/^[a-z0-9][a-z0-9-]*$/.test(prefix) || prefix.includes('AWSLogs')) violations.push(`prefix="${prefix}": lower-case letters, digits and hyphens, not AWSLogs`);
    if (!Number.isInteger(retentionDays) || retentionDays < 1) violations.push(`retentionDays=${retentionDays}: must be a whole number of days, 1 or more`);
    props.namer.name('s3Bucket', ACCESS_LOG_BUCKET_NAME_PART, '000000000000');
    throwIfViolations('AccessLogBucket', violations);

    const { bucket, publicAccess } = privateBucket(this, { name: `${props.namer.prefix}-${ACCESS_LOG_BUCKET_NAME_PART}-${props.accountId}`, forceDestroy: props.forceDestroy ?? false, encryption: 'AES256' });
    new S3BucketLifecycleConfiguration(this, 'lifecycle', {
      bucket: bucket.id,
      rule: [
        {
          id: 'expire-logs',
          status: 'Enabled',
          filter: [{ prefix: '' }],
          expiration: [{ days: retentionDays }],
          noncurrentVersionExpiration: [{ noncurrentDays: 1 }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }],
        },
      ],
    });
    const logObjects = `${bucket.arn}/${prefix}/AWSLogs/${props.accountId}/*`;
    const elbAccount = new DataAwsElbServiceAccount(this, 'elb-account');
    this.policy = new S3BucketPolicy(this, 'policy', {
      bucket: bucket.id,
      policy: Fn.jsonencode({
        Version: '2012-10-17',
        Statement: [
          { Sid: 'ElbAccountDelivers', Effect: 'Allow', Principal: { AWS: elbAccount.arn }, Action: 's3:PutObject', Resource: logObjects },
          {
            Sid: 'ElbServiceDelivers',
            Effect: 'Allow',
            Principal: { Service: 'logdelivery.elasticloadbalancing.amazonaws.com' },
            Action: 's3:PutObject',
            Resource: logObjects,
          },
          denyInsecureTransport(bucket.arn),
        ],
      }),
      dependsOn: [publicAccess],
    });
    this.bucketName = bucket.bucket;
    this.bucketArn = bucket.arn;
    this.prefix = prefix;
  }
}
