// Kubernetes NetworkPolicy as OVN port groups, address sets and ACLs, the way ovn-kubernetes lays them out
// (a port group's ports and an address set's addresses are changed by mutations of the elements that differ):
//   - per namespace and direction a default-deny port group `<hash(ns)>_ingressDefaultDeny` holding every pod
//     selected by a policy of that direction, with a drop ACL (priority 1000) and an ARP/ND allow (1001), owned
//     by `NetpolNamespace` `<ns>`;
//   - per policy a port group `hash(<ns>_<policy>)` of the selected pods with one allow-related ACL per rule
//     (1001; 1010 for ipBlocks with `except`); peers resolved to pod addresses live in address sets
//     `hash(<ns>.<policy>.<direction>.<rule>)_v4|_v6`; all owned by `NetworkPolicy` `<ns>:<policy>` with
//     ovn-kubernetes' extra keys (direction, gress-index, ip-family, ...) and `k8s.ovn.org/id`.
// Ingress ACLs are `to-lport` on `outport == @pg`, egress `from-lport` on `inport == @pg` (applied after the
// load balancer, as ovn-kubernetes does). The caller resolves selectors to pods and addresses.
//
// A selected pod that has no logical switch port yet cannot be in the port group: ensure() leaves it out and
// reports it in `podsWithoutPort`, so the caller can ensure the policy again once the pod has its port (an agent
// re-queues the policy). The rest of the policy is applied meanwhile.
import type { Uuid } from '../ovsdb/datum.js';
import type { ACL, AddressSet, NorthboundTables, PortGroup } from '../models/ovn-northbound.js';
import {
  DEFAULT_ALLOW_PRIORITY, DEFAULT_DENY_PRIORITY, IPBLOCK_EXCEPT_PRIORITY,
  aclDirection, addressSetMatch, andMatch, arpAllowMatch, checkPort, defaultDenyPortGroupName, ipBlockMatch, l4Match, peerAddressSetName,
  policyPortGroupName, portGroupMatch, L4_PROTOCOLS, type IpBlock, type PolicyDirection, type PolicyPort,
} from './acl-match.js';
import { parseAddress, tryParseAddress, type IpFamily } from './ip.js';
import {
  DEFAULT_CONTROLLER, GRESS_INDEX_KEY, IP_BLOCK_INDEX_KEY, IP_FAMILY_KEY, OBJECT_NAME_KEY, POLICY_DIRECTION_KEY, POLICY_TYPES_KEY,
  PORT_POLICY_PROTOCOL_KEY, TYPE_KEY, namespacedObjectName, parseNamespacedObjectName, podPortName,
} from './names.js';
import { assertOwned, isOwned, ownerIds, type Owner } from './ownership.js';
import { OvnInvalidFieldError } from './errors.js';
import { checkNamespacedName } from './kubernetes-names.js';
import { commitDesired, type DesiredState, type RowRef } from './desired-state.js';
import { byName, ownedBy, type Northbound } from './northbound.js';
import type { Changed, KindOptions, NamespaceFilter, NamespacedKey, OvnKind } from './kind.js';

/** One ingress or egress rule, selectors already resolved to addresses. */
export interface PolicyRule {
  /** Addresses of the peer pods (selectors resolved by the caller). Omitted with no ipBlocks: any peer. */
  readonly peerAddresses?: readonly string[];
  readonly ipBlocks?: readonly IpBlock[];
  /** Omitted: every port and protocol. */
  readonly ports?: readonly PolicyPort[];
}

/** What a NetworkPolicy is in OVN. */
export interface NetworkPolicySpec extends NamespacedKey {
  /** The pods the policy selects (of its namespace). Pods without a port yet are reported in `podsWithoutPort`. */
  readonly pods: readonly NamespacedKey[];
  /** Present (even empty) = the policy has this type. */
  readonly ingress?: readonly PolicyRule[];
  readonly egress?: readonly PolicyRule[];
}

