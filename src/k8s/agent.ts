// An agent is "a source of Kubernetes objects + this library": the Agent wires sources into an ObjectCache, the
// controllers (Node, Pod, ...) onto it through ControllerRunners, and the controllers onto one ClusterNetwork over
// the Northbound replica, with one logger and one metrics registry.
//
//   const agent = await Agent.start({ nb: 'unix:/run/ovn/ovnnb_db.sock', sources: [WatchStreamSource.fromPaths(['-'])] });
//   agent.on('podNetwork', (r) => console.log(r.key, r.annotation));
//   await agent.converged();                 // the initial state is in OVN
//   await agent.stop();                      // finishes what is in flight
//
// Level-driven all the way: a controller reads the cache and the replica and sends the difference; an agent
// restarted on an unchanged cluster sends no write transaction (`stats().nb.writeTransactions`). The full resync at
// start and every `resyncIntervalMs` deletes the rows this agent's controller owns whose object is gone.
import { EventEmitter } from 'node:events';
import { ObjectCache } from './cache.js';
import { systemClock, type Clock } from './clock.js';
import { ControllerRunner, type Controller } from './controller.js';
import type { InputProblem } from './events.js';
import type { KindName } from './kinds.js';
import { silentLogger, type Logger } from './logger.js';
import { AgentMetrics } from './metrics.js';
import type { PodAnnotationWriter } from './pod-annotations.js';
import { startSources, type ObjectSource } from './source.js';
import type { QueueStats, RetryPolicy } from './work-queue.js';
import { NodeController } from './controllers/node-controller.js';
import { ObjectProblems } from './controllers/object-problems.js';
import { PodController, type PodNetworkReport } from './controllers/pod-controller.js';
import { NetworkPolicyController } from './controllers/network-policy-controller.js';
import { ServiceController } from './controllers/service-controller.js';
import { ClusterNetwork } from '../ovn/cluster-network.js';
import { openNorthbound, type Northbound, type NorthboundOptions } from '../ovn/northbound.js';
import { OvsdbDatabase } from '../ovsdb/database.js';

/** The agent's controllers, in the order they are started. */
export const AGENT_CONTROLLERS = ['nodes', 'pods', 'services', 'networkPolicies'] as const;
export type AgentControllerName = (typeof AGENT_CONTROLLERS)[number];

/** Reconciles in flight per controller by default (nodes, pods, Services: many, so that their rows share transactions). */
export const DEFAULT_AGENT_WORKERS: Readonly<Record<AgentControllerName, number>> = { nodes: 64, pods: 64, services: 64, networkPolicies: 8 };

export interface AgentOptions {
  /** The Northbound database: remotes (`unix:/run/ovn/ovnnb_db.sock`, `ssl:a:6641,ssl:b:6641`), replica options, or a
   * replica you opened (then left open by stop()). */
  readonly nb: string | readonly string[] | NorthboundOptions | Northbound;
  /** Where objects come from (manifests first, as a starting state). */
  readonly sources: readonly ObjectSource[];
  /** The `k8s.ovn.org/owner-controller` of every row this agent writes, and the only rows it changes (default `ovn-overlay`). */
  readonly controller?: string;
  /** The cluster's pod networks: each gateway router routes them to the cluster router (default: the node's subnet). */
  readonly clusterSubnets?: readonly string[];
  /** The join subnet (default 100.64.0.0/16). */
  readonly joinSubnet?: string;
  /** The IPv6 join subnet (default fd98::/64), used once a node has an IPv6 subnet. */
  readonly joinSubnetV6?: string;
  /** Writes pods' `k8s.ovn.org/pod-networks` annotations; default the first source that can (the informer source);
   * `false`: only report them (`podNetwork` events). */
  readonly podAnnotations?: PodAnnotationWriter | false;
  readonly logger?: Logger;
  readonly metrics?: AgentMetrics;
  readonly clock?: Clock;
  /** Period of the full resync and garbage collection (default 10 minutes; 0: only at start). */
  readonly resyncIntervalMs?: number;
  /** Reconciles in flight per controller (DEFAULT_AGENT_WORKERS). */
  readonly workers?: Partial<Record<AgentControllerName, number>>;
  /** The work queues' retry policy (default ovn-kubernetes': 15 attempts, 1 s doubling to 60 s + jitter). */
  readonly retry?: Partial<RetryPolicy>;
}

