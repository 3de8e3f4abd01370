import { Construct } from 'constructs';
import { Fn } from 'cdktf';
import { AcmCertificate } from '@cdktf/provider-aws/lib/acm-certificate/index.js';
import { DataAwsS3Object } from '@cdktf/provider-aws/lib/data-aws-s3-object/index.js';
import type { Environment } from '../../cli/settings/load.js';
import { throwIfViolations } from '../common/validation.js';

/**
 * Where the CLI keeps the VPN's certificates: objects in the state bucket (encrypted, as private as
 * the Terraform state, which holds the imported server key anyway) next to the stack's state. The
 * stack reads only the server object; the CA key and the client keys never enter Terraform.
 */
export function vpnPkiObjectKeys({ project, envName }: Pick<Environment, 'project' | 'envName'>) {
  const prefix = `${project}/${envName}/mlflow-server/vpn`;
  return {
    prefix,
    ca: `${prefix}/ca.json`,
    server: `${prefix}/server.json`,
    clientsPrefix: `${prefix}/clients/`,
    client: (name: string) => `${prefix}/clients/${name}.json`,
  };
}

/** The server object's JSON fields (PEM text), as ACM imports them. */
export interface VpnServerCertificateObject {
  readonly certificate: string;
  readonly private_key: string;
  readonly certificate_chain: string;
}

export interface VpnServerCertificateProps {
  /** The S3 object (see vpnPkiObjectKeys) the CLI wrote: `application/json`, fields of VpnServerCertificateObject. */
  readonly object: { readonly bucket: string; readonly key: string };
  /** The Name tag. */
  readonly name: string;
}

/**
 * The VPN server certificate imported into ACM from the object the CLI keeps in the state bucket
 * (Terraform's `tls` provider is not available offline, so the CLI issues certificates with
 * node:crypto). A renewed certificate is re-imported in place, keeping its ARN.
 */
export class VpnServerCertificate extends Construct {
  readonly certificateArn: string;

  constructor(scope: Construct, id: string, props: VpnServerCertificateProps) {
    super(scope, id);
    throwIfViolations('VpnServerCertificate', props.object.key.endsWith('.json') ? [] : [`object.key="${props.object.key}": must name the .json object the CLI writes`]);
    const object = new DataAwsS3Object(this, 'object', { bucket: props.object.bucket, key: props.object.key });
    const field = (name: keyof VpnServerCertificateObject) => Fn.lookup(Fn.jsondecode(object.body), name, '');
    const certificate = new AcmCertificate(this, 'certificate', {
      certificateBody: field('certificate'),
      privateKey: field('private_key'),
      certificateChain: field('certificate_chain'),
      tags: { Name: props.name },
      // The Client VPN endpoint always needs a certificate: a rotated one is imported before the old one goes.
      lifecycle: { createBeforeDestroy: true },
    });
    this.certificateArn = certificate.arn;
  }
}
