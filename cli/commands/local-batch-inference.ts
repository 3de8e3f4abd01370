import type { Command } from '../command.js';
import { lazyHandler, withEnvManager, withJson, withModel, withProject } from '../command.js';
import type { LocalBatchInferenceArgs } from '../workflows/local-batch-inference.js';

export const localBatchInference: Command<LocalBatchInferenceArgs> = {
  command: 'local-batch-inference',
  describe: 'Score a CSV file with one model version and write the predictions as JSON',
  builder: (yargs) =>
    withEnvManager(withJson(withModel(withProject(yargs))))
      .option('input', { type: 'string', demandOption: true, describe: 'CSV file with one column per model input' })
      .option('output', { type: 'string', describe: 'Where to write predictions (default: .mlops/outputs/<project>/<input name>.predictions-v<N>.json)' })
      .option('overwrite', { type: 'boolean', default: false, describe: 'Replace an existing output file' }),
  handler: lazyHandler(async () => (await import('../workflows/local-batch-inference.js')).runLocalBatchInference),
};
