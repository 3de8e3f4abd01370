import { existsSync, mkdirSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { printJson } from '../command.js';
import { ExternalError, UsageError } from '../../core/errors.js';
import { environmentDirOf, type EnvManager, type EnvManagerChoice } from '../../core/local-environment.js';
import { MlflowClient, parseModelSpec, resolveModelVersion } from '../effects/mlflow.js';
import { loadMlProject } from '../ml-project.js';
import { createReporter, type Reporter } from '../progress.js';
import { pythonEnv, pythonTool } from '../local/python-tools.js';
import { resolveEnvManager } from '../local/env-manager.js';
import { runStreaming } from '../local/run-process.js';
import { localFiles, requireLocalServer } from '../local/state.js';

export interface LocalBatchInferenceArgs {
  project: string;
  model: string;
  input: string;
  output?: string;
  overwrite: boolean;
  json: boolean;
  'env-manager': EnvManagerChoice;
}

/**
 * Scores a CSV file with one version (`mlflow models predict`) into `.mlops/outputs/<project>/` (or
 * the output the user names); never overwrites a file unless asked.
 */
export async function batchScore(
  options: { project: string; model: string; input: string; output?: string; overwrite: boolean; envManager: EnvManagerChoice },
  reporter: Reporter,
): Promise<{ modelUri: string; input: string; output: string }> {
  const project = loadMlProject(options.project);
  const spec = parseModelSpec(options.model);
  const inputPath = resolve(options.input);
  if (!existsSync(inputPath)) throw new UsageError(`input file ${inputPath} does not exist`);
  const server = requireLocalServer();
  const version = await resolveModelVersion(new MlflowClient(server.url), project.name, spec);
  const outputPath = resolve(
    options.output ?? join(localFiles.outputs(project.name), `${basename(inputPath, extname(inputPath))}.predictions-v${version.version}.json`),
  );
  if (existsSync(outputPath) && !options.overwrite) {
    throw new UsageError(`${outputPath} already exists: pass --overwrite (make: overwrite=1) to replace it, or --output (output=FILE) to write elsewhere`);
  }
  mkdirSync(dirname(outputPath), { recursive: true });
  const modelUri = `models:/${project.name}/${version.version}`;
  const env = pythonEnv({ MLFLOW_TRACKING_URI: server.url });
  const manager = resolveEnvManager(options.envManager, 'model', env, reporter);
  const logFile = join(localFiles.logs(project.name), `batch-v${version.version}-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
  const predict = ['models', 'predict', '-m', modelUri, '-i', inputPath, '-t', 'csv', '-o', outputPath];
  const label = `scoring ${basename(inputPath)} with ${modelUri}`;
  let mlflow = pythonTool('mlflow');
  let predictManager: EnvManager = manager;
  if (manager === 'uv' || manager === 'virtualenv') {
    // `mlflow models predict` builds the model's environment in a temporary folder on every call;
    // `prepare-env` builds it into MLflow's cache (the one `models serve` uses), and the MLflow
    // installed in that environment then predicts in it.
    const prepared = await runStreaming(pythonTool('mlflow'), ['models', 'prepare-env', '-m', modelUri, '--env-manager', manager], {
      reporter,
      label: `the environment of ${modelUri}`,
      env,
      logFile: logFile.replace(/\.log$/, '-env.log'),
    });
    const envDir = environmentDirOf(prepared);
    if (!envDir) throw new ExternalError(`mlflow models prepare-env did not say which environment it made for ${modelUri}; see its log next to ${logFile}`);
    mlflow = join(envDir, 'bin', 'mlflow');
    if (!existsSync(mlflow)) throw new ExternalError(`the environment of ${modelUri} (${envDir}) has no mlflow: its requirements.txt must list mlflow, or pass --env-manager local`);
    predictManager = 'local';
  }
  await runStreaming(mlflow, [...predict, '--env-manager', predictManager], { reporter, label, env, logFile });
  reporter.info(`Predictions written to ${outputPath}`);
  return { modelUri, input: inputPath, output: outputPath };
}

/** `mlops local-batch-inference`. */
export async function runLocalBatchInference({ json, 'env-manager': envManager, ...options }: LocalBatchInferenceArgs): Promise<void> {
  const result = await batchScore({ ...options, envManager }, createReporter());
  if (json) printJson(result);
  else process.stdout.write(`${result.output}\n`);
}
