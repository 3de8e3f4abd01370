import { PLACEHOLDER_MODEL_VERSION } from '../../core/deployment/names.js';
import type { Command } from '../command.js';
import { lazyHandler, withJson } from '../command.js';
import type { SynthArgs } from '../workflows/synth.js';

export const synth: Command<SynthArgs> = {
  command: 'synth',
  describe:
    "Write every stack's Terraform JSON to cdktf.out/stacks/ (MLflow server, and training and deployment per ML project); no AWS credentials or network needed",
  builder: (yargs) =>
    withJson(yargs).option('model', {
      type: 'string',
      describe: `Model version number the deployment stacks are synthesized for (default: ${PLACEHOLDER_MODEL_VERSION}, a stand-in)`,
    }),
  handler: lazyHandler(async () => (await import('../workflows/synth.js')).runSynth),
};
