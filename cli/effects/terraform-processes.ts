import { readdir, readFile, readlink } from 'node:fs/promises';
import { basename, resolve } from 'node:path';

/**
 * Process ids of terraform/tofu (and their provider plugins) whose working folder is `dir`, read
 * from /proc; undefined where there is no /proc (macOS), so the caller knows it could not look.
 */
export async function terraformProcessesIn(dir: string, procRoot = '/proc'): Promise<number[] | undefined> {
  let entries: string[];
  try {
    entries = await readdir(procRoot);
  } catch {
    return undefined;
  }
  const target = resolve(dir);
  const pids: number[] = [];
  for (const entry of entries.filter((name) => /^\d+$/.test(name))) {
    try {
      const [cwd, comm] = await Promise.all([readlink(`${procRoot}/${entry}/cwd`), readFile(`${procRoot}/${entry}/comm`, 'utf8')]);
      if (resolve(cwd) === target && /^(tofu|terraform)/.test(basename(comm.trim()))) pids.push(Number(entry));
    } catch {
      // Gone meanwhile, or another user's process: not ours to judge.
    }
  }
  return pids;
}
