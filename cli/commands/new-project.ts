import type { Command } from '../command.js';
import { lazyHandler, withJson } from '../command.js';
import { listProjectTemplates } from '../project-templates.js';
import type { NewProjectArgs } from '../workflows/new-project.js';

export const newProject: Command<NewProjectArgs> = {
  command: 'new-project',
  describe: 'Create ml-projects/<name>/ from a template: a runnable MLflow project ready to train, serve and monitor',
  builder: (yargs) =>
    withJson(yargs)
      .option('name', { type: 'string', demandOption: true, describe: 'The new ML project: lower-case letters, digits and hyphens, at most 20 characters' })
      .option('template', { type: 'string', demandOption: true, describe: `The model library: ${listProjectTemplates().join(', ')}` }),
  handler: lazyHandler(async () => (await import('../workflows/new-project.js')).runNewProject),
};
