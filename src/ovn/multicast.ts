// Multicast as ovn-kubernetes builds it (go-controller pkg/ovn/multicast.go), with the cluster's switches and router
// set up by `multicast: true` in the cluster options (mcast_snoop/mcast_querier on node switches, mcast_relay on
// ovn_cluster_router: topology.ts, nodes.ts). Multicast is denied by default and allowed per namespace, by the
// namespace annotation `k8s.ovn.org/multicast-enabled: "true"`:
//
//   clusterPortGroup      every pod port: drop multicast both ways, priority 1011 (DefaultMcastDenyPriority), so
//                         IGMP/MLD reports of pods not allowed never reach ovn-controller's snooping
//   clusterRtrPortGroup   the node switches' router ports (stor-<node>): allow multicast both ways, 1012
//                         (routed multicast between nodes); both ACL pairs owner-type MulticastCluster, `type`
//                         DefaultDeny / AllowInterNode and `direction` Egress / Ingress
//   per namespace         a port group of its pods (owner-type MulticastNS) with two ACLs at 1012: egress
//                         `inport == @pg && ip4.mcast` (plus MLD and IPv6 dynamic groups on IPv6 clusters), ingress
//                         `outport == @pg && (igmp || (ip4.src == $<namespace addresses> && ip4.mcast))`: queries
//                         and the namespace's own multicast only; the namespace's address set holds its pod IPs
//
// Egress ACLs are `from-lport` applied after the load balancer, ingress ACLs `to-lport`, as ovn-kubernetes' pipelines.
// The groups' ports are read from the replica at each ensure (this controller's pod ports and node switches): ensure
// the namespace (and the cluster policy) again when pods or nodes change. Key `{ name }` = the namespace.
import type { ACL, NorthboundTables } from '../models/ovn-northbound.js';
import { commitDesired, type DesiredState } from './desired-state.js';
import { OvnInvalidFieldError } from './errors.js';
import { tryParseAddress, type IpFamily } from './ip.js';
import { checkKubernetesName } from './kubernetes-names.js';
import {
  DEFAULT_CONTROLLER, IP_FAMILY_KEY, MULTICAST_ENABLED_ANNOTATION, OBJECT_NAME_KEY, POD_NAMESPACE_KEY, POLICY_DIRECTION_KEY, TYPE_KEY, hashForOvn,
  switchToRouterPort,
} from './names.js';
import { ensurePortGroupAcls, type WantedAcl } from './namespace-port-group.js';
import { byName, ownedBy, type Northbound } from './northbound.js';
import { assertOwned, isOwned, ownerIds, type Owner } from './ownership.js';
import type { Changed, ClusterKey, KindOptions, OvnKind } from './kind.js';

/** ovn-kubernetes' DefaultMcastDenyPriority. */
export const MCAST_DENY_PRIORITY = 1011;
/** ovn-kubernetes' DefaultMcastAllowPriority. */
export const MCAST_ALLOW_PRIORITY = 1012;
/** ovn-kubernetes' port group of every pod (default network). */
export const CLUSTER_PORT_GROUP = 'clusterPortGroup';
/** ovn-kubernetes' port group of the node switches' router ports. */
export const CLUSTER_ROUTER_PORT_GROUP = 'clusterRtrPortGroup';

/** IPv6 multicast to dynamic groups (the T bit set, RFC 3307). */
const IPV6_DYNAMIC = '(ip6.dst[120..127] == 0xff && ip6.dst[116] == 1)';
/** Any multicast, both families. */
const ANY_MCAST = `(ip4.mcast || mldv1 || mldv2 || ${IPV6_DYNAMIC})`;

export interface MulticastNamespaceInfo {
  readonly name: string;
  readonly portGroup: string;
  /** The namespace's pod ports in the group. */
  readonly ports: number;
}

export interface OvnMulticastOptions extends KindOptions {
  /** The cluster's IP families (default IPv4): which families the namespace ACLs match. */
  readonly families?: readonly IpFamily[];
}

/** Whether a Namespace (a V1Namespace fits) allows multicast: the annotation is `"true"`. */
export function multicastEnabled(namespace: { readonly metadata?: { readonly annotations?: Readonly<Record<string, string>> } }): boolean {
  return namespace.metadata?.annotations?.[MULTICAST_ENABLED_ANNOTATION] === 'true';
}

const gress = (direction: 'Egress' | 'Ingress'): { direction: 'from-lport' | 'to-lport'; port: string; options: Map<string, string> } =>
  direction === 'Egress'
    ? { direction: 'from-lport', port: 'inport', options: new Map([['apply-after-lb', 'true']]) }
    : { direction: 'to-lport', port: 'outport', options: new Map() };

/** Per-namespace multicast allows and the cluster's default deny (see the file comment). */
export class OvnMulticast implements OvnKind<ClusterKey, ClusterKey, MulticastNamespaceInfo> {
  readonly ownerType = 'MulticastNS' as const;
  readonly controller: string;
  private readonly owner: Owner;
  private readonly families: readonly IpFamily[];

