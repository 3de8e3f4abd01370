/**
 * The MLflow server's HTTPS certificate is issued by the project's own CA, which a training
 * container does not trust. MLflow's client takes the CA as a file (MLFLOW_TRACKING_SERVER_CERT_PATH),
 * and a Batch job can only pass text, so the job definition carries the CA (base64 of the PEM, one
 * line that fits in the JSON of the job definition) in an environment variable, and the container's
 * command first writes it to a file.
 */
export const MLFLOW_CA_VARIABLE = 'MLOPS_MLFLOW_CA_CERTIFICATE_BASE64';

// No `${` in the script: the job definition passes through Terraform, which would read it as interpolation.
const WRITE_CA_THEN_RUN = [
  'ca="$(mktemp -d)/mlflow-ca.pem"',
  `printf '%s' "$${MLFLOW_CA_VARIABLE}" | base64 -d > "$ca"`,
  'MLFLOW_TRACKING_SERVER_CERT_PATH="$ca" exec "$@"',
].join(' && ');

/** `command`, run after the CA in MLOPS_MLFLOW_CA_CERTIFICATE_BASE64 is written to a file MLflow's client verifies the server with. */
export function withMlflowCaFile(command: readonly string[]): string[] {
  return ['sh', '-c', WRITE_CA_THEN_RUN, 'mlflow-ca', ...command];
}

/** The SSM parameter's value: the CA's PEM as one base64 line. */
export const encodeMlflowCa = (pem: string): string => Buffer.from(pem, 'utf8').toString('base64');
