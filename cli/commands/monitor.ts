import type { Argv } from 'yargs';
import type { Command } from '../command.js';
import { lazyHandler, withJson, withProject } from '../command.js';
import type { MonitorArgs } from '../workflows/monitor.js';

export const monitor: Command<MonitorArgs> = {
  command: 'monitor',
  describe:
    "Compare the requests a project's endpoint captured with its training baseline (per-feature statistics), and a shadow version's answers with production's on the same requests (agreement for a classifier, error statistics for a regressor); published to CloudWatch for the dashboard",
  builder: (yargs) =>
    withJson(withProject(yargs)).option('hours', {
      type: 'number',
      describe: 'How many hours of captured requests to read (default: settings deployment.monitor_lookback_hours)',
    }) as unknown as Argv<MonitorArgs>,
  handler: lazyHandler(async () => (await import('../workflows/monitor.js')).runMonitor),
};
