// The statistics every bench suite reports: percentiles and medians of a sample, a run of operations with a given
// number in flight and its measurements (rate, total, p50, p99), and figures rounded for the notes (a note says "7156 ms", not "7156.197021484375 ms").
import os from 'node:os';
import { compare, type BenchComparison, type BenchMeasurement, type BenchTarget } from './result.js';

/**
 * The p-th percentile (0..100) of a sample, by the "higher" index floor(p/100 * n) clamped to the last value, so
 * that percentile(xs, 50) is the median below and percentile(xs, 100) the maximum. The input need not be sorted
 * (a sorted copy is made; it is not modified). NaN for an empty sample.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** The median (the upper one of an even-sized sample): percentile(values, 50). */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** A run of `count` operations that took `totalMs` in all, with each operation's latency in ms. */
export interface LatencyRun {
  readonly subject: string;
  readonly count: number;
  readonly totalMs: number;
  readonly latencies: readonly number[];
}

/**
 * Runs operations 0..count-1 through `one`, `inFlight` at a time (each worker takes the next index when its
 * previous operation finished), timing each from its start to its end and the whole run.
 */
export async function timedInFlight(subject: string, count: number, inFlight: number, one: (i: number) => Promise<void>): Promise<LatencyRun> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const t0 = performance.now();
      await one(i);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return { subject, count, totalMs: performance.now() - started, latencies };
}

/** Operations per second of a run. */
export function rate(run: LatencyRun): number {
  return (run.count * 1000) / run.totalMs;
}

/** A run's rate (in `rateUnit`, e.g. `pods/s`), total time, p50 and p99 latency as measurements. */
export function latencyMeasurements(suite: string, caseName: string, run: LatencyRun, rateUnit: string): BenchMeasurement[] {
  const m = (metric: string, value: number, unit: string): BenchMeasurement => ({ suite, case: caseName, subject: run.subject, metric, value, unit });
  return [
    m(rateUnit, rate(run), rateUnit),
    m('total', run.totalMs, 'ms'),
    m('p50', percentile(run.latencies, 50), 'ms'),
    m('p99', percentile(run.latencies, 99), 'ms'),
  ];
}

/** A figure for a note: whole numbers from 100 up, one decimal from 1, two below (7156.197 -> "7156", 3.14159 -> "3.1"). */
export function figure(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  return value.toFixed(abs >= 100 ? 0 : abs >= 1 ? 1 : 2);
}

/** min / median / max of a sample (NaN for an empty one). */
export function spreadOf(values: readonly number[]): { min: number; median: number; max: number } {
  return { min: Math.min(...values), median: median(values), max: Math.max(...values) };
}

/**
 * Ours against a peer (or a floor) measured in interleaved rounds, round i of each side under the same load:
 * the figures are the medians of each side, the advantage the median of the per-round ratios (theirs/ours for
 * times, ours/theirs for rates) with its min and max, so one noisy round neither makes nor misses a target.
 */
export function roundsComparison(
  suite: string, caseName: string, metric: string, peer: string, ours: readonly number[], theirs: readonly number[],
  higherIsBetter: boolean, target: BenchTarget | undefined, unit: string,
): BenchComparison {
  if (ours.length !== theirs.length || ours.length === 0) throw new Error(`${caseName}: ${ours.length} rounds of ours, ${theirs.length} of ${peer}`);
  const ratios = spreadOf(ours.map((x, i) => (higherIsBetter ? x / theirs[i] : theirs[i] / x)));
  const c = compare(suite, caseName, metric, peer, median(ours), median(theirs), higherIsBetter, target, unit);
  c.advantage = ratios.median;
  c.advantageMin = ratios.min;
  c.advantageMax = ratios.max;
  if (target) c.met = ratios.median >= target.minAdvantage;
  return c;
}

/** A subject's figure over rounds: the median, with min, max and the number of rounds. */
export function roundsMeasurement(suite: string, caseName: string, subject: string, metric: string, values: readonly number[], unit: string): BenchMeasurement {
  const s = spreadOf(values);
  return { suite, case: caseName, subject, metric, value: s.median, unit, min: s.min, max: s.max, runs: values.length };
}

/** "per-round ratio 0.93 (0.88..0.97)": a rounds comparison's advantage and its spread, for the notes. */
export function roundsRange(c: BenchComparison): string {
  return `${figure(c.advantage)}x (${figure(c.advantageMin ?? c.advantage)}..${figure(c.advantageMax ?? c.advantage)}x over the rounds)`;
}

/** The machine's 1/5/15-minute load averages, for a note beside the figures measured under them. */
export function loadAverages(): string {
  return os.loadavg().map((x) => x.toFixed(1)).join(' / ');
}
