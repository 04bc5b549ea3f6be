import test from 'ava';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { drawComparisonChart, logTicks, targetInWords } from '../../bench/chart.js';
import { advantageInWords, docsBlock, formatReport, newestPerSuite, readRuns, recordComparisons, replaceGeneratedBlock, REPORT_WIDTH } from '../../bench/report.js';
import { compare, completeComparison, type BenchRecord } from '../../bench/result.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const resultsDir = join(root, 'bench', 'results');

/** The committed runs the docs show (for each suite its newest), as one record. */
function newestRecord(): BenchRecord {
  const runs = newestPerSuite(readRuns(resultsDir));
  if (runs.length === 0) throw new Error('no committed bench run in bench/results/');
  return { ...runs[0].record, results: runs.flatMap((run) => run.record.results) };
}

const record = (comparisons: ReturnType<typeof compare>[]): BenchRecord => ({
  date: '2026-12-01T00:00:00.000Z', quick: false, node: 'v20.0.0',
  results: [{ suite: 's', measurements: [], comparisons, notes: ['a note'] }],
});

test('compare() turns times and throughputs into an advantage where > 1 means we are better', (t) => {
  const time = compare('s', 'c', 'ms', 'peer', 50, 200, false, { text: '>= 3x', minAdvantage: 3 });
  t.is(time.advantage, 4);
  t.true(time.met);
  t.is(time.targetAdvantage, 3);
  t.false(time.higherIsBetter);
  const rate = compare('s', 'c', 'Mpps', 'peer', 10, 20, true, { text: '>= 1x', minAdvantage: 1 }, 'Mpps');
  t.is(rate.advantage, 0.5);
  t.false(rate.met);
  t.is(rate.unit, 'Mpps');
});

test('a comparison of an older result file gets its unit, direction and target advantage back', (t) => {
  const legacy = { suite: 'ovsdb', case: 'insert', metric: 'median', peer: 'floor', ours: 150, theirs: 100, advantage: 100 / 150,
    target: 'within 1.5x of the raw floor', met: true };
  const measurements = [{ suite: 'ovsdb', case: 'insert', subject: 'ovn-overlay', metric: 'median', value: 150, unit: 'ms' }];
  const complete = completeComparison(legacy, measurements);
  t.is(complete.unit, 'ms');
  t.false(complete.higherIsBetter);
  t.is(complete.targetAdvantage, 1 / 1.5);
  t.is(completeComparison({ ...legacy, metric: 'pods/s' }).unit, 'pods/s');
  t.is(completeComparison({ ...legacy, metric: 'p99 latency' }).unit, 'ms');
  // A target advantage read from the words that disagrees with the recorded verdict is left out, not drawn wrong.
  t.is(completeComparison({ ...legacy, target: '>= 25x the peer', met: true }).targetAdvantage, undefined);
});

test('advantages and targets read as "better"/"worse" by how much', (t) => {
  t.is(advantageInWords(15.8), '15.8x better');
  t.is(advantageInWords(1 / 1.07), '1.07x worse');
  t.is(targetInWords(25), 'target: at least 25x better');
  t.is(targetInWords(1 / 1.5), 'target: at most 1.5x worse');
  t.is(targetInWords(1), 'target: at least as good');
});

test('the terminal report of the newest run fits ~110 columns, names every unit and flags each missed target', (t) => {
  const newest = newestRecord();
  const text = formatReport(newest);
  const widest = Math.max(...text.split('\n').map((line) => line.length));
  t.true(widest <= REPORT_WIDTH, `widest line ${widest} columns`);
  const comparisons = recordComparisons(newest);
  t.true(comparisons.every((c) => c.unit !== undefined), 'every comparison has a unit');
  const missed = comparisons.filter((c) => c.met === false).length;
  t.is((text.match(/\bMISSED target\b/g) ?? []).length, missed);
  t.regex(text, new RegExp(`targets: ${comparisons.filter((c) => c.met !== undefined).length - missed} of`));
});

