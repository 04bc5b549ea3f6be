// TypeDoc plugin: names each entry-point module after the import path users write (`ovn-overlay/codecs`)
// instead of its source folder (`codecs`), from package.json's `exports`.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Converter } from 'typedoc';

export function load(app) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8'));
  const subpathOf = new Map();
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    if (typeof target !== 'object' || typeof target.types !== 'string') continue;
    const source = target.types.replace(/^\.\/dist\//, '').replace(/\.d\.ts$/, '.ts');
    subpathOf.set(source, subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`);
  }
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const module of context.project.children ?? []) {
      const file = module.sources?.[0]?.fullFileName;
      const name = file === undefined ? undefined : subpathOf.get(relative(root, file));
      if (name !== undefined) module.name = name;
    }
  });
}
