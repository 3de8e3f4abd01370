import type { Argv } from 'yargs';
import type { Command } from '../command.js';
import { lazyHandler, withJson, withProject } from '../command.js';
import type { PromoteModelArgs } from '../workflows/promote-model.js';

export const promoteModel: Command<PromoteModelArgs> = {
  command: 'promote-model',
  describe:
    "Point the alias of this environment (--to, default TF_VAR_env_name, e.g. prod) at the version the alias of the previous one (--from, e.g. dev) names, tagged with who, when, from which endpoint; copies the version first when the source environment has its own MLflow server (its stack's, or --from-tracking-uri). Each server is reached with the credential and CA of the environment whose stack published it",
  builder: (yargs) =>
    withJson(withProject(yargs))
      .option('from', { type: 'string', demandOption: true, describe: 'Source alias, usually the environment it serves in: dev or @dev' })
      .option('to', { type: 'string', describe: 'Target alias: what `mlops sync` deploys in that environment. Default: this environment\'s name (TF_VAR_env_name), e.g. prod' })
      .option('from-tracking-uri', {
        type: 'string',
        describe: "The source environment's MLflow server, when no MLflow server stack of this account published it; the target is this environment's server (MLFLOW_TRACKING_URI, tracking_uri or the MLflow server stack). Default: the server the --from environment's stack published when the target is this environment's stack's server, else the target's (one server shared by both)",
      }) as unknown as Argv<PromoteModelArgs>,
  handler: lazyHandler(async () => (await import('../workflows/promote-model.js')).runPromoteModel),
};