test('the report groups a case\'s peers under one figure of ours and says which way is better', (t) => {
  const text = formatReport(record([
    compare('s', 'round trip', 'median', 'floor', 120, 100, false, undefined, 'us'),
    compare('s', 'round trip', 'median', 'python', 120, 240, false, { text: '>= 3x', minAdvantage: 3 }, 'us'),
  ]));
  t.regex(text, /round trip, median: ours 120.0 us \(lower is better\)\n {4}vs floor {3}100.0 {2}1.20x worse\n {4}vs python {2}240.0 {2}2.00x better {2}MISSED target >= 3x/);
});

test('docs/bench.md carries the newest runs, written by the bench (npm run bench -- --docs rewrites it)', (t) => {
  const docsFile = join(root, 'docs', 'bench.md');
  const doc = readFileSync(docsFile, 'utf8');
  const { block, sources } = docsBlock(resultsDir, dirname(docsFile), root);
  t.is(doc, replaceGeneratedBlock(doc, block, sources));
});

test('the docs show each suite from its newest run: a partial run replaces only its suites, a quick one nothing', (t) => {
  const run = (file: string, date: string, suites: string[], quick = false) => ({
    file, record: { date, quick, node: 'v20', results: suites.map((suite) => ({ suite, measurements: [], comparisons: [], notes: [] })) },
  });
  const shown = newestPerSuite([
    run('full.json', '2026-11-25T10:00:00Z', ['codecs', 'ovsdb', 'scale']),
    run('only-scale.json', '2026-12-03T10:00:00Z', ['scale']),
    run('quick.json', '2026-12-04T10:00:00Z', ['codecs', 'ovsdb', 'scale'], true),
  ]);
  t.deepEqual(shown.map((r) => [r.file, r.record.results.map((x) => x.suite)]), [['only-scale.json', ['scale']], ['full.json', ['codecs', 'ovsdb']]]);
});

test('the generated block needs its markers', (t) => {
  t.throws(() => replaceGeneratedBlock('# no markers\n', 'x', 'y'), { message: /markers/ });
  t.is(replaceGeneratedBlock('a\n<!-- bench:begin -->\nold\n<!-- bench:end -->\nb\n', 'new', 'src.json'),
    'a\n<!-- bench:begin: written by npm run bench from src.json; do not edit by hand -->\nnew\n<!-- bench:end -->\nb\n');
});

test('the chart: one bar per comparison coloured by its target, a mark at each target, log ticks and their note', (t) => {
  const svg = drawComparisonChart([
    compare('codecs', 'encap', 'Mpps', 'alloc', 30, 1.5, true, { text: '>= 25x', minAdvantage: 25 }),
    compare('ovsdb', 'transact <10k>', 'median', 'python', 100, 150, false, { text: '>= 3x', minAdvantage: 3 }, 'ms'),
    compare('ovsdb', 'echo', 'median', 'floor', 100, 90, false, undefined, 'us'),
  ], 'title & more');
  t.is((svg.match(/<rect /g) ?? []).length, 4); // background + three bars
  t.is((svg.match(/class="target"/g) ?? []).length, 2);
  t.true(svg.includes('#2e9e4f'));
  t.true(svg.includes('#c8413b'));
  t.true(svg.includes('#4a78c2'));
  t.true(svg.includes('transact &lt;10k&gt;, median (ms) vs python'));
  t.true(svg.includes('title &amp; more'));
  t.regex(svg, /logarithmic scale/);
  t.regex(svg, />1x</);
  t.regex(svg, />10x</);
  t.regex(svg, /1.50x better \(target: at least 3x better: MISSED\)/);
});

test('log ticks: 1-2-5 when there is room, powers of ten when not', (t) => {
  t.deepEqual(logTicks(0.4, 30, 300), [0.5, 1, 2, 5, 10, 20]);
  t.deepEqual(logTicks(0.4, 5000, 100), [1, 10, 100, 1000]);
});
