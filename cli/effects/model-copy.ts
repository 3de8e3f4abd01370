import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { ExternalError } from '../../core/errors.js';
import { pythonEnv, pythonTool } from '../local/python-tools.js';
import { repoRoot } from '../paths.js';

export interface CopyRequest {
  readonly name: string;
  readonly version: string;
  readonly sourceUri: string;
  readonly targetUri: string;
  /** The run the copy is logged in is named so, in the experiment named after the model. */
  readonly runName: string;
  /** On the new run and the new version: lineage and promotion. */
  readonly tags: Record<string, string>;
  /** The run artifact that holds the training baseline, copied when the source run has it. */
  readonly baselineArtifact: string;
}

/** The environment of MLflow's Python client for each side: each server's own credential and CA (cli/effects/mlflow-access.ts). */
export interface CopyEnvironments {
  readonly source: NodeJS.ProcessEnv;
  readonly target: NodeJS.ProcessEnv;
}

/**
 * Copies a model version between MLflow servers with MLflow's own client (any artifact store on
 * either side): the model's files, its run's metrics, params and baseline, into a new version.
 * Downloaded with the source's environment, uploaded with the target's, through a private folder
 * removed afterwards.
 */
export async function copyModelVersion(request: CopyRequest, envs: CopyEnvironments): Promise<{ version: string; runId: string }> {
  const payload = JSON.stringify({
    name: request.name,
    version: request.version,
    source_uri: request.sourceUri,
    target_uri: request.targetUri,
    run_name: request.runName,
    tags: request.tags,
    baseline_artifact: request.baselineArtifact,
  });
  const folder = mkdtempSync(join(tmpdir(), 'mlops-model-copy-'));
  const phase = async (name: 'download' | 'upload', env: NodeJS.ProcessEnv, server: string) => {
    const result = await execa(pythonTool('python', env), [join(repoRoot, 'cli', 'effects', 'model-copy.py'), name, payload, folder], { env: pythonEnv({}, env), reject: false, all: true });
    if (result.failed) {
      const tail = String(result.all ?? '').trim().split('\n').slice(-3).join(' ');
      throw new ExternalError(`cannot copy models:/${request.name}/${request.version} from ${request.sourceUri} to ${request.targetUri} (${name} at ${server}): ${tail}`);
    }
    return result.stdout;
  };
  try {
    await phase('download', envs.source, request.sourceUri);
    const copied = JSON.parse((await phase('upload', envs.target, request.targetUri)).trim().split('\n').pop() ?? '{}') as { version: string; run_id: string };
    return { version: String(copied.version), runId: copied.run_id };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
