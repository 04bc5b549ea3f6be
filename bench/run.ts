// `npm run bench`: runs every suite, prints one table of ours against each peer measured in the same run,
// writes bench/results/<date>.json and an SVG chart. `-- --quick` for a short run, `-- --only=codecs,ovsdb`.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { drawComparisonChart } from './chart.js';
import { createProgressBar } from './progress.js';
import type { BenchComparison, BenchSuite, BenchSuiteResult } from './result.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Every suite: its file in bench/ and the BenchSuite it exports. */
const SUITES: ReadonlyArray<{ name: string; file: string; exportName: string }> = [
  { name: 'codecs', file: 'codecs.ts', exportName: 'runCodecsBench' },
  { name: 'ovsdb', file: 'ovsdb.ts', exportName: 'runOvsdbBench' },
  { name: 'replica', file: 'replica.ts', exportName: 'runReplicaBench' },
  { name: 'pods', file: 'pods.ts', exportName: 'runPodsBench' },
  { name: 'overlay', file: 'overlay.ts', exportName: 'runOverlayBench' },
];

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1000) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  return value.toPrecision(3);
}

export function formatTable(comparisons: readonly BenchComparison[]): string {
  const header = ['suite', 'case', 'metric', 'ours', 'peer', 'peer value', 'advantage', 'target', 'met'];
  const rows = comparisons.map((c) => [c.suite, c.case, c.metric, formatNumber(c.ours), c.peer, formatNumber(c.theirs),
    `${formatNumber(c.advantage)}x`, c.target ?? '', c.met === undefined ? '' : c.met ? 'yes' : 'NO']);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** `--redraw <results.json>`: prints the table and rewrites the chart of an earlier run without measuring. */
async function redraw(file: string): Promise<number> {
  const record = JSON.parse(await readFile(file, 'utf8')) as { date: string; quick: boolean; results: BenchSuiteResult[] };
  const comparisons = record.results.flatMap((r) => r.comparisons);
  console.log(formatTable(comparisons));
  const svgFile = file.replace(/\.json$/, '.svg');
  await writeFile(svgFile, drawComparisonChart(comparisons, `ovn-overlay bench ${record.date.slice(0, 10)}${record.quick ? ' (quick)' : ''}`));
  console.log(`wrote ${svgFile}`);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const redrawAt = argv.indexOf('--redraw');
  if (redrawAt >= 0) return redraw(argv[redrawAt + 1]);
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
    results.push(await run({ quick, progress }));
    process.stderr.write(`suite ${suite.name} done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }

  const comparisons = results.flatMap((r) => r.comparisons);
  console.log(`\novn-overlay bench${quick ? ' (quick)' : ''}: advantage > 1 means ovn-overlay is better than the peer\n`);
  console.log(formatTable(comparisons));
  for (const r of results) for (const note of r.notes) console.log(`note (${r.suite}): ${note}`);
  if (skipped.length) console.log(`suites not run: ${skipped.join(', ')}`);

  const date = new Date().toISOString().slice(0, 10);
  const outDir = join(here, 'results');
  await mkdir(outDir, { recursive: true });
  const record = { date: new Date().toISOString(), quick, node: process.version, results };
  const json = JSON.stringify(record, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n';
  const stem = quick ? `${date}-quick` : date;
  await writeFile(join(outDir, `${stem}.json`), json);
  const svg = drawComparisonChart(comparisons, `ovn-overlay bench ${date}${quick ? ' (quick)' : ''}`);
  await writeFile(join(outDir, `${stem}.svg`), svg);
  console.log(`\nwrote bench/results/${stem}.json and bench/results/${stem}.svg`);
  const missed = comparisons.filter((c) => c.met === false);
  if (missed.length) console.log(`targets missed: ${missed.map((c) => `${c.suite}/${c.case} vs ${c.peer}`).join('; ')}`);
  return 0;
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exitCode = 1;
});
