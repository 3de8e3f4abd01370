import { UsageError, violationsMessage } from './errors.js';
import { MAX_ML_PROJECT_NAME_LENGTH } from './ml-project.js';
import { NAME_PART_RULE, namePartViolations } from './naming.js';

/** A project's files: text by path relative to the project folder. */
export type ProjectFiles = Readonly<Record<string, string>>;

/** The folder of `templates/` whose files every template shares (a template's own file of the same path wins). */
export const COMMON_TEMPLATE = 'common';

export interface NewProjectRequest {
  readonly name: string;
  readonly template: string;
}

/**
 * Checks a new project's name and template before anything is written, and reports every problem
 * at once. `templates` are the templates there are; `existingFolder` is the project's folder when
 * something is already there (it is never overwritten).
 */
export function checkNewProject(
  { name, template }: NewProjectRequest,
  { templates, existingFolder }: { templates: readonly string[]; existingFolder?: string },
): void {
  const violations: string[] = [];
  const nameRule = `${NAME_PART_RULE}, at most ${MAX_ML_PROJECT_NAME_LENGTH} characters (it becomes part of AWS resource names)`;
  if (name === '') violations.push(`name= (--name) is required: ${nameRule}`);
  else {
    const nameViolations = namePartViolations(name, MAX_ML_PROJECT_NAME_LENGTH);
    if (nameViolations.length > 0) violations.push(`name "${name}" ${nameViolations.join(' and ')}`);
    if (existingFolder) violations.push(`${existingFolder} already exists: choose another name (an existing project is never overwritten)`);
  }
  if (template === '') violations.push(`template= (--template) is required: one of ${templates.join(', ')}`);
  else if (!templates.includes(template)) violations.push(`unknown template "${template}": one of ${templates.join(', ')}`);
  if (violations.length > 0) throw new UsageError(violationsMessage('cannot create the ML project', violations));
}

const PLACEHOLDER = /\{\{(\w+)\}\}/g;

/**
 * A new project's files: the common files with the template's own over them, every `{{key}}`
 * replaced by its value. A placeholder without a value is a mistake in the template (a bug, not
 * bad input), so it throws a plain Error naming the file.
 */
export function renderProject(common: ProjectFiles, own: ProjectFiles, values: Readonly<Record<string, string>>): ProjectFiles {
  const merged = { ...common, ...own };
  return Object.fromEntries(
    Object.keys(merged)
      .sort()
      .map((path) => [
        path,
        merged[path].replace(PLACEHOLDER, (placeholder, key: string) => {
          if (!Object.hasOwn(values, key)) throw new Error(`template file ${path} uses ${placeholder}; known: ${Object.keys(values).join(', ')}`);
          return values[key];
        }),
      ]),
  );
}
