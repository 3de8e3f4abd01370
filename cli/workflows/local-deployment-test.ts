import { printJson } from '../command.js';
import { ExternalError, UsageError } from '../../core/errors.js';
import { downloadModel } from '../effects/model-artifacts.js';
import { loadMlProject } from '../ml-project.js';
import { createReporter, type Reporter } from '../progress.js';
import { localFiles, readState, requireLocalServer, type LocalDeploymentState } from '../local/state.js';

/** Sends the served model's saved input example to /invocations and returns its predictions. */
export async function testLocalDeployment(name: string, reporter: Reporter): Promise<{ modelUri: string; predictions: unknown }> {
  const project = loadMlProject(name);
  const deployment = readState<LocalDeploymentState>(localFiles.deployment(project.name));
  if (!deployment) throw new UsageError(`no local deployment of ${project.name} is running: run make local-deployment project=${project.name} model=<version>`);
  const server = requireLocalServer();
  const model = await downloadModel(server.url, deployment.modelUri);
  try {
    if (!model.servingInputExample) {
      throw new UsageError(`${deployment.modelUri} was logged without an input example: log it with input_example=… to test it`);
    }
    const response = await fetch(`${deployment.url}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: model.servingInputExample,
      signal: AbortSignal.timeout(60_000),
    });
    const body = await response.text();
    if (!response.ok) throw new ExternalError(`${deployment.url}/invocations answered ${response.status}: ${body.slice(0, 500)}`);
    const predictions = (JSON.parse(body) as { predictions?: unknown }).predictions;
    reporter.info(`${deployment.modelUri} answered its input example with ${JSON.stringify(predictions)}`);
    return { modelUri: deployment.modelUri, predictions };
  } finally {
    model.cleanup();
  }
}

/** `mlops local-deployment-test`. */
export async function runLocalDeploymentTest({ project, json }: { project: string; json: boolean }): Promise<void> {
  const result = await testLocalDeployment(project, createReporter());
  if (json) printJson(result);
  else process.stdout.write(`${JSON.stringify(result.predictions)}\n`);
}
