import type { Command } from '../command.js';
import { lazyHandler, withJson } from '../command.js';

export const cost: Command<{ json: boolean }> = {
  command: 'cost',
  describe:
    "Estimated monthly cost of every stack of the environment (MLflow server, each project's training and deployment), priced from their Terraform states with the repository's price table; training runs per job-hour",
  builder: (yargs) =>
    withJson(yargs).epilog(
      'Each step (mlflow-server, training-job, deployment-job) prints the same estimate for its plan before applying it, and refuses with --max-monthly-usd N. ' +
        'Not counted: data transfer, requests and other use, storage growth; the output lists these. Prices: core/cost/price-table.ts (source and date inside).',
    ),
  handler: lazyHandler(async () => (await import('../workflows/cost.js')).runCost),
};
