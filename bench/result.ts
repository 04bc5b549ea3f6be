// The shape every bench suite returns, so that `npm run bench` can print one table, write one JSON file and
// draw one chart. A suite measures ours and its peers in the same process/command and reports ratios.

export interface BenchOptions {
  /** A short run (seconds, not minutes) for smoke checks. */
  quick: boolean;
  /** Reports progress of long measurements; the runner draws a progress bar from it. */
  progress?: (done: number, total: number, label: string) => void;
}

/** One measured figure of one subject (ours or a peer). */
export interface BenchMeasurement {
  suite: string;
  /** What was measured, e.g. "geneve encap 64B". */
  case: string;
  /** "ovn-overlay" for ours, else the peer's name, e.g. "python-idl", "allocating encoder". */
  subject: string;
  metric: string;
  /** The figure; the median when the case ran several times (see runs). */
  value: number;
  unit: string;
  /** Smallest and largest of the runs, when the figure is the median of `runs` runs. */
  min?: number;
  max?: number;
  runs?: number;
}

/** Ours against one peer (or a floor) for one case and metric, measured in the same run. */
export interface BenchComparison {
  suite: string;
  case: string;
  metric: string;
  peer: string;
  ours: number;
  theirs: number;
  /** ours/theirs for "higher is better" metrics (throughput), theirs/ours for times: > 1 means we are better. */
  advantage: number;
  /** When ours and the peer ran in interleaved rounds: advantage is the median of the per-round ratios, and these
   * are the smallest and largest of them. */
  advantageMin?: number;
  advantageMax?: number;
  /** The target in words, e.g. ">= 25x the allocating encoder", and whether this run met it. */
  target?: string;
  met?: boolean;
  /** The smallest advantage that meets the target (25 for ">= 25x", 1/1.3 for "within 1.3x of the floor"). */
  targetAdvantage?: number;
  /** The unit of `ours` and `theirs` ("ms", "Mpps", "B"...). */
  unit?: string;
  /** Whether a larger value is better (rates) or a smaller one (times, memory). */
  higherIsBetter?: boolean;
}

/** A target for a comparison: its words, and the advantage that meets it. */
export interface BenchTarget {
  text: string;
  minAdvantage: number;
}

export interface BenchSuiteResult {
  suite: string;
  measurements: BenchMeasurement[];
  comparisons: BenchComparison[];
  notes: string[];
}

export type BenchSuite = (options: BenchOptions) => Promise<BenchSuiteResult>;

/** What `npm run bench` writes to bench/results/<date>.json: one run of every suite it ran. */
export interface BenchRecord {
  /** ISO time of the run. */
  date: string;
  quick: boolean;
  /** `process.version` of the run. */
  node: string;
  results: BenchSuiteResult[];
}

/**
 * Builds a comparison; `higherIsBetter` decides which way the advantage ratio goes. `unit` may be left out when
 * the metric is its own unit ("Mpps", "pods/s") or a measurement of ours names it (see completeComparison).
 */
export function compare(
  suite: string, caseName: string, metric: string, peer: string, ours: number, theirs: number,
  higherIsBetter: boolean, target?: BenchTarget, unit?: string,
): BenchComparison {
  const advantage = higherIsBetter ? ours / theirs : theirs / ours;
  const comparison: BenchComparison = { suite, case: caseName, metric, peer, ours, theirs, advantage, higherIsBetter };
  if (unit !== undefined) comparison.unit = unit;
  if (target) {
    comparison.target = target.text;
    comparison.targetAdvantage = target.minAdvantage;
    comparison.met = advantage >= target.minAdvantage;
  }
  return comparison;
}

/** A comparison with `unit`, `higherIsBetter` and `targetAdvantage` filled in where they can be known. */
export type CompleteComparison = BenchComparison & { higherIsBetter: boolean };

/**
 * Fills in what a comparison of an older result file does not record (files written before comparisons carried
 * units, direction and target advantage), so every run renders the same way:
 * - the unit from the measurement of ours with the same case and metric, else the metric itself when it is a
 *   rate ("Mpps", "pods/s"), else a unit the metric ends with ("leader CPU s"), else "ms" for times (the
 *   suites time everything in ms unless a measurement says otherwise);
 * - the direction from the recorded advantage (ours/theirs or theirs/ours, whichever it equals);
 * - the target advantage from the target's words ("N x", "within N x" = 1/N, otherwise 1), kept only when it
 *   agrees with the recorded `met`.
 */
export function completeComparison(c: BenchComparison, measurements: readonly BenchMeasurement[] = []): CompleteComparison {
  const higherIsBetter = c.higherIsBetter
    ?? Math.abs(c.advantage - c.ours / c.theirs) <= Math.abs(c.advantage - c.theirs / c.ours);
  const complete: CompleteComparison = { ...c, higherIsBetter };
  const unit = c.unit ?? legacyUnit(c, measurements);
  if (unit !== undefined) complete.unit = unit;
  if (c.target !== undefined && c.targetAdvantage === undefined) {
    const inferred = legacyTargetAdvantage(c.target);
    if (c.met === undefined || (c.advantage >= inferred) === c.met) complete.targetAdvantage = inferred;
  }
  return complete;
}

function legacyUnit(c: BenchComparison, measurements: readonly BenchMeasurement[]): string | undefined {
  const same = (m: BenchMeasurement) => m.suite === c.suite && m.case === c.case && m.metric === c.metric;
  const measured = measurements.find((m) => same(m) && m.subject === 'ovn-overlay') ?? measurements.find(same);
  if (measured) return measured.unit;
  if (/^(M?pps|[GM]bps|[\w ]+\/s)$/.test(c.metric)) return c.metric;
  const trailing = /\b(ns|us|µs|ms|s|B|KB|KiB|MB|MiB|GB)$/.exec(c.metric);
  if (trailing) return trailing[1]; // a unit the metric already ends with ("leader CPU s", "p99 propagation ms")
  if (/latency|time|gap/.test(c.metric)) return 'ms';
  return undefined;
}

function legacyTargetAdvantage(text: string): number {
  const factor = /(\d+(?:\.\d+)?)x\b/.exec(text);
  if (!factor) return 1;
  const n = Number(factor[1]);
  return /\bwithin\b/.test(text) ? 1 / n : n;
}
