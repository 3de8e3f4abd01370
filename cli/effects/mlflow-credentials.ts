import { randomBytes } from 'node:crypto';
import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { MLFLOW_USERS, mlflowCredentialSecretNames, type MlflowUserRole } from '../../core/naming.js';
import type { Environment } from '../../core/environment.js';
import { ExternalError } from '../../core/errors.js';
import type { Reporter } from '../progress.js';
import type { AwsContext } from './aws.js';

/** What an MLflow credential secret holds. */
export interface MlflowCredential {
  readonly username: string;
  readonly password: string;
}

/** The credential secrets in Secrets Manager, behind a small interface so tests can swap them. */
export interface MlflowCredentialSecrets {
  /** The secret's current value; undefined when the secret, or a value of it, does not exist. */
  read(name: string): Promise<MlflowCredential | undefined>;
  /** A new current value of an existing secret (Terraform made it). */
  put(name: string, credential: MlflowCredential): Promise<void>;
}

/** 32 random bytes, base64url: 256 bits, no character that needs quoting in a URL, a header or JSON. */
export const generatePassword = (): string => randomBytes(32).toString('base64url');

/**
 * Gives every MLflow user's secret a value when it has none (the first apply made the secrets
 * empty): a generated password, put by the CLI, so it is never in Terraform's configuration or
 * state. A value already there is kept (the server resets its users to the secrets at each start).
 * Returns the roles that got a new credential.
 */
export async function ensureMlflowCredentials(secrets: MlflowCredentialSecrets, environment: Pick<Environment, 'project' | 'envName'>, reporter: Reporter): Promise<MlflowUserRole[]> {
  const names = mlflowCredentialSecretNames(environment);
  const generated: MlflowUserRole[] = [];
  for (const role of Object.keys(MLFLOW_USERS) as MlflowUserRole[]) {
    const current = await secrets.read(names[role]);
    if (current && current.username !== MLFLOW_USERS[role]) {
      throw new ExternalError(`secret ${names[role]} holds user "${current.username}", not ${MLFLOW_USERS[role]}: correct its username (its password is kept)`);
    }
    if (current) continue;
    await secrets.put(names[role], { username: MLFLOW_USERS[role], password: generatePassword() });
    generated.push(role);
    reporter.info(`MLflow user ${MLFLOW_USERS[role]}: a generated password put in secret ${names[role]}`);
  }
  return generated;
}

const notFound = (error: unknown) => (error as { name?: string }).name === 'ResourceNotFoundException';

export function createMlflowCredentialSecrets(aws: AwsContext): MlflowCredentialSecrets {
  const client = aws.client(SecretsManagerClient);
  return {
    async read(name) {
      let text: string | undefined;
      try {
        text = (await client.send(new GetSecretValueCommand({ SecretId: name }))).SecretString;
      } catch (error) {
        if (notFound(error)) return undefined;
        throw new ExternalError(`Secrets Manager GetSecretValue ${name} failed: ${(error as Error).message}`, { cause: error });
      }
      let value: Partial<MlflowCredential> | undefined;
      try {
        value = JSON.parse(text ?? '') as Partial<MlflowCredential>;
      } catch {
        value = undefined;
      }
      if (typeof value?.username !== 'string' || typeof value.password !== 'string' || value.password === '') {
        throw new ExternalError(`secret ${name} does not hold JSON {"username", "password"} with a password: put such a value`);
      }
      return { username: value.username, password: value.password };
    },
    async put(name, credential) {
      try {
        await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: JSON.stringify(credential) }));
      } catch (error) {
        throw new ExternalError(`Secrets Manager PutSecretValue ${name} failed: ${(error as Error).message}`, { cause: error });
      }
    },
  };
}
