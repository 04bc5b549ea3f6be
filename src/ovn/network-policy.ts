// Kubernetes NetworkPolicy as OVN port groups, address sets and ACLs, the way ovn-kubernetes lays them out:
//   - per namespace and direction a default-deny port group `<hash(ns)>_ingressDefaultDeny` holding every pod
//     selected by a policy of that direction, with a drop ACL (priority 1000) and an ARP/ND allow (1001);
//   - per policy a port group `hash(<ns>_<policy>)` of the selected pods with one allow-related ACL per rule
//     (1001; 1010 for ipBlocks with `except`); peers resolved to pod addresses live in address sets
//     `hash(<ns>.<policy>.<direction>.<rule>)_v4|_v6`.
// Ingress ACLs are `to-lport` on `outport == @pg`, egress `from-lport` on `inport == @pg` (applied after the
// load balancer, as ovn-kubernetes does). The caller resolves selectors to pods and addresses.
import type { Uuid } from '../ovsdb/datum.js';
import type { ACL, AddressSet, NorthboundTables, PortGroup } from '../models/ovn-northbound.js';
import {
  DEFAULT_ALLOW_PRIORITY, DEFAULT_DENY_PRIORITY, IPBLOCK_EXCEPT_PRIORITY,
  aclDirection, addressSetMatch, andMatch, arpAllowMatch, defaultDenyPortGroupName, ipBlockMatch, l4Match, peerAddressSetName,
  policyPortGroupName, portGroupMatch, type IpBlock, type PolicyDirection, type PolicyPort,
} from './acl-match.js';
import { parseAddress, type IpFamily } from './ip.js';
import { OWNER, OWNER_KEY, podPortName } from './names.js';
import { commitDesired, type DesiredState, type RowRef } from './desired-state.js';
import { byName, type Northbound } from './northbound.js';

const NAMESPACE_KEY = 'k8s.ovn.org/namespace';
const POLICY_KEY = 'k8s.ovn.org/policy';
const DIRECTIONS_KEY = 'k8s.ovn.org/policy-directions';
const KIND_KEY = 'k8s.ovn.org/kind';

export interface PolicyRule {
  /** Addresses of the peer pods (selectors resolved by the caller). Omitted with no ipBlocks: any peer. */
  readonly peerAddresses?: readonly string[];
  readonly ipBlocks?: readonly IpBlock[];
  /** Omitted: every port and protocol. */
  readonly ports?: readonly PolicyPort[];
}

export interface NetworkPolicyOptions {
  readonly namespace: string;
  readonly name: string;
  /** The pods the policy selects (their ports must exist). */
  readonly pods: readonly { readonly namespace: string; readonly name: string }[];
  /** Present (even empty) = the policy has this type. */
  readonly ingress?: readonly PolicyRule[];
  readonly egress?: readonly PolicyRule[];
}

interface DesiredAcl { direction: 'to-lport' | 'from-lport'; priority: number; match: string; action: 'allow' | 'allow-related' | 'drop'; name: string; options: Map<string, string> }

const aclKey = (a: { direction: string; priority: number | bigint; match: string; action: string }): string => `${a.direction}|${a.priority}|${a.action}|${a.match}`;

function aclName(namespace: string, policy: string, suffix: string): string {
  return `NP:${namespace}:${policy}:${suffix}`.slice(0, 63);
}

function aclOptions(direction: PolicyDirection): Map<string, string> {
  return direction === 'egress' ? new Map([['apply-after-lb', 'true']]) : new Map();
}

