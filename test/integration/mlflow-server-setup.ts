import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { startTestMoto, TEST_REGION, type TestMoto } from '../harness/moto.js';
import { requireTool, toolchainEnv } from '../harness/toolchain.js';

export interface MotoWithStateBucket {
  readonly moto: TestMoto;
  /** An S3 client on the emulator. */
  readonly s3: S3Client;
  /** The offline toolchain's variables (tofu, provider mirror, Python). */
  readonly tools: Record<string, string>;
  /** The toolchain's Python (boto3, moto, MLflow). */
  readonly python: string;
}

/** moto in server mode (with extra environment for moto, if given) with an empty state bucket, and the offline toolchain (fails loudly without it). */
export async function startMotoWithStateBucket(stateBucket: string, motoEnv: Record<string, string> = {}): Promise<MotoWithStateBucket> {
  const tools = toolchainEnv();
  requireTool(tools, 'MLOPS_TERRAFORM_BIN');
  requireTool(tools, 'TF_CLI_CONFIG_FILE');
  const python = join(requireTool(tools, 'MLOPS_PYTHON_BIN'), 'python');
  const moto = await startTestMoto({ extraEnv: motoEnv });
  const s3 = new S3Client({ endpoint: moto.endpoint, region: TEST_REGION, forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  await s3.send(new CreateBucketCommand({ Bucket: stateBucket, CreateBucketConfiguration: { LocationConstraint: TEST_REGION } }));
  return { moto, s3, tools, python };
}

/**
 * Every Terraform state in the bucket, and those that hold a PEM private key (finding 3 of issue 10:
 * keys stay out of state). Both lists, so a test can tell "no key" from "no state read".
 */
export async function privateKeysInStates(s3: S3Client, bucket: string): Promise<{ states: string[]; holdingKeys: string[] }> {
  const states: string[] = [];
  const holdingKeys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const key of (page.Contents ?? []).map((object) => object.Key ?? '').filter((key) => key.endsWith('.tfstate'))) {
      states.push(key);
      const text = await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();
      if (text.includes('PRIVATE KEY')) holdingKeys.push(key);
    }
    token = page.NextContinuationToken;
  } while (token);
  return { states, holdingKeys };
}
