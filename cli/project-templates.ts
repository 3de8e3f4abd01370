import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { COMMON_TEMPLATE, type ProjectFiles } from '../core/project-template.js';
import { paths } from './paths.js';

/** The templates `mlops new-project` offers: the folders of templates/ but the common one. */
export function listProjectTemplates(root: string = paths.templates()): string[] {
  return readdirSync(root)
    .filter((entry) => entry !== COMMON_TEMPLATE && statSync(join(root, entry)).isDirectory())
    .sort();
}

/** One folder of templates/, as files by name (templates are flat). */
export function readTemplateFiles(template: string, root: string = paths.templates()): ProjectFiles {
  const dir = join(root, template);
  return Object.fromEntries(readdirSync(dir).map((file) => [file, readFileSync(join(dir, file), 'utf8')]));
}