/** Makes a port group's ACLs exactly `want` (ACLs are children of the group). */
function ensureAcls(tx: DesiredState<NorthboundTables>, db: Northbound, pg: RowRef, pgRow: PortGroup | undefined, want: DesiredAcl[], ids: Map<string, string>): void {
  const have = pgRow ? pgRow.acls.map((u) => db.table('ACL').get(u)).filter((a): a is ACL => a !== undefined) : [];
  const wantKeys = new Map(want.map((a) => [aclKey(a), a]));
  const haveKeys = new Set<string>();
  for (const a of have) {
    const k = aclKey(a);
    const w = wantKeys.get(k);
    if (!w || haveKeys.has(k)) { tx.removeFromSet('Port_Group', pg as Uuid, 'acls', [a._uuid]); continue; }
    haveKeys.add(k);
    tx.updateChanged('ACL', a, { name: w.name, options: w.options, external_ids: ids });
  }
  const inserted: RowRef[] = [];
  for (const [k, a] of wantKeys) {
    if (haveKeys.has(k)) continue;
    inserted.push(tx.insert<ACL>('ACL', { ...a, external_ids: ids }));
  }
  if (inserted.length > 0) tx.addRef('Port_Group', pg, 'acls', inserted);
}

function ensurePortGroup(tx: DesiredState<NorthboundTables>, db: Northbound, name: string, ports: readonly Uuid[], ids: Map<string, string>, acls: DesiredAcl[]): void {
  const row = byName(db, 'Port_Group', name);
  let pg: RowRef;
  if (row) { tx.updateChanged('Port_Group', row, { ports, external_ids: ids }); pg = row._uuid; } else pg = tx.insertNamed<PortGroup>('Port_Group', { name, ports, external_ids: ids });
  ensureAcls(tx, db, pg, row, acls, ids);
}

function ensureAddressSet(tx: DesiredState<NorthboundTables>, db: Northbound, name: string, addresses: string[], ids: Map<string, string>): void {
  const row = byName(db, 'Address_Set', name);
  if (row) tx.updateChanged('Address_Set', row, { addresses, external_ids: ids });
  else tx.insertNamed<AddressSet>('Address_Set', { name, addresses, external_ids: ids });
}

function policyDirections(pg: PortGroup): PolicyDirection[] {
  return (pg.external_ids.get(DIRECTIONS_KEY) ?? '').split(',').filter((d): d is PolicyDirection => d === 'ingress' || d === 'egress');
}

/** Recomputes (or deletes) the namespace's default-deny groups from every policy group of the namespace. */
function ensureDefaultDeny(tx: DesiredState<NorthboundTables>, db: Northbound, namespace: string, override: { name: string; ports: readonly Uuid[]; directions: PolicyDirection[] } | { name: string; deleted: true }): void {
  for (const direction of ['ingress', 'egress'] as const) {
    const ports = new Set<Uuid>();
    let any = false;
    for (const pg of db.table('Port_Group')) {
      if (pg.external_ids.get(KIND_KEY) !== 'NetworkPolicy' || pg.external_ids.get(NAMESPACE_KEY) !== namespace) continue;
      if (pg.name === override.name) continue;
      if (!policyDirections(pg).includes(direction)) continue;
      any = true;
      for (const p of pg.ports) ports.add(p);
    }
    if (!('deleted' in override) && override.directions.includes(direction)) {
      any = true;
      for (const p of override.ports) ports.add(p);
    }
    const name = defaultDenyPortGroupName(namespace, direction);
    const row = byName(db, 'Port_Group', name);
    if (!any) { if (row) tx.delete('Port_Group', row._uuid); continue; }
    const ids = new Map([[OWNER_KEY, OWNER], [KIND_KEY, 'NetworkPolicyDefaultDeny'], [NAMESPACE_KEY, namespace], ['direction', direction]]);
    const dir = aclDirection(direction);
    ensurePortGroup(tx, db, name, [...ports], ids, [
      { direction: dir, priority: DEFAULT_DENY_PRIORITY, match: portGroupMatch(name, direction), action: 'drop', name: aclName(namespace, direction, 'defaultDeny'), options: aclOptions(direction) },
      { direction: dir, priority: DEFAULT_ALLOW_PRIORITY, match: arpAllowMatch(name, direction), action: 'allow', name: aclName(namespace, direction, 'arpAllow'), options: aclOptions(direction) },
    ]);
  }
}

