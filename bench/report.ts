// The bench's words: the terminal report of a run and the generated block of docs/bench.md, both from the same
// comparisons, so what a person reads in the terminal and in the docs is the same run said the same way.
// Generic over suites: whatever comparisons and notes a suite returns are shown; nothing here names a suite.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
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

/**
 * The generated block of docs/bench.md for a run: which run, its chart, one table per suite, the targets it
 * missed and the suites' own notes. `chartPath` is the chart's path relative to docs/.
 */
export function formatMarkdown(record: BenchRecord, chartPath: string): string {
  const comparisons = recordComparisons(record);
  const out = [`${recordTitle(record)}: ${HOW_TO_READ}`, '', `![bench chart: ours against each peer, log scale](${chartPath})`];
  for (const [suite, cases] of groups(comparisons)) {
    out.push('', `### ${suite}`, '', '| case | metric | ours | peer | peer\'s | ours vs peer | target |', '|---|---|--:|---|--:|---|---|');
    for (const rows of cases.values()) {
      rows.forEach((c, i) => {
        const target = c.target === undefined ? '' : c.met === false ? `**MISSED**: ${c.target}` : `met: ${c.target}`;
        const cells = i === 0 ? [c.case, metricLabel(c), formatNumber(c.ours)] : ['', '', ''];
        out.push(`| ${[...cells, c.peer, formatNumber(c.theirs), advantageInWords(c.advantage), target].map(escapeCell).join(' | ')} |`);
      });
    }
    const notes = record.results.filter((r) => r.suite === suite).flatMap((r) => r.notes);
    if (notes.length) out.push('', ...notes.map((note) => `- ${note}`));
  }
  const missed = comparisons.filter((c) => c.met === false);
  const withTarget = comparisons.filter((c) => c.met !== undefined);
  out.push('', `Targets: ${withTarget.length - missed.length} of ${withTarget.length} met in this run.`
    + (missed.length ? ` Missed: ${missed.map((c) => `${c.suite} ${c.case} against ${c.peer} (${advantageInWords(c.advantage)}; target ${c.target})`).join('; ')}.` : ''));
  return out.join('\n');
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

/** The newest full (not --quick) run in `dir`: bench/results/<date>.json files sort by date. */
export function newestResultFile(dir: string): string | undefined {
  const runs = readdirSync(dir).filter((f) => /^\d{4}-\d{2}-\d{2}\.json$/.test(f)).sort();
  return runs.length ? join(dir, runs[runs.length - 1]) : undefined;
}
