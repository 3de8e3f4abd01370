import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { freePort } from '../../cli/local/processes.js';

export interface TestPostgres {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly database: string;
  readonly username: string;
  /** The user's current password; at first it has the characters RDS-generated passwords may hold, so URL quoting is exercised. */
  readonly password: string;
  /** The CA that signed the server's certificate (for 127.0.0.1), for sslmode=verify-full. */
  readonly caFile: string;
  /** Runs SQL over a plain (non-TLS) connection and returns psql's unaligned output. */
  query(sql: string): Promise<string>;
  /** Changes the user's password as an RDS rotation does (`ALTER ROLE … PASSWORD`); open sessions stay, new ones need it. */
  setPassword(password: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A real PostgreSQL (Debian's postgresql package) in a temporary folder, listening on a free port of
 * 127.0.0.1 only, with password authentication and TLS from a throwaway CA, as RDS has. PostgreSQL
 * refuses to run as root, so as root it runs as the package's `postgres` user.
 */
export async function startTestPostgres(): Promise<TestPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-test-postgres-'));
  const asRoot = process.getuid?.() === 0;
  const asServer = (command: string, args: string[]) => (asRoot ? execa('runuser', ['-u', 'postgres', '--', command, ...args]) : execa(command, args));
  const port = await freePort();
  let password = 'p@ss:w/rd#?%&=';
  const username = 'mlflow';
  const database = 'mlflow';
  const data = join(dir, 'data');
  const log = join(dir, 'postgres.log');

  const openssl = (args: string[]) => execa('openssl', args, { cwd: dir });
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=lean-mlops test CA']);
  await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
  writeFileSync(join(dir, 'san.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  await openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '1', '-extfile', 'san.cnf']);
  chmodSync(join(dir, 'server.key'), 0o600);
  chmodSync(join(dir, 'ca.pem'), 0o644);
  writeFileSync(join(dir, 'password'), password);
  if (asRoot) await execa('chown', ['-R', 'postgres:postgres', dir]);

  await asServer('initdb', ['--pgdata', data, '--username', username, '--pwfile', join(dir, 'password'), '--auth', 'scram-sha-256', '--encoding', 'UTF8', '--no-sync']);
  const options = [`-c listen_addresses=127.0.0.1 -p ${port} -c unix_socket_directories=${dir}`, `-c ssl=on -c ssl_cert_file=${join(dir, 'server.crt')} -c ssl_key_file=${join(dir, 'server.key')}`].join(' ');
  await asServer('pg_ctl', ['--pgdata', data, '--log', log, '--wait', '--options', options, 'start']);

  const query = async (sql: string, db = database) => {
    const result = await execa('psql', ['--no-psqlrc', '--tuples-only', '--no-align', '--set', 'ON_ERROR_STOP=1', '--command', sql], {
      env: { PGHOST: '127.0.0.1', PGPORT: String(port), PGUSER: username, PGPASSWORD: password, PGDATABASE: db, PGSSLMODE: 'disable' },
    });
    return result.stdout.trim();
  };
  await query(`CREATE DATABASE ${database}`, 'postgres');
  return {
    host: '127.0.0.1',
    port,
    database,
    username,
    get password() {
      return password;
    },
    caFile: join(dir, 'ca.pem'),
    query,
    async setPassword(next: string) {
      await query(`ALTER ROLE ${username} PASSWORD '${next.replaceAll("'", "''")}'`);
      password = next;
    },
    async stop() {
      await asServer('pg_ctl', ['--pgdata', data, '--mode', 'fast', '--wait', 'stop']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