  constructor(readonly db: Northbound, options: OvnMulticastOptions = {}) {
    this.controller = options.controller ?? DEFAULT_CONTROLLER;
    this.owner = { controller: this.controller };
    this.families = options.families ?? [4];
  }

  /** The namespace's multicast port group: the hash of its primary id. */
  portGroupName(namespace: string): string {
    return hashForOvn(`${this.controller}:MulticastNS:${namespace}`);
  }

  /** The namespace's address set of a family (its pod IPs). */
  addressSetName(namespace: string, family: IpFamily): string {
    return `${hashForOvn(`${this.controller}:Namespace:${namespace}`)}_v${family}`;
  }

  private podPorts(namespace?: string): Readonly<NorthboundTables['Logical_Switch_Port']>[] {
    return ownedBy(this.db, 'Logical_Switch_Port', this.owner, 'Pod')
      .filter((lsp) => namespace === undefined || lsp.external_ids.get(POD_NAMESPACE_KEY) === namespace)
      .sort((a, b) => a._uuid.localeCompare(b._uuid));
  }

  private clusterAcls(): { deny: WantedAcl[]; allow: WantedAcl[] } {
    const acl = (type: 'DefaultDeny' | 'AllowInterNode', dir: 'Egress' | 'Ingress', group: string): WantedAcl => {
      const g = gress(dir);
      return {
        name: `MulticastCluster:${type}:${dir}`, direction: g.direction, priority: type === 'DefaultDeny' ? MCAST_DENY_PRIORITY : MCAST_ALLOW_PRIORITY,
        action: type === 'DefaultDeny' ? 'drop' : 'allow', match: `${g.port} == @${group} && ${ANY_MCAST}`, options: g.options,
        external_ids: ownerIds(this.owner, 'MulticastCluster', type, [[TYPE_KEY, type], [POLICY_DIRECTION_KEY, dir]], true),
      };
    };
    return {
      deny: [acl('DefaultDeny', 'Egress', CLUSTER_PORT_GROUP), acl('DefaultDeny', 'Ingress', CLUSTER_PORT_GROUP)],
      allow: [acl('AllowInterNode', 'Egress', CLUSTER_ROUTER_PORT_GROUP), acl('AllowInterNode', 'Ingress', CLUSTER_ROUTER_PORT_GROUP)],
    };
  }

  private buildCluster(tx: DesiredState<NorthboundTables>): void {
    const mine = (a: ACL): boolean => isOwned(a, this.owner, 'MulticastCluster');
    const { deny, allow } = this.clusterAcls();
    ensurePortGroupAcls(this.db, tx, this.owner, CLUSTER_PORT_GROUP, ownerIds(this.owner, 'Cluster', CLUSTER_PORT_GROUP), this.podPorts().map((p) => p._uuid), deny, mine);
    const routerPorts = ownedBy(this.db, 'Logical_Switch', this.owner, 'Node')
      .map((ls) => byName(this.db, 'Logical_Switch_Port', switchToRouterPort(ls.external_ids.get(OBJECT_NAME_KEY) ?? ls.name))?._uuid)
      .filter((u): u is string => u !== undefined).sort();
    ensurePortGroupAcls(this.db, tx, this.owner, CLUSTER_ROUTER_PORT_GROUP, ownerIds(this.owner, 'Cluster', CLUSTER_ROUTER_PORT_GROUP), routerPorts, allow, mine);
  }

  /**
   * The cluster's default deny and inter-node allow, their groups' ports brought up to date. One transaction.
   * @throws OvnNotOwnedError when a group of those names is another controller's or tool's.
   */
  async ensureCluster(): Promise<Changed> {
    const changed = await commitDesired(this.db, (tx) => { this.buildCluster(tx); return !tx.isEmpty; });
    return { changed };
  }

