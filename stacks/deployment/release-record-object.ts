import { S3Object } from '@cdktf/provider-aws/lib/s3-object/index.js';
import { Construct } from 'constructs';
import { throwIfViolations } from '../../core/errors.js';
import type { ReleaseRecord } from '../../core/deployment/release-record.js';

export interface ReleaseRecordObjectProps {
  readonly bucketName: string;
  /** `deployments/<ml-project>/releases/v<version>.json`. */
  readonly key: string;
  readonly record: ReleaseRecord;
}

/**
 * The deployed version's run metrics and training baseline, kept in the artifact bucket next to its
 * captured requests: `mlops monitor` publishes both sides of the comparison from S3 alone. Part of
 * the stack, so `-rm` removes it.
 */
export class ReleaseRecordObject extends Construct {
  readonly key: string;

  constructor(scope: Construct, id: string, props: ReleaseRecordObjectProps) {
    super(scope, id);
    if (!props.key.endsWith('.json') || props.key.startsWith('/')) {
      throwIfViolations('ReleaseRecordObject', [`key "${props.key}" must be a relative key ending in .json`]);
    }
    const object = new S3Object(this, 'object', {
      bucket: props.bucketName,
      key: props.key,
      content: `${JSON.stringify(props.record, null, 2)}\n`,
      contentType: 'application/json',
    });
    this.key = object.key;
  }
}
