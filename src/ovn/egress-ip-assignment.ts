// Which node hosts each egress IP: what ovn-kubernetes' cluster manager computes into an EgressIP's status.items.
// A node can host an egress IP when it carries the `k8s.ovn.org/egress-assignable` label, is ready, and one of its
// networks (its `k8s.ovn.org/node-primary-ifaddr`) contains the IP. An assignment that is still possible is kept (a
// hosted IP does not move for nothing); the others go to the possible node holding the fewest egress IPs, never two
// IPs of one EgressIP on the same node. When the node hosting an IP goes away (not ready, unlabelled, deleted), its
// IP moves to another possible node: that is the failover. An IP that no node's network contains cannot be hosted
// anywhere: refused, naming the EgressIP and the field.
import { OvnInvalidFieldError } from './errors.js';
import type { EgressIPStatusItem } from './egress-crds.js';
import { parsePrefix, prefixContains, tryParseAddress, type IpAddress, type IpPrefix } from './ip.js';
import { EGRESS_ASSIGNABLE_LABEL, L3_GATEWAY_CONFIG_ANNOTATION, NODE_PRIMARY_IFADDR_ANNOTATION, DEFAULT_NETWORK } from './names.js';

/** A node as egress IP assignment sees it. */
export interface EgressNode {
  readonly name: string;
  /** Labelled `k8s.ovn.org/egress-assignable`. */
  readonly assignable: boolean;
  /** Ready (and reachable): a node that is not cannot host. */
  readonly ready: boolean;
  /** The node's networks as address/prefix (`172.18.0.11/16`): the egress IPs it can host. */
  readonly networks: readonly string[];
}

/** What a Kubernetes Node gives (a V1Node fits). */
export interface EgressNodeObject {
  readonly metadata?: { readonly name?: string; readonly labels?: Readonly<Record<string, string>>; readonly annotations?: Readonly<Record<string, string>> };
  readonly status?: { readonly conditions?: readonly { readonly type: string; readonly status: string }[] };
}

/**
 * The EgressNode of a Kubernetes Node: assignable by its label, ready by its Ready condition, its networks from
 * `k8s.ovn.org/node-primary-ifaddr` (`{"ipv4":"172.18.0.2/16","ipv6":...}`), else its l3-gateway-config addresses.
 */
export function egressNodeOf(node: EgressNodeObject): EgressNode {
  const name = node.metadata?.name ?? '';
  const annotations = node.metadata?.annotations ?? {};
  const networks: string[] = [];
  try {
    const ifaddr = JSON.parse(annotations[NODE_PRIMARY_IFADDR_ANNOTATION] ?? '{}') as { ipv4?: unknown; ipv6?: unknown };
    for (const v of [ifaddr.ipv4, ifaddr.ipv6]) if (typeof v === 'string') networks.push(v);
  } catch { /* a bad annotation gives no network */ }
  if (networks.length === 0) {
    try {
      const gw = (JSON.parse(annotations[L3_GATEWAY_CONFIG_ANNOTATION] ?? '{}') as Record<string, { 'ip-addresses'?: unknown }>)[DEFAULT_NETWORK];
      if (Array.isArray(gw?.['ip-addresses'])) for (const v of gw['ip-addresses']) if (typeof v === 'string') networks.push(v);
    } catch { /* idem */ }
  }
  return {
    name,
    assignable: node.metadata?.labels?.[EGRESS_ASSIGNABLE_LABEL] !== undefined,
    ready: node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    networks,
  };
}

/**
 * The status items of an EgressIP: which node hosts each of its egress IPs (see the file comment). IPs that a node's
 * network contains but no such node can host now are left out (unassigned, as ovn-kubernetes leaves them).
 * @param current   the EgressIP's status items now (kept where still possible)
 * @param hosted    egress IPs each node hosts for other EgressIPs (spreads the load across objects)
 * @throws OvnInvalidFieldError `spec.egressIPs` when it is not a list; `spec.egressIPs[i]` for a value that is not an address, or
 *   one outside every node's networks.
 */
export function assignEgressIPs(egressIP: { readonly name: string; readonly egressIPs: readonly string[] }, nodes: readonly EgressNode[],
  current: readonly EgressIPStatusItem[] = [], hosted: ReadonlyMap<string, number> = new Map()): EgressIPStatusItem[] {
  const object = `egressip ${egressIP.name}`;
  const networksOf = new Map<string, IpPrefix[]>(nodes.map((n) => [n.name, n.networks.flatMap((text) => {
    try { return [parsePrefix(text, true)]; } catch { return []; }
  })]));
  const canHost = (n: EgressNode, ip: IpAddress): boolean => n.assignable && n.ready && (networksOf.get(n.name) ?? []).some((p) => prefixContains(p, ip));
  const load = new Map(hosted);
  const out: EgressIPStatusItem[] = [];
  const usedNodes = new Set<string>();
  if (!Array.isArray(egressIP.egressIPs as unknown)) throw new OvnInvalidFieldError(object, 'spec.egressIPs', egressIP.egressIPs, 'must be an array');
  const ips = egressIP.egressIPs.map((text, i) => {
    const ip = tryParseAddress(text);
    if (!ip) throw new OvnInvalidFieldError(object, `spec.egressIPs[${i}]`, text, 'not an IP address');
    if (!nodes.some((n) => (networksOf.get(n.name) ?? []).some((p) => prefixContains(p, ip)))) {
      throw new OvnInvalidFieldError(object, `spec.egressIPs[${i}]`, text, 'outside every node\'s network: no node can host it');
    }
    return ip;
  });
  // Kept first, so a moved IP never takes the node of one that stays.
  const pending: IpAddress[] = [];
  for (const ip of ips) {
    const was = current.find((c) => tryParseAddress(c.egressIP)?.text === ip.text);
    const node = was && nodes.find((n) => n.name === was.node);
    if (node && canHost(node, ip) && !usedNodes.has(node.name)) {
      out.push({ node: node.name, egressIP: ip.text });
      usedNodes.add(node.name);
    } else pending.push(ip);
  }
  for (const ip of pending) {
    const candidates = nodes.filter((n) => canHost(n, ip) && !usedNodes.has(n.name))
      .sort((a, b) => (load.get(a.name) ?? 0) - (load.get(b.name) ?? 0) || a.name.localeCompare(b.name));
    const chosen = candidates[0];
    if (!chosen) continue;
    out.push({ node: chosen.name, egressIP: ip.text });
    usedNodes.add(chosen.name);
    load.set(chosen.name, (load.get(chosen.name) ?? 0) + 1);
  }
  return out.sort((a, b) => ips.findIndex((ip) => ip.text === a.egressIP) - ips.findIndex((ip) => ip.text === b.egressIP));
}
