// Draws the comparisons of a bench run as an SVG bar chart: one bar per comparison from 1x (as good as the
// peer) to our advantage, on a logarithmic axis with ticks, right of 1x where we are better; green where the
// target was met, red where missed, blue without a target, and a black mark at the target itself, so a missed
// target shows as a bar that stops short of its mark.
import { advantageInWords, metricWithUnit } from './report.js';
import { completeComparison, type BenchComparison, type CompleteComparison } from './result.js';

const escapeXml = (text: string) => text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);

const COLOURS = { met: '#2e9e4f', missed: '#c8413b', none: '#4a78c2', target: '#111', grid: '#ddd' } as const;

/** The bar's label: case, metric (a case can be compared on several metrics) and peer; the suite heads its group. */
export function comparisonLabel(c: CompleteComparison): string {
  return `${c.case}, ${metricWithUnit(c)} vs ${c.peer}`;
}

/**
 * Tick values on a log axis between `low` and `high`: 1, 2 and 5 times the powers of ten when a decade is at least
 * `pixelsPerDecade` 180 px wide, else the powers of ten alone (their labels would collide).
 */
export function logTicks(low: number, high: number, pixelsPerDecade = Infinity): number[] {
  const mantissas = pixelsPerDecade >= 180 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  for (let exponent = Math.floor(Math.log10(low)); exponent <= Math.ceil(Math.log10(high)); exponent++) {
    for (const mantissa of mantissas) {
      const value = mantissa * 10 ** exponent;
      if (value >= low * 0.999 && value <= high * 1.001) ticks.push(value);
    }
  }
  return ticks;
}

const tickLabel = (value: number) => `${value >= 1 ? value.toFixed(0) : String(Number(value.toPrecision(2)))}x`;

/** The target in the words of the bars: "target: at least 25x better", "target: at most 1.5x worse". */
export function targetInWords(targetAdvantage: number): string {
  if (Math.abs(targetAdvantage - 1) < 1e-9) return 'target: at least as good';
  const factor = (n: number) => String(Number(n.toPrecision(3)));
  return targetAdvantage > 1 ? `target: at least ${factor(targetAdvantage)}x better` : `target: at most ${factor(1 / targetAdvantage)}x worse`;
}

export function drawComparisonChart(comparisons: readonly BenchComparison[], title: string): string {
  const rows = comparisons.map((c) => completeComparison(c));
  const rowHeight = 22;
  const headingHeight = 24;
  // About 6.5 px per character of 12 px sans-serif, so that the longest label fits.
  const labelWidth = Math.ceil(Math.max(200, ...rows.map((c) => comparisonLabel(c).length * 6.5)) + 16);
  const plotWidth = 480;
  const valueWidth = 300;
  const top = 62;

  // The axis spans every advantage and every target, with 1x always on it.
  const values = rows.flatMap((c) => [c.advantage, c.targetAdvantage ?? 1]).filter((v) => v > 0 && Number.isFinite(v));
  const low = Math.min(1, ...values) / 1.25;
  const high = Math.max(1, ...values) * 1.25;
  const x = (value: number) => labelWidth + (Math.log10(Math.max(value, low) / low) / Math.log10(high / low)) * plotWidth;

  const parts: string[] = [];
  let y = top;
  let suite = '';
  for (const c of rows) {
    if (c.suite !== suite) {
      suite = c.suite;
      parts.push(`<text x="10" y="${y + 16}" font-weight="bold">${escapeXml(suite)}</text>`);
      y += headingHeight;
    }
    const x0 = x(1);
    const x1 = x(c.advantage);
    const colour = c.met === undefined ? COLOURS.none : c.met ? COLOURS.met : COLOURS.missed;
    const target = c.targetAdvantage === undefined ? '' : ` (${targetInWords(c.targetAdvantage)}${c.met === false ? ': MISSED' : ''})`;
    const words = advantageInWords(c.advantage) + target;
    parts.push(
      `<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end">${escapeXml(comparisonLabel(c))}</text>`,
      `<rect x="${Math.min(x0, x1).toFixed(1)}" y="${y + 4}" width="${Math.max(1, Math.abs(x1 - x0)).toFixed(1)}" height="${rowHeight - 8}" fill="${colour}"/>`,
      `<text x="${(Math.max(x0, x1) + 4).toFixed(1)}" y="${y + 15}" fill="${c.met === false ? COLOURS.missed : '#222'}">${escapeXml(words)}</text>`,
    );
    if (c.targetAdvantage !== undefined) {
      const xt = x(c.targetAdvantage).toFixed(1);
      parts.push(`<line class="target" x1="${xt}" y1="${y + 1}" x2="${xt}" y2="${y + rowHeight - 1}" stroke="${COLOURS.target}" stroke-width="2.5"/>`);
    }
    y += rowHeight;
  }
  const bottom = y;
  const height = bottom + 56;
  const width = labelWidth + plotWidth + valueWidth + 20;

  const axis: string[] = [];
  for (const tick of logTicks(low, high, plotWidth / Math.log10(high / low))) {
    const xt = x(tick).toFixed(1);
    axis.push(
      `<line class="tick" x1="${xt}" y1="${top - 4}" x2="${xt}" y2="${bottom}" stroke="${tick === 1 ? '#444' : COLOURS.grid}"/>`,
      `<text x="${xt}" y="${bottom + 16}" text-anchor="middle">${tickLabel(tick)}</text>`,
    );
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="10" y="42">Ours against each peer measured in the same run: ours/theirs for rates, theirs/ours for times and memory.</text>`,
    `<text x="10" y="56"><tspan fill="${COLOURS.met}">■ target met</tspan>   <tspan fill="${COLOURS.missed}">■ target missed</tspan>   <tspan fill="${COLOURS.none}">■ no target</tspan>   <tspan font-weight="bold">|</tspan> the target</text>`,
    ...axis,
    ...parts,
    `<text x="${(x(1) - 6).toFixed(1)}" y="${bottom + 34}" text-anchor="end">← the peer better</text>`,
    `<text x="${(x(1) + 6).toFixed(1)}" y="${bottom + 34}">ours better than the peer →</text>`,
    `<text x="${labelWidth}" y="${bottom + 50}">logarithmic scale (equal distances are equal ratios); 1x = as good as the peer</text>`,
    '</svg>',
  ].join('\n') + '\n';
}