/** A NetworkPolicy as stored. */
export interface NetworkPolicyInfo {
  readonly namespace: string;
  readonly name: string;
  /** Its port group (`hash(<ns>_<policy>)`). */
  readonly portGroup: string;
  /** The policy types it has (`ingress`, `egress`). */
  readonly policyTypes: readonly PolicyDirection[];
  /** The pods whose ports are in its port group. */
  readonly pods: readonly NamespacedKey[];
  /** Its peer address sets' names. */
  readonly addressSets: readonly string[];
}

/** What ensure() resolves with: the policy, `changed`, and the selected pods that have no port yet. */
export interface NetworkPolicyEnsured extends NetworkPolicyInfo, Changed {
  /** Selected pods left out of the port group because they have no logical switch port (yet). */
  readonly podsWithoutPort: readonly NamespacedKey[];
}

interface DesiredAcl {
  direction: 'to-lport' | 'from-lport'; priority: number; match: string; action: 'allow' | 'allow-related' | 'drop'; name: string;
  options: Map<string, string>; external_ids: Map<string, string>;
}

const aclKey = (a: { direction: string; priority: number | bigint; match: string; action: string }): string => `${a.direction}|${a.priority}|${a.action}|${a.match}`;

/** ovn-kubernetes' ACL names: `NP:<ns>:<policy>:<Direction>:<rule>`, `NP:<ns>:<Direction>` for the defaults (63 at most). */
function aclName(...parts: string[]): string {
  return `NP:${parts.join(':')}`.slice(0, 63);
}

function aclOptions(direction: PolicyDirection): Map<string, string> {
  return direction === 'egress' ? new Map([['apply-after-lb', 'true']]) : new Map();
}

/** ovn-kubernetes' value of the `direction` key: `Ingress` / `Egress`. */
function gressName(direction: PolicyDirection): string {
  return direction === 'ingress' ? 'Ingress' : 'Egress';
}

const POLICY_OBJECT = (p: NamespacedKey): string => `network policy ${p.namespace}/${p.name}`;

function validatePolicySpec(policy: NetworkPolicySpec): void {
  checkNamespacedName('network policy', policy);
  const object = POLICY_OBJECT(policy);
  if (!Array.isArray(policy.pods as unknown)) throw new OvnInvalidFieldError(object, 'pods', policy.pods, 'must be an array');
  policy.pods.forEach((p, i) => {
    if (p.namespace !== policy.namespace) throw new OvnInvalidFieldError(object, `pods[${i}].namespace`, p.namespace, `a policy selects pods of its own namespace (${policy.namespace})`);
    checkNamespacedName('pod', p);
  });
  for (const direction of ['ingress', 'egress'] as const) {
    (policy[direction] ?? []).forEach((rule, r) => {
      const at = `${direction}[${r}]`;
      rule.peerAddresses?.forEach((a, i) => { if (!tryParseAddress(a)) throw new OvnInvalidFieldError(object, `${at}.peerAddresses[${i}]`, a, 'not an IP address'); });
      rule.ipBlocks?.forEach((b, i) => {
        try { ipBlockMatch(b, direction); } catch (err) {
          if (!(err instanceof OvnInvalidFieldError)) throw err;
          throw new OvnInvalidFieldError(object, `${at}.ipBlocks[${i}].${err.field}`, err.value, err.reason);
        }
      });
      rule.ports?.forEach((p, i) => {
        if (!L4_PROTOCOLS.includes(p.protocol)) throw new OvnInvalidFieldError(object, `${at}.ports[${i}].protocol`, p.protocol, `OVN matches ${L4_PROTOCOLS.join(', ')}`);
        if (p.port !== undefined) checkPort(p.port, object, `${at}.ports[${i}].port`);
        if (p.endPort !== undefined) {
          if (p.port === undefined) throw new OvnInvalidFieldError(object, `${at}.ports[${i}].endPort`, p.endPort, 'endPort needs port');
          checkPort(p.endPort, object, `${at}.ports[${i}].endPort`);
          if (p.endPort < p.port) throw new OvnInvalidFieldError(object, `${at}.ports[${i}].endPort`, p.endPort, `endPort ${p.endPort} is below port ${p.port}`);
        }
        if (p.destinations !== undefined) {
          if (p.destinations.length === 0) throw new OvnInvalidFieldError(object, `${at}.ports[${i}].destinations`, p.destinations, 'a port limited to destinations needs at least one');
          p.destinations.forEach((d, j) => { if (!tryParseAddress(d)) throw new OvnInvalidFieldError(object, `${at}.ports[${i}].destinations[${j}]`, d, 'not an IP address'); });
        }
      });
    });
  }
}

