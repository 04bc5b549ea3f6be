// The agent's view of the cluster: one ObjectStore per kind, fed by any number of sources (cache.upsert/delete
// through the ObjectSink interface) and read by controllers. Every object is checked (validation.ts) before it
// enters; a bad one gets one log line, a count in `ovn_overlay_k8s_rejected_total{kind,reason}` and an
// InputProblem event, and is skipped: the store keeps the object's last good state, and nothing else is touched.
// Accepted objects are turned into client-node model instances with client-node's own ObjectSerializer, so that
// the cache holds what the types say (V1Pod with Date timestamps) whichever source they came from.
import { isRecord } from './json-record.js';
import type { InputProblem, ObjectEvent, ObjectEventType, ObjectSink, SourceItem } from './events.js';
import { describeObject, isKindName, KIND_INFO, KINDS, objectKey, type KindName, type KindObjects } from './kinds.js';
import { silentLogger, type Logger } from './logger.js';
import { AgentMetrics } from './metrics.js';
import { toModel } from './model.js';
import { ObjectStore } from './store.js';
import { SERVICE_NAME_LABEL } from '../ovn/names.js';
import { validateObject } from './validation.js';

export type ObjectListener = (event: ObjectEvent) => void;
export type ProblemListener = (problem: InputProblem) => void;

export interface ObjectCacheOptions {
  logger?: Logger;
  metrics?: AgentMetrics;
}

export interface CacheCounts {
  /** Objects per kind now. */
  readonly objects: Readonly<Record<KindName, number>>;
  /** Changes applied since start. */
  readonly events: number;
  /** Input problems since start (rejected objects and bad stream items). */
  readonly problems: number;
  /** Objects of kinds the agent does not read, skipped. */
  readonly ignored: number;
}

/** Name and namespace of an object as far as they can be read (for keys of rejected or deleted objects). */
function readIdentity(object: unknown): { name?: string; namespace?: string } {
  const metadata = isRecord(object) && isRecord(object.metadata) ? object.metadata : undefined;
  return {
    name: typeof metadata?.name === 'string' && metadata.name !== '' ? metadata.name : undefined,
    namespace: typeof metadata?.namespace === 'string' ? metadata.namespace : undefined,
  };
}

export class ObjectCache implements ObjectSink {
  readonly metrics: AgentMetrics;
  private readonly logger: Logger;
  private readonly stores: { [K in KindName]: ObjectStore<KindObjects[K]> };
  private readonly listeners = new Set<ObjectListener>();
  private readonly problemListeners = new Set<ProblemListener>();
  /** Keys whose latest version was rejected, with why (cleared by a good version or a delete). */
  private readonly rejectedKeys = new Map<string, InputProblem>();
  private eventCount = 0;
  private problemCount = 0;
  private ignoredCount = 0;
  private syncedFlag = false;
  private readonly syncWaiters: Array<() => void> = [];

  constructor(options: ObjectCacheOptions = {}) {
    this.logger = options.logger ?? silentLogger;
    this.metrics = options.metrics ?? new AgentMetrics();
    this.stores = {
      Namespace: new ObjectStore(), Node: new ObjectStore(), Pod: new ObjectStore(), Service: new ObjectStore(),
      // The Service controller finds a Service's slices by this label for every Service it reconciles.
      EndpointSlice: new ObjectStore([SERVICE_NAME_LABEL]), NetworkPolicy: new ObjectStore(),
    };
    this.metrics.trackObjects(() => this.counts().objects);
  }

  /** The store of one kind (read-only use). */
  store<K extends KindName>(kind: K): ObjectStore<KindObjects[K]> {
    return this.stores[kind];
  }

  get<K extends KindName>(kind: K, key: string): KindObjects[K] | undefined {
    return this.stores[kind].get(key);
  }

  /** Listens to every change (all kinds). Returns the function that stops listening. */
  subscribe(listener: ObjectListener): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  /** Listens to changes of one kind. */
  subscribeKind<K extends KindName>(kind: K, listener: (event: ObjectEvent<K>) => void): () => void {
    return this.subscribe((event) => { if (event.kind === kind) listener(event as ObjectEvent<K>); });
  }

  /** Listens to input problems (the "event naming the object and the reason" of a rejection). */
  onProblem(listener: ProblemListener): () => void {
    this.problemListeners.add(listener);
    return () => { this.problemListeners.delete(listener); };
  }

  /** Keys ("Pod frontend/web-3") whose latest version was rejected, with the problem. */
  rejected(): ReadonlyMap<string, InputProblem> {
    return this.rejectedKeys;
  }

  /** Forgets the problem of an object (a controller found it usable again). */
  resolved(kind: KindName, key: string): void {
    this.rejectedKeys.delete(describeObject(kind, key));
  }

  counts(): CacheCounts {
    const objects = Object.fromEntries(KINDS.map((kind) => [kind, this.stores[kind].size])) as Record<KindName, number>;
    return { objects, events: this.eventCount, problems: this.problemCount, ignored: this.ignoredCount };
  }

  /** True once every source has delivered its initial state (set by startSources). */
  hasSynced(): boolean {
    return this.syncedFlag;
  }

