// How a controller plugs into the cache and a work queue. A controller is level-driven: it says which of its keys
// an object event touches (`watches`), and reconciles a key by reading the cache and making the world (OVN) match
// it; it never acts on the event itself. The runner queues keys from events, reconciles them through a WorkQueue
// (deduplication, bounded workers, retries with backoff) once the cache has synced, and then, and every
// `resyncIntervalMs`, queues every key the controller lists (`resyncKeys`) and calls its `resync` (where a
// controller deletes what it owns whose object is gone).
import type { ObjectCache } from './cache.js';
import type { ObjectEvent } from './events.js';
import type { KindName } from './kinds.js';
import { silentLogger, type Logger } from './logger.js';
import { systemClock, type Clock, type TimerHandle } from './clock.js';
import { WorkQueue, type WorkQueueOptions } from './work-queue.js';

/** Maps an event of a kind to the controller's keys it touches (often the object's own key). */
export type KeysFor<K extends KindName> = (event: ObjectEvent<K>, cache: ObjectCache) => Iterable<string>;

export interface Controller {
  /** Names the controller's queue and logs ("pods", "services"). */
  readonly name: string;
  /** The kinds whose events concern the controller, and the keys each event touches. */
  readonly watches: { readonly [K in KindName]?: KeysFor<K> };
  /** Makes the world match the cache for `key`. Throw (reject) to have the key retried with backoff. */
  reconcile(key: string): Promise<void>;
  /** Every key that should exist now, for the full resync (at start once synced, then periodically). */
  resyncKeys?(cache: ObjectCache): Iterable<string>;
  /** Runs at each full resync, after the keys were queued: e.g. delete owned rows whose object is gone. */
  resync?(): Promise<void>;
  /**
   * Called once by the runner with the controller's own queue, for keys the controller learns of other than by
   * cache events (another controller's news: a node switch now exists; a key to reconcile again after its garbage
   * collection).
   */
  bind?(queue: KeyQueue): void;
}

/** Where a controller adds keys of its own (its runner's WorkQueue). */
export interface KeyQueue {
  add(key: string): void;
}

export interface ControllerRunnerOptions extends Omit<WorkQueueOptions, 'name' | 'reconcile' | 'logger'> {
  logger?: Logger;
  /** Period of the full resync (default 0: only once, after the initial sync). */
  resyncIntervalMs?: number;
  clock?: Clock;
}

export class ControllerRunner {
  readonly queue: WorkQueue;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly resyncIntervalMs: number;
  private unsubscribe: (() => void) | undefined;
  private resyncTimer: TimerHandle | undefined;
  private stopped = false;
  private resyncRunning: Promise<void> | undefined;
  private resyncs = 0;
  private readonly resyncWaiters: Array<() => void> = [];

  constructor(private readonly cache: ObjectCache, readonly controller: Controller, options: ControllerRunnerOptions = {}) {
    this.logger = (options.logger ?? silentLogger).child(`controller ${controller.name}`);
    this.clock = options.clock ?? systemClock;
    this.resyncIntervalMs = options.resyncIntervalMs ?? 0;
    this.queue = new WorkQueue({ ...options, name: controller.name, reconcile: (key) => controller.reconcile(key), logger: options.logger });
    controller.bind?.(this.queue);
  }

  /** Full resyncs completed (keys queued and the resync hook done). */
  get resyncCount(): number {
    return this.resyncs;
  }

  /** Resolves once the first full resync has completed (its keys queued, its hook done; not its keys reconciled). */
  whenResynced(): Promise<void> {
    if (this.resyncs > 0 || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.resyncWaiters.push(resolve));
  }

  /**
   * Subscribes to the cache at once, but reconciles nothing before the cache has synced (client-go's
   * WaitForCacheSync before the workers run): keys queue up, deduplicated, and the first full resync joins them,
   * so that no key is reconciled on a partial picture of the cluster.
   */
  start(): void {
    if (this.unsubscribe || this.stopped) return;
    this.unsubscribe = this.cache.subscribe((event) => this.onEvent(event));
    void this.cache.whenSynced().then(() => {
      if (this.stopped) return;
      void this.fullResync();
      this.queue.start();
    });
  }

  /** Queues every key the controller lists and runs its resync hook. */
  fullResync(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.resyncRunning) return this.resyncRunning;
    this.resyncRunning = (async () => {
      let count = 0;
      for (const key of this.controller.resyncKeys?.(this.cache) ?? []) {
        this.queue.add(key);
        count++;
      }
      this.logger.debug('full resync', { keys: count });
      try {
        await this.controller.resync?.();
      } catch (err) {
        this.logger.error('resync failed', { error: err instanceof Error ? err.message : String(err) });
      }
    })().finally(() => {
      this.resyncRunning = undefined;
      this.resyncs++;
      for (const resolve of this.resyncWaiters.splice(0)) resolve();
      this.armResync();
    });
    return this.resyncRunning;
  }

  /** Stops listening, then stops the queue gracefully (reconciles in flight finish). */
  async stop(): Promise<{ queued: string[]; retrying: string[] }> {
    this.stopped = true;
    for (const resolve of this.resyncWaiters.splice(0)) resolve();
    this.unsubscribe?.();
    if (this.resyncTimer) this.clock.clearTimeout(this.resyncTimer);
    return this.queue.stop();
  }

  private armResync(): void {
    if (this.resyncIntervalMs <= 0 || this.stopped || this.resyncTimer) return;
    this.resyncTimer = this.clock.setTimeout(() => {
      this.resyncTimer = undefined;
      void this.fullResync();
    }, this.resyncIntervalMs);
  }

  private onEvent(event: ObjectEvent): void {
    const keysFor = this.controller.watches[event.kind] as KeysFor<KindName> | undefined;
    if (!keysFor) return;
    try {
      for (const key of keysFor(event, this.cache)) this.queue.add(key);
    } catch (err) {
      this.logger.error('mapping an event to keys failed', { kind: event.kind, key: event.key, error: err instanceof Error ? err.message : String(err) });
    }
  }
}