/** The protocols of a rule's ports for the `port-policy-protocol` key (`None` when the rule has no ports). */
function portProtocols(ports: readonly PolicyPort[] | undefined): string {
  if (!ports || ports.length === 0) return 'None';
  return [...new Set(ports.map((p) => p.protocol))].sort().join('-');
}

/** NetworkPolicies in OVN_Northbound (see the file comment). */
export class OvnNetworkPolicies implements OvnKind<NetworkPolicySpec, NamespacedKey, NetworkPolicyInfo, NetworkPolicyEnsured, NamespaceFilter> {
  readonly ownerType = 'NetworkPolicy' as const;
  readonly controller: string;
  private readonly owner: Owner;

  /** The kind over `db`, as the controller `options.controller` (default `ovn-overlay`). */
  constructor(readonly db: Northbound, options: KindOptions = {}) {
    this.controller = options.controller ?? DEFAULT_CONTROLLER;
    this.owner = { controller: this.controller };
  }

  /**
   * Ensures a policy: its port group, ACLs, address sets and the namespace's default deny. One transaction.
   * @throws OvnInvalidNameError / OvnInvalidFieldError (nothing sent); OvnNotOwnedError when a port group or
   *   address set of the policy's names is another controller's or tool's.
   */
  async ensure(policy: NetworkPolicySpec): Promise<NetworkPolicyEnsured> {
    validatePolicySpec(policy);
    const db = this.db;
    const objectName = namespacedObjectName(policy.namespace, policy.name);
    const pgName = policyPortGroupName(policy.namespace, policy.name);
    const directions: PolicyDirection[] = [];
    if (policy.ingress) directions.push('ingress');
    if (policy.egress) directions.push('egress');
    const result = await commitDesired(db, (tx) => {
      const ports: Uuid[] = [];
      const podsWithoutPort: NamespacedKey[] = [];
      for (const p of policy.pods) {
        const lsp = byName(db, 'Logical_Switch_Port', podPortName(p.namespace, p.name));
        if (lsp) ports.push(lsp._uuid);
        else podsWithoutPort.push({ namespace: p.namespace, name: p.name });
      }
      const pgIds = ownerIds(this.owner, 'NetworkPolicy', objectName, [], true);
      pgIds.set(POLICY_TYPES_KEY, directions.join(','));
      const acls: DesiredAcl[] = [];
      const wantedSets = new Set<string>();
      for (const direction of directions) {
        const rules = (direction === 'ingress' ? policy.ingress : policy.egress) ?? [];
        const dir = aclDirection(direction);
        const base = portGroupMatch(pgName, direction);
        const gress = gressName(direction);
        rules.forEach((rule, index) => {
          const l4 = l4Match(rule.ports);
          const name = aclName(policy.namespace, policy.name, gress, String(index));
          const options = aclOptions(direction);
          const aclIds = (ipBlockIndex: number): Map<string, string> => ownerIds(this.owner, 'NetworkPolicy', objectName, [
            [POLICY_DIRECTION_KEY, gress], [GRESS_INDEX_KEY, String(index)], [PORT_POLICY_PROTOCOL_KEY, portProtocols(rule.ports)], [IP_BLOCK_INDEX_KEY, String(ipBlockIndex)],
          ], true);
          if (rule.peerAddresses) {
            const byFamily = new Map<IpFamily, string[]>([[4, []], [6, []]]);
            for (const a of rule.peerAddresses) { const ip = parseAddress(a); byFamily.get(ip.family)?.push(ip.text); }
            const sets: { name: string; family: IpFamily }[] = [];
            for (const [family, addresses] of byFamily) {
              if (family === 6 && addresses.length === 0) continue;
              const setName = peerAddressSetName(policy.namespace, policy.name, direction, index, family);
              wantedSets.add(setName);
              this.ensureAddressSet(tx, setName, addresses.sort(), ownerIds(this.owner, 'NetworkPolicy', objectName, [
                [POLICY_DIRECTION_KEY, gress], [GRESS_INDEX_KEY, String(index)], [IP_FAMILY_KEY, `ipv${family}`],
              ], true));
              sets.push({ name: setName, family });
            }
            acls.push({ direction: dir, priority: DEFAULT_ALLOW_PRIORITY, match: andMatch(base, addressSetMatch(sets, direction), l4), action: 'allow-related', name, options, external_ids: aclIds(-1) });
          }
          (rule.ipBlocks ?? []).forEach((block, b) => {
            const priority = block.except && block.except.length > 0 ? IPBLOCK_EXCEPT_PRIORITY : DEFAULT_ALLOW_PRIORITY;
            acls.push({ direction: dir, priority, match: andMatch(base, ipBlockMatch(block, direction), l4), action: 'allow-related', name, options, external_ids: aclIds(b) });
          });
          if (!rule.peerAddresses && !(rule.ipBlocks && rule.ipBlocks.length > 0)) {
            acls.push({ direction: dir, priority: DEFAULT_ALLOW_PRIORITY, match: andMatch(base, '(ip4 || ip6)', l4), action: 'allow-related', name, options, external_ids: aclIds(-1) });
          }
        });
      }
      this.ensurePortGroup(tx, pgName, ports, pgIds, acls);
      for (const set of ownedBy(db, 'Address_Set', this.owner, 'NetworkPolicy', objectName)) {
        if (!wantedSets.has(set.name)) tx.delete('Address_Set', set._uuid);
      }
      this.ensureDefaultDeny(tx, policy.namespace, { name: pgName, ports, directions });
      return { changed: !tx.isEmpty, podsWithoutPort };
    });
    const info = this.get(policy) ?? { namespace: policy.namespace, name: policy.name, portGroup: pgName, policyTypes: directions, pods: [], addressSets: [] };
    return { ...info, ...result };
  }

