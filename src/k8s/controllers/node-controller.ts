// The Node controller: each core/v1 Node becomes its node switch, rtos-/stor- ports, management port and, with a
// chassis, its gateway router on the join switch (OvnNodes, src/ovn/nodes.ts). What OVN needs and where it is read:
//   subnets      the `k8s.ovn.org/node-subnets` annotation ovn-kubernetes' cluster manager writes
//                (`{"default":["10.244.1.0/24"]}`, or the older `{"default":"10.244.1.0/24"}`), else spec.podCIDRs
//                (spec.podCIDR), as kube-controller-manager's --allocate-node-cidrs fills them;
//   chassis      the `k8s.ovn.org/node-chassis-id` annotation (the node's system-id): GR_<node> is bound there;
//   nodeIp       the first IPv4 InternalIP of status.addresses: SNAT of the node subnet on GR_<node>;
//   managementMac the `k8s.ovn.org/node-mgmt-port-mac-address` annotation, when there is one.
// A node without a subnet is a problem (one log line, one count, skipped) until an update gives it one. Deleted
// nodes lose every row they owned; the full resync deletes the rows of nodes the cache no longer has.
import type { V1Node } from '@kubernetes/client-node';
import type { ObjectCache } from '../cache.js';
import type { Controller, KeyQueue } from '../controller.js';
import type { ObjectEvent } from '../events.js';
import type { Logger } from '../logger.js';
import { tryParseAddress } from '../../ovn/ip.js';
import { DEFAULT_NETWORK, NODE_CHASSIS_ID_ANNOTATION, NODE_MGMT_PORT_MAC_ANNOTATION, NODE_SUBNETS_ANNOTATION } from '../../ovn/names.js';
import type { ClusterNetwork } from '../../ovn/cluster-network.js';
import type { NodeSpec } from '../../ovn/nodes.js';
import { ObjectProblems, type ObjectProblem } from './object-problems.js';

/** What the Kubernetes Node does not say about the cluster. */
export interface NodeMappingOptions {
  /** The cluster's pod networks (IPv4): each gateway router routes them to the cluster router. Default: the node subnet. */
  readonly clusterSubnets?: readonly string[];
}

function annotation(node: V1Node, key: string): string | undefined {
  const value = node.metadata?.annotations?.[key];
  return value === undefined || value === '' ? undefined : value;
}

/** The node's pod subnets from the annotation or spec.podCIDRs, or the problem. */
function nodeSubnets(node: V1Node): readonly string[] | ObjectProblem {
  const text = annotation(node, NODE_SUBNETS_ANNOTATION);
  if (text !== undefined) {
    const field = `metadata.annotations["${NODE_SUBNETS_ANNOTATION}"]`;
    let parsed: unknown;
    try { parsed = JSON.parse(text); } catch { return { reason: 'invalid-field', message: `${field} is not JSON: ${text.slice(0, 80)}` }; }
    const value = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>)[DEFAULT_NETWORK] : undefined;
    const list = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(list) || list.length === 0 || list.some((s) => typeof s !== 'string')) {
      return { reason: 'invalid-field', message: `${field} has no "${DEFAULT_NETWORK}" subnet (a CIDR or a list of CIDRs): ${text.slice(0, 80)}` };
    }
    return list as string[];
  }
  const cidrs = node.spec?.podCIDRs?.length ? node.spec.podCIDRs : node.spec?.podCIDR ? [node.spec.podCIDR] : [];
  if (cidrs.length > 0) return cidrs;
  return { reason: 'missing-field', message: `the node has no pod subnet: neither the ${NODE_SUBNETS_ANNOTATION} annotation nor spec.podCIDRs` };
}

function isProblem<T>(value: T | ObjectProblem): value is ObjectProblem {
  return typeof value === 'object' && value !== null && 'reason' in value && 'message' in value;
}

