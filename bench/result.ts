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
  value: number;
  unit: string;
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
  /** The target in words, e.g. ">= 25x the allocating encoder", and whether this run met it. */
  target?: string;
  met?: boolean;
}

export interface BenchSuiteResult {
  suite: string;
  measurements: BenchMeasurement[];
  comparisons: BenchComparison[];
  notes: string[];
}

export type BenchSuite = (options: BenchOptions) => Promise<BenchSuiteResult>;

/** Builds a comparison; `higherIsBetter` decides which way the advantage ratio goes. */
export function compare(
  suite: string, caseName: string, metric: string, peer: string, ours: number, theirs: number,
  higherIsBetter: boolean, target?: { text: string; minAdvantage: number },
): BenchComparison {
  const advantage = higherIsBetter ? ours / theirs : theirs / ours;
  const comparison: BenchComparison = { suite, case: caseName, metric, peer, ours, theirs, advantage };
  if (target) {
    comparison.target = target.text;
    comparison.met = advantage >= target.minAdvantage;
  }
  return comparison;
}