  /** Makes a port group's ACLs exactly `want` (ACLs are children of the group). */
  private ensureAcls(tx: DesiredState<NorthboundTables>, pg: RowRef, pgRow: PortGroup | undefined, want: DesiredAcl[]): void {
    const have = pgRow ? pgRow.acls.map((u) => this.db.table('ACL').get(u)).filter((a): a is ACL => a !== undefined) : [];
    const wantKeys = new Map(want.map((a) => [aclKey(a), a]));
    const haveKeys = new Set<string>();
    for (const a of have) {
      const k = aclKey(a);
      const w = wantKeys.get(k);
      if (!w || haveKeys.has(k)) { tx.removeFromSet('Port_Group', pg as Uuid, 'acls', [a._uuid]); continue; }
      haveKeys.add(k);
      tx.updateChanged('ACL', a, { name: w.name, options: w.options, external_ids: w.external_ids });
    }
    const inserted: RowRef[] = [];
    for (const [k, a] of wantKeys) {
      if (haveKeys.has(k)) continue;
      inserted.push(tx.insert<ACL>('ACL', a));
    }
    if (inserted.length > 0) tx.addRef('Port_Group', pg, 'acls', inserted);
  }

  private ensurePortGroup(tx: DesiredState<NorthboundTables>, name: string, ports: readonly Uuid[], ids: Map<string, string>, acls: DesiredAcl[]): void {
    const row = byName(this.db, 'Port_Group', name);
    if (row) assertOwned('Port_Group', name, row, this.owner);
    let pg: RowRef;
    if (row) {
      tx.updateChanged('Port_Group', row, { external_ids: ids });
      tx.updateSet('Port_Group', row, 'ports', ports);
      pg = row._uuid;
    } else pg = tx.insertNamed<PortGroup>('Port_Group', { name, ports, external_ids: ids });
    this.ensureAcls(tx, pg, row, acls);
  }

