// The agent's metrics, in a prom-client Registry of its own (never the global one, so two agents in one process,
// or a test and the agent it drives, do not mix their figures). Work-queue metric names follow client-go's
// workqueue metrics (depth, adds, work duration, retries) under the `ovn_overlay_` prefix, so dashboards made for
// Kubernetes controllers read them as they are. `text()` is the Prometheus exposition an HTTP endpoint serves.
// What a work queue holds and its adds, and the objects in the cache, are read when scraped (trackQueue,
// trackObjects), not set on every change: setting labelled gauges per key added and reconciled and per object
// event cost an agent converging 9,000 objects ~0.3 s.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Reconcile durations in seconds: 1 ms .. 60 s (an OVSDB transaction to a loaded cluster can take seconds). */
export const RECONCILE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** What a work queue's gauges show. */
export interface QueueFigures { readonly depth: number; readonly inFlight: number; readonly retryPending: number; readonly adds: number }

export class AgentMetrics {
  readonly registry: Registry;
  readonly queueDepth: Gauge<'name'>;
  readonly queueInFlight: Gauge<'name'>;
  readonly queueRetryPending: Gauge<'name'>;
  readonly queueAdds: Counter<'name'>;
  readonly reconcileDuration: Histogram<'name' | 'result'>;
  readonly retries: Counter<'name'>;
  readonly errors: Counter<'name'>;
  readonly dropped: Counter<'name'>;
  readonly objectEvents: Counter<'kind' | 'type'>;
  readonly cachedObjects: Gauge<'kind'>;
  readonly rejected: Counter<'kind' | 'reason'>;
  readonly ignored: Counter<'kind'>;
  readonly lists: Counter<'kind'>;
  readonly watches: Counter<'kind'>;
  readonly watchErrors: Counter<'kind'>;
  readonly nbTransactions: Counter<'kind'>;
  private transactionSource: (() => { readonly transactions: number; readonly writeTransactions: number }) | undefined;
  private readonly queueSources = new Map<string, () => QueueFigures>();
  private objectSource: (() => Readonly<Record<string, number>>) | undefined;

  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
    const registers = [registry];
    const queues = this.queueSources;
    const queueGauge = (name: string, help: string, figure: Exclude<keyof QueueFigures, 'adds'>): Gauge<'name'> => new Gauge({
      name, help, labelNames: ['name'], registers,
      collect() {
        for (const [queue, stats] of queues) this.set({ name: queue }, stats()[figure]);
      },
    });
    this.queueDepth = queueGauge('ovn_overlay_workqueue_depth', 'Keys waiting in the work queue.', 'depth');
    this.queueInFlight = queueGauge('ovn_overlay_workqueue_in_flight', 'Keys being reconciled now.', 'inFlight');
    this.queueRetryPending = queueGauge('ovn_overlay_workqueue_retry_pending', 'Keys waiting out a retry backoff.', 'retryPending');
    this.queueAdds = new Counter({
      name: 'ovn_overlay_workqueue_adds_total', help: 'Keys added to the work queue.', labelNames: ['name'], registers,
      collect() {
        this.reset();
        for (const [queue, stats] of queues) this.inc({ name: queue }, stats().adds);
      },
    });
    this.reconcileDuration = new Histogram({
      name: 'ovn_overlay_workqueue_work_duration_seconds', help: 'Time one reconcile of a key took.',
      labelNames: ['name', 'result'], buckets: RECONCILE_BUCKETS, registers,
    });
    this.retries = new Counter({ name: 'ovn_overlay_workqueue_retries_total', help: 'Reconciles scheduled again after a failure.', labelNames: ['name'], registers });
    this.errors = new Counter({ name: 'ovn_overlay_workqueue_errors_total', help: 'Reconciles that failed.', labelNames: ['name'], registers });
    this.dropped = new Counter({
      name: 'ovn_overlay_workqueue_dropped_total', help: 'Keys given up on after the last allowed attempt failed.', labelNames: ['name'], registers,
    });
    this.objectEvents = new Counter({
      name: 'ovn_overlay_k8s_events_total', help: 'Object changes applied to the cache (added, updated, deleted).', labelNames: ['kind', 'type'], registers,
    });
    const objects = () => this.objectSource?.();
    this.cachedObjects = new Gauge({
      name: 'ovn_overlay_k8s_objects', help: 'Objects in the cache.', labelNames: ['kind'], registers,
      collect() {
        for (const [kind, count] of Object.entries(objects() ?? {})) this.set({ kind }, count);
      },
    });
    this.rejected = new Counter({
      name: 'ovn_overlay_k8s_rejected_total', help: 'Objects or stream items refused as bad input, by reason.', labelNames: ['kind', 'reason'], registers,
    });
    this.ignored = new Counter({ name: 'ovn_overlay_k8s_ignored_total', help: 'Objects of kinds the agent does not read.', labelNames: ['kind'], registers });
    this.lists = new Counter({ name: 'ovn_overlay_k8s_lists_total', help: 'List requests of the informer source.', labelNames: ['kind'], registers });
    this.watches = new Counter({ name: 'ovn_overlay_k8s_watches_total', help: 'Watch requests of the informer source.', labelNames: ['kind'], registers });
    this.watchErrors = new Counter({
      name: 'ovn_overlay_k8s_watch_errors_total', help: 'Informer failures that stopped a list/watch (restarted with backoff).', labelNames: ['kind'], registers,
    });
    // Read from the replica's own counters when scraped (every transaction goes through OvsdbDatabase.transact).
    const source = () => this.transactionSource?.();
    this.nbTransactions = new Counter({
      name: 'ovn_overlay_nb_transactions_total', help: 'Transactions sent to the Northbound database, by kind (write, read).', labelNames: ['kind'], registers,
      collect() {
        const stats = source();
        if (!stats) return;
        this.reset();
        this.inc({ kind: 'write' }, stats.writeTransactions);
        this.inc({ kind: 'read' }, stats.transactions - stats.writeTransactions);
      },
    });
  }

  /** Where `ovn_overlay_nb_transactions_total` reads its figures (the Northbound replica's stats). */
  trackTransactions(source: () => { readonly transactions: number; readonly writeTransactions: number }): void {
    this.transactionSource = source;
  }

  /** Where the work queue `name`'s gauges (depth, in flight, retry pending) and adds read their figures when scraped. */
  trackQueue(name: string, stats: () => QueueFigures): void {
    this.queueSources.set(name, stats);
  }

  /** Where `ovn_overlay_k8s_objects` reads the objects per kind when scraped (the cache's stores). */
  trackObjects(source: () => Readonly<Record<string, number>>): void {
    this.objectSource = source;
  }

  /** The Prometheus text exposition of every metric of this agent. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** Content-Type of text(). */
  get contentType(): string {
    return this.registry.contentType;
  }
}
