// EgressIP: pods selected by an EgressIP leave the cluster with its egress IP as their source, through the node
// hosting that IP, as ovn-kubernetes' EgressIP controller builds it (go-controller pkg/ovn/egressip.go):
//
//   ovn_cluster_router  Logical_Router_Policy priority 100, match `ip4.src == <pod IP>`, action reroute, nexthops =
//                       the join address of GR_<node> of every node hosting one of its egress IPs (of that family);
//                       external_ids name `<egressip>_<namespace>/<pod>`, priority, ip-family ip4|ip6, network default
//   GR_<node>           NAT snat <pod IP> -> <egress IP>, logical_port k8s-<node>; external_ids name and ip-family
//   ovn_cluster_router  no-reroute policies at 102, while any EgressIP exists: pod to pod within the cluster subnets
//                       (`EIP-No-Reroute-Pod-To-Pod`) and pod to the join subnet (`EIP-No-Reroute-Pod-To-Join`), so
//                       only traffic leaving the cluster is rerouted
//
// The node's gateway router answers ARP for the egress IP (a NAT address on it) and `etor-GR_<node>`'s
// nat-addresses=router announces it, so when the IP moves to another node (failover: assignEgressIPs after the
// hosting node went away) the outside learns its new MAC. Key `{ name }` (EgressIP is cluster-scoped); the spec is
// the object's spec.egressIPs, its status.items (assignments) and the pods its selectors resolve to, with their IPs.
import type { WriteRow } from '../ovsdb/datum.js';
import type { NorthboundTables } from '../models/ovn-northbound.js';
import { commitDesired, type DesiredState } from './desired-state.js';
import type { EgressIPStatusItem } from './egress-crds.js';
import { OvnInvalidFieldError } from './errors.js';
import { parsePrefix, prefixContains, tryParseAddress, type IpAddress, type IpFamily, type IpPrefix } from './ip.js';
import { checkKubernetesName } from './kubernetes-names.js';
import {
  CLUSTER_ROUTER, DEFAULT_CONTROLLER, DEFAULT_JOIN_SUBNET, DEFAULT_JOIN_SUBNET_V6, DEFAULT_NETWORK, IP_FAMILY_KEY, NETWORK_KEY, OBJECT_NAME_KEY, OWNER_CONTROLLER_KEY, OWNER_TYPE_KEY,
  PRIMARY_ID_KEY, PRIORITY_KEY, gatewayRouterName, managementPort, routerToExternalPort, routerToJoinPort,
} from './names.js';
import { byName, ownedBy, type Northbound } from './northbound.js';
import { isOwned, type Owner } from './ownership.js';
import { ensureRouterChildren, removeRouterChildren, routerChildren, type RouterChild } from './router-rows.js';
import type { Changed, ClusterKey, KindOptions, NamespacedKey, OvnKind } from './kind.js';

/** ovn-kubernetes' EgressIPReroutePriority. */
export const EGRESS_IP_REROUTE_PRIORITY = 100;
/** ovn-kubernetes' DefaultNoRereoutePriority. */
export const EGRESS_IP_NO_REROUTE_PRIORITY = 102;
/** The cluster-wide no-reroute policies' names (ovn-kubernetes' NoReRoutePodToPod, NoReRoutePodToJoin). */
export const NO_REROUTE_POD_TO_POD = 'EIP-No-Reroute-Pod-To-Pod';
export const NO_REROUTE_POD_TO_JOIN = 'EIP-No-Reroute-Pod-To-Join';

/**
 * A pod an EgressIP selects, with its addresses (with or without prefix length). A pod without addresses yet (absent
 * or empty: not scheduled, or its network not set up) is skipped, as ovn-kubernetes skips it until it has one
 * (go-controller pkg/ovn/egressip.go, addPodEgressIPAssignment): ensure again once it has them.
 */
export interface EgressIPPod extends NamespacedKey {
  readonly ipAddresses?: readonly string[];
}

/** An EgressIP (k8s.ovn.org/v1) as OVN needs it. Key `{ name }`. */
export interface EgressIPSpec extends ClusterKey {
  /** spec.egressIPs. */
  readonly egressIPs: readonly string[];
  /** status.items: the node hosting each egress IP (assignEgressIPs); an IP without one is not used yet. */
  readonly assignments: readonly EgressIPStatusItem[];
  /** The pods spec.namespaceSelector and spec.podSelector select, with their IPs. */
  readonly pods: readonly EgressIPPod[];
}

