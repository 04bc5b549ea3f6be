// `npm run bench`: runs every suite, prints a report of ours against each peer measured in the same run,
// writes bench/results/<date>.json and an SVG chart, and (after a full run) docs/bench.md's results block.
// `-- --quick` for a short run, `-- --only=codecs,ovsdb`, `-- --redraw <json>` to re-render a run,
// `-- --docs` to rewrite docs/bench.md from the newest full run in bench/results/.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { drawComparisonChart } from './chart.js';
import { createProgressBar } from './progress.js';
import { docsBlock, formatReport, recordComparisons, replaceGeneratedBlock, REPORT_WIDTH, wrap } from './report.js';
import { completeComparison, type BenchRecord, type BenchSuite, type BenchSuiteResult } from './result.js';
import { writeSuitePages } from './suite-pages.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
const resultsDir = join(here, 'results');
const docsFile = join(root, 'docs', 'bench.md');

/** Every suite: its file in bench/ and the BenchSuite it exports. */
const SUITES: ReadonlyArray<{ name: string; file: string; exportName: string }> = [
  { name: 'codecs', file: 'codecs.ts', exportName: 'runCodecsBench' },
  { name: 'ovsdb', file: 'ovsdb.ts', exportName: 'runOvsdbBench' },
  { name: 'replica', file: 'replica.ts', exportName: 'runReplicaBench' },
  { name: 'pods', file: 'pods.ts', exportName: 'runPodsBench' },
  { name: 'overlay', file: 'overlay.ts', exportName: 'runOverlayBench' },
  { name: 'scale', file: 'scale.ts', exportName: 'runScaleBench' },
  { name: 'agent', file: 'agent.ts', exportName: 'runAgentBench' },
];

/** Draws the chart of a record beside its JSON file (bench/results/<date>.svg). */
async function writeChart(record: BenchRecord, jsonFile: string): Promise<string> {
  const svgFile = jsonFile.replace(/\.json$/, '.svg');
  await writeFile(svgFile, drawComparisonChart(recordComparisons(record), `ovn-overlay bench ${record.date.slice(0, 10)}${record.quick ? ' (quick)' : ''}`));
  return svgFile;
}

/**
 * Writes docs/bench.md's generated block from bench/results/ (for each suite its newest run, full or --only),
 * so the figures in the docs are always those of the latest runs, never copied by hand. Returns the files used.
 */
async function writeDocs(): Promise<string> {
  const { block, sources } = docsBlock(resultsDir, dirname(docsFile), root);
  await writeFile(docsFile, replaceGeneratedBlock(await readFile(docsFile, 'utf8'), block, sources));
  return sources;
}

/** `--redraw <results.json>`: prints the report and rewrites the chart of an earlier run without measuring. */
async function redraw(file: string): Promise<number> {
  const record = JSON.parse(await readFile(file, 'utf8')) as BenchRecord;
  console.log(formatReport(record));
  console.log(`wrote ${relative(root, await writeChart(record, file))}`);
  if (!record.quick) {
    console.log(`wrote docs/bench.md from ${await writeDocs()}`);
    for (const page of writeSuitePages(resultsDir, root)) console.log(`wrote ${page}`);
  }
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const redrawAt = argv.indexOf('--redraw');
  if (redrawAt >= 0) return redraw(argv[redrawAt + 1]);
  if (argv.includes('--docs')) {
    console.log(`wrote docs/bench.md from ${await writeDocs()}`);
    for (const page of writeSuitePages(resultsDir, root)) console.log(`wrote ${page}`);
    return 0;
  }
  const quick = argv.includes('--quick');
  const onlyArg = argv.find((a) => a.startsWith('--only='));
  const only = onlyArg ? new Set(onlyArg.slice('--only='.length).split(',')) : undefined;
  const progress = createProgressBar();
  const results: BenchSuiteResult[] = [];
  const skipped: string[] = [];
  for (const suite of SUITES) {
    if (only && !only.has(suite.name)) continue;
    const path = join(here, suite.file);
    if (!existsSync(path)) { skipped.push(`${suite.name} (not written yet)`); continue; }
    const module = (await import(pathToFileURL(path).href)) as Record<string, BenchSuite | undefined>;
    const run = module[suite.exportName];
    if (typeof run !== 'function') { skipped.push(`${suite.name} (no ${suite.exportName} export)`); continue; }
    process.stderr.write(`suite ${suite.name}${quick ? ' (quick)' : ''}\n`);
    const started = Date.now();
    const result = await run({ quick, progress });
    // Recorded with every comparison's unit, direction and target advantage, whatever the suite filled in.
    results.push({ ...result, comparisons: result.comparisons.map((c) => completeComparison(c, result.measurements)) });
    process.stderr.write(`suite ${suite.name} done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }

  const date = new Date().toISOString().slice(0, 10);
  await mkdir(resultsDir, { recursive: true });
  const record: BenchRecord = { date: new Date().toISOString(), quick, node: process.version, results };
  console.log(`\n${formatReport(record)}`);
  for (const r of results) for (const note of r.notes) console.log(wrap(`note (${r.suite}): ${note}`, REPORT_WIDTH, '  '));
  if (skipped.length) console.log(`suites not run: ${skipped.join(', ')}`);

  const json = JSON.stringify(record, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n';
  // A quick or partial run is kept beside the full ones, never taken for the latest full run.
  const stem = `${date}${quick ? '-quick' : ''}${only ? `-only-${[...only].join('+')}` : ''}`;
  const jsonFile = join(resultsDir, `${stem}.json`);
  await writeFile(jsonFile, json);
  console.log(`\nwrote ${relative(root, jsonFile)} and ${relative(root, await writeChart(record, jsonFile))}`);
  if (!quick) console.log(`wrote docs/bench.md from ${await writeDocs()}`);
  if (!quick) for (const page of writeSuitePages(resultsDir, root)) console.log(`wrote ${page}`);
  return 0;
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exitCode = 1;
});
