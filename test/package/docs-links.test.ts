// The README is the front page and docs/ the reference: every relative link between them must lead somewhere,
// so a page moved or renamed cannot leave a dead link behind.
import test from 'ava';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const pages = [join(root, 'README.md'), ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join(root, 'docs', f))];

/** Relative link targets of a markdown page (inline links and images), without their #fragment. */
function relativeLinks(text: string): string[] {
  const outsideCode = text.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...outsideCode.matchAll(/!?\[[^\]]*\]\(([^)\s]+)\)/g)]
    .map((m) => m[1] ?? '')
    .filter((target) => !/^[a-z]+:/i.test(target) && !target.startsWith('#'))
    .map((target) => target.replace(/#.*$/, ''));
}

test('every relative link in README.md and docs/ leads to a file', (t) => {
  const dead = pages.flatMap((page) => relativeLinks(readFileSync(page, 'utf8'))
    .filter((target) => !existsSync(resolve(dirname(page), target)))
    .map((target) => `${relative(root, page)} -> ${target}`));
  t.deepEqual(dead, []);
});

test('every docs/ page is linked from the README', (t) => {
  const linked = new Set(relativeLinks(readFileSync(join(root, 'README.md'), 'utf8')).map((target) => resolve(root, target)));
  t.deepEqual(pages.slice(1).filter((page) => !linked.has(page)).map((page) => relative(root, page)), []);
});

test('the README stays a front page (at most ~15 KB)', (t) => {
  const bytes = readFileSync(join(root, 'README.md')).length;
  t.true(bytes <= 16_000, `README.md is ${bytes} bytes; move reference text to docs/`);
});
