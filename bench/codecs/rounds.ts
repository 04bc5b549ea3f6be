// Interleaved rounds for the codecs bench: every subject of a case (ours, the JS floor, the C reference, a peer) runs
// once per round, in an order that rotates from round to round, so that a noisy moment on a shared machine hits
// all of them and no subject always runs first (warmest caches) or last. Each subject's figure is then
// min / median / max over the rounds, and each ratio is the median of the per-round ratios.
//
// In-process loops are timed by the process's CPU time (process.cpuUsage): on this shared 2-core machine the CPU
// time of a single-threaded, allocation-free loop is its own cost, not its neighbours'. Young-generation growth and
// GC events are recorded over ours's timed loops (the allocation-free claim, measured; test/codecs/zero-alloc proves it).
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import { median } from '../statistics.js';

let gcEvents = 0;
const gcObserver = new PerformanceObserver((list) => { gcEvents += list.getEntries().length; });
const flush = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));

export function observeGc(): void { gcObserver.observe({ entryTypes: ['gc'] }); }
export function stopObservingGc(): void { gcObserver.disconnect(); }

/** A subject's way to run: `n` operations in this process, or an external program reporting its own ns/op. */
export type Runner =
  | { kind: 'loop'; loop: (n: number) => void }
  | { kind: 'external'; run: (n: number) => number };

export interface Subject {
  name: string;
  runner: Runner;
  /** Record heap growth and GC events (ours). */
  memory?: boolean;
}

export interface RunFigures {
  /** Operations per second, one per round. */
  rates: number[];
  /** Heap growth (bytes, net of an empty loop) and GC events over each timed loop (memory subjects only). */
  heapGrowth: number[];
  gcs: number[];
  /** Operations per timed run. */
  ops: number;
}

/**
 * Bytes in use in the young generation, where every object a packet could allocate is born (as
 * test/codecs/zero-alloc does): not the whole heap, where an optimising compile during a loop shows up as code.
 */
function newSpaceUsed(): number {
  for (const space of getHeapSpaceStatistics()) if (space.space_name === 'new_space') return space.space_used_size;
  return 0;
}

/**
 * Growth that a timed loop shows around a loop that allocates nothing (the readings' own result objects),
 * subtracted from every figure: a loop that allocates nothing reports 0.
 */
let heapBaseline = 0;

async function timeLoop(loop: (n: number) => void, n: number): Promise<{ seconds: number; heapGrowth: number; gcs: number }> {
  await flush();
  const g0 = gcEvents;
  const c0 = process.cpuUsage();
  const h0 = newSpaceUsed();
  loop(n);
  const h1 = newSpaceUsed();
  const c1 = process.cpuUsage(c0);
  await flush();
  return { seconds: (c1.user + c1.system) / 1e6, heapGrowth: h1 - h0 - heapBaseline, gcs: gcEvents - g0 };
}

/** Measures an empty loop 9 times; the median growth becomes the baseline. Returns the sorted growths. */
export async function calibrateHeap(): Promise<number[]> {
  let sink = 0;
  const empty = (n: number) => { let s = 0; for (let i = 0; i < n; i++) s = (s + i) | 0; sink = (sink + s) | 0; };
  heapBaseline = 0;
  const growths: number[] = [];
  for (let i = 0; i < 9; i++) growths.push((await timeLoop(empty, 100000)).heapGrowth);
  heapBaseline = median(growths);
  if (sink === 0.5) growths.push(0);
  return growths.sort((a, b) => a - b);
}

/**
 * Runs every subject `rounds` times, interleaved. Before the first round each in-process loop is warmed up (three
 * runs, so the optimising compiler is done) and each subject is sized so one timed run takes about `seconds`.
 */
export async function interleave(subjects: readonly Subject[], rounds: number, seconds: number): Promise<Map<string, RunFigures>> {
  const sizes = new Map<string, number>();
  for (const s of subjects) {
    let n = 1000;
    if (s.runner.kind === 'loop') {
      for (let i = 0; i < 3; i++) s.runner.loop(n);
      // grow the probe until it takes a measurable time, then scale to the wanted duration
      for (;;) {
        const t = await timeLoop(s.runner.loop, n);
        if (t.seconds >= 0.02 || n >= 1e9) { n = Math.max(1, Math.round((n * seconds) / Math.max(t.seconds, 1e-6))); break; }
        n *= 4;
      }
    } else {
      const ns = s.runner.run(n);
      n = Math.max(1, Math.round((seconds * 1e9) / Math.max(ns, 0.01)));
    }
    sizes.set(s.name, n);
  }
  const figures = new Map<string, RunFigures>(subjects.map((s) => [s.name, { rates: [], heapGrowth: [], gcs: [], ops: sizes.get(s.name) ?? 0 }]));
  for (let r = 0; r < rounds; r++) {
    const order = [...subjects.slice(r % subjects.length), ...subjects.slice(0, r % subjects.length)];
    for (const s of order) {
      const n = sizes.get(s.name) ?? 1;
      const f = figures.get(s.name) as RunFigures;
      if (s.runner.kind === 'loop') {
        const t = await timeLoop(s.runner.loop, n);
        f.rates.push(n / t.seconds);
        if (s.memory) { f.heapGrowth.push(t.heapGrowth); f.gcs.push(t.gcs); }
      } else {
        f.rates.push(1e9 / s.runner.run(n));
      }
    }
  }
  return figures;
}

/** min / median / max of a sample. */
export function spread(values: readonly number[]): { min: number; median: number; max: number } {
  return { min: Math.min(...values), median: median(values), max: Math.max(...values) };
}

/** The per-round ratios a/b (same round, same conditions), as min / median / max. */
export function ratios(a: readonly number[], b: readonly number[]): { min: number; median: number; max: number } {
  return spread(a.map((x, i) => x / b[i]));
}