/** What the agent reports. */
export interface AgentEvents {
  /** A pod's network appeared, changed or went (`network`/`annotation` undefined). */
  podNetwork: [PodNetworkReport];
  /** An object (or stream item) was skipped, naming it and the reason. */
  problem: [InputProblem];
}

/** Figures of a running agent. */
export interface AgentStats {
  /** Objects in the cache per kind. */
  readonly objects: Readonly<Record<KindName, number>>;
  /** Objects and stream items skipped since start. */
  readonly problems: number;
  /** Per controller: its work queue's figures. */
  readonly queues: Readonly<Record<string, QueueStats>>;
  /** Transactions this agent sent to the Northbound (every one, and those that write). */
  readonly nb: { readonly transactions: number; readonly writeTransactions: number };
}

/** Sources + cache + controllers + ClusterNetwork (see the file comment). */
export class Agent extends EventEmitter<AgentEvents> {
  /** Starts an agent (start()) and resolves with it. */
  static async start(options: AgentOptions): Promise<Agent> {
    const agent = new Agent(options);
    await agent.start();
    return agent;
  }

  readonly cache: ObjectCache;
  readonly metrics: AgentMetrics;
  readonly logger: Logger;
  /** Every source's initial state is in the cache (rejects if a source failed to start). */
  readonly synced: Promise<void>;
  private resolveSynced!: () => void;
  private rejectSynced!: (err: unknown) => void;
  private nbReplica: Northbound | undefined;
  private ownsNb = false;
  private network: ClusterNetwork | undefined;
  private readonly runners = new Map<AgentControllerName, ControllerRunner>();
  private podController: PodController | undefined;
  private state: 'new' | 'starting' | 'running' | 'stopped' = 'new';

  constructor(private readonly options: AgentOptions) {
    super();
    this.logger = options.logger ?? silentLogger;
    this.metrics = options.metrics ?? new AgentMetrics();
    this.cache = new ObjectCache({ logger: this.logger.child('cache'), metrics: this.metrics });
    this.cache.onProblem((problem) => { this.emit('problem', problem); });
    this.synced = new Promise((resolve, reject) => { this.resolveSynced = resolve; this.rejectSynced = reject; });
    this.synced.catch(() => undefined);
  }

  /** The Northbound replica (after start()). */
  get nb(): Northbound {
    if (!this.nbReplica) throw new Error('the agent has not started');
    return this.nbReplica;
  }

  /** The cluster network the controllers write (after start()). */
  get net(): ClusterNetwork {
    if (!this.network) throw new Error('the agent has not started');
    return this.network;
  }

