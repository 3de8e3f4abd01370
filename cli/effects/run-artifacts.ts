import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { pythonEnv, pythonTool } from '../local/python-tools.js';

/**
 * One artifact file of a run, with MLflow's own client (any artifact store); undefined when the
 * run has no such artifact or it cannot be fetched.
 */
export async function readRunArtifact(trackingUri: string, runId: string, artifactPath: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-run-artifact-'));
  try {
    const result = await execa(pythonTool('mlflow', env), ['artifacts', 'download', '-r', runId, '-a', artifactPath, '-d', dir], {
      env: pythonEnv({ MLFLOW_TRACKING_URI: trackingUri }, env),
      reject: false,
      all: true,
    });
    // `mlflow artifacts download -a dir/file` writes the file itself, by its base name, into -d.
    const file = [join(dir, basename(artifactPath)), join(dir, artifactPath)].find((candidate) => existsSync(candidate));
    if (result.failed || !file) return undefined;
    return readFileSync(file, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
