// The informer source: @kubernetes/client-node's own ListWatch per kind (list, then watch from the list's
// resourceVersion; on a watch that ends, watch again from the last resourceVersion seen, bookmarks included; on
// 410 Gone, as an HTTP status or as an ERROR event in the stream, list again) given a kubeconfig. Nothing here
// speaks HTTP: the lists are client-node's generated API clients, the watches its Watch.
//
// What this file adds around ListWatch (read in node_modules/@kubernetes/client-node/dist/cache.js, 1.4.0):
//  - allowWatchBookmarks=true and timeoutSeconds (random 300..600 s as client-go's reflector picks, so a half-dead
//    connection is replaced) go into the watch path: ListWatch passes only resourceVersion and selectors itself;
//  - the synced signal: a kind has synced when its first watch starts, which ListWatch does only after the list
//    items were handed to the callbacks (its doneHandler: list, addOrUpdateItems, then watch);
//  - a restart with backoff after other errors (connection refused, 5xx, 403): ListWatch calls its error
//    callbacks and stops there; a restart keeps the last resourceVersion, so it resumes without a relist;
//  - watch objects are checked and turned into model instances before ListWatch stores them (list items already
//    are), so ListWatch and the ObjectCache share one copy of each object;
//  - a watch is never started after stop() (ListWatch would start one if stop came during a list).
import {
  CoreV1Api, DiscoveryV1Api, KubeConfig, ListWatch, NetworkingV1Api, Watch,
  type KubernetesListObject, type KubernetesObject,
} from '@kubernetes/client-node';
import { systemClock, type Clock, type TimerHandle } from './clock.js';
import { K8sError } from './errors.js';
import type { ObjectSink } from './events.js';
import { KIND_INFO, KINDS, type KindName } from './kinds.js';
import { silentLogger, type Logger } from './logger.js';
import { AgentMetrics } from './metrics.js';
import { toModel } from './model.js';
import { createSignal, type ObjectSource, type Signal } from './source.js';
import { validateObject } from './validation.js';
import { ApiPodAnnotationWriter, type PodAnnotationWriter } from './pod-annotations.js';
import { Backoff, type BackoffOptions } from '../ovsdb/reconnect.js';

export interface InformerSourceOptions {
  /** Kinds to list and watch (default all six). */
  kinds?: readonly KindName[];
  logger?: Logger;
  metrics?: AgentMetrics;
  clock?: Clock;
  /** Wait before restarting a failed list/watch: 1 s doubling to 30 s, with jitter (defaults). */
  restartBackoff?: BackoffOptions;
  /** timeoutSeconds of each watch request; default a random 300..600 per kind. */
  watchTimeoutSeconds?: number;
  random?: () => number;
}

type Lister = () => Promise<KubernetesListObject<KubernetesObject>>;

function listers(config: KubeConfig): { [K in KindName]: Lister } {
  const core = config.makeApiClient(CoreV1Api);
  const discovery = config.makeApiClient(DiscoveryV1Api);
  const networking = config.makeApiClient(NetworkingV1Api);
  return {
    Namespace: () => core.listNamespace(),
    Node: () => core.listNode(),
    Pod: () => core.listPodForAllNamespaces(),
    Service: () => core.listServiceForAllNamespaces(),
    EndpointSlice: () => discovery.listEndpointSliceForAllNamespaces(),
    NetworkPolicy: () => networking.listNetworkPolicyForAllNamespaces(),
  };
}

type WatchCallback = (phase: string, apiObj: unknown, watchObj?: unknown) => void;

/** client-node's Watch, told when a watch starts and handing model instances of valid objects to ListWatch. */
class ObservedWatch extends Watch {
  constructor(config: KubeConfig, private readonly kind: KindName, private readonly hooks: {
    stopped(): boolean; started(resourceVersion: string): void; received(phase: string): void;
  }) {
    super(config);
  }

  override async watch(path: string, queryParams: Record<string, string | number | boolean | undefined>, callback: WatchCallback,
    done: (err: unknown) => void): Promise<AbortController> {
    if (this.hooks.stopped()) return new AbortController();
    this.hooks.started(String(queryParams.resourceVersion ?? ''));
    return super.watch(path, queryParams, (phase, object, raw) => {
      this.hooks.received(phase);
      if ((phase === 'ADDED' || phase === 'MODIFIED' || phase === 'DELETED') && validateObject(this.kind, object) === undefined) {
        object = toModel(this.kind, object);
      }
      callback(phase, object, raw);
    }, done);
  }
}

interface KindState {
  readonly kind: KindName;
  readonly informer: ListWatch<KubernetesObject>;
  readonly synced: Signal;
  readonly backoff: Backoff;
  restartTimer?: TimerHandle;
  watchesStarted: number;
}

export class InformerSource implements ObjectSource {
  readonly name = 'informer';
  private readonly config: KubeConfig;
  private readonly logger: Logger;
  private readonly metrics: AgentMetrics;
  private readonly clock: Clock;
  private readonly kinds: readonly KindName[];
  private readonly options: InformerSourceOptions;
  private readonly syncedSignal = createSignal();
  private readonly doneSignal = createSignal();
  private states: KindState[] = [];
  private sink: ObjectSink | undefined;
  private stopped = false;

