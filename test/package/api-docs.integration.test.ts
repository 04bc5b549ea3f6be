// `npm run docs` stays clean: TypeDoc builds the API reference of every package entry point from the TSDoc
// comments with warnings as errors (a public type that names one the entry point does not export, a broken
// {@link}), so a change that breaks the reference fails here rather than when someone next runs it.
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const typedoc = join(root, 'node_modules', 'typedoc', 'bin', 'typedoc');

test('the API reference builds without a warning, one module per package entry point', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'ovn-overlay-api-'));
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [typedoc, '--options', join(root, 'docs', 'typedoc.config.mjs'), '--out', out], {
      cwd: root, timeout: 180_000,
    });
    t.notRegex(stdout + stderr, /warning|error/i);
    // One page per entry point of package.json, named by its import path (ovn-overlay/codecs -> ovn-overlay_codecs).
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    const subpaths = Object.keys(pkg.exports).filter((subpath) => subpath !== './package.json');
    t.true(subpaths.length >= 4);
    for (const subpath of subpaths) {
      const page = subpath === '.' ? 'ovn-overlay' : `ovn-overlay_${subpath.slice(2).replace(/\//g, '_')}`;
      t.true(existsSync(join(out, 'modules', `${page}.html`)), subpath);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
