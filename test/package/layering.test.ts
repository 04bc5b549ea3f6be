// The layering rules of docs/architecture.md, checked against every import of src/ and codecs/. The rules are
// read from the page itself (its ```layers block), so the page and this test cannot drift apart.
import test from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface Rule {
  /** Areas and single modules (`ovn/names`) the area may import. */
  targets: Set<string>;
  /** Known exceptions: allowed, and required to still exist. */
  exceptions: Set<string>;
  /** Packages the area may use, when the rule names any (else packages are not checked). */
  packages: Set<string> | undefined;
}

/** The ```layers block of docs/architecture.md as rules by area. */
function parseLayers(markdown: string): Map<string, Rule> {
  const block = /```layers\n([\s\S]*?)```/.exec(markdown)?.[1];
  if (block === undefined) throw new Error('docs/architecture.md has no ```layers block');
  const rules = new Map<string, Rule>();
  for (const line of block.split('\n')) {
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    const m = /^(\w+)\s*->\s*(.*)$/.exec(line.trim());
    if (!m) throw new Error(`not a layering rule: "${line}"`);
    const rule: Rule = { targets: new Set(), exceptions: new Set(), packages: undefined };
    for (const word of m[2].split(/\s+/).filter((w) => w !== '')) {
      if (word.startsWith('npm:')) (rule.packages ??= new Set()).add(word.slice(4));
      else if (word.startsWith('!')) rule.exceptions.add(word.slice(1));
      else rule.targets.add(word);
    }
    rules.set(m[1], rule);
  }
  return rules;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|mjs|js)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The area of a file: `codecs`, `index` (src/index.ts) or the folder under src/; undefined outside them. */
function areaOf(file: string): string | undefined {
  const path = relative(root, file).split('\\').join('/');
  if (path.startsWith('codecs/')) return 'codecs';
  if (path === 'src/index.ts') return 'index';
  return /^src\/([^/]+)\//.exec(path)?.[1];
}

/** The module name of a file within its area, as a rule names it: `ovn/names` for src/ovn/names.ts. */
function moduleOf(file: string): string {
  const path = relative(root, file).split('\\').join('/');
  return path.replace(/^src\//, '').replace(/\.(ts|mts|mjs|js)$/, '');
}

/** Every import, export-from and dynamic import specifier of a source text (type-only ones included). */
function specifiers(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  return [...code.matchAll(/\b(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm)]
    .map((m) => m[1] ?? m[2] ?? m[3] ?? '');
}

/** The package an external specifier names: `binary-parser` for `binary-parser/dist/x.js`, `node:fs`, `@scope/pkg`. */
function packageOf(specifier: string): string {
  if (specifier.startsWith('node:')) return specifier;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

interface Violation { file: string; imports: string; rule: string }

function check(rules: Map<string, Rule>): { violations: Violation[]; usedExceptions: Set<string> } {
  const violations: Violation[] = [];
  const usedExceptions = new Set<string>();
  const files = [...sourceFiles(join(root, 'src')), ...sourceFiles(join(root, 'codecs'))];
  for (const file of files) {
    const area = areaOf(file);
    if (area === undefined) continue;
    const rule = rules.get(area);
    const at = relative(root, file);
    if (!rule) { violations.push({ file: at, imports: '-', rule: `no rule for area "${area}" in docs/architecture.md` }); continue; }
    for (const specifier of specifiers(readFileSync(file, 'utf8'))) {
      if (!specifier.startsWith('.')) {
        if (rule.packages && !rule.packages.has(packageOf(specifier))) {
          violations.push({ file: at, imports: specifier, rule: `${area} may use only ${[...rule.packages].join(', ')}` });
        }
        continue;
      }
      const target = resolve(dirname(file), specifier).replace(/\.js$/, '.ts');
      const targetArea = areaOf(target);
      if (targetArea === undefined) {
        violations.push({ file: at, imports: specifier, rule: 'imports from outside src/ and codecs/' });
        continue;
      }
      if (targetArea === area) continue;
      const module = moduleOf(target);
      if (rule.targets.has(targetArea) || rule.targets.has(module)) continue;
      const exception = rule.exceptions.has(targetArea) ? targetArea : rule.exceptions.has(module) ? module : undefined;
      if (exception !== undefined) { usedExceptions.add(`${area} -> ${exception}`); continue; }
      violations.push({ file: at, imports: specifier, rule: `${area} may import ${[...rule.targets].join(', ') || 'nothing of the project'}` });
    }
  }
  return { violations, usedExceptions };
}

const rules = parseLayers(readFileSync(join(root, 'docs', 'architecture.md'), 'utf8'));

test('every import of src/ and codecs/ follows the layering rules of docs/architecture.md', (t) => {
  t.true(rules.size >= 9, 'the rules were read');
  t.deepEqual(check(rules).violations, []);
});

test('each known exception of the rules still exists (remove it from docs/architecture.md once it is gone)', (t) => {
  const { usedExceptions } = check(rules);
  const listed = [...rules].flatMap(([area, rule]) => [...rule.exceptions].map((e) => `${area} -> ${e}`));
  t.deepEqual(listed.filter((e) => !usedExceptions.has(e)), []);
});

test('the rules point one way: no area may reach itself through them (known exceptions aside)', (t) => {
  const next = (area: string) => [...(rules.get(area)?.targets ?? [])].map((x) => x.split('/')[0]);
  for (const start of rules.keys()) {
    const seen = new Set<string>();
    const stack = next(start);
    while (stack.length > 0) {
      const area = stack.pop()!;
      t.not(area, start, `${start} reaches itself`);
      if (area === start || seen.has(area)) continue;
      seen.add(area);
      stack.push(...next(area));
    }
  }
});

test('the check catches a wrong arrow', (t) => {
  const strict = parseLayers('```layers\ncodecs -> npm:nothing\novsdb ->\nmodels ->\nstats ->\novn ->\novs ->\nk8s ->\nlab ->\ncli ->\nindex ->\n```');
  const { violations } = check(strict);
  t.true(violations.some((v) => v.file.startsWith('src/models/') && v.imports.startsWith('../ovsdb/')), 'models -> ovsdb refused');
  t.true(violations.some((v) => v.file === 'codecs/inspect.ts' && v.imports.startsWith('binary-parser')), 'a package outside the list refused');
  t.throws(() => parseLayers('no block here'), { message: /no ```layers block/ });
});
