import { ACMClient, DeleteCertificateCommand, GetCertificateCommand, ImportCertificateCommand, ResourceNotFoundException } from '@aws-sdk/client-acm';
import { DeleteParameterCommand, ParameterNotFound, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mlflowLoadBalancerCertificateParameterName, vpnServerCertificateParameterName } from '../../core/naming.js';
import { ExternalError } from '../../core/errors.js';
import { ssmParameterReader, type ParameterReader } from '../effects/tracking-uri.js';
import type { AwsContext } from '../effects/aws.js';
import type { Reporter } from '../progress.js';
import type { Environment } from '../../core/environment.js';
import type { VpnPki } from './pki.js';
import type { KeyPairPem } from './x509.js';

/**
 * Server certificates (the VPN endpoint's, the MLflow load balancer's) go into ACM from here, not
 * from Terraform: their private keys then never enter a Terraform state (finding 3 of issue 10). The
 * stack receives only each certificate's ARN, through an SSM parameter next to the ones the MLflow
 * server stack publishes.
 */
export interface VpnServerCertificates {
  /** The PEM certificate ACM holds under this ARN; undefined when there is no such certificate. */
  current(arn: string): Promise<string | undefined>;
  /** Imports, or re-imports in place when `arn` is given (same ARN, so the VPN endpoint keeps it); returns the ARN. */
  import(input: { certificate: string; privateKey: string; chain: string; arn?: string; tags: Record<string, string> }): Promise<string>;
  remove(arn: string): Promise<void>;
  readonly parameters: {
    get: ParameterReader;
    put(name: string, value: string): Promise<void>;
    remove(name: string): Promise<void>;
  };
}

/** The server certificates the CLI imports: where each one's ARN goes, and its name in ACM. */
export const SERVER_CERTIFICATES = {
  vpn: { parameter: vpnServerCertificateParameterName, nameSuffix: 'vpn-server', what: 'VPN server certificate' },
  'load-balancer': { parameter: mlflowLoadBalancerCertificateParameterName, nameSuffix: 'mlflow-alb', what: 'MLflow load balancer certificate' },
} as const;
export type ServerCertificateKind = keyof typeof SERVER_CERTIFICATES;

/**
 * Makes ACM hold a server certificate the CLI keeps in the state bucket, and the parameter name its
 * ARN: imports it the first time, re-imports it in place when it was renewed or rotated, does nothing otherwise.
 */
export async function importServerCertificate(options: {
  certificates: VpnServerCertificates;
  environment: Environment;
  kind: ServerCertificateKind;
  pair: KeyPairPem;
  ca: KeyPairPem;
  reporter: Reporter;
}): Promise<string> {
  const { certificates, environment, pair, reporter } = options;
  const spec = SERVER_CERTIFICATES[options.kind];
  const parameter = spec.parameter(environment);
  const recorded = await certificates.parameters.get(parameter);
  const current = recorded ? await certificates.current(recorded) : undefined;
  if (recorded && current?.trim() === pair.certificate.trim()) return recorded;
  const name = `${environment.project}-${environment.envName}-${spec.nameSuffix}`;
  const arn = await certificates.import({
    certificate: pair.certificate,
    privateKey: pair.privateKey,
    chain: options.ca.certificate,
    arn: current === undefined ? undefined : recorded,
    tags: { Name: name, project: environment.project, environment: environment.envName, 'managed-by': 'lean-mlops' },
  });
  if (arn !== recorded) await certificates.parameters.put(parameter, arn);
  reporter.info(`${spec.what} ${current === undefined ? 'imported into' : 're-imported in'} ACM: ${arn}`);
  return arn;
}

/** The VPN server certificate of the PKI (importServerCertificate). */
export async function importVpnServerCertificate(options: {
  certificates: VpnServerCertificates;
  environment: Environment;
  pki: VpnPki;
  reporter: Reporter;
}): Promise<string> {
  const { pki } = options;
  if (!pki.server || !pki.ca) throw new ExternalError('the VPN server certificate has not been issued: ensureVpnPki runs first');
  return importServerCertificate({ ...options, kind: 'vpn', pair: pki.server, ca: pki.ca });
}

/** After the stack is destroyed (nothing uses it any more): a server certificate and its parameter. */
export async function removeVpnServerCertificate(options: {
  certificates: VpnServerCertificates;
  environment: Environment;
  /** @default 'vpn' */
  kind?: ServerCertificateKind;
}): Promise<boolean> {
  const { certificates, environment } = options;
  const parameter = SERVER_CERTIFICATES[options.kind ?? 'vpn'].parameter(environment);
  const arn = await certificates.parameters.get(parameter);
  if (!arn) return false;
  await certificates.remove(arn);
  await certificates.parameters.remove(parameter);
  return true;
}

export function createAcmVpnServerCertificates(aws: AwsContext): VpnServerCertificates {
  const acm = aws.client(ACMClient);
  const ssm = aws.client(SSMClient);
  const fail = (action: string, what: string, error: unknown) => new ExternalError(`${action} ${what} failed: ${(error as Error).message}`, { cause: error });
  const notFound = (error: unknown) => error instanceof ResourceNotFoundException || (error as { name?: string }).name === 'ResourceNotFoundException';
  const pem = (text: string) => new TextEncoder().encode(text);
  return {
    async current(arn) {
      try {
        return (await acm.send(new GetCertificateCommand({ CertificateArn: arn }))).Certificate;
      } catch (error) {
        if (notFound(error)) return undefined;
        throw fail('ACM GetCertificate', arn, error);
      }
    },
    async import({ certificate, privateKey, chain, arn, tags }) {
      try {
        const result = await acm.send(
          new ImportCertificateCommand({
            CertificateArn: arn,
            Certificate: pem(certificate),
            PrivateKey: pem(privateKey),
            CertificateChain: pem(chain),
            // ACM refuses tags on a re-import; the certificate keeps the ones it was imported with.
            Tags: arn ? undefined : Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
          }),
        );
        if (!result.CertificateArn) throw new Error('no CertificateArn in the answer');
        return result.CertificateArn;
      } catch (error) {
        throw fail('ACM ImportCertificate', arn ?? tags.Name, error);
      }
    },
    async remove(arn) {
      try {
        await acm.send(new DeleteCertificateCommand({ CertificateArn: arn }));
      } catch (error) {
        if (!notFound(error)) throw fail('ACM DeleteCertificate', arn, error);
      }
    },
    parameters: {
      get: ssmParameterReader(aws),
      async put(name, value) {
        try {
          await ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: 'String', Overwrite: true }));
        } catch (error) {
          throw fail('SSM PutParameter', name, error);
        }
      },
      async remove(name) {
        try {
          await ssm.send(new DeleteParameterCommand({ Name: name }));
        } catch (error) {
          if (!(error instanceof ParameterNotFound)) throw fail('SSM DeleteParameter', name, error);
        }
      },
    },
  };
}
