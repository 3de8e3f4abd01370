import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { printJson } from '../command.js';
import { checkNewProject, COMMON_TEMPLATE, renderProject, type NewProjectRequest } from '../../core/project-template.js';
import { paths } from '../paths.js';
import { createReporter, type Reporter } from '../progress.js';
import { listProjectTemplates, readTemplateFiles } from '../project-templates.js';

export interface NewProjectArgs extends NewProjectRequest {
  json: boolean;
}

/**
 * Writes `ml-projects/<name>/` from a template. Everything is checked and rendered before the folder
 * is made; the folder must not exist, and a failure while writing removes only what this call made.
 */
export function createProject(
  request: NewProjectRequest,
  reporter: Reporter,
  { projectsRoot = paths.mlProjects(), templatesRoot = paths.templates() } = {},
): { name: string; template: string; dir: string; files: string[] } {
  const dir = join(projectsRoot, request.name);
  checkNewProject(request, { templates: listProjectTemplates(templatesRoot), existingFolder: existsSync(dir) ? dir : undefined });
  const files = renderProject(readTemplateFiles(COMMON_TEMPLATE, templatesRoot), readTemplateFiles(request.template, templatesRoot), {
    name: request.name,
    template: request.template,
  });
  mkdirSync(projectsRoot, { recursive: true });
  // Not recursive: fails if the folder appeared since the check, so nothing of the user's is touched.
  mkdirSync(dir);
  try {
    for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text, { flag: 'wx' });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  reporter.info(`Created ${dir} from the ${request.template} template: ${Object.keys(files).join(', ')}`);
  return { name: request.name, template: request.template, dir, files: Object.keys(files) };
}

/** `mlops new-project`. */
export async function runNewProject({ json, ...request }: NewProjectArgs): Promise<void> {
  const reporter = createReporter();
  const project = createProject(request, reporter);
  reporter.info(
    [
      'Next:',
      `  edit ${join(project.dir, 'data.py')} to load your data`,
      '  make local-mlflow-server',
      `  make local-training project=${project.name}`,
      `  make local-deployment project=${project.name} model=latest`,
    ].join('\n'),
  );
  if (json) printJson(project);
  else process.stdout.write(`${project.dir}\n`);
}