export interface EgressIPInfo {
  readonly name: string;
  /** The egress IPs in use and their nodes (from the NAT rows). */
  readonly assignments: readonly EgressIPStatusItem[];
  /** The pods rerouted. */
  readonly pods: readonly NamespacedKey[];
}

/** Options: the controller, and the cluster's pod subnets and join subnet (for the no-reroute policies). */
export interface OvnEgressIPsOptions extends KindOptions {
  readonly clusterSubnets?: readonly string[];
  readonly joinSubnet?: string;
  /** The IPv6 join subnet (default fd98::/64): pod to join of IPv6 cluster subnets is not rerouted either. */
  readonly joinSubnetV6?: string;
}

type Ids = ReadonlyMap<string, string>;

const familyName = (f: IpFamily): string => (f === 4 ? 'ip4' : 'ip6');
const policyKey = (p: Partial<RouterChild<'policies'>>): string => `${p.priority}|${p.match}`;
const natKey = (n: Partial<RouterChild<'nat'>>): string => `${n.type}|${n.logical_ip}|${n.external_ip}`;
const podObjectName = (eip: string, ns: string, pod: string): string => `${eip}_${ns}/${pod}`;

/** EgressIPs in OVN_Northbound (see the file comment). */
export class OvnEgressIPs implements OvnKind<EgressIPSpec, ClusterKey, EgressIPInfo> {
  readonly ownerType = 'EgressIP' as const;
  readonly controller: string;
  private readonly owner: Owner;

  constructor(readonly db: Northbound, private readonly options: OvnEgressIPsOptions = {}) {
    this.controller = options.controller ?? DEFAULT_CONTROLLER;
    this.owner = { controller: this.controller };
  }

  /** ovn-kubernetes' DbObjectIDs for these rows: its primary id lists the values in its key order. */
  private ids(name: string, extra: readonly (readonly [string, string])[], idOrder: readonly string[]): Ids {
    const ids = new Map<string, string>([[OWNER_CONTROLLER_KEY, this.controller], [OWNER_TYPE_KEY, 'EgressIP'], [OBJECT_NAME_KEY, name], ...extra]);
    ids.set(PRIMARY_ID_KEY, [this.controller, 'EgressIP', ...idOrder.map((k) => ids.get(k) ?? '')].join(':'));
    return ids;
  }

  private policyIds(name: string, priority: number, family: IpFamily): Ids {
    return this.ids(name, [[PRIORITY_KEY, String(priority)], [IP_FAMILY_KEY, familyName(family)], [NETWORK_KEY, DEFAULT_NETWORK]],
      [PRIORITY_KEY, OBJECT_NAME_KEY, IP_FAMILY_KEY, NETWORK_KEY]);
  }

  private natIds(name: string, family: IpFamily): Ids {
    return this.ids(name, [[IP_FAMILY_KEY, familyName(family)]], [OBJECT_NAME_KEY, IP_FAMILY_KEY]);
  }

  /** Rows of this EgressIP: its per-pod names start with `<egressip>_` (Kubernetes names have no `_`). */
  private ofEgressIP(eip: string): (row: { readonly external_ids: ReadonlyMap<string, string> }) => boolean {
    return (row) => isOwned(row, this.owner, 'EgressIP') && (row.external_ids.get(OBJECT_NAME_KEY) ?? '').startsWith(`${eip}_`);
  }

  private clusterPrefixes(): IpPrefix[] {
    return (this.options.clusterSubnets ?? []).map((s) => parsePrefix(s));
  }

