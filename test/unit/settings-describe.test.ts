import { describeSettings } from '../../core/settings/describe.js';
import { parseSettings } from '../../core/settings/parse.js';
import { settingsSchema } from '../../core/settings/schema.js';

describe('describeSettings', () => {
  const rows = describeSettings(settingsSchema as never, parseSettings('{"mlflow_server": {"db_engine": "mysql"}}', 'inline') as never);

  it('lists nested settings by path with their resolved value', () => {
    expect(rows).toContainEqual({ path: 'mlflow_server.db_engine', value: 'mysql', description: 'Backend store engine' });
    expect(rows.find((row) => row.path === 'mlflow_server.vpn.enabled')?.value).toBe(true);
  });

  it('documents every setting', () => {
    expect(rows.filter((row) => row.description === '').map((row) => row.path)).toEqual([]);
  });
});
