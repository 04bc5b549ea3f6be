// The export list of every package entry point (package.json `exports`), read from the sources with the TypeScript
// compiler (in this process; nothing is built or run), and the checked-in snapshot exports.test.ts holds it to.
//
//   node --import tsx test/package/export-list.ts --write    rewrites test/package/exports.snapshot after a
//                                                            deliberate change of what the package exports
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('../../', import.meta.url));
export const SNAPSHOT = join(root, 'test', 'package', 'exports.snapshot');
export const UPDATE_COMMAND = 'node --import tsx test/package/export-list.ts --write';

/** Entry point name (`ovn-overlay`, `ovn-overlay/ovsdb`, ...) -> its source file, from package.json `exports`. */
export function entryPoints(): Map<string, string> {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; exports: Record<string, string | { types?: string }> };
  const out = new Map<string, string>();
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    if (typeof target === 'string' || !target.types) continue;
    // ./dist/src/ovsdb/index.d.ts -> src/ovsdb/index.ts
    const source = target.types.replace(/^\.\/dist\//, '').replace(/\.d\.ts$/, '.ts');
    out.set(subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`, join(root, source));
  }
  return out;
}

/** Every exported name of each entry point, sorted; a name exported only as a type reads `type Name`. */
export function exportLists(): Map<string, string[]> {
  const entries = entryPoints();
  const program = ts.createProgram([...entries.values()], {
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true, skipLibCheck: true, noEmit: true, types: ['node'],
  });
  const checker = program.getTypeChecker();
  const out = new Map<string, string[]>();
  for (const [name, file] of entries) {
    const source = program.getSourceFile(file);
    const module = source && checker.getSymbolAtLocation(source);
    if (!module) throw new Error(`${name}: cannot read ${file}`);
    const names = checker.getExportsOfModule(module).map((symbol) => (isValue(checker, symbol) ? symbol.name : `type ${symbol.name}`));
    out.set(name, names.sort((a, b) => bare(a).localeCompare(bare(b), 'en') || a.localeCompare(b, 'en')));
  }
  return out;
}

const bare = (entry: string): string => entry.replace(/^type /, '');

/** A name users can use as a value (not re-exported with `export type`, and a value where it is declared). */
function isValue(checker: ts.TypeChecker, symbol: ts.Symbol): boolean {
  let current = symbol;
  while (current.flags & ts.SymbolFlags.Alias) {
    if (current.declarations?.some((d) => ts.isTypeOnlyImportOrExportDeclaration(d) || (ts.isExportSpecifier(d) && d.parent.parent.isTypeOnly))) return false;
    current = checker.getImmediateAliasedSymbol(current) ?? checker.getAliasedSymbol(current);
    if (current === symbol) break;
  }
  return (current.flags & ts.SymbolFlags.Value) !== 0;
}

/** The snapshot's text: a `# entry` heading per entry point, one name a line. */
export function formatSnapshot(lists: ReadonlyMap<string, readonly string[]>): string {
  const parts: string[] = [
    '# The names every entry point of the package exports, compared by test/package/exports.test.ts.',
    `# After a deliberate change of an export: ${UPDATE_COMMAND}`,
  ];
  for (const name of [...lists.keys()].sort()) parts.push('', `## ${name}`, ...lists.get(name)!);
  return `${parts.join('\n')}\n`;
}

/** Reads the snapshot back into lists. */
export function parseSnapshot(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('## ')) { current = []; out.set(line.slice(3), current); continue; }
    if (line === '' || line.startsWith('#')) continue;
    current?.push(line);
  }
  return out;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  if (!process.argv.includes('--write')) {
    process.stdout.write(formatSnapshot(exportLists()));
  } else {
    writeFileSync(SNAPSHOT, formatSnapshot(exportLists()));
    console.log(`wrote ${SNAPSHOT}`);
  }
}
