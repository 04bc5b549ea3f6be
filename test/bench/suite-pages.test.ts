import test from 'ava';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SUITE_PAGES, suitePage, suiteRun } from '../../bench/suite-pages.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const resultsDir = join(root, 'bench', 'results');

for (const [suite, page] of Object.entries(SUITE_PAGES)) {
  test(`docs/${page} carries the newest run of the ${suite} suite, written by the bench (npm run bench -- --docs rewrites it)`, (t) => {
    const newest = suiteRun(resultsDir, suite);
    if (!newest) { t.fail(`no run of the ${suite} suite in bench/results/`); return; }
    t.deepEqual(newest.record.results.map((r) => r.suite), [suite]);
    const expected = suitePage(resultsDir, root, suite)!;
    t.is(readFileSync(expected.file, 'utf8'), expected.text);
  });
}
