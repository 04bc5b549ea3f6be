// What a bench process did over an interval besides running its main thread: the CPU time of its other threads
// (V8's optimizing compiler and GC helpers, libuv's pool) and its GC pauses, next to the main thread's CPU time.
// They explain a latency tail measured against a server on the same small machine: while one of our background
// threads holds a core, the wakeup of ovsdb-server (our request arrived) or of our main thread (its reply
// arrived) can wait on that core's run queue for a scheduler slice, 1-4 ms, even with the other core idle.
// Thread CPU times come from /proc/self/task/*/schedstat (Linux; elsewhere they are undefined).
import { readdirSync, readFileSync } from 'node:fs';
import { PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';

export interface ProcessActivity {
  /** ms the main thread spent on a CPU (JavaScript, the event loop, system calls). */
  readonly mainCpuMs: number | undefined;
  /** ms every other thread of the process spent on a CPU. */
  readonly backgroundCpuMs: number | undefined;
  /** GC pauses of the main thread, and their total ms. */
  readonly gcPauses: number;
  readonly gcPauseMs: number;
}

/** ns on a CPU so far, per thread id of this process; undefined without /proc. */
function threadCpuNs(): Map<number, number> | undefined {
  let tids: string[];
  try { tids = readdirSync('/proc/self/task'); } catch { return undefined; }
  const out = new Map<number, number>();
  for (const tid of tids) {
    try { out.set(Number(tid), Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0])); } catch { /* the thread ended */ }
  }
  return out;
}

/** Starts recording; the function returned stops and says what the process did since (call it once). */
export function recordActivity(): () => ProcessActivity {
  const before = threadCpuNs();
  let gcPauses = 0;
  let gcPauseMs = 0;
  const take = (entries: readonly PerformanceEntry[]) => { for (const e of entries) { gcPauses++; gcPauseMs += e.duration; } };
  const observer = new PerformanceObserver((list) => take(list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  return () => {
    take(observer.takeRecords());
    observer.disconnect();
    const after = threadCpuNs();
    if (!before || !after) return { mainCpuMs: undefined, backgroundCpuMs: undefined, gcPauses, gcPauseMs };
    let main = 0;
    let background = 0;
    for (const [tid, ns] of after) {
      const spent = (ns - (before.get(tid) ?? 0)) / 1e6;
      if (tid === process.pid) main = spent;
      else background += spent;
    }
    return { mainCpuMs: main, backgroundCpuMs: background, gcPauses, gcPauseMs };
  };
}