  /**
   * Reroutes the pods through the assigned nodes and SNATs them there to the egress IPs; one transaction.
   * A selected pod without addresses yet is skipped (see EgressIPPod).
   * @throws OvnInvalidNameError, OvnInvalidFieldError naming the field (a list that is not one, an egress IP or pod
   *   address that is not an address, an assignment of an IP the spec does not have, to a node without a gateway or
   *   whose network does not contain it, a pod another EgressIP already reroutes); nothing is sent.
   */
  async ensure(spec: EgressIPSpec): Promise<EgressIPInfo & Changed> {
    checkKubernetesName('egress ip', spec.name);
    const object = `egressip ${spec.name}`;
    const list = <T>(field: string, value: readonly T[] | undefined, optional = false): readonly T[] => {
      if (optional && (value === undefined || value === null)) return [];
      if (!Array.isArray(value as unknown)) throw new OvnInvalidFieldError(object, field, value, 'must be an array');
      return value as readonly T[];
    };
    const address = (field: string, text: unknown, withLength = false): IpAddress => {
      const bare = typeof text === 'string' && withLength && text.includes('/') ? text.slice(0, text.indexOf('/')) : text;
      const a = typeof bare === 'string' ? tryParseAddress(bare) : undefined;
      if (!a) throw new OvnInvalidFieldError(object, field, text, 'not an IP address');
      return a;
    };
    const entry = <T>(field: string, value: T): T => {
      if (typeof value !== 'object' || value === null) throw new OvnInvalidFieldError(object, field, value, 'must be an object');
      return value;
    };
    const egressIPs = list('egressIPs', spec.egressIPs).map((text, i) => address(`egressIPs[${i}]`, text));
    const assignments = list('assignments', spec.assignments).map((item, i) => {
      checkKubernetesName('node', entry(`assignments[${i}]`, item).node);
      const ip = address(`assignments[${i}].egressIP`, item.egressIP);
      if (!egressIPs.some((e) => e.text === ip.text)) throw new OvnInvalidFieldError(object, `assignments[${i}].egressIP`, item.egressIP, 'not one of the EgressIP\'s egressIPs');
      return { node: item.node, ip, index: i };
    });
    const pods = list('pods', spec.pods).map((p, i) => {
      checkKubernetesName('namespace', entry(`pods[${i}]`, p).namespace);
      checkKubernetesName('pod', p.name);
      const field = `pods[${i}].ipAddresses`;
      return { ...p, ips: list(field, p.ipAddresses, true).map((text, j) => address(`${field}[${j}]`, text, true)) };
    });
    let clusterPrefixes: IpPrefix[];
    try { clusterPrefixes = this.clusterPrefixes(); } catch (err) { throw new OvnInvalidFieldError('cluster', 'clusterSubnets', this.options.clusterSubnets, (err as Error).message); }
    if (clusterPrefixes.length === 0) throw new OvnInvalidFieldError('cluster', 'clusterSubnets', [], 'EgressIPs need the cluster subnets (ClusterNetwork option clusterSubnets) for their no-reroute policies');
    const changed = await commitDesired(this.db, (tx) => {
      this.build(tx, spec.name, object, assignments, pods, clusterPrefixes);
      return !tx.isEmpty;
    });
    return { ...(this.get(spec) ?? { name: spec.name, assignments: [], pods: [] }), changed };
  }