  private ensureAddressSet(tx: DesiredState<NorthboundTables>, name: string, addresses: string[], ids: Map<string, string>): void {
    const row = byName(this.db, 'Address_Set', name);
    if (row) assertOwned('Address_Set', name, row, this.owner);
    if (row) {
      tx.updateChanged('Address_Set', row, { external_ids: ids });
      tx.updateSet('Address_Set', row, 'addresses', addresses);
    } else tx.insertNamed<AddressSet>('Address_Set', { name, addresses, external_ids: ids });
  }

  /** The policy types recorded on a policy's port group. */
  private static policyTypes(pg: PortGroup): PolicyDirection[] {
    return (pg.external_ids.get(POLICY_TYPES_KEY) ?? '').split(',').filter((d): d is PolicyDirection => d === 'ingress' || d === 'egress');
  }

  /** This controller's policy port groups of a namespace. */
  private policyGroups(namespace?: string): PortGroup[] {
    return ownedBy(this.db, 'Port_Group', this.owner, 'NetworkPolicy')
      .filter((pg) => namespace === undefined || parseNamespacedObjectName(pg.external_ids.get(OBJECT_NAME_KEY) ?? '').namespace === namespace);
  }

  /** Recomputes (or deletes) the namespace's default-deny groups from every policy group of the namespace. */
  private ensureDefaultDeny(tx: DesiredState<NorthboundTables>, namespace: string,
    override: { name: string; ports: readonly Uuid[]; directions: PolicyDirection[] } | { names: ReadonlySet<string>; deleted: true }): void {
    const skipped = (name: string): boolean => ('deleted' in override ? override.names.has(name) : override.name === name);
    for (const direction of ['ingress', 'egress'] as const) {
      const ports = new Set<Uuid>();
      let any = false;
      for (const pg of this.policyGroups(namespace)) {
        if (skipped(pg.name) || !OvnNetworkPolicies.policyTypes(pg).includes(direction)) continue;
        any = true;
        for (const p of pg.ports) ports.add(p);
      }
      if (!('deleted' in override) && override.directions.includes(direction)) {
        any = true;
        for (const p of override.ports) ports.add(p);
      }
      const name = defaultDenyPortGroupName(namespace, direction);
      const row = byName(this.db, 'Port_Group', name);
      if (!any) {
        if (row && isOwned(row, this.owner)) tx.delete('Port_Group', row._uuid);
        continue;
      }
      const gress = gressName(direction);
      const ids = (type?: string): Map<string, string> => ownerIds(this.owner, 'NetpolNamespace', namespace,
        type === undefined ? [[POLICY_DIRECTION_KEY, gress]] : [[POLICY_DIRECTION_KEY, gress], [TYPE_KEY, type]], true);
      const dir = aclDirection(direction);
      this.ensurePortGroup(tx, name, [...ports], ids(), [
        { direction: dir, priority: DEFAULT_DENY_PRIORITY, match: portGroupMatch(name, direction), action: 'drop', name: aclName(namespace, gress), options: aclOptions(direction), external_ids: ids('defaultDeny') },
        { direction: dir, priority: DEFAULT_ALLOW_PRIORITY, match: arpAllowMatch(name, direction), action: 'allow', name: aclName(namespace, gress), options: aclOptions(direction), external_ids: ids('arpAllow') },
      ]);
    }
  }

  /** Adds the deletion of policies (their port groups and address sets) and the namespaces' new default deny to `tx`. */
  private buildDelete(tx: DesiredState<NorthboundTables>, keys: readonly NamespacedKey[]): void {
    const byNamespace = new Map<string, Set<string>>();
    for (const key of keys) {
      const objectName = namespacedObjectName(key.namespace, key.name);
      const pgName = policyPortGroupName(key.namespace, key.name);
      const pg = byName(this.db, 'Port_Group', pgName);
      if (pg && isOwned(pg, this.owner, 'NetworkPolicy', objectName)) tx.delete('Port_Group', pg._uuid);
      for (const set of ownedBy(this.db, 'Address_Set', this.owner, 'NetworkPolicy', objectName)) tx.delete('Address_Set', set._uuid);
      const names = byNamespace.get(key.namespace) ?? new Set<string>();
      names.add(pgName);
      byNamespace.set(key.namespace, names);
    }
    for (const [namespace, names] of byNamespace) this.ensureDefaultDeny(tx, namespace, { names, deleted: true });
  }

