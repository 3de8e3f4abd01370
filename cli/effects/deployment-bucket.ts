import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  NoSuchKey,
  S3Client,
  type ObjectIdentifier,
} from '@aws-sdk/client-s3';
import { ExternalError } from '../../core/errors.js';
import type { AwsContext } from './aws.js';

/** The artifact bucket, as far as a deployment's captured data and records need it. */
export interface DeploymentBucket {
  /** Objects under a prefix, modified at or after `since` when given. */
  list(bucket: string, prefix: string, since?: Date): Promise<{ key: string; lastModified?: Date }[]>;
  /** An object's text; undefined when there is no such key. */
  read(bucket: string, key: string): Promise<string | undefined>;
  /** Deletes every object version and delete marker under a prefix; resolves to how many were removed (0 when the bucket is gone). */
  deletePrefix(bucket: string, prefix: string): Promise<number>;
}

export function createDeploymentBucket(aws: AwsContext): DeploymentBucket {
  const client = aws.client(S3Client);
  const fail = (action: string, where: string, error: unknown): never => {
    throw new ExternalError(`S3 ${action} on ${where} failed: ${(error as Error).message}`);
  };
  return {
    async list(bucket, prefix, since) {
      const objects: { key: string; lastModified?: Date }[] = [];
      let token: string | undefined;
      do {
        const page = await client
          .send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }))
          .catch((error) => fail('ListObjectsV2', `s3://${bucket}/${prefix}`, error));
        for (const object of page.Contents ?? []) {
          if (!object.Key) continue;
          if (since && object.LastModified && object.LastModified < since) continue;
          objects.push({ key: object.Key, lastModified: object.LastModified });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return objects;
    },
    async read(bucket, key) {
      try {
        const result = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return (await result.Body?.transformToString('utf8')) ?? '';
      } catch (error) {
        if (error instanceof NoSuchKey || (error as Error).name === 'NoSuchKey') return undefined;
        return fail('GetObject', `s3://${bucket}/${key}`, error);
      }
    },
    async deletePrefix(bucket, prefix) {
      let removed = 0;
      let keyMarker: string | undefined;
      let versionMarker: string | undefined;
      do {
        const page = await client
          .send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix, KeyMarker: keyMarker, VersionIdMarker: versionMarker }))
          .catch((error) => ((error as Error).name === 'NoSuchBucket' ? undefined : fail('ListObjectVersions', `s3://${bucket}/${prefix}`, error)));
        if (!page) return removed;
        const identifiers: ObjectIdentifier[] = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]
          .filter((entry) => entry.Key)
          .map((entry) => ({ Key: entry.Key!, VersionId: entry.VersionId }));
        for (let start = 0; start < identifiers.length; start += 1000) {
          const batch = identifiers.slice(start, start + 1000);
          const result = await client
            .send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch, Quiet: true } }))
            .catch((error) => fail('DeleteObjects', `s3://${bucket}/${prefix}`, error));
          if (result.Errors && result.Errors.length > 0) {
            throw new ExternalError(`S3 could not delete ${result.Errors.length} objects under s3://${bucket}/${prefix}: ${result.Errors[0].Message}`);
          }
          removed += batch.length;
        }
        keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
        versionMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
      } while (keyMarker);
      return removed;
    },
  };
}
