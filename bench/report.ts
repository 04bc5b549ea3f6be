// The bench's words: the terminal report of a run and the generated block of docs/bench.md, both from the same
// comparisons, so what a person reads in the terminal and in the docs is the same run said the same way.
// Generic over suites: whatever comparisons and notes a suite returns are shown; nothing here names a suite.
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { completeComparison, type BenchRecord, type CompleteComparison } from './result.js';

/** A figure to 3 significant digits, whole numbers from 1000 up. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1000) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  return value.toPrecision(3);
}

/** "15.8x better", "1.07x worse": ours against the peer, in the direction that makes it above 1. */
export function advantageInWords(advantage: number): string {
  return advantage >= 1 ? `${formatNumber(advantage)}x better` : `${formatNumber(1 / advantage)}x worse`;
}

/** A metric that is its own unit: a rate such as "Mpps", "Gbps", "pods/s". */
const isRateMetric = (metric: string) => /^(M?pps|[GMk]bps|[\w ]+\/s)$/.test(metric);

/** The metric with its unit: "median (us)", "memory per row (B)"; a rate is its own unit ("Mpps"). */
export function metricWithUnit(c: CompleteComparison): string {
  return c.unit === undefined || isRateMetric(c.metric) || c.metric.includes(c.unit) ? c.metric : `${c.metric} (${c.unit})`;
}

/** The metric with its unit and direction: "median (us), lower is better"; "Mpps, higher is better". */
export function metricLabel(c: CompleteComparison): string {
  return `${metricWithUnit(c)}, ${c.higherIsBetter ? 'higher' : 'lower'} is better`;
}

/** `text` broken at spaces into lines of at most `width` columns (its own indentation kept), the later ones indented by `indent`. */
export function wrap(text: string, width: number, indent = ''): string {
  const lead = /^ */.exec(text)?.[0] ?? '';
  const lines: string[] = [];
  let line = lead;
  for (const word of text.slice(lead.length).split(' ')) {
    if (line.trim() !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent + word;
    } else {
      line = line.trim() === '' ? line + word : `${line} ${word}`;
    }
  }
  return [...lines, line].join('\n');
}

/** The widest line the terminal report aims for. */
export const REPORT_WIDTH = 110;

/** "met" / "MISSED" / "" for a comparison without a target. */
function targetStatus(c: CompleteComparison): string {
  return c.met === undefined ? '' : c.met ? 'met' : 'MISSED';
}

/** The comparisons of a record, completed (units, direction, target advantage) from its measurements. */
export function recordComparisons(record: BenchRecord): CompleteComparison[] {
  return record.results.flatMap((r) => r.comparisons.map((c) => completeComparison(c, r.measurements)));
}

/** Comparisons grouped by suite, then by case and metric (one "ours" figure per group), in the run's order. */
function groups(comparisons: readonly CompleteComparison[]): Map<string, Map<string, CompleteComparison[]>> {
  const bySuite = new Map<string, Map<string, CompleteComparison[]>>();
  for (const c of comparisons) {
    const suite = bySuite.get(c.suite) ?? new Map<string, CompleteComparison[]>();
    bySuite.set(c.suite, suite);
    const key = `${c.case}\u0000${c.metric}`;
    suite.set(key, [...(suite.get(key) ?? []), c]);
  }
  return bySuite;
}

function recordTitle(record: BenchRecord): string {
  return `ovn-overlay bench ${record.date.slice(0, 10)}${record.quick ? ' (quick run)' : ''}, node ${record.node}`;
}

const HOW_TO_READ = 'ours against each peer measured in the same run; "better"/"worse" is ours/theirs for rates and '
  + 'theirs/ours for times and memory; MISSED marks a target this run did not meet.';

/**
 * The terminal report: a heading per suite, a line per case and metric with our figure, and under it one line
 * per peer (its figure, how much better or worse we are, the target and whether it was met). About 100-120
 * columns whatever the case names are, since names are never put side by side in columns.
 */
export function formatReport(record: BenchRecord): string {
  const comparisons = recordComparisons(record);
  const peerWidth = Math.max(0, ...comparisons.map((c) => c.peer.length));
  const valueWidth = Math.max(0, ...comparisons.map((c) => formatNumber(c.theirs).length));
  const wordsWidth = Math.max(0, ...comparisons.map((c) => advantageInWords(c.advantage).length));
  const lines = [recordTitle(record), wrap(HOW_TO_READ, REPORT_WIDTH)];
  for (const [suite, cases] of groups(comparisons)) {
    lines.push('', suite);
    for (const rows of cases.values()) {
      const first = rows[0];
      const metric = isRateMetric(first.metric) ? '' : `, ${first.metric}`;
      const figure = `${formatNumber(first.ours)} ${first.unit ?? ''}`.trimEnd();
      lines.push(wrap(`  ${first.case}${metric}: ours ${figure} (${first.higherIsBetter ? 'higher' : 'lower'} is better)`, REPORT_WIDTH, '      '));
      for (const c of rows) {
        const target = c.target === undefined ? '' : `  ${targetStatus(c).padEnd(6)} target ${c.target}`;
        const line = `    vs ${c.peer.padEnd(peerWidth)}  ${formatNumber(c.theirs).padStart(valueWidth)}  `
          + `${advantageInWords(c.advantage).padEnd(wordsWidth)}${target}`.trimEnd();
        lines.push(wrap(line, REPORT_WIDTH, ' '.repeat(Math.min(60, 8 + peerWidth + 2 + valueWidth + 2 + wordsWidth + 2 + 7))));
      }
    }
  }
  const missed = comparisons.filter((c) => c.met === false);
  const withTarget = comparisons.filter((c) => c.met !== undefined);
  lines.push('', wrap(`targets: ${withTarget.length - missed.length} of ${withTarget.length} met`
    + (missed.length ? `; missed: ${missed.map((c) => `${c.suite}/${c.case} vs ${c.peer}`).join('; ')}` : ''), REPORT_WIDTH, '  '));
  return lines.join('\n');
}

