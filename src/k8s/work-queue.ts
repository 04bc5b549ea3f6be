// A work queue of keys for level-driven controllers, after client-go's workqueue and ovn-kubernetes' retry
// framework (go-controller/pkg/retry/obj_retry.go):
//  - per-key deduplication: a key queued twice is reconciled once; a key added while it is being reconciled is
//    reconciled again afterwards, never twice at the same time;
//  - a bounded number of reconciles in flight (`workers`);
//  - a failed reconcile is retried after min(1 s * 2^(failures-1), 60 s) plus up to 500 ms of random jitter, at
//    most 15 attempts in all, then dropped with an error log (ovn-kubernetes: MaxFailedAttempts = 15, backoff 1 s
//    doubling to 60 s, rand.Intn(500) ms); a new add() of the key (a new event) starts it over, as ovn-kubernetes'
//    add handler resets failedAttempts;
//  - a periodic sweep (30 s) queues every retry whose time has come -- ovn-kubernetes retries only in that sweep;
//    here each retry also has its own timer unless `retryTimers: false` -- and retryNow() queues them all at once
//    (ovn-kubernetes' RequestRetryObjs);
//  - stop() lets the reconciles in flight finish and starts no new one;
//  - figures (depth, in flight, retries, errors, durations) from stats() and as Prometheus metrics.
// Time comes from an injectable Clock, randomness from an injectable function: tests drive both.
import { systemClock, type Clock, type TimerHandle } from './clock.js';
import { K8sError } from './errors.js';
import { silentLogger, type Logger } from './logger.js';
import { AgentMetrics } from './metrics.js';

export interface RetryPolicy {
  /** Attempts in all, the first included (default 15). */
  readonly maxAttempts: number;
  /** Wait after the first failure (default 1000 ms); doubles with each further failure. */
  readonly initialDelayMs: number;
  /** Longest wait (default 60000 ms). */
  readonly maxDelayMs: number;
  /** Random extra wait, 0 up to this (default 500 ms). */
  readonly jitterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 15, initialDelayMs: 1000, maxDelayMs: 60_000, jitterMs: 500 };
export const DEFAULT_SWEEP_INTERVAL_MS = 30_000;

/** The wait before the next attempt after `failures` failed ones (failures >= 1). */
export function retryDelayMs(policy: RetryPolicy, failures: number, random: () => number = Math.random): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(failures - 1, 52));
  return base + Math.floor(random() * policy.jitterMs);
}

export type Reconcile = (key: string) => Promise<void>;

export interface WorkQueueOptions {
  /** Names the queue in logs and metric labels ("pods", "services"). */
  name: string;
  reconcile: Reconcile;
  /** Reconciles in flight at most (default 4). */
  workers?: number;
  retry?: Partial<RetryPolicy>;
  /** The retry sweep's period (default 30000 ms; 0: no sweep). */
  sweepIntervalMs?: number;
  /** A timer per retry (default true); false: retries wait for the sweep, as in ovn-kubernetes. */
  retryTimers?: boolean;
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
  metrics?: AgentMetrics;
}

export interface QueueStats {
  /** Keys waiting to be reconciled. */
  readonly depth: number;
  readonly inFlight: number;
  /** Keys waiting out a backoff. */
  readonly retryPending: number;
  /** Keys dropped after their last attempt failed (until added again). */
  readonly droppedKeys: number;
  /** Totals since start. */
  readonly adds: number;
  readonly reconciles: number;
  readonly errors: number;
  readonly retries: number;
  readonly dropped: number;
  /** Reconcile durations: count, sum and longest, in seconds. */
  readonly reconcileSeconds: { readonly count: number; readonly sum: number; readonly max: number };
}

export interface RetryState {
  readonly failures: number;
  /** Clock time at which the next attempt is due. */
  readonly dueAt: number;
  readonly lastError: string;
}

