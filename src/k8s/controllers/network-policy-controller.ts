// The NetworkPolicy controller: each networking.k8s.io/v1 NetworkPolicy, resolved against the cache
// (network-policy-spec.ts), becomes its port group, ACLs and peer address sets, and its namespace's default deny
// (OvnNetworkPolicies, src/ovn/network-policy.ts). Several policies selecting one pod are a union: each allows what
// it allows, the namespace's default deny drops the rest.
//
// An event queues only the policies it concerns (policy-index.ts): a pod relabeled moves in and out of exactly the
// policies whose selectors change their verdict; a namespace relabeled concerns the policies with a namespaceSelector
// whose verdict on it changes; a pod's address (its port appearing or going, from the Pod controller) concerns the
// policies that select it or name it. The port group's ports and the address sets' addresses are then changed by
// mutations of the elements that differ.
//
// The policies of one namespace are reconciled one at a time: they share the namespace's default-deny port groups,
// which each ensure recomputes from the replica.
import type { V1Namespace, V1Pod } from '@kubernetes/client-node';
import type { ObjectCache } from '../cache.js';
import type { Controller, KeyQueue } from '../controller.js';
import type { ObjectEvent } from '../events.js';
import { splitKey } from '../kinds.js';
import type { Logger } from '../logger.js';
import type { ClusterNetwork } from '../../ovn/cluster-network.js';
import type { NamespacedKey } from '../../ovn/kind.js';
import type { ObjectProblems } from './object-problems.js';
import { compilePolicy, namespaceLabels, networkPolicySpecFromKubernetes, NAMESPACE_NAME_LABEL, type PodAddresses } from './network-policy-spec.js';
import { PolicyIndex, podFacts } from './policy-index.js';

export interface NetworkPolicyControllerOptions {
  readonly net: ClusterNetwork;
  readonly cache: ObjectCache;
  readonly problems: ObjectProblems;
  readonly logger: Logger;
}

/** A namespace's labels as policies read them (with its name label), from a Namespace object. */
function labelsOf(namespace: V1Namespace): Record<string, string> {
  return { ...namespace.metadata?.labels, [NAMESPACE_NAME_LABEL]: namespace.metadata?.name ?? '' };
}

/** NetworkPolicies -> port groups, ACLs, address sets, default deny (see the file comment). */
export class NetworkPolicyController implements Controller {
  readonly name = 'networkPolicies';
  readonly watches: Controller['watches'];
  private queue: KeyQueue | undefined;
  private readonly index = new PolicyIndex();
  /** The reconcile running per namespace: the next waits for it. */
  private readonly namespaceTurns = new Map<string, Promise<unknown>>();
  private readonly addresses: PodAddresses;

  constructor(private readonly options: NetworkPolicyControllerOptions) {
    const { cache, net } = options;
    const nsLabels = (namespace: string) => namespaceLabels(cache, namespace);
    this.addresses = (pod: NamespacedKey) => (net.pods.get(pod)?.ipAddresses ?? []).map((a) => a.slice(0, a.indexOf('/')));
    this.watches = {
      NetworkPolicy: (event: ObjectEvent<'NetworkPolicy'>) => {
        if (event.type === 'deleted') this.index.delete(event.key);
        else this.index.set(compilePolicy(event.key, event.object));
        return [event.key];
      },
      Pod: (event: ObjectEvent<'Pod'>) => {
        // A new pod has no address yet: its port's arrival (podNetworkChanged) is what concerns its policies.
        if (event.type === 'added') return [];
        const before = podFacts(event.type === 'updated' ? event.previous! : event.object);
        const after = event.type === 'deleted' ? undefined : podFacts(event.object);
        return this.index.podChanged(before, after, nsLabels);
      },
      Namespace: (event: ObjectEvent<'Namespace'>) => {
        // Without pods, a namespace's labels select nothing yet.
        if (cache.store('Pod').listNamespace(event.key).length === 0) return [];
        const before = event.type === 'added' ? undefined : labelsOf(event.type === 'updated' ? event.previous! : event.object);
        const after = event.type === 'deleted' ? undefined : labelsOf(event.object);
        return this.index.namespaceChanged(before, after);
      },
    };
  }

  bind(queue: KeyQueue): void {
    this.queue = queue;
  }

  /** A pod's port (its address) appeared, changed or went: the policies that select it or name it. */
  podNetworkChanged(podKey: string): void {
    const pod: V1Pod | undefined = this.options.cache.get('Pod', podKey);
    if (!pod) return; // gone: its deletion event queued its policies
    for (const key of this.index.concerning(podFacts(pod), (ns) => namespaceLabels(this.options.cache, ns))) this.queue?.add(key);
  }

  async reconcile(key: string): Promise<void> {
    const { namespace = '', name } = splitKey(key);
    const previous = this.namespaceTurns.get(namespace) ?? Promise.resolve();
    const turn = previous.then(() => this.apply(key, namespace, name), () => this.apply(key, namespace, name));
    this.namespaceTurns.set(namespace, turn);
    try {
      await turn;
    } finally {
      if (this.namespaceTurns.get(namespace) === turn) this.namespaceTurns.delete(namespace);
    }
  }

  private async apply(key: string, namespace: string, name: string): Promise<void> {
    const { net, cache, problems, logger } = this.options;
    const policy = cache.get('NetworkPolicy', key);
    if (!policy) {
      if (await problems.guard('NetworkPolicy', key, () => net.networkPolicies.delete({ namespace, name }))) logger.info('policy removed', { policy: key });
      return;
    }
    const spec = networkPolicySpecFromKubernetes(policy, cache, this.addresses);
    const ensured = await problems.guard('NetworkPolicy', key, () => net.networkPolicies.ensure(spec));
    if (ensured?.changed) {
      logger.debug('policy ensured', { policy: key, pods: ensured.pods.length, waiting: ensured.podsWithoutPort.length });
    }
  }

  resyncKeys(cache: ObjectCache): Iterable<string> {
    // The index is rebuilt from the cache at each full resync, so it never drifts from it.
    this.index.clear();
    for (const key of cache.store('NetworkPolicy').keys()) this.index.set(compilePolicy(key, cache.get('NetworkPolicy', key)!));
    return cache.store('NetworkPolicy').keys();
  }

  /** Garbage collection: the rows of every policy this controller owns that the cache no longer has. */
  async resync(): Promise<void> {
    const { net, cache, logger } = this.options;
    const existing = cache.store('NetworkPolicy').keys().map((k) => splitKey(k) as NamespacedKey);
    const removed = await net.networkPolicies.sync(existing);
    for (const { namespace, name } of removed) {
      const key = `${namespace}/${name}`;
      logger.info('stale policy removed', { policy: key });
      if (cache.store('NetworkPolicy').has(key)) this.queue?.add(key);
    }
  }
}
