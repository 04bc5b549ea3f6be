// The Pod controller: every pod that needs a network (scheduled on a node, not hostNetwork, not finished) gets its
// logical switch port `<namespace>_<pod>` on its node's switch with an address from the node's subnet (OvnPods'
// IPAM, src/ovn/pods.ts; the port keeps its addresses for as long as it exists, restarts included), bound to the pod
// UID (`options:iface-id-ver`). Its addresses are the `k8s.ovn.org/pod-networks` annotation value ovn-kubernetes
// writes: written back on the pod when the agent has a writer (a source that talks to the API), and always
// reported (Agent's `podNetwork` event). A pod whose node has no switch yet waits for it without retries: the Node
// controller says when the switch exists. Ports of pods that are gone, finished or host-network go; the full resync
// deletes the ports of pods the cache no longer has.
//
// Pods are reconciled by many workers at once so that OvnPods' group commit (`coalesce`) puts the ports of one
// turn of the event loop into one transaction.
import type { V1Pod } from '@kubernetes/client-node';
import type { ObjectCache } from '../cache.js';
import type { Controller, KeyQueue } from '../controller.js';
import type { ObjectEvent } from '../events.js';
import { objectKey, splitKey } from '../kinds.js';
import type { Logger } from '../logger.js';
import { podNetworksAnnotationOf, type PodAnnotationWriter } from '../pod-annotations.js';
import type { ClusterNetwork } from '../../ovn/cluster-network.js';
import { OvnNotFoundError } from '../../ovn/errors.js';
import { nodeSwitchName } from '../../ovn/names.js';
import { formatPodNetworksAnnotation } from '../../ovn/pod-annotation.js';
import type { PodNetwork } from '../../ovn/pods.js';
import type { ObjectProblems } from './object-problems.js';

/** A pod's network as the agent reports it: its port's addresses, or none once the port is gone. */
export interface PodNetworkReport {
  /** `namespace/name`. */
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  /** The network in OVN; undefined when the pod no longer has a port. */
  readonly network?: PodNetwork;
  /** The `k8s.ovn.org/pod-networks` annotation value (JSON text); undefined when the pod no longer has a port. */
  readonly annotation?: string;
}

/** True for a pod that has (or will get) a logical switch port: scheduled, not hostNetwork, not finished. */
export function podWantsPort(pod: V1Pod): boolean {
  if (pod.spec?.hostNetwork === true || !pod.spec?.nodeName) return false;
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed';
}

/** The key of a cached pod. */
export function podKey(pod: V1Pod): string {
  return objectKey('Pod', pod.metadata?.namespace, pod.metadata?.name ?? '');
}

/** What of a Pod this controller reads (an update changing nothing of it queues nothing). */
function podInputs(pod: V1Pod): string {
  return `${podWantsPort(pod)}|${pod.spec?.nodeName ?? ''}|${pod.metadata?.uid ?? ''}|${podNetworksAnnotationOf(pod) ?? ''}`;
}

export interface PodControllerOptions {
  readonly net: ClusterNetwork;
  readonly cache: ObjectCache;
  readonly problems: ObjectProblems;
  readonly logger: Logger;
  /** Writes the annotation back on the pod (a source that can write); without one the value is only reported. */
  readonly annotations?: PodAnnotationWriter;
  /** A pod's network appeared, changed or went (NetworkPolicy address sets follow pod addresses). */
  readonly onNetwork?: (report: PodNetworkReport) => void;
}

interface Reported { readonly node: string; readonly annotation: string; readonly report: PodNetworkReport }

/** Pods -> logical switch ports with addresses (see the file comment). */
export class PodController implements Controller {
  readonly name = 'pods';
  readonly watches: Controller['watches'];
  private queue: KeyQueue | undefined;
  /** What was last reported per pod. */
  private readonly reported = new Map<string, Reported>();
  /** The annotation value last written per pod (until the pod's own update shows it). */
  private readonly written = new Map<string, string>();
  /** Pods waiting for their node's switch, by node. */
  private readonly waiting = new Map<string, Set<string>>();

  constructor(private readonly options: PodControllerOptions) {
    this.watches = {
      Pod: (event: ObjectEvent<'Pod'>) => (event.type === 'updated' && event.previous && podInputs(event.previous) === podInputs(event.object) ? [] : [event.key]),
    };
  }

  bind(queue: KeyQueue): void {
    this.queue = queue;
  }

