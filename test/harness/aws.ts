import { awsClientConfig, type AwsContext } from '../../cli/effects/aws.js';
import { TEST_REGION } from './moto.js';

/** The CLI's AWS context pointed at an emulator, with the emulator's test credentials. */
export function emulatorAwsContext(endpoint: string, region: string = TEST_REGION): AwsContext {
  const config = {
    ...awsClientConfig(region, { AWS_ENDPOINT_URL: endpoint }),
    endpoint,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
  return { region, client: <C>(Client: new (config: never) => C) => new Client(config as never) };
}
