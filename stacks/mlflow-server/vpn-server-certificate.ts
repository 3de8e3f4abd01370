import { Construct } from 'constructs';
import { DataAwsSsmParameter } from '@cdktf/provider-aws/lib/data-aws-ssm-parameter/index.js';
import type { Environment } from '../../core/environment.js';
import { throwIfViolations } from '../../core/errors.js';

/**
 * Where the CLI keeps the VPN's certificates: objects in the state bucket (encrypted, readable only
 * with the rights to the environment's states) next to the stack's state. No key, the server's
 * included, enters Terraform.
 */
export function vpnPkiObjectKeys({ project, envName }: Pick<Environment, 'project' | 'envName'>) {
  const prefix = `${project}/${envName}/mlflow-server/vpn`;
  return {
    prefix,
    ca: `${prefix}/ca.json`,
    server: `${prefix}/server.json`,
    /** The MLflow load balancer's certificate, issued by the same CA. */
    loadBalancer: `${prefix}/load-balancer.json`,
    clientsPrefix: `${prefix}/clients/`,
    client: (name: string) => `${prefix}/clients/${name}.json`,
  };
}

/** The server object's JSON fields (PEM text), as the CLI imports them into ACM. */
export interface VpnServerCertificateObject {
  readonly certificate: string;
  readonly private_key: string;
  readonly certificate_chain: string;
}

export interface VpnServerCertificateProps {
  /** The SSM parameter holding the certificate's ARN (see vpnServerCertificateParameterName). */
  readonly parameterName: string;
}

/**
 * A server certificate the CLI imported into ACM (the VPN endpoint's, and the MLflow load
 * balancer's), by the ARN the CLI published. The CLI issues the certificate with
 * node:crypto (Terraform's `tls` provider is not available offline) and imports it into ACM itself,
 * so its private key never enters this stack's state; a renewed certificate is re-imported in place,
 * keeping its ARN.
 */
export class VpnServerCertificate extends Construct {
  readonly certificateArn: string;

  constructor(scope: Construct, id: string, props: VpnServerCertificateProps) {
    super(scope, id);
    throwIfViolations('VpnServerCertificate', props.parameterName.startsWith('/') ? [] : [`parameterName="${props.parameterName}": must be an SSM parameter path starting with /`]);
    // An ARN is no secret: read as plain text, so it does not make the endpoint's plan sensitive.
    this.certificateArn = new DataAwsSsmParameter(this, 'arn', { name: props.parameterName }).insecureValue;
  }
}