  private build(tx: DesiredState<NorthboundTables>, eip: string, object: string, assignments: { node: string; ip: IpAddress; index: number }[],
    pods: (EgressIPPod & { ips: IpAddress[] })[], clusterPrefixes: IpPrefix[]): void {
    const db = this.db;
    const router = byName(db, 'Logical_Router', CLUSTER_ROUTER);
    // Each assigned node: its gateway router, its join address per family, its external network.
    const hosts = assignments.map((a) => {
      const grName = gatewayRouterName(a.node);
      const gr = byName(db, 'Logical_Router', grName);
      const rtoe = byName(db, 'Logical_Router_Port', routerToExternalPort(a.node));
      if (!gr || !rtoe) throw new OvnInvalidFieldError(object, `assignments[${a.index}].node`, a.node, `node ${a.node} has no gateway (gateways.ensure it first)`);
      const inNetwork = rtoe.networks.some((n) => { try { return prefixContains(parsePrefix(n, true), a.ip); } catch { return false; } });
      if (!inNetwork) throw new OvnInvalidFieldError(object, `assignments[${a.index}].egressIP`, a.ip.text, `outside node ${a.node}'s network (${rtoe.networks.join(', ')}): OVN cannot answer for it there`);
      const join = (byName(db, 'Logical_Router_Port', routerToJoinPort(grName))?.networks ?? [])
        .map((n) => tryParseAddress(n.slice(0, n.indexOf('/')))).find((j) => j?.family === a.ip.family);
      if (!join) throw new OvnInvalidFieldError(object, `assignments[${a.index}].node`, a.node, `GR_${a.node} has no IPv${a.ip.family} join address to reroute to`);
      return { ...a, gr, join: join.text };
    });
    if (!router) throw new OvnInvalidFieldError(object, 'assignments', assignments, `no ${CLUSTER_ROUTER} (ensure the cluster and its nodes first)`);
    const mine = this.ofEgressIP(eip);
    // A pod IP another EgressIP of this controller reroutes: two would fight over it.
    const others = routerChildren(db, router, 'policies').filter((p) => isOwned(p, this.owner, 'EgressIP') && !mine(p) && Number(p.priority) === EGRESS_IP_REROUTE_PRIORITY);
    pods.forEach((p, i) => {
      for (const ip of p.ips) {
        const other = others.find((o) => o.match === `${familyName(ip.family)}.src == ${ip.text}`);
        if (other) throw new OvnInvalidFieldError(object, `pods[${i}]`, `${p.namespace}/${p.name}`, `already served by egressip ${(other.external_ids.get(OBJECT_NAME_KEY) ?? '').split('_')[0]}`);
      }
    });

    // Reroute policies, one per pod IP whose family has hosting nodes.
    const policies: WriteRow<RouterChild<'policies'>>[] = [];
    for (const p of pods) {
      for (const ip of p.ips) {
        const nexthops = [...new Set(hosts.filter((h) => h.ip.family === ip.family).map((h) => h.join))].sort();
        if (nexthops.length === 0) continue;
        policies.push({
          priority: BigInt(EGRESS_IP_REROUTE_PRIORITY), match: `${familyName(ip.family)}.src == ${ip.text}`, action: 'reroute', nexthops,
          external_ids: this.policyIds(podObjectName(eip, p.namespace, p.name), EGRESS_IP_REROUTE_PRIORITY, ip.family),
        });
      }
    }
    ensureRouterChildren(db, tx, router._uuid, router, 'policies', policies, policyKey, mine);

    // SNAT on each hosting node's gateway router; this EgressIP's NAT leaves every other router.
    const hostRouters = new Set(hosts.map((h) => h.gr._uuid));
    for (const gr of db.table('Logical_Router')) {
      if (!hostRouters.has(gr._uuid)) removeRouterChildren(db, tx, gr, 'nat', mine);
    }
    for (const gr of new Map(hosts.map((h) => [h.gr._uuid, h.gr])).values()) {
      const nats: WriteRow<RouterChild<'nat'>>[] = [];
      for (const h of hosts.filter((x) => x.gr._uuid === gr._uuid)) {
        for (const p of pods) {
          for (const ip of p.ips.filter((x) => x.family === h.ip.family)) {
            nats.push({
              type: 'snat', logical_ip: ip.text, external_ip: h.ip.text, logical_port: managementPort(h.node), options: new Map([['stateless', 'false']]),
              external_ids: this.natIds(podObjectName(eip, p.namespace, p.name), ip.family),
            });
          }
        }
      }
      ensureRouterChildren(db, tx, gr._uuid, gr, 'nat', nats, natKey, mine);
    }

    // The cluster-wide no-reroute policies (pod to pod, pod to join), per family of the cluster subnets.
    const joins = [parsePrefix(this.options.joinSubnet ?? DEFAULT_JOIN_SUBNET), parsePrefix(this.options.joinSubnetV6 ?? DEFAULT_JOIN_SUBNET_V6)];
    const noReroute: WriteRow<RouterChild<'policies'>>[] = [];
    for (const family of [4, 6] as const) {
      const subnets = clusterPrefixes.filter((c) => c.family === family).map((c) => c.text);
      if (subnets.length === 0) continue;
      const f = familyName(family);
      const set = subnets.length === 1 ? subnets[0] : `{${subnets.join(', ')}}`;
      noReroute.push({ priority: BigInt(EGRESS_IP_NO_REROUTE_PRIORITY), match: `${f}.src == ${set} && ${f}.dst == ${set}`, action: 'allow',
        external_ids: this.policyIds(NO_REROUTE_POD_TO_POD, EGRESS_IP_NO_REROUTE_PRIORITY, family) });
      const join = joins.find((j) => j.family === family);
      if (join) {
        noReroute.push({ priority: BigInt(EGRESS_IP_NO_REROUTE_PRIORITY), match: `${f}.src == ${set} && ${f}.dst == ${join.text}`, action: 'allow',
          external_ids: this.policyIds(NO_REROUTE_POD_TO_JOIN, EGRESS_IP_NO_REROUTE_PRIORITY, family) });
      }
    }
    ensureRouterChildren(db, tx, router._uuid, router, 'policies', noReroute, policyKey, (r) => this.isNoReroute(r));
  }