  /** Resolves once hasSynced() is true. */
  whenSynced(): Promise<void> {
    if (this.syncedFlag) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /** Marks the initial state complete (startSources calls it when every source has synced). */
  markSynced(): void {
    if (this.syncedFlag) return;
    this.syncedFlag = true;
    this.logger.info('initial state complete', { objects: KINDS.map((k) => `${k}:${this.stores[k].size}`).join(',') });
    for (const resolve of this.syncWaiters.splice(0)) resolve();
  }

  upsert(item: SourceItem): void {
    const kind = this.kindOf(item);
    if (!kind) return;
    const identity = readIdentity(item.object);
    const key = identity.name !== undefined ? objectKey(kind, identity.namespace, identity.name) : undefined;
    const problem = validateObject(kind, item.object);
    if (problem) {
      this.report({ kind, key, reason: problem.reason, message: problem.message, origin: item.origin });
      return;
    }
    let object: KindObjects[typeof kind];
    try {
      object = toModel(kind, item.object);
    } catch (err) {
      this.report({ kind, key, reason: 'invalid-field', message: `cannot be read as ${KIND_INFO[kind].modelType}: ${(err as Error).message}`, origin: item.origin });
      return;
    }
    const store = this.stores[kind] as ObjectStore<KindObjects[typeof kind]>;
    const previous = store.get(key!);
    this.rejectedKeys.delete(describeObject(kind, key));
    const version = object.metadata?.resourceVersion;
    // The same resourceVersion is the same object (a relist repeating what a watch delivered): no event.
    if (previous && version !== undefined && previous.metadata?.resourceVersion === version) return;
    store.set(key!, object);
    this.emit(previous ? 'updated' : 'added', kind, key!, object, previous, item.origin);
  }

  delete(item: SourceItem): void {
    const kind = this.kindOf(item);
    if (!kind) return;
    const { name, namespace } = readIdentity(item.object);
    if (name === undefined || (KIND_INFO[kind].namespaced && !namespace)) {
      this.report({ kind, reason: 'missing-field', message: 'a deleted object needs metadata.name (and metadata.namespace)', origin: item.origin });
      return;
    }
    const key = objectKey(kind, namespace, name);
    this.rejectedKeys.delete(describeObject(kind, key));
    // The API removes a namespace only once everything in it is gone; whatever of it a source did not report
    // deleted (another kind's watch lagging, a stream that missed it) is gone too, and goes first.
    if (kind === 'Namespace' && this.stores.Namespace.has(key)) this.deleteContents(key, item.origin);
    const previous = this.stores[kind].remove(key);
    if (previous === undefined) {
      this.logger.debug('delete of an object not in the cache', { kind, key, origin: item.origin });
      return;
    }
    this.emit('deleted', kind, key, previous, undefined, item.origin);
  }

  private deleteContents(namespace: string, origin: string): void {
    for (const kind of KINDS) {
      if (!KIND_INFO[kind].namespaced) continue;
      for (const object of [...this.stores[kind].listNamespace(namespace)].reverse()) {
        this.delete({ kind, object, origin: `${origin} (namespace ${namespace} deleted)` });
      }
    }
  }

  report(problem: InputProblem): void {
    this.problemCount++;
    this.metrics.rejected.inc({ kind: problem.kind, reason: problem.reason });
    if (problem.key !== undefined && problem.kind !== '') this.rejectedKeys.set(describeObject(problem.kind, problem.key), problem);
    this.logger.warn(`skipped ${problem.key !== undefined ? describeObject(problem.kind, problem.key) : problem.kind || 'input'}: ${problem.message}`,
      { reason: problem.reason, origin: problem.origin });
    for (const listener of [...this.problemListeners]) {
      try { listener(problem); } catch (err) { this.logger.error('input-problem listener failed', { error: (err as Error).message }); }
    }
  }

  private kindOf(item: SourceItem): KindName | undefined {
    const object = item.object;
    const declared = item.kind ?? (isRecord(object) ? object.kind : undefined);
    if (isKindName(declared)) return declared;
    if (!isRecord(object)) {
      this.report({ kind: typeof declared === 'string' ? declared : '', reason: 'not-an-object', message: `not a Kubernetes object: ${JSON.stringify(object)?.slice(0, 80)}`, origin: item.origin });
      return undefined;
    }
    const kind = typeof declared === 'string' ? declared : '';
    if (kind === '') {
      this.report({ kind: '', reason: 'missing-field', message: 'kind is missing', origin: item.origin });
      return undefined;
    }
    this.ignoredCount++;
    this.metrics.ignored.inc({ kind });
    this.logger.debug('ignored an object of a kind the agent does not read', { kind, origin: item.origin });
    return undefined;
  }

  private emit<K extends KindName>(type: ObjectEventType, kind: K, key: string, object: KindObjects[K], previous: KindObjects[K] | undefined,
    origin: string): void {
    this.eventCount++;
    this.metrics.objectEvents.inc({ kind, type });
    if (this.logger.enabled('debug')) this.logger.debug(`${type} ${describeObject(kind, key)}`, { origin, resourceVersion: object.metadata?.resourceVersion });
    const event = { type, kind, key, object, previous, origin } as ObjectEvent;
    for (const listener of [...this.listeners]) {
      try { listener(event); } catch (err) {
        this.logger.error('object listener failed', { kind, key, error: (err as Error).message });
      }
    }
  }
}