  /** The pod's network as last reported, or undefined. */
  network(key: string): PodNetworkReport | undefined {
    return this.reported.get(key)?.report;
  }

  /** Every pod network reported and still there. */
  networks(): PodNetworkReport[] {
    return [...this.reported.values()].map((r) => r.report);
  }

  async reconcile(key: string): Promise<void> {
    const { net, cache, problems } = this.options;
    const pod = cache.get('Pod', key);
    const { namespace = '', name } = splitKey(key);
    if (!pod || !podWantsPort(pod)) {
      // A pod not scheduled yet has no port to remove: nothing is sent (delete() finds none).
      await problems.guard('Pod', key, () => net.pods.delete({ namespace, name }));
      this.forget(key);
      return;
    }
    const node = pod.spec!.nodeName!;
    // Before the Node controller has made the switch (an agent's start: pods are queued with the nodes): wait for it
    // without building and throwing for each pod.
    if (!net.pods.hasNodeSwitch(node)) {
      this.waitForNode(node, key);
      return;
    }
    let network: PodNetwork | undefined;
    try {
      network = await problems.guard('Pod', key, () => net.pods.ensure({ namespace, name, node, ...(pod.metadata?.uid ? { uid: pod.metadata.uid } : {}) }));
    } catch (err) {
      if (err instanceof OvnNotFoundError && err.table === 'Logical_Switch' && err.rowName === nodeSwitchName(node)) {
        this.waitForNode(node, key);
        return;
      }
      throw err;
    }
    if (!network) return;
    const annotation = formatPodNetworksAnnotation(network.annotation);
    this.report(key, { key, namespace, name, network, annotation }, node, annotation);
    const writer = this.options.annotations;
    if (writer && podNetworksAnnotationOf(pod) !== annotation && this.written.get(key) !== annotation) {
      await writer.write(pod, annotation);
      this.written.set(key, annotation);
    }
  }

  /** The node's switch exists: its waiting pods are reconciled again. */
  nodeReady(node: string): void {
    const keys = this.waiting.get(node);
    if (!keys) return;
    this.waiting.delete(node);
    this.options.logger.debug('node ready: pods queued', { node, pods: keys.size });
    for (const key of keys) this.queue?.add(key);
  }

  /** The node's switch went with every port on it: its pods' networks are gone (their pods wait for the node again). */
  nodeRemoved(node: string): void {
    for (const [key, reported] of [...this.reported]) {
      if (reported.node === node) {
        this.forget(key);
        this.queue?.add(key);
      }
    }
  }

  resyncKeys(cache: ObjectCache): Iterable<string> {
    return cache.store('Pod').keys();
  }

  /** Garbage collection: the ports (and their addresses in address sets) of pods that are gone or need none. */
  async resync(): Promise<void> {
    const { net, cache } = this.options;
    const keep = cache.store('Pod').list().filter(podWantsPort).map((pod) => ({ namespace: pod.metadata!.namespace!, name: pod.metadata!.name! }));
    const removed = await net.pods.sync(keep);
    for (const { namespace, name } of removed) {
      const key = objectKey('Pod', namespace, name);
      this.options.logger.info('stale pod port removed', { pod: key });
      this.forget(key);
      // Added while the collection ran (it works on the keys it was given): make it again.
      const pod = cache.get('Pod', key);
      if (pod && podWantsPort(pod)) this.queue?.add(key);
    }
  }

  private waitForNode(node: string, key: string): void {
    let keys = this.waiting.get(node);
    if (!keys) this.waiting.set(node, (keys = new Set()));
    keys.add(key);
    this.options.logger.debug('pod waits for its node switch', { pod: key, node });
    // The switch may have come between the failed attempt and now.
    if (this.options.net.nodes.get({ name: node })) this.nodeReady(node);
  }

  private report(key: string, report: PodNetworkReport, node: string, annotation: string): void {
    const before = this.reported.get(key);
    if (before?.annotation === annotation && before.node === node) return;
    this.reported.set(key, { node, annotation, report });
    if (report.network) this.options.logger.debug('pod network', { pod: key, addresses: report.network.ipAddresses.join(','), node });
    this.options.onNetwork?.(report);
  }

  private forget(key: string): void {
    this.written.delete(key);
    for (const keys of this.waiting.values()) keys.delete(key);
    const before = this.reported.get(key);
    if (!before) return;
    this.reported.delete(key);
    const { namespace = '', name } = splitKey(key);
    this.options.onNetwork?.({ key, namespace, name });
  }
}