interface MutableRetry { failures: number; dueAt: number; lastError: string; timer?: TimerHandle }

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class WorkQueue {
  readonly name: string;
  private readonly reconcile: Reconcile;
  private readonly workers: number;
  private readonly policy: RetryPolicy;
  private readonly sweepIntervalMs: number;
  private readonly retryTimers: boolean;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly logger: Logger;
  private readonly metrics: AgentMetrics;
  private readonly order: string[] = [];
  private head = 0;
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly retries = new Map<string, MutableRetry>();
  private readonly droppedKeys = new Map<string, string>();
  private sweepTimer: TimerHandle | undefined;
  private started = false;
  private stopping = false;
  private idleWaiters: Array<() => void> = [];
  private totals = { adds: 0, reconciles: 0, errors: 0, retries: 0, dropped: 0, seconds: 0, maxSeconds: 0 };

  constructor(options: WorkQueueOptions) {
    this.name = options.name;
    this.reconcile = options.reconcile;
    this.workers = options.workers ?? 4;
    if (!Number.isInteger(this.workers) || this.workers < 1) throw new K8sError('K8S_BAD_OPTION', `workers must be a positive integer, not ${options.workers}`);
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    if (!(this.policy.maxAttempts >= 1)) throw new K8sError('K8S_BAD_OPTION', `retry.maxAttempts must be at least 1, not ${this.policy.maxAttempts}`);
    this.sweepIntervalMs = options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
    this.retryTimers = options.retryTimers ?? true;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.logger = (options.logger ?? silentLogger).child(`queue ${this.name}`);
    this.metrics = options.metrics ?? new AgentMetrics();
    this.metrics.trackQueue(this.name, () => ({ depth: this.queued.size, inFlight: this.processing.size, retryPending: this.retries.size, adds: this.totals.adds }));
  }

  /** Starts reconciling (keys added before wait until now) and the sweep. */
  start(): void {
    if (this.started || this.stopping) return;
    this.started = true;
    this.armSweep();
    this.pump();
  }

  /**
   * Queues a key because something changed: deduplicated with a queued key; after the reconcile in flight if the
   * key is being reconciled; a pending retry of the key is replaced and its failure count starts over.
   */
  add(key: string): void {
    if (this.stopping) {
      this.logger.debug('add after stop ignored', { key });
      return;
    }
    this.totals.adds++;
    this.forget(key);
    this.enqueue(key);
  }

  /** Queues every key whose retry is pending now, ignoring their backoff (ovn-kubernetes' RequestRetryObjs). */
  retryNow(): void {
    for (const [key, retry] of this.retries) {
      if (retry.timer) this.clock.clearTimeout(retry.timer);
      retry.timer = undefined;
      this.enqueue(key);
    }
  }

  /** Queues every retry that is due (the periodic sweep calls this). Returns how many. */
  sweep(): number {
    const now = this.clock.now();
    let count = 0;
    for (const [key, retry] of this.retries) {
      if (retry.dueAt <= now && !this.queued.has(key) && !this.processing.has(key)) {
        if (retry.timer) this.clock.clearTimeout(retry.timer);
        retry.timer = undefined;
        this.enqueue(key);
        count++;
      }
    }
    if (count > 0) this.logger.debug('sweep queued due retries', { count });
    return count;
  }

  /** Failure state of a key waiting for a retry. */
  retryState(key: string): RetryState | undefined {
    const retry = this.retries.get(key);
    return retry && { failures: retry.failures, dueAt: retry.dueAt, lastError: retry.lastError };
  }

  /** Keys dropped after their last attempt, with their last error. */
  dropped(): ReadonlyMap<string, string> {
    return this.droppedKeys;
  }

  stats(): QueueStats {
    const t = this.totals;
    return {
      depth: this.queued.size, inFlight: this.processing.size, retryPending: this.retries.size, droppedKeys: this.droppedKeys.size,
      adds: t.adds, reconciles: t.reconciles, errors: t.errors, retries: t.retries, dropped: t.dropped,
      reconcileSeconds: { count: t.reconciles, sum: t.seconds, max: t.maxSeconds },
    };
  }

  /** Resolves once nothing is queued or in flight (retries may still be pending). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Graceful stop: no reconcile starts any more, retry timers and the sweep end, and the reconciles in flight
   * finish. Resolves with what was left: keys still queued and keys waiting for a retry.
   */
  async stop(): Promise<{ queued: string[]; retrying: string[] }> {
    this.stopping = true;
    if (this.sweepTimer) this.clock.clearTimeout(this.sweepTimer);
    this.sweepTimer = undefined;
    for (const retry of this.retries.values()) {
      if (retry.timer) this.clock.clearTimeout(retry.timer);
      retry.timer = undefined;
    }
    if (this.processing.size > 0) {
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
    const queued = this.order.slice(this.head).filter((key) => this.queued.has(key));
    return { queued: [...new Set([...queued, ...this.dirty])], retrying: [...this.retries.keys()] };
  }

  private isIdle(): boolean {
    return this.processing.size === 0 && (this.queued.size === 0 || this.stopping || !this.started);
  }

  private forget(key: string): void {
    const retry = this.retries.get(key);
    if (retry?.timer) this.clock.clearTimeout(retry.timer);
    this.retries.delete(key);
    this.droppedKeys.delete(key);
  }

  private enqueue(key: string): void {
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.order.push(key);
    this.pump();
  }

  private next(): string | undefined {
    while (this.head < this.order.length) {
      const key = this.order[this.head++];
      if (this.head > 1024 && this.head * 2 > this.order.length) {
        this.order.splice(0, this.head);
        this.head = 0;
      }
      if (this.queued.delete(key)) return key;
    }
    return undefined;
  }

  private pump(): void {
    while (this.started && !this.stopping && this.processing.size < this.workers) {
      const key = this.next();
      if (key === undefined) break;
      this.processing.add(key);
      void this.run(key);
    }
    if (this.isIdle()) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private async run(key: string): Promise<void> {
    const startedAt = this.clock.now();
    let failure: { error: unknown } | undefined;
    try {
      await this.reconcile(key);
    } catch (error) {
      failure = { error };
    }
    const seconds = Math.max(0, (this.clock.now() - startedAt) / 1000);
    this.processing.delete(key);
    this.totals.reconciles++;
    this.totals.seconds += seconds;
    this.totals.maxSeconds = Math.max(this.totals.maxSeconds, seconds);
    this.metrics.reconcileDuration.observe({ name: this.name, result: failure ? 'error' : 'success' }, seconds);
    if (failure) this.failed(key, failure.error);
    else {
      this.forget(key);
      if (this.logger.enabled('debug')) this.logger.debug('reconciled', { key, seconds: seconds.toFixed(4) });
    }
    if (this.dirty.delete(key)) {
      // Changed while it was being reconciled: reconcile the new state now (a new event starts the count over).
      this.forget(key);
      if (!this.stopping) this.enqueue(key);
    }
    this.pump();
  }

  private failed(key: string, error: unknown): void {
    this.totals.errors++;
    this.metrics.errors.inc({ name: this.name });
    const retry = this.retries.get(key) ?? { failures: 0, dueAt: 0, lastError: '' };
    retry.failures++;
    retry.lastError = errorText(error);
    if (retry.failures >= this.policy.maxAttempts) {
      this.retries.delete(key);
      this.droppedKeys.set(key, retry.lastError);
      this.totals.dropped++;
      this.metrics.dropped.inc({ name: this.name });
      this.logger.error(`dropped after ${retry.failures} failed attempts`, { key, error: retry.lastError });
      return;
    }
    const delayMs = retryDelayMs(this.policy, retry.failures, this.random);
    retry.dueAt = this.clock.now() + delayMs;
    this.retries.set(key, retry);
    this.totals.retries++;
    this.metrics.retries.inc({ name: this.name });
    this.logger.warn(`reconcile failed; attempt ${retry.failures + 1} of ${this.policy.maxAttempts} in ${delayMs} ms`, { key, error: retry.lastError });
    if (this.retryTimers && !this.stopping) {
      retry.timer = this.clock.setTimeout(() => {
        retry.timer = undefined;
        if (this.retries.get(key) === retry) this.enqueue(key);
      }, delayMs);
    }
  }

  private armSweep(): void {
    if (this.sweepIntervalMs <= 0 || this.stopping) return;
    this.sweepTimer = this.clock.setTimeout(() => {
      this.sweepTimer = undefined;
      this.sweep();
      this.armSweep();
    }, this.sweepIntervalMs);
  }
}
