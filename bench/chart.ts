// Draws the comparisons of a bench run as an SVG bar chart: one bar per comparison, its length the
// advantage (log scale, 1x in the middle), green where the target was met, red where not.
import type { BenchComparison } from './result.js';

const escapeXml = (text: string) => text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);

/** The bar's label: suite, case, metric (a case can be compared on several metrics) and peer. */
export function comparisonLabel(c: BenchComparison): string {
  return `${c.suite}: ${c.case} (${c.metric}) vs ${c.peer}`;
}

export function drawComparisonChart(comparisons: readonly BenchComparison[], title: string): string {
  const rowHeight = 22;
  // About 6.5 px per character of 12 px sans-serif, so that the longest label fits.
  const labelWidth = Math.ceil(Math.max(200, ...comparisons.map((c) => comparisonLabel(c).length * 6.5)) + 16);
  const plotWidth = 420;
  const top = 40;
  const height = top + comparisons.length * rowHeight + 40;
  const width = labelWidth + plotWidth + 90;
  const maxLog = Math.max(1, ...comparisons.map((c) => Math.abs(Math.log10(Math.max(c.advantage, 1e-6)))));
  const x = (advantage: number) => labelWidth + plotWidth / 2 + (Math.log10(Math.max(advantage, 1e-6)) / maxLog) * (plotWidth / 2);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    `<line x1="${x(1)}" y1="${top - 6}" x2="${x(1)}" y2="${height - 30}" stroke="#444"/>`,
    `<text x="${x(1)}" y="${height - 14}" text-anchor="middle">1x (same as peer)</text>`,
    `<text x="${labelWidth + plotWidth}" y="${height - 14}" text-anchor="end">better than peer →</text>`,
    `<text x="${labelWidth}" y="${height - 14}">← worse</text>`,
    `<text x="${width - 10}" y="22" text-anchor="end"><tspan fill="#2e9e4f">■ target met</tspan>  <tspan fill="#c8413b">■ target missed</tspan>  <tspan fill="#4a78c2">■ no target</tspan></text>`,
  ];
  comparisons.forEach((c, i) => {
    const y = top + i * rowHeight;
    const x0 = x(1);
    const x1 = x(c.advantage);
    const color = c.met === undefined ? '#4a78c2' : c.met ? '#2e9e4f' : '#c8413b';
    parts.push(
      `<text x="${labelWidth - 8}" y="${y + 14}" text-anchor="end">${escapeXml(comparisonLabel(c))}</text>`,
      `<rect x="${Math.min(x0, x1)}" y="${y + 3}" width="${Math.max(1, Math.abs(x1 - x0))}" height="${rowHeight - 6}" fill="${color}"/>`,
      `<text x="${Math.max(x0, x1) + 4}" y="${y + 14}">${c.advantage >= 10 ? c.advantage.toFixed(0) : c.advantage.toFixed(2)}x</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
