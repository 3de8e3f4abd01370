import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { repoRoot } from '../../cli/paths.js';

/** Every `import … from '…'`, `export … from '…'` and `import('…')` specifier of a TypeScript file. */
export function importSpecifiers(source: string): string[] {
  const specifiers: string[] = [];
  for (const match of source.matchAll(/^\s*(?:import|export)\b[^'";]*?\bfrom\s+['"]([^'"]+)['"]/gm)) specifiers.push(match[1]);
  for (const match of source.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) specifiers.push(match[1]);
  for (const match of source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) specifiers.push(match[1]);
  return specifiers;
}

const sourceFiles = (folder: string): string[] =>
  readdirSync(join(repoRoot, folder)).flatMap((entry) => {
    const path = join(folder, entry);
    if (statSync(join(repoRoot, path)).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });

/** The layer a specifier points into: a top-level folder of the repository, or the package's name. */
function layerOf(file: string, specifier: string): string {
  if (!specifier.startsWith('.')) return specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
  return relative(repoRoot, resolve(repoRoot, dirname(file), specifier)).split('/')[0];
}

function violations(folder: string, allowed: (layer: string, specifier: string) => boolean): string[] {
  return sourceFiles(folder).flatMap((file) =>
    importSpecifiers(readFileSync(join(repoRoot, file), 'utf8'))
      .filter((specifier) => !allowed(layerOf(file, specifier), specifier))
      .map((specifier) => `${file} imports ${specifier}`),
  );
}

describe('layers point one way: core ← stacks ← cli', () => {
  it('reads every kind of import line', () => {
    const source = [
      "import { a } from '../core/a.js';",
      "import type { B } from './b.js';",
      "export { c } from 'cdktf';",
      "import {\n  d,\n  e,\n} from '../../cli/d.js';",
      "const f = await import('../cli/f.js');",
    ].join('\n');
    expect(importSpecifiers(source)).toEqual(['../core/a.js', './b.js', 'cdktf', '../../cli/d.js', '../cli/f.js']);
    expect(layerOf('stacks/training/x.ts', '../../cli/d.js')).toBe('cli');
    expect(layerOf('stacks/x.ts', '@cdktf/provider-aws/lib/vpc/index.js')).toBe('@cdktf/provider-aws');
  });

  it('core/ imports nothing of the project but core/, and no I/O (zod and node:crypto only)', () => {
    expect(violations('core', (layer) => ['core', 'zod', 'node:crypto'].includes(layer))).toEqual([]);
  });

  it('stacks/ imports only core/, stacks/, constructs, cdktf and provider classes by deep path', () => {
    const allowed = (layer: string, specifier: string) =>
      ['core', 'stacks', 'constructs', 'cdktf'].includes(layer) || /^@cdktf\/provider-aws\/lib\/[a-z0-9-]+\/index\.js$/.test(specifier);
    expect(violations('stacks', allowed)).toEqual([]);
  });

  it('cli/ imports core/ and stacks/ but never the tests', () => {
    expect(violations('cli', (layer) => layer !== 'test')).toEqual([]);
  });
});