  /**
   * Opens the Northbound replica, starts the controllers (they reconcile nothing before the cache has synced), then
   * the sources. Resolves once the sources have started, not once they have synced (`synced`, `converged()`).
   */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`the agent was started already (${this.state})`);
    this.state = 'starting';
    const options = this.options;
    const target = options.nb;
    this.ownsNb = !(target instanceof OvsdbDatabase);
    this.nbReplica = await openNorthbound(target);
    const nb = this.nbReplica;
    this.metrics.trackTransactions(() => nb.stats);
    const controller = options.controller;
    this.network = new ClusterNetwork(nb, {
      ...(controller !== undefined ? { controller } : {}),
      ...(options.joinSubnet !== undefined ? { joinSubnet: options.joinSubnet } : {}),
      ...(options.joinSubnetV6 !== undefined ? { joinSubnetV6: options.joinSubnetV6 } : {}),
      nodes: { coalesce: true },
      pods: { coalesce: true },
      services: { coalesce: true },
    });
    const net = this.network;
    const log = this.logger;
    const problems = new ObjectProblems(this.cache, 'agent');
    const annotations = options.podAnnotations === false ? undefined
      : options.podAnnotations ?? options.sources.find((s) => s.podAnnotationWriter)?.podAnnotationWriter?.();
    const networkPolicies = new NetworkPolicyController({ net, cache: this.cache, problems, logger: log.child('networkPolicies') });
    const pods = new PodController({
      net, cache: this.cache, problems, logger: log.child('pods'), ...(annotations ? { annotations } : {}),
      onNetwork: (report) => {
        networkPolicies.podNetworkChanged(report.key);
        this.emit('podNetwork', report);
      },
    });
    this.podController = pods;
    const services = new ServiceController({ net, cache: this.cache, problems, logger: log.child('services') });
    const nodes = new NodeController({
      net, cache: this.cache, problems, logger: log.child('nodes'),
      ...(options.clusterSubnets !== undefined ? { clusterSubnets: options.clusterSubnets } : {}),
      onNodeReady: (node) => { pods.nodeReady(node); services.nodesChanged(); },
      onNodeRemoved: (node) => { pods.nodeRemoved(node); services.nodesChanged(); },
    });
    const controllers: Record<AgentControllerName, Controller> = { nodes, pods, services, networkPolicies };
    for (const name of AGENT_CONTROLLERS) {
      this.runners.set(name, new ControllerRunner(this.cache, controllers[name], {
        logger: log, metrics: this.metrics, clock: options.clock ?? systemClock,
        workers: options.workers?.[name] ?? DEFAULT_AGENT_WORKERS[name],
        resyncIntervalMs: options.resyncIntervalMs ?? 600_000,
        ...(options.retry ? { retry: options.retry } : {}),
      }));
    }
    for (const runner of this.runners.values()) runner.start();
    this.state = 'running';
    startSources(this.cache, options.sources).then(this.resolveSynced, (err: unknown) => {
      log.error('a source failed to start', { error: err instanceof Error ? err.message : String(err) });
      this.rejectSynced(err);
    });
    log.info('agent started', { controller: net.controller, sources: options.sources.map((s) => s.name).join(','), nb: nb.remotes.join(',') });
  }

  /**
   * Resolves once the cluster as the sources told it is in OVN: the cache has synced, every controller's first full
   * resync (garbage collection included) has run, and no key is queued or being reconciled in any controller. Keys
   * waiting out a retry backoff are not waited for (`stats().queues[...].retryPending`).
   */
  async converged(): Promise<void> {
    await this.synced;
    await Promise.all([...this.runners.values()].map((r) => r.whenResynced()));
    for (;;) {
      await Promise.all([...this.runners.values()].map((r) => r.queue.idle()));
      // A reconcile may have queued keys of another controller (a node switch now there: its pods).
      if ([...this.runners.values()].every((r) => { const s = r.queue.stats(); return s.depth === 0 && s.inFlight === 0; })) return;
    }
  }

  /** The network the agent reported for a pod (`namespace/name`), or undefined. */
  podNetwork(key: string): PodNetworkReport | undefined {
    return this.podController?.network(key);
  }

  /** Every pod network the agent has reported and that is still there. */
  podNetworks(): PodNetworkReport[] {
    return this.podController?.networks() ?? [];
  }

  /** The runner of one controller (its queue, its resyncs). */
  runner(name: AgentControllerName): ControllerRunner | undefined {
    return this.runners.get(name);
  }

  stats(): AgentStats {
    const counts = this.cache.counts();
    const queues: Record<string, QueueStats> = {};
    for (const [name, runner] of this.runners) queues[name] = runner.queue.stats();
    const nb = this.nbReplica?.stats;
    return {
      objects: counts.objects, problems: counts.problems, queues,
      nb: { transactions: nb?.transactions ?? 0, writeTransactions: nb?.writeTransactions ?? 0 },
    };
  }

  /**
   * Stops the sources, then the controllers (the reconciles in flight finish: a transaction sent is awaited), then
   * closes the Northbound replica if the agent opened it. Resolves with what was left queued per controller.
   */
  async stop(): Promise<Record<string, { queued: string[]; retrying: string[] }>> {
    if (this.state === 'stopped') return {};
    this.state = 'stopped';
    await Promise.all(this.options.sources.map((s) => s.stop().catch((err: unknown) => {
      this.logger.warn(`stopping source ${s.name} failed`, { error: err instanceof Error ? err.message : String(err) });
    })));
    const left: Record<string, { queued: string[]; retrying: string[] }> = {};
    await Promise.all([...this.runners].map(async ([name, runner]) => { left[name] = await runner.stop(); }));
    if (this.ownsNb) await this.nbReplica?.close();
    this.logger.info('agent stopped', { left: Object.values(left).reduce((n, l) => n + l.queued.length + l.retrying.length, 0) });
    return left;
  }
}