  private isNoReroute(row: { readonly external_ids: ReadonlyMap<string, string> }): boolean {
    const name = row.external_ids.get(OBJECT_NAME_KEY);
    return isOwned(row, this.owner, 'EgressIP') && (name === NO_REROUTE_POD_TO_POD || name === NO_REROUTE_POD_TO_JOIN);
  }

  /** Removes the EgressIP's reroutes and NAT (and the no-reroute policies when it was the last). One transaction. */
  async delete(key: ClusterKey): Promise<boolean> {
    checkKubernetesName('egress ip', key.name);
    return commitDesired(this.db, (tx) => {
      this.buildDelete(tx, new Set([key.name]));
      return !tx.isEmpty;
    });
  }

  private buildDelete(tx: DesiredState<NorthboundTables>, names: ReadonlySet<string>): void {
    const gone = (row: { readonly external_ids: ReadonlyMap<string, string> }): boolean => [...names].some((n) => this.ofEgressIP(n)(row));
    for (const router of this.db.table('Logical_Router')) {
      removeRouterChildren(this.db, tx, router, 'policies', gone);
      removeRouterChildren(this.db, tx, router, 'nat', gone);
    }
    if (this.names().every((n) => names.has(n))) {
      removeRouterChildren(this.db, tx, byName(this.db, 'Logical_Router', CLUSTER_ROUTER), 'policies', (r) => this.isNoReroute(r));
    }
  }

  /** Names of the EgressIPs this controller has rows of. */
  private names(): string[] {
    const out = new Set<string>();
    for (const table of ['Logical_Router_Policy', 'NAT'] as const) {
      for (const row of ownedBy(this.db, table, this.owner, 'EgressIP')) {
        const name = row.external_ids.get(OBJECT_NAME_KEY) ?? '';
        if (name.includes('_') && !this.isNoReroute(row)) out.add(name.slice(0, name.indexOf('_')));
      }
    }
    return [...out].sort();
  }

  get(key: ClusterKey): EgressIPInfo | undefined {
    const mine = this.ofEgressIP(key.name);
    const assignments = new Map<string, EgressIPStatusItem>();
    const pods = new Map<string, NamespacedKey>();
    const gatewayPrefix = gatewayRouterName('');
    for (const router of this.db.table('Logical_Router')) {
      for (const nat of routerChildren(this.db, router, 'nat').filter(mine)) {
        assignments.set(nat.external_ip, { node: router.name.slice(gatewayPrefix.length), egressIP: nat.external_ip });
      }
      for (const row of [...routerChildren(this.db, router, 'nat'), ...routerChildren(this.db, router, 'policies')].filter(mine)) {
        const podName = (row.external_ids.get(OBJECT_NAME_KEY) ?? '').slice(key.name.length + 1);
        const [namespace, name] = podName.split('/');
        pods.set(podName, { namespace, name });
      }
    }
    if (assignments.size === 0 && pods.size === 0) return undefined;
    return {
      name: key.name,
      assignments: [...assignments.values()].sort((a, b) => a.egressIP.localeCompare(b.egressIP)),
      pods: [...pods.values()].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`)),
    };
  }

  list(): EgressIPInfo[] {
    return this.names().map((name) => this.get({ name })).filter((i) => i !== undefined);
  }

  async sync(existing: Iterable<ClusterKey>): Promise<ClusterKey[]> {
    const keep = new Set([...existing].map((k) => k.name));
    return commitDesired(this.db, (tx) => {
      const stale = new Set(this.names().filter((n) => !keep.has(n)));
      if (stale.size > 0) this.buildDelete(tx, stale);
      return [...stale].map((name) => ({ name }));
    });
  }
}
