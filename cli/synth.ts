import { join } from 'node:path';
import { App, type TerraformStack } from 'cdktf';
import { paths } from './paths.js';

/**
 * Synthesizes stacks in-process (no cdktf-cli) into `cdktf.out/stacks/<id>/cdk.tf.json`, the folder
 * in which terraform/tofu then runs, as cdktf-cli would.
 */
export function synthesize(build: (app: App) => TerraformStack[], outdir: string = paths.synthOutput()): string[] {
  const app = new App({ outdir, skipValidation: false });
  const stacks = build(app);
  app.synth();
  return stacks.map((stack) => stackDirectory(stack.node.id, outdir));
}

export function stackDirectory(stackId: string, outdir: string = paths.synthOutput()): string {
  return join(outdir, 'stacks', stackId);
}
