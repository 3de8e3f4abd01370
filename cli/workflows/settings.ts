import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
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
  const rows = describeSettings(settingsSchema as never, values as Record<string, unknown>, JSON.parse(readFileSync(file, 'utf8')));
  const width = Math.max(...rows.map((row) => row.path.length));
  process.stdout.write(`Settings from ${file} (${rows.filter((row) => row.set).length} set there; the rest are defaults):\n`);
  for (const row of rows) {
    process.stdout.write(`  ${row.path.padEnd(width)}  ${JSON.stringify(row.value)}${row.set ? `  (set in ${basename(file)})` : ''}\n  ${''.padEnd(width)}  ${row.description}\n`);
  }
}