const escapeCell = (text: string) => text.replace(/\|/g, '\\|');

/** A run read from bench/results/: its file (for the chart next to it) and what it recorded. */
export interface RunFile {
  file: string;
  record: BenchRecord;
}

/**
 * The runs the docs show: for each suite, the newest run (full or `--only`, never `--quick`) that measured it,
 * each run keeping only the suites it is the newest for; newest run first. A partial run of one suite thus
 * replaces that suite's figures and leaves the others' from the last run that had them.
 */
export function newestPerSuite(runs: readonly RunFile[]): RunFile[] {
  const byRecency = [...runs].filter((r) => !r.record.quick).sort((a, b) => b.record.date.localeCompare(a.record.date));
  const taken = new Set<string>();
  const out: RunFile[] = [];
  for (const run of byRecency) {
    const results = run.record.results.filter((r) => !taken.has(r.suite));
    for (const r of results) taken.add(r.suite);
    if (results.length > 0) out.push({ file: run.file, record: { ...run.record, results } });
  }
  return out;
}

/** Every run recorded in `dir` (bench/results/<date>[-quick][-only-...].json). */
export function readRuns(dir: string): RunFile[] {
  return readdirSync(dir).filter((f) => /^\d{4}-\d{2}-\d{2}.*\.json$/.test(f)).map((f) => {
    const file = join(dir, f);
    return { file, record: JSON.parse(readFileSync(file, 'utf8')) as BenchRecord };
  });
}

/**
 * The generated block of docs/bench.md: for each run shown (see newestPerSuite), which run, its chart, one table
 * per suite with the suite's own notes; then the targets missed. `chartPathOf(run)` is a run's chart path
 * relative to docs/.
 */
export function formatMarkdown(runs: readonly RunFile[], chartPathOf: (run: RunFile) => string): string {
  const out = [HOW_TO_READ.replace(/^./, (c) => c.toUpperCase())];
  const all: CompleteComparison[] = [];
  for (const run of runs) {
    const suites = run.record.results.map((r) => r.suite).join(', ');
    out.push('', `**${recordTitle(run.record)}** (${suites}):`, '', `![bench chart of that run: ours against each peer, log scale](${chartPathOf(run)})`);
    const comparisons = recordComparisons(run.record);
    all.push(...comparisons);
    for (const [suite, cases] of groups(comparisons)) {
      out.push('', `### ${suite}`, '', '| case | metric | ours | peer | peer\'s | ours vs peer | target |', '|---|---|--:|---|--:|---|---|');
      for (const rows of cases.values()) {
        rows.forEach((c, i) => {
          const target = c.target === undefined ? '' : c.met === false ? `**MISSED**: ${c.target}` : `met: ${c.target}`;
          const cells = i === 0 ? [c.case, metricLabel(c), formatNumber(c.ours)] : ['', '', ''];
          out.push(`| ${[...cells, c.peer, formatNumber(c.theirs), advantageInWords(c.advantage), target].map(escapeCell).join(' | ')} |`);
        });
      }
      const notes = run.record.results.filter((r) => r.suite === suite).flatMap((r) => r.notes);
      if (notes.length) out.push('', ...notes.map((note) => `- ${note}`));
    }
  }
  const missed = all.filter((c) => c.met === false);
  const withTarget = all.filter((c) => c.met !== undefined);
  out.push('', `Targets: ${withTarget.length - missed.length} of ${withTarget.length} met.`
    + (missed.length ? ` Missed: ${missed.map((c) => `${c.suite} ${c.case} against ${c.peer} (${advantageInWords(c.advantage)}; target ${c.target})`).join('; ')}.` : ''));
  return out.join('\n');
}

/**
 * docs/bench.md's generated block from the runs in `resultsDir` (the newest per suite), with chart paths relative
 * to `docsDir`; `sources` names the result files it came from (relative to `root`), for the block's marker.
 */
export function docsBlock(resultsDir: string, docsDir: string, root: string): { block: string; sources: string } {
  const runs = newestPerSuite(readRuns(resultsDir));
  if (runs.length === 0) throw new Error(`no run in ${relative(root, resultsDir)} to write the docs from`);
  const block = formatMarkdown(runs, (run) => relative(docsDir, run.file.replace(/\.json$/, '.svg')));
  return { block, sources: runs.map((run) => relative(root, run.file)).join(', ') };
}

const BEGIN = /<!-- bench:begin[^>]*-->\n/;
const END = '<!-- bench:end -->';

/** `doc` with the text between its bench markers replaced by `block` (written from `source`). */
export function replaceGeneratedBlock(doc: string, block: string, source: string): string {
  const begin = BEGIN.exec(doc);
  const end = doc.indexOf(END);
  if (!begin || end < begin.index) throw new Error(`no "<!-- bench:begin -->" ... "${END}" markers to write the results between`);
  const marker = `<!-- bench:begin: written by npm run bench from ${source}; do not edit by hand -->\n`;
  return doc.slice(0, begin.index) + marker + block + '\n' + doc.slice(end);
}
