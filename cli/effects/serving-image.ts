import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { ExternalError } from '../../core/errors.js';
import { pythonEnv, pythonTool } from '../local/python-tools.js';
import { contentHashTag } from './container-image.js';

/** A serving image's build context: MLflow's own Dockerfile with the model baked in. */
export interface ServingImageContext {
  readonly dir: string;
  /** The MLflow version the Dockerfile pins (`pip install mlflow==…`). */
  readonly mlflowVersion: string;
  /** `v<model version>-<content hash of the context>`: the same model and Dockerfile give the same tag. */
  readonly tag: string;
  readonly cleanup: () => void;
}

/** The MLflow version a generated Dockerfile installs, when it pins one exactly. */
export function pinnedMlflowVersion(dockerfile: string): string | undefined {
  return /pip install (?:--no-cache-dir )?mlflow==([0-9][0-9A-Za-z.+-]*)/.exec(dockerfile)?.[1];
}

/**
 * Writes the serving image's context with `mlflow models generate-dockerfile -m <model>`: MLflow's
 * serving container for the model's flavor (nginx + gunicorn on port 8080, /ping and /invocations,
 * SageMaker's container contract), the pinned MLflow of the toolchain, and the model and its Python
 * packages installed at build time, so the container starts without network access.
 */
export async function prepareServingImage(modelDir: string, modelVersion: string, env: NodeJS.ProcessEnv = process.env): Promise<ServingImageContext> {
  const root = mkdtempSync(join(tmpdir(), 'mlops-serving-image-'));
  const cleanup = () => rmSync(root, { recursive: true, force: true });
  const dir = join(root, 'context');
  // MLflow names the model's folder in the context (and its COPY line) after the folder it is given:
  // a fixed name keeps the context, and so the tag, the same for the same model.
  const model = join(root, 'model');
  cpSync(modelDir, model, { recursive: true });
  const result = await execa(pythonTool('mlflow', env), ['models', 'generate-dockerfile', '-m', model, '-d', dir], {
    env: pythonEnv({}, env),
    reject: false,
    all: true,
  });
  if (result.failed) {
    cleanup();
    throw new ExternalError(`mlflow models generate-dockerfile failed: ${String(result.all ?? '').trim().split('\n').slice(-3).join(' ')}`);
  }
  const dockerfile = readFileSync(join(dir, 'Dockerfile'), 'utf8');
  const mlflowVersion = pinnedMlflowVersion(dockerfile);
  if (!mlflowVersion) {
    cleanup();
    throw new ExternalError(`the Dockerfile MLflow generated in ${dir} does not pin an MLflow version (no "pip install mlflow==…")`);
  }
  return { dir, mlflowVersion, tag: `v${modelVersion}-${contentHashTag(dir)}`, cleanup };
}
