import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket/index.js';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls/index.js';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy/index.js';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block/index.js';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration/index.js';
import { Construct } from 'constructs';

export interface DeploymentBucketProps {
  /** `<project>-<env>-<ml-project>-serving`. */
  readonly bucketName: string;
  /**
   * Delete the bucket with its captured data when the deployment is removed.
   * @default true — `-rm` leaves nothing behind
   */
  readonly forceDestroy?: boolean;
}

/**
 * A bucket of the deployment's own, for captured requests and release records, when there is no
 * MLflow server stack (and so no artifact bucket): private, encrypted, TLS only, owner-enforced.
 */
export class DeploymentBucket extends Construct {
  readonly bucketName: string;
  readonly bucketArn: string;

  constructor(scope: Construct, id: string, props: DeploymentBucketProps) {
    super(scope, id);
    const bucket = new S3Bucket(this, 'bucket', { bucket: props.bucketName, forceDestroy: props.forceDestroy ?? true });
    new S3BucketPublicAccessBlock(this, 'public-access', {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, 'ownership', { bucket: bucket.id, rule: { objectOwnership: 'BucketOwnerEnforced' } });
    new S3BucketServerSideEncryptionConfigurationA(this, 'encryption', {
      bucket: bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }],
    });
    const tlsOnly = new DataAwsIamPolicyDocument(this, 'tls-only', {
      statement: [
        {
          sid: 'DenyInsecureTransport',
          effect: 'Deny',
          actions: ['s3:*'],
          resources: [bucket.arn, `${bucket.arn}/*`],
          principals: [{ type: '*', identifiers: ['*'] }],
          condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
        },
      ],
    });
    new S3BucketPolicy(this, 'policy', { bucket: bucket.id, policy: tlsOnly.json });
    this.bucketName = bucket.bucket;
    this.bucketArn = bucket.arn;
  }
}