  constructor(config: KubeConfig, options: InformerSourceOptions = {}) {
    this.config = config;
    this.options = options;
    this.logger = (options.logger ?? silentLogger).child('informer');
    this.metrics = options.metrics ?? new AgentMetrics();
    this.clock = options.clock ?? systemClock;
    this.kinds = options.kinds ?? KINDS;
  }

  /** An informer source for the kubeconfig file at `path` (its current context). Throws K8S_KUBECONFIG. */
  static fromKubeconfigFile(path: string, options: InformerSourceOptions = {}): InformerSource {
    const config = new KubeConfig();
    try {
      config.loadFromFile(path);
    } catch (err) {
      throw new K8sError('K8S_KUBECONFIG', `cannot load kubeconfig ${path}: ${(err as Error).message}`, { cause: err });
    }
    if (!config.getCurrentCluster()) throw new K8sError('K8S_KUBECONFIG', `kubeconfig ${path} has no current cluster`);
    return new InformerSource(config, options);
  }

  get synced(): Promise<void> { return this.syncedSignal.promise; }
  get done(): Promise<void> { return this.doneSignal.promise; }
  hasSynced(): boolean { return this.syncedSignal.fired; }

  /** Writes pod annotations through the API with this source's kubeconfig. */
  podAnnotationWriter(): PodAnnotationWriter {
    return new ApiPodAnnotationWriter(this.config);
  }

  /** The resourceVersion each kind would resume from (its last list, event or bookmark). */
  resourceVersions(): Record<string, string> {
    return Object.fromEntries(this.states.map((s) => [s.kind, s.informer.latestResourceVersion()]));
  }

  async start(sink: ObjectSink): Promise<void> {
    if (this.sink) throw new K8sError('K8S_SOURCE_STARTED', 'the informer source was started already');
    this.sink = sink;
    const list = listers(this.config);
    const random = this.options.random ?? Math.random;
    this.states = this.kinds.map((kind) => this.createKind(kind, list[kind], sink, random));
    void Promise.all(this.states.map((s) => s.synced.promise)).then(() => {
      this.logger.info('every kind listed', { kinds: this.kinds.join(',') });
      this.syncedSignal.fire();
    });
    for (const state of this.states) this.startKind(state);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const state of this.states) {
      if (state.restartTimer) this.clock.clearTimeout(state.restartTimer);
      await state.informer.stop();
    }
    this.doneSignal.fire();
  }

  private createKind(kind: KindName, lister: Lister, sink: ObjectSink, random: () => number): KindState {
    const info = KIND_INFO[kind];
    const timeout = this.options.watchTimeoutSeconds ?? Math.floor(300 * (1 + random()));
    const path = `${info.path}?allowWatchBookmarks=true&timeoutSeconds=${timeout}`;
    const origin = `informer ${kind}`;
    const log = this.logger;
    const metrics = this.metrics;
    const listFn = (): Promise<KubernetesListObject<KubernetesObject>> => {
      metrics.lists.inc({ kind });
      log.debug('list', { kind });
      return lister();
    };
    // eslint-disable-next-line prefer-const -- the watch's hooks refer to the state built from it
    let state: KindState;
    const watch = new ObservedWatch(this.config, kind, {
      stopped: () => this.stopped,
      started: (resourceVersion) => {
        state.watchesStarted++;
        metrics.watches.inc({ kind });
        log.debug('watch', { kind, resourceVersion });
        if (!state.synced.fired) {
          state.synced.fire();
          log.info('listed', { kind, resourceVersion });
        }
      },
      received: () => state.backoff.reset(),
    });
    const informer = new ListWatch<KubernetesObject>(path, watch, listFn, false);
    state = { kind, informer, synced: createSignal(), backoff: new Backoff({ initialMs: 1000, maxMs: 30_000, ...this.options.restartBackoff }, random), watchesStarted: 0 };
    informer.on('add', (object) => { if (!this.stopped) sink.upsert({ kind, object, origin }); });
    informer.on('update', (object) => { if (!this.stopped) sink.upsert({ kind, object, origin }); });
    informer.on('delete', (object) => { if (!this.stopped) sink.delete({ kind, object, origin }); });
    informer.on('error', (err: unknown) => this.restartLater(state, err));
    return state;
  }

  private startKind(state: KindState): void {
    state.restartTimer = undefined;
    if (this.stopped) return;
    state.informer.start().catch((err: unknown) => this.restartLater(state, err));
  }

  private restartLater(state: KindState, err: unknown): void {
    // Aborting the request on stop() reaches the error callbacks too.
    if (this.stopped || state.restartTimer) return;
    this.metrics.watchErrors.inc({ kind: state.kind });
    const delayMs = state.backoff.next();
    const status = (err as { statusCode?: number; code?: number } | undefined);
    this.logger.warn(`list/watch of ${state.kind} failed; again in ${delayMs} ms`, {
      error: err instanceof Error ? err.message : String(err), status: status?.statusCode ?? status?.code,
      resourceVersion: state.informer.latestResourceVersion(),
    });
    state.restartTimer = this.clock.setTimeout(() => this.startKind(state), delayMs);
  }
}
