import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UsageError } from '../../core/errors.js';
import { paths } from '../paths.js';
import { isAlive } from './processes.js';

/** What the local lifecycle remembers between commands, as small JSON files under `.mlops/`. */
export interface LocalServerState {
  readonly pid: number;
  readonly port: number;
  readonly url: string;
  readonly logFile: string;
}

export interface LocalDeploymentState extends LocalServerState {
  readonly project: string;
  readonly version: string;
  readonly modelUri: string;
}

export const localFiles = {
  dataDir: () => paths.localState(),
  server: () => join(paths.localState(), 'mlflow-server.json'),
  deployment: (project: string) => join(paths.localState(), 'deployments', `${project}.json`),
  /** Each local MLflow run's whole output (training, batch scoring), kept when the terminal shows only a summary. */
  logs: (project: string) => join(paths.localState(), 'logs', project),
  /** What the local commands produce for a person to read (batch predictions), kept out of ml-projects/. */
  outputs: (project: string) => join(paths.localState(), 'outputs', project),
};

export function readState<T extends { pid: number }>(file: string): T | undefined {
  if (!existsSync(file)) return undefined;
  const state = JSON.parse(readFileSync(file, 'utf8')) as T;
  if (!isAlive(state.pid)) {
    rmSync(file, { force: true });
    return undefined;
  }
  return state;
}

export function writeState(file: string, state: object): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`);
}

export function removeState(file: string): void {
  rmSync(file, { force: true });
}

/** The running local MLflow server, or a usage error that says how to start one. */
export function requireLocalServer(): LocalServerState {
  const state = readState<LocalServerState>(localFiles.server());
  if (!state) throw new UsageError('the local MLflow server is not running: start it with `make local-mlflow-server`');
  return state;
}
