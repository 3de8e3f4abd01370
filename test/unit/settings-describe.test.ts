import { describeSettings } from '../../core/settings/describe.js';
import { parseSettings } from '../../core/settings/parse.js';
import { settingsSchema } from '../../core/settings/schema.js';

describe('describeSettings', () => {
  const text = '{"mlflow_server": {"db_engine": "mysql"}}';
  const rows = describeSettings(settingsSchema as never, parseSettings(text, 'inline') as never, JSON.parse(text));

  it('lists nested settings by path with their resolved value', () => {
    expect(rows).toContainEqual({ path: 'mlflow_server.db_engine', value: 'mysql', description: 'Backend store engine', set: true });
    expect(rows.find((row) => row.path === 'mlflow_server.vpn.enabled')?.value).toBe(true);
  });

  it('tells a setting the file sets from one left at its default', () => {
    expect(rows.filter((row) => row.set).map((row) => row.path)).toEqual(['mlflow_server.db_engine']);
    expect(rows.find((row) => row.path === 'mlflow_server.db_instance_class')).toMatchObject({ value: 'db.t4g.micro', set: false });
  });

  it('documents every setting', () => {
    expect(rows.filter((row) => row.description === '').map((row) => row.path)).toEqual([]);
  });
});
