import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest folder above this file whose package.json is lean-mlops (works from src and dist). */
function findRepoRoot(start: string): string {
  for (let dir = start; dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'lean-mlops') return dir;
  }
  throw new Error(`no lean-mlops package.json above ${start}`);
}

export const repoRoot = findRepoRoot(dirname(fileURLToPath(import.meta.url)));

/** Folders the CLI reads and writes; each can be moved with an environment variable (tests do). */
export const paths = {
  mlProjects: () => process.env.MLOPS_PROJECTS_DIR || join(repoRoot, 'ml-projects'),
  // cdktf-cli (`cdktf synth`, with cdktf.json) names its output folder in CDKTF_OUTDIR and reads the
  // stacks back from there, so it wins over MLOPS_OUTDIR.
  synthOutput: () => process.env.CDKTF_OUTDIR || process.env.MLOPS_OUTDIR || join(repoRoot, 'cdktf.out'),
  localState: () => process.env.MLOPS_STATE_DIR || join(repoRoot, '.mlops'),
  policies: () => process.env.MLOPS_POLICIES_DIR || join(repoRoot, 'policies'),
  settingsFile: () => process.env.MLOPS_SETTINGS_FILE || join(repoRoot, 'cli', 'settings.json'),
  // Part of the tool, like the policies' defaults: `mlops new-project` copies from here.
  templates: () => join(repoRoot, 'templates'),
};
