// The Service controller: each core/v1 Service with its discovery.k8s.io/v1 EndpointSlices (those labelled
// `kubernetes.io/service-name` with it) becomes its load balancers as ovn-kubernetes lays them out: cluster-wide ones
// per protocol in the cluster load balancer group, per-node ones for NodePorts and the traffic policies Local
// (OvnServices, src/ovn/services.ts; the mapping in service-spec.ts). An EndpointSlice's change queues its Service
// (the one it named before and after the change); endpoint changes update the load balancers' `vips` in place. A
// node whose switch is made or removed, or whose host addresses change, queues the Services built per node. Services that need none (headless, ExternalName) or are gone lose theirs; the full resync deletes the load
// balancers of Services the cache no longer has.
//
// Services are reconciled by many workers at once so that OvnServices' group commit (`coalesce`) puts the load
// balancers of one turn of the event loop into one transaction; a Service whose build or transaction fails is made
// again alone and its own error goes to the work queue's retries. Its slices come from the store's index of
// `kubernetes.io/service-name` (a scan per Service made the whole reconcile quadratic in the number of Services).
import type { V1Node } from '@kubernetes/client-node';
import type { ObjectCache } from '../cache.js';
import type { Controller, KeyQueue } from '../controller.js';
import type { ObjectEvent } from '../events.js';
import { splitKey } from '../kinds.js';
import type { Logger } from '../logger.js';
import type { ClusterNetwork } from '../../ovn/cluster-network.js';
import { OvnNotFoundError } from '../../ovn/errors.js';
import { CLUSTER_LB_GROUP } from '../../ovn/names.js';
import type { NamespacedKey } from '../../ovn/kind.js';
import type { ObjectProblems } from './object-problems.js';
import { serviceIsBalanced, serviceKeyOfSlice, serviceNodes, serviceSpecOf, serviceUsesNodes, SERVICE_NAME_LABEL } from './service-spec.js';
import { serviceNodeFromKubernetes } from '../../ovn/kubernetes-service.js';

export interface ServiceControllerOptions {
  readonly net: ClusterNetwork;
  readonly cache: ObjectCache;
  readonly problems: ObjectProblems;
  readonly logger: Logger;
}

/** Services + EndpointSlices -> load balancers (see the file comment). */
export class ServiceController implements Controller {
  readonly name = 'services';
  readonly watches: Controller['watches'];
  private queue: KeyQueue | undefined;
  /** The keys of the Services built per node, until a Service changes (every node made or removed reads them). */
  private usingNodes: string[] | undefined;

  constructor(private readonly options: ServiceControllerOptions) {
    this.watches = {
      Service: (event: ObjectEvent<'Service'>) => {
        this.usingNodes = undefined;
        return [event.key];
      },
      EndpointSlice: (event: ObjectEvent<'EndpointSlice'>) => {
        const keys = new Set<string>();
        for (const slice of [event.object, event.previous]) {
          const key = slice && serviceKeyOfSlice(slice);
          if (key) keys.add(key);
        }
        return keys;
      },
      Node: (event: ObjectEvent<'Node'>) => (event.type === 'updated' && event.previous && hostAddresses(event.previous) === hostAddresses(event.object) ? [] : this.keysUsingNodes()),
    };
  }

  /** A node's switch was made or removed: the Services built per node are built again. */
  nodesChanged(): void {
    for (const key of this.keysUsingNodes()) this.queue?.add(key);
  }

  private keysUsingNodes(): string[] {
    this.usingNodes ??= this.options.cache.store('Service').list().filter(serviceUsesNodes).map((s) => `${s.metadata?.namespace ?? ''}/${s.metadata?.name ?? ''}`);
    return this.usingNodes;
  }

  bind(queue: KeyQueue): void {
    this.queue = queue;
  }

  async reconcile(key: string): Promise<void> {
    const { net, cache, problems, logger } = this.options;
    const { namespace = '', name } = splitKey(key);
    const service = cache.get('Service', key);
    if (!service || !serviceIsBalanced(service)) {
      if (await problems.guard('Service', key, () => net.services.delete({ namespace, name }))) logger.info('service load balancers removed', { service: key });
      return;
    }
    const slices = cache.store('EndpointSlice').withLabel(SERVICE_NAME_LABEL, name, namespace);
    // Only Services built per node read the nodes (a ClusterIP Service does not look at them).
    const nodes = serviceUsesNodes(service) ? serviceNodes(cache.store('Node').list(), (node) => net.nodes.get({ name: node }) !== undefined) : [];
    const ensured = await problems.guard('Service', key, async () => {
      const spec = serviceSpecOf(service, slices, nodes);
      try {
        return await net.services.apply(spec);
      } catch (err) {
        // Services may come before the first Node (whose transaction makes the cluster's rows): on an empty
        // Northbound the cluster load balancer group is made first, as ovn-kubernetes' master does at start.
        if (!(err instanceof OvnNotFoundError && err.table === 'Load_Balancer_Group' && err.rowName === CLUSTER_LB_GROUP)) throw err;
        await net.ensureCluster();
        return net.services.apply(spec);
      }
    });
    if (ensured?.changed) logger.debug('service ensured', { service: key });
  }

  resyncKeys(cache: ObjectCache): Iterable<string> {
    return cache.store('Service').keys();
  }

  /** Garbage collection: the load balancers of every Service this controller owns that the cache no longer balances. */
  async resync(): Promise<void> {
    const { net, cache, logger } = this.options;
    const existing = cache.store('Service').list().filter(serviceIsBalanced).map((s) => ({ namespace: s.metadata!.namespace!, name: s.metadata!.name! }) as NamespacedKey);
    for (const { namespace, name } of await net.services.sync(existing)) {
      const key = `${namespace}/${name}`;
      logger.info('stale service load balancers removed', { service: key });
      const service = cache.get('Service', key);
      if (service && serviceIsBalanced(service)) this.queue?.add(key);
    }
  }
}

/** What of a Node its Services read: its host addresses (the NodePort VIPs). */
function hostAddresses(node: V1Node): string {
  try { return serviceNodeFromKubernetes(node).addresses.join(','); } catch { return ''; }
}
