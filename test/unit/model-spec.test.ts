import { parseModelSpec } from '../../cli/effects/mlflow.js';
import { UsageError } from '../../core/errors.js';

describe('parseModelSpec', () => {
  it.each([
    ['3', { kind: 'number', version: '3' }],
    ['latest', { kind: 'latest' }],
    ['@champion', { kind: 'alias', alias: 'champion' }],
    [' 12 ', { kind: 'number', version: '12' }],
  ])('reads %j', (text, expected) => {
    expect(parseModelSpec(text)).toEqual(expected);
  });

  it.each(['0', '-1', 'v3', 'champion', '@', 'Production'])('refuses %j and lists the accepted forms', (text) => {
    expect(() => parseModelSpec(text)).toThrow(UsageError);
    expect(() => parseModelSpec(text)).toThrow(/version number \(3\), "latest", or an alias \(@champion\)/);
  });
});