  /**
   * Deletes a policy; the namespace's default deny shrinks (or goes) with it. One transaction; false (nothing
   * sent) when the policy has no rows.
   * @throws OvnNotOwnedError when the port group of the policy's name is another controller's or tool's.
   */
  async delete(key: NamespacedKey): Promise<boolean> {
    checkNamespacedName('network policy', key);
    const pgName = policyPortGroupName(key.namespace, key.name);
    return commitDesired(this.db, (tx) => {
      const pg = byName(this.db, 'Port_Group', pgName);
      if (pg) assertOwned('Port_Group', pgName, pg, this.owner);
      this.buildDelete(tx, [key]);
      return !tx.isEmpty;
    });
  }

  /** The policy as stored (this controller's port group of it), or undefined. */
  get(key: NamespacedKey): NetworkPolicyInfo | undefined {
    const pg = byName(this.db, 'Port_Group', policyPortGroupName(key.namespace, key.name));
    if (!pg || !isOwned(pg, this.owner, 'NetworkPolicy', namespacedObjectName(key.namespace, key.name))) return undefined;
    return this.info(pg);
  }

  private info(pg: PortGroup): NetworkPolicyInfo {
    const objectName = pg.external_ids.get(OBJECT_NAME_KEY) as string;
    const { namespace, name } = parseNamespacedObjectName(objectName);
    const pods: NamespacedKey[] = [];
    for (const u of pg.ports) {
      const lsp = this.db.table('Logical_Switch_Port').get(u);
      const sep = lsp ? lsp.name.indexOf('_') : -1;
      if (lsp && sep > 0) pods.push({ namespace: lsp.name.slice(0, sep), name: lsp.name.slice(sep + 1) });
    }
    const addressSets = ownedBy(this.db, 'Address_Set', this.owner, 'NetworkPolicy', objectName).map((s) => s.name).sort();
    return { namespace, name, portGroup: pg.name, policyTypes: OvnNetworkPolicies.policyTypes(pg), pods, addressSets };
  }

  /** Every policy this controller owns (optionally of one namespace). */
  list(filter: NamespaceFilter = {}): NetworkPolicyInfo[] {
    return this.policyGroups(filter.namespace).map((pg) => this.info(pg));
  }

  /**
   * Deletes every policy this controller owns that is not in `existing` (port groups and address sets, also address
   * sets left without their port group), recomputing the namespaces' default deny. One transaction.
   */
  async sync(existing: Iterable<NamespacedKey>): Promise<NamespacedKey[]> {
    const keep = new Set<string>();
    for (const k of existing) keep.add(namespacedObjectName(k.namespace, k.name));
    return commitDesired(this.db, (tx) => {
      const stale = new Set<string>();
      for (const table of ['Port_Group', 'Address_Set'] as const) {
        for (const row of ownedBy(this.db, table, this.owner, 'NetworkPolicy')) {
          const objectName = row.external_ids.get(OBJECT_NAME_KEY) as string;
          if (!keep.has(objectName)) stale.add(objectName);
        }
      }
      const keys = [...stale].sort().map(parseNamespacedObjectName);
      this.buildDelete(tx, keys);
      // Default denies are recomputed for the other namespaces too: one left without any policy goes.
      const others = new Set(ownedBy(this.db, 'Port_Group', this.owner, 'NetpolNamespace').map((pg) => pg.external_ids.get(OBJECT_NAME_KEY) as string));
      for (const k of keys) others.delete(k.namespace);
      for (const namespace of others) this.ensureDefaultDeny(tx, namespace, { names: new Set(), deleted: true });
      return keys;
    });
  }
}