  /**
   * Allows multicast in the namespace (its port group, address sets and ACLs; the cluster policy brought up to date
   * in the same transaction). One transaction.
   * @throws OvnInvalidNameError; OvnInvalidFieldError for a pod address that is not one; OvnNotOwnedError.
   */
  async ensure(key: ClusterKey): Promise<MulticastNamespaceInfo & Changed> {
    checkKubernetesName('namespace', key.name);
    const ns = key.name;
    const pods = this.podPorts(ns);
    const byFamily = new Map<IpFamily, string[]>(this.families.map((f) => [f, []]));
    for (const lsp of pods) {
      for (const text of lsp.addresses.flatMap((a) => a.split(' ').slice(1))) {
        const ip = tryParseAddress(text);
        if (!ip) throw new OvnInvalidFieldError(`namespace ${ns}`, `Logical_Switch_Port ${lsp.name}.addresses`, text, 'not an IP address');
        byFamily.get(ip.family)?.push(ip.text);
      }
    }
    const pg = this.portGroupName(ns);
    const v4 = this.families.includes(4);
    const v6 = this.families.includes(6);
    const either = (a: string, b: string): string => (v4 && v6 ? `(${a} || ${b})` : v4 ? a : b);
    const egressMatch = either('ip4.mcast', `(mldv1 || mldv2 || ${IPV6_DYNAMIC})`);
    const ingressMatch = either(`(igmp || (ip4.src == $${this.addressSetName(ns, 4)} && ip4.mcast))`,
      `(mldv1 || mldv2 || (ip6.src == $${this.addressSetName(ns, 6)} && ${IPV6_DYNAMIC}))`);
    const acl = (dir: 'Egress' | 'Ingress', match: string): WantedAcl => {
      const g = gress(dir);
      return {
        name: `MulticastNS:${ns}:${dir}`.slice(0, 63), direction: g.direction, priority: MCAST_ALLOW_PRIORITY, action: 'allow',
        match: `${g.port} == @${pg} && ${match}`, options: g.options,
        external_ids: ownerIds(this.owner, 'MulticastNS', ns, [[POLICY_DIRECTION_KEY, dir]], true),
      };
    };
    const changed = await commitDesired(this.db, (tx) => {
      this.buildCluster(tx);
      for (const [family, addresses] of byFamily) {
        const name = this.addressSetName(ns, family);
        const row = byName(this.db, 'Address_Set', name);
        if (row) { assertOwned('Address_Set', name, row, this.owner); tx.updateSet('Address_Set', row, 'addresses', [...new Set(addresses)].sort()); }
        else tx.insertNamed('Address_Set', { name, addresses: [...new Set(addresses)].sort(), external_ids: ownerIds(this.owner, 'Namespace', ns, [[IP_FAMILY_KEY, `v${family}`]], true) });
      }
      ensurePortGroupAcls(this.db, tx, this.owner, pg, ownerIds(this.owner, 'MulticastNS', ns, [], true), pods.map((p) => p._uuid),
        [acl('Egress', egressMatch), acl('Ingress', ingressMatch)], (a) => isOwned(a, this.owner, 'MulticastNS', ns));
      return !tx.isEmpty;
    });
    return { ...(this.get(key) ?? { name: ns, portGroup: pg, ports: pods.length }), changed };
  }

  private buildDelete(tx: DesiredState<NorthboundTables>, ns: string): void {
    const pg = byName(this.db, 'Port_Group', this.portGroupName(ns));
    if (pg && isOwned(pg, this.owner, 'MulticastNS', ns)) tx.delete('Port_Group', pg._uuid);
    for (const set of ownedBy(this.db, 'Address_Set', this.owner, 'Namespace', ns)) tx.delete('Address_Set', set._uuid);
  }

  /** Stops allowing multicast in the namespace (its group, ACLs and address sets go). One transaction. */
  async delete(key: ClusterKey): Promise<boolean> {
    checkKubernetesName('namespace', key.name);
    const pg = byName(this.db, 'Port_Group', this.portGroupName(key.name));
    if (pg) assertOwned('Port_Group', pg.name, pg, this.owner);
    return commitDesired(this.db, (tx) => { this.buildDelete(tx, key.name); return !tx.isEmpty; });
  }

  /** Removes every multicast row of this controller: the namespaces' and the cluster policy's ACLs. One transaction. */
  async disable(): Promise<boolean> {
    return commitDesired(this.db, (tx) => {
      for (const ns of this.list()) this.buildDelete(tx, ns.name);
      for (const name of [CLUSTER_PORT_GROUP, CLUSTER_ROUTER_PORT_GROUP]) {
        const row = byName(this.db, 'Port_Group', name);
        if (row && isOwned(row, this.owner, 'Cluster', name)) tx.delete('Port_Group', row._uuid);
      }
      return !tx.isEmpty;
    });
  }

  get(key: ClusterKey): MulticastNamespaceInfo | undefined {
    const pg = byName(this.db, 'Port_Group', this.portGroupName(key.name));
    if (!pg || !isOwned(pg, this.owner, 'MulticastNS', key.name)) return undefined;
    return { name: key.name, portGroup: pg.name, ports: pg.ports.length };
  }

  list(): MulticastNamespaceInfo[] {
    return ownedBy(this.db, 'Port_Group', this.owner, 'MulticastNS').map((pg) => pg.external_ids.get(OBJECT_NAME_KEY) ?? '')
      .filter((n) => n !== '').sort().map((name) => this.get({ name })).filter((i) => i !== undefined);
  }

  async sync(existing: Iterable<ClusterKey>): Promise<ClusterKey[]> {
    const keep = new Set([...existing].map((k) => k.name));
    return commitDesired(this.db, (tx) => {
      const stale = this.list().map((i) => i.name).filter((n) => !keep.has(n));
      for (const ns of stale) this.buildDelete(tx, ns);
      return stale.map((name) => ({ name }));
    });
  }
}
