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

/**
 * Copies a model version between MLflow servers with MLflow's own client (any artifact store on
 * either side): the model's files, its run's metrics, params and baseline, into a new version.
 */
export async function copyModelVersion(request: CopyRequest, env: NodeJS.ProcessEnv = process.env): Promise<{ version: string; runId: string }> {
  const payload = {
    name: request.name,
    version: request.version,
    source_uri: request.sourceUri,
    target_uri: request.targetUri,
    run_name: request.runName,
    tags: request.tags,
    baseline_artifact: request.baselineArtifact,
  };
  const result = await execa(pythonTool('python', env), [join(repoRoot, 'cli', 'effects', 'model-copy.py'), JSON.stringify(payload)], {
    env: pythonEnv({}, env),
    reject: false,
    all: true,
  });
  if (result.failed) {
    const tail = String(result.all ?? '').trim().split('\n').slice(-3).join(' ');
    throw new ExternalError(`cannot copy models:/${request.name}/${request.version} from ${request.sourceUri} to ${request.targetUri}: ${tail}`);
  }
  const copied = JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}') as { version: string; run_id: string };
  return { version: String(copied.version), runId: copied.run_id };
}
