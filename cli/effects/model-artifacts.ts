import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { parse as parseYaml } from 'yaml';
import { ExternalError, UsageError } from '../../core/errors.js';
import { pythonEnv, pythonTool } from '../local/python-tools.js';

export interface DownloadedModel {
  readonly dir: string;
  /** The MLmodel file, parsed. */
  readonly mlmodel: { flavors?: Record<string, unknown>; saved_input_example_info?: unknown; signature?: unknown };
  /** The request body MLflow saved for /invocations, when the model was logged with an input example. */
  readonly servingInputExample?: string;
  readonly cleanup: () => void;
}

/**
 * Downloads a registered model's artifacts with MLflow's own client and checks that they are an
 * MLflow model (an MLmodel file with at least one flavor).
 */
export async function downloadModel(trackingUri: string, modelUri: string, env: NodeJS.ProcessEnv = process.env): Promise<DownloadedModel> {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-model-'));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  const result = await execa(pythonTool('mlflow', env), ['artifacts', 'download', '-u', modelUri, '-d', dir], {
    env: pythonEnv({ MLFLOW_TRACKING_URI: trackingUri }, env),
    reject: false,
    all: true,
  });
  if (result.failed) {
    cleanup();
    throw new ExternalError(`cannot download ${modelUri} from ${trackingUri}: ${String(result.all ?? '').trim().split('\n').slice(-3).join(' ')}`);
  }
  const mlmodelPath = join(dir, 'MLmodel');
  if (!existsSync(mlmodelPath)) {
    cleanup();
    throw new UsageError(`${modelUri} is not an MLflow model: its artifacts have no MLmodel file`);
  }
  const mlmodel = (parseYaml(readFileSync(mlmodelPath, 'utf8')) ?? {}) as DownloadedModel['mlmodel'];
  if (!mlmodel.flavors || Object.keys(mlmodel.flavors).length === 0) {
    cleanup();
    throw new UsageError(`${modelUri} is not a usable MLflow model: its MLmodel file names no flavor`);
  }
  const examplePath = join(dir, 'serving_input_example.json');
  const servingInputExample = existsSync(examplePath) ? readFileSync(examplePath, 'utf8') : undefined;
  return { dir, mlmodel, servingInputExample, cleanup };
}
