// Time as the work queue, the retry timers and the stream source see it. Injectable so that tests drive time by
// hand (ManualClock) and assert what happens at each instant, never how long something took.

export type TimerHandle = { readonly id: number };

export interface Clock {
  /** Milliseconds on a monotonic scale (only differences matter). */
  now(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The process clock: performance.now() and the global timers (unref'ed: a pending retry keeps no process alive). */
export const systemClock: Clock = (() => {
  const timers = new Map<number, ReturnType<typeof setTimeout>>();
  let next = 1;
  return {
    now: () => performance.now(),
    setTimeout(callback, delayMs) {
      const id = next++;
      const timer = setTimeout(() => { timers.delete(id); callback(); }, Math.max(0, delayMs));
      timer.unref();
      timers.set(id, timer);
      return { id };
    },
    clearTimeout(handle) {
      const timer = timers.get(handle.id);
      if (timer !== undefined) { clearTimeout(timer); timers.delete(handle.id); }
    },
  };
})();

interface ManualTimer { id: number; due: number; order: number; callback: () => void }

/**
 * A clock that moves only when told to. `advance(ms)` fires every timer that falls due, in due order (timers set by
 * a firing callback fire too if they fall due within the advance).
 */
export class ManualClock implements Clock {
  private current: number;
  private timers = new Map<number, ManualTimer>();
  private nextId = 1;
  private order = 0;

  constructor(startMs = 0) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { id, due: this.current + Math.max(0, delayMs), order: this.order++, callback });
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle.id);
  }

  /** Timers not fired yet, soonest first (their due times). */
  pending(): number[] {
    return [...this.timers.values()].sort((a, b) => a.due - b.due || a.order - b.order).map((t) => t.due);
  }

  /** Moves time forward by `ms`, firing what falls due on the way. */
  advance(ms: number): void {
    const end = this.current + ms;
    for (;;) {
      let first: ManualTimer | undefined;
      for (const timer of this.timers.values()) {
        if (timer.due <= end && (!first || timer.due < first.due || (timer.due === first.due && timer.order < first.order))) first = timer;
      }
      if (!first) break;
      this.timers.delete(first.id);
      this.current = Math.max(this.current, first.due);
      first.callback();
    }
    this.current = end;
  }
}