/** The NodeSpec of a Kubernetes Node (see the file comment), or the problem that keeps it out of OVN. */
export function nodeSpecFromKubernetes(node: V1Node, options: NodeMappingOptions = {}): NodeSpec | ObjectProblem {
  const name = node.metadata?.name ?? '';
  const subnets = nodeSubnets(node);
  if (isProblem(subnets)) return subnets;
  const chassis = annotation(node, NODE_CHASSIS_ID_ANNOTATION);
  const managementMac = annotation(node, NODE_MGMT_PORT_MAC_ANNOTATION);
  const nodeIp = (node.status?.addresses ?? []).filter((a) => a.type === 'InternalIP').map((a) => tryParseAddress(a.address)).find((a) => a?.family === 4)?.text;
  return {
    name, subnets,
    ...(chassis !== undefined ? { chassis } : {}),
    ...(chassis !== undefined && nodeIp !== undefined ? { nodeIp } : {}),
    ...(managementMac !== undefined ? { managementMac } : {}),
    ...(options.clusterSubnets !== undefined ? { clusterSubnets: options.clusterSubnets } : {}),
  };
}

/** What of a Node the controller reads (an update changing nothing of it queues nothing). */
function nodeInputs(node: V1Node): string {
  const a = node.metadata?.annotations ?? {};
  return JSON.stringify([
    a[NODE_SUBNETS_ANNOTATION], a[NODE_CHASSIS_ID_ANNOTATION], a[NODE_MGMT_PORT_MAC_ANNOTATION], node.spec?.podCIDRs, node.spec?.podCIDR,
    (node.status?.addresses ?? []).filter((x) => x.type === 'InternalIP').map((x) => x.address),
  ]);
}

export interface NodeControllerOptions extends NodeMappingOptions {
  readonly net: ClusterNetwork;
  readonly cache: ObjectCache;
  readonly problems: ObjectProblems;
  readonly logger: Logger;
  /** The node's switch exists now (pods waiting for it can get their ports). */
  readonly onNodeReady?: (node: string) => void;
  /** The node and every row it owned (its pods' ports included) are gone. */
  readonly onNodeRemoved?: (node: string) => void;
}

/** Nodes -> node switches, management ports, gateway routers (see the file comment). */
export class NodeController implements Controller {
  readonly name = 'nodes';
  readonly watches: Controller['watches'];
  private queue: KeyQueue | undefined;

  constructor(private readonly options: NodeControllerOptions) {
    this.watches = {
      Node: (event: ObjectEvent<'Node'>) => (event.type === 'updated' && event.previous && nodeInputs(event.previous) === nodeInputs(event.object) ? [] : [event.key]),
    };
  }

  async reconcile(key: string): Promise<void> {
    const { net, cache, problems } = this.options;
    const node = cache.get('Node', key);
    if (!node) {
      const removed = await problems.guard('Node', key, () => net.nodes.delete({ name: key }));
      if (removed) {
        this.options.logger.info('node removed', { node: key });
        this.options.onNodeRemoved?.(key);
      }
      return;
    }
    const spec = nodeSpecFromKubernetes(node, this.options);
    if (isProblem(spec)) {
      problems.report('Node', key, spec);
      return;
    }
    const ensured = await problems.guard('Node', key, () => net.nodes.ensure(spec));
    if (!ensured) return;
    if (ensured.changed) this.options.logger.info('node ensured', { node: key, subnets: ensured.subnets.join(','), chassis: ensured.chassis });
    this.options.onNodeReady?.(key);
  }

  bind(queue: KeyQueue): void {
    this.queue = queue;
  }

  resyncKeys(cache: ObjectCache): Iterable<string> {
    return cache.store('Node').keys();
  }

  /** Garbage collection: the rows of every node this controller owns that the cache no longer has. */
  async resync(): Promise<void> {
    const { net, cache } = this.options;
    const removed = await net.nodes.sync(cache.store('Node').keys().map((name) => ({ name })));
    for (const { name } of removed) {
      this.options.logger.info('stale node removed', { node: name });
      this.options.onNodeRemoved?.(name);
      // Added while the collection ran (it works on the keys it was given): make it again.
      if (cache.store('Node').has(name)) this.queue?.add(name);
    }
  }
}