/** Ensures a policy (its port group, ACLs, address sets and the namespace's default deny). One transaction. */
export async function ensureNetworkPolicy(db: Northbound, policy: NetworkPolicyOptions): Promise<void> {
  const pgName = policyPortGroupName(policy.namespace, policy.name);
  const directions: PolicyDirection[] = [];
  if (policy.ingress) directions.push('ingress');
  if (policy.egress) directions.push('egress');
  await commitDesired(db, (tx) => {
    const ports: Uuid[] = [];
    for (const p of policy.pods) {
      const lsp = byName(db, 'Logical_Switch_Port', podPortName(p.namespace, p.name));
      if (lsp) ports.push(lsp._uuid);
    }
    const ids = new Map([[OWNER_KEY, OWNER], [KIND_KEY, 'NetworkPolicy'], [NAMESPACE_KEY, policy.namespace], [POLICY_KEY, `${policy.namespace}/${policy.name}`], [DIRECTIONS_KEY, directions.join(',')]]);
    const acls: DesiredAcl[] = [];
    const wantedSets = new Set<string>();
    for (const direction of directions) {
      const rules = (direction === 'ingress' ? policy.ingress : policy.egress) ?? [];
      const dir = aclDirection(direction);
      const base = portGroupMatch(pgName, direction);
      const gress = direction === 'ingress' ? 'Ingress' : 'Egress';
      rules.forEach((rule, index) => {
        const l4 = l4Match(rule.ports);
        const name = aclName(policy.namespace, policy.name, `${gress}:${index}`);
        const options = aclOptions(direction);
        if (rule.peerAddresses) {
          const byFamily = new Map<IpFamily, string[]>([[4, []], [6, []]]);
          for (const a of rule.peerAddresses) { const ip = parseAddress(a); byFamily.get(ip.family)?.push(ip.text); }
          const sets: { name: string; family: IpFamily }[] = [];
          for (const [family, addresses] of byFamily) {
            if (family === 6 && addresses.length === 0) continue;
            const setName = peerAddressSetName(policy.namespace, policy.name, direction, index, family);
            wantedSets.add(setName);
            ensureAddressSet(tx, db, setName, addresses.sort(), ids);
            sets.push({ name: setName, family });
          }
          acls.push({ direction: dir, priority: DEFAULT_ALLOW_PRIORITY, match: andMatch(base, addressSetMatch(sets, direction), l4), action: 'allow-related', name, options });
        }
        for (const block of rule.ipBlocks ?? []) {
          const priority = block.except && block.except.length > 0 ? IPBLOCK_EXCEPT_PRIORITY : DEFAULT_ALLOW_PRIORITY;
          acls.push({ direction: dir, priority, match: andMatch(base, ipBlockMatch(block, direction), l4), action: 'allow-related', name, options });
        }
        if (!rule.peerAddresses && !(rule.ipBlocks && rule.ipBlocks.length > 0)) {
          acls.push({ direction: dir, priority: DEFAULT_ALLOW_PRIORITY, match: andMatch(base, '(ip4 || ip6)', l4), action: 'allow-related', name, options });
        }
      });
    }
    ensurePortGroup(tx, db, pgName, ports, ids, acls);
    for (const set of db.table('Address_Set')) {
      if (set.external_ids.get(POLICY_KEY) === `${policy.namespace}/${policy.name}` && !wantedSets.has(set.name)) tx.delete('Address_Set', set._uuid);
    }
    ensureDefaultDeny(tx, db, policy.namespace, { name: pgName, ports, directions });
    return undefined;
  });
}

/** Deletes a policy; the namespace's default deny shrinks (or goes) with it. One transaction. */
export async function deleteNetworkPolicy(db: Northbound, namespace: string, name: string): Promise<void> {
  const pgName = policyPortGroupName(namespace, name);
  await commitDesired(db, (tx) => {
    const pg = byName(db, 'Port_Group', pgName);
    if (pg) tx.delete('Port_Group', pg._uuid);
    for (const set of db.table('Address_Set')) if (set.external_ids.get(POLICY_KEY) === `${namespace}/${name}`) tx.delete('Address_Set', set._uuid);
    if (pg) ensureDefaultDeny(tx, db, namespace, { name: pgName, deleted: true });
    return undefined;
  });
}
