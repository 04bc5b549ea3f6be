// The unit/integration split is a naming rule (`*.test.ts` starts no program, `*.integration.test.ts` may), and
// `npm run test:unit` trusts it. This test keeps it honest: no unit test file, nor a test helper it imports, may
// reach for a way to start a program or a server.
import test from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const testDir = join(root, 'test');

/** Imports that start programs or servers, or the lab that does. */
const FORBIDDEN = [/^node:child_process$/, /^node:net$/, /^node:tls$/, /^node:worker_threads$/, /\/src\/lab\//];

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? testFiles(path) : entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?\bfrom\s+['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm)]
    .map((m) => m[1] ?? m[2] ?? '');
}

/** Forbidden imports reached from `file`, following relative imports that stay inside test/. */
function forbiddenImports(file: string, seen = new Set<string>()): string[] {
  if (seen.has(file)) return [];
  seen.add(file);
  const found: string[] = [];
  for (const specifier of importsOf(file)) {
    const target = specifier.startsWith('.') ? resolve(dirname(file), specifier).replace(/\.js$/, '.ts') : specifier;
    if (FORBIDDEN.some((re) => re.test(specifier) || re.test(target))) {
      found.push(`${relative(root, file)} imports ${specifier}`);
    } else if (specifier.startsWith('.') && target.startsWith(testDir + '/')) {
      found.push(...forbiddenImports(target, seen));
    }
  }
  return found;
}

const unitFiles = testFiles(testDir).filter((file) => !file.endsWith('.integration.test.ts'));

test('unit test files start no program (else name them *.integration.test.ts)', (t) => {
  t.true(unitFiles.length > 10, 'the unit test files were found');
  t.deepEqual(unitFiles.flatMap((file) => forbiddenImports(file)), []);
});

test('the check sees a file that would start a program', (t) => {
  const integration = testFiles(testDir).filter((file) => file.endsWith('.integration.test.ts'));
  const flagged = integration.filter((file) => forbiddenImports(file).length > 0);
  t.true(flagged.length > integration.length / 2, `${flagged.length} of ${integration.length} integration files flagged`);
});
