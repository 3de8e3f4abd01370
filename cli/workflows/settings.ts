import { printJson } from '../command.js';
import { paths } from '../paths.js';

import { describeSettings } from '../../core/settings/describe.js';

import { loadSettings } from '../settings/load.js';

import { settingsSchema } from '../../core/settings/schema.js';


/** `mlops settings`. */
export async function runSettings({ json }: { json: boolean }): Promise<void> {
  const file = paths.settingsFile();
  const values = loadSettings(file);
  if (json) {
    printJson(values);
    return;
  }
  const rows = describeSettings(settingsSchema as never, values as Record<string, unknown>);
  const width = Math.max(...rows.map((row) => row.path.length));
  process.stdout.write(`Settings from ${file}:\n`);
  for (const row of rows) process.stdout.write(`  ${row.path.padEnd(width)}  ${JSON.stringify(row.value)}\n  ${''.padEnd(width)}  ${row.description}\n`);
}
