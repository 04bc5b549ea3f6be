// EgressFirewall: which destinations outside the cluster a namespace's pods may reach, as ovn-kubernetes' egress
// firewall controller builds it (go-controller pkg/ovn/controller/egressfirewall): one ACL per rule on the
// namespace's port group (namespace-port-group.ts), `to-lport`, match `<destination> && inport == @<group>
// [&& <ports>]`, priority 10000 minus the rule's index (first rule wins; at most 8000 rules, ovn-kubernetes'
// EgressFirewallStartPriority - MinimumReservedEgressFirewallPriority), action `allow` or `drop`; external_ids
// owner-type EgressFirewall, name the namespace, rule-index. Traffic no rule matches is allowed.
//
//   to.cidrSelector   `ip4.dst == <cidr>` or `ip6.dst == <cidr>`; the cluster subnets and the join subnet of the
//                     CIDR's family that it overlaps are excluded (`&& ip6.dst != {fd00:10:244::/48, fd98::/64}`):
//                     an egress firewall is about leaving the cluster. ovn-kubernetes excludes only the cluster
//                     subnets, so there a `0.0.0.0/0` deny also drops a pod's replies to a NodePort client, which
//                     GR_<node> SNATs to its join address (lb_force_snat_ip=router_ip; the node switch sends
//                     traffic to its router port through the ACLs without conntrack, so a reply is matched like a
//                     new packet), and its users are told to allow 100.64.0.0/16 by hand. Excluding the join
//                     subnets here does that for both families; they hold only router ports
//   to.dnsName        an address set per name and family (owner-type EgressFirewallDNS, shared by every namespace
//                     naming it) filled with what the resolver returns: one per family of the cluster subnets (IPv4
//                     without them) even if empty, and one for any other family the resolver returns; refused
//                     (OvnInvalidFieldError) when no resolver is given. Wildcards (`*.example.com`) need
//                     ovn-kubernetes' DNSNameResolver: refused
//   to.nodeSelector   the addresses of the nodes it selects (the nodeAddresses option resolves the selector);
//                     refused without it; a selector that selects no node gives no ACL
//   ports             `((tcp && (tcp.dst == 80 || tcp.dst == 443)) || (udp))`: a protocol without a port is all of it
//
// Key `{ namespace, name }`; the CRD allows one EgressFirewall per namespace, named `default`.
import type { ACL, NorthboundTables } from '../models/ovn-northbound.js';
import { checkPort } from './acl-match.js';
import { commitDesired, type DesiredState } from './desired-state.js';
import type { CrdLabelSelector, EgressFirewallRule } from './egress-crds.js';
import { OvnInvalidFieldError } from './errors.js';
import { parsePrefix, prefixSize, tryParseAddress, type IpFamily, type IpPrefix } from './ip.js';
import { checkKubernetesName } from './kubernetes-names.js';
import { joinPrefixOf, joinPrefixV6Of } from './topology.js';
import { DEFAULT_CONTROLLER, IP_FAMILY_KEY, OBJECT_NAME_KEY, RULE_INDEX_KEY, hashForOvn } from './names.js';
import { byName, ownedBy, type Northbound } from './northbound.js';
import { aclsOf, ensureNamespaceAcls, namespacePortGroupName, namespacesWithAcls, removeNamespaceAcls, type WantedAcl } from './namespace-port-group.js';
import { assertOwned, isOwned, ownerIds, type Owner } from './ownership.js';
import type { Changed, KindOptions, NamespaceFilter, NamespacedKey, OvnKind } from './kind.js';

/** ovn-kubernetes' EgressFirewallStartPriority: the first rule's ACL priority. */
export const EGRESS_FIREWALL_START_PRIORITY = 10_000;
/** ovn-kubernetes' MinimumReservedEgressFirewallPriority: no rule goes below it. */
export const EGRESS_FIREWALL_MIN_PRIORITY = 2000;
/** The most rules one EgressFirewall can have. */
export const EGRESS_FIREWALL_MAX_RULES = EGRESS_FIREWALL_START_PRIORITY - EGRESS_FIREWALL_MIN_PRIORITY;
/** The only name the CRD allows. */
export const EGRESS_FIREWALL_NAME = 'default';

/** Resolves a DNS name to its current addresses (IPv4 and/or IPv6). */
export type EgressDnsResolver = (dnsName: string) => Promise<readonly string[]>;

/** An EgressFirewall (k8s.ovn.org/v1) as OVN needs it: the namespace, the name (`default`) and spec.egress. */
export interface EgressFirewallSpec extends NamespacedKey {
  readonly egress: readonly EgressFirewallRule[];
}

export interface EgressFirewallInfo extends NamespacedKey {
  /** The ACLs' rules by index: action and match as stored. */
  readonly rules: readonly { readonly index: number; readonly action: string; readonly match: string }[];
  /** The DNS names whose address sets the rules use. */
  readonly dnsNames: readonly string[];
}

export interface OvnEgressFirewallsOptions extends KindOptions {
  /** The cluster's pod networks (both families in a dual-stack cluster): excluded from CIDR rules that cover them; their families get DNS address sets. */
  readonly clusterSubnets?: readonly string[];
  /** The join subnets (default 100.64.0.0/16 and fd98::/64, as OvnNodes'): excluded from CIDR rules that cover them. */
  readonly joinSubnet?: string;
  readonly joinSubnetV6?: string;
  /** Resolves `to.dnsName` rules; without it they are refused. */
  readonly resolver?: EgressDnsResolver;
  /** The node addresses a `to.nodeSelector` selects; without it those rules are refused. */
  readonly nodeAddresses?: (selector: CrdLabelSelector) => readonly string[];
}

const WILDCARD = '*.';
/** The CRD's dnsName pattern. */
const DNS_NAME = /^(\*\.)?([A-Za-z0-9-]+\.)*[A-Za-z0-9-]+\.?$/;
const PROTOCOLS = { TCP: 'tcp', UDP: 'udp', SCTP: 'sctp' } as const;

const objectOf = (key: NamespacedKey): string => `egressfirewall ${key.namespace}/${key.name}`;
/** A DNS name as ovn-kubernetes keys it: lower case, no trailing dot. */
const canonicalDnsName = (name: string): string => name.toLowerCase().replace(/\.$/, '');

function overlaps(a: IpPrefix, b: IpPrefix): boolean {
  return a.family === b.family && a.network < b.network + prefixSize(b) && b.network < a.network + prefixSize(a);
}

/** `((tcp && (tcp.dst == 80 || tcp.dst == 443)) || (udp))`, or undefined for no ports (see the file comment). */
export function egressFirewallPortsMatch(ports: EgressFirewallRule['ports'], object: string, field: string): string | undefined {
  if (ports === undefined || ports === null) return undefined;
  if (!Array.isArray(ports as unknown)) throw new OvnInvalidFieldError(object, field, ports, 'must be an array');
  if (ports.length === 0) return undefined;
  const byProtocol = new Map<string, Set<number> | 'all'>();
  ports.forEach((p, j) => {
    if (typeof p !== 'object' || p === null) throw new OvnInvalidFieldError(object, `${field}[${j}]`, p, 'must be an object');
    const protocol = PROTOCOLS[p.protocol as keyof typeof PROTOCOLS];
    if (!protocol) throw new OvnInvalidFieldError(object, `${field}[${j}].protocol`, p.protocol, 'EgressFirewall ports are TCP, UDP or SCTP');
    if (p.port === undefined || p.port === 0) { byProtocol.set(protocol, 'all'); return; }
    checkPort(p.port, object, `${field}[${j}].port`);
    const have = byProtocol.get(protocol);
    if (have === 'all') return;
    byProtocol.set(protocol, (have ?? new Set()).add(p.port));
  });
  const terms = (['tcp', 'udp', 'sctp'] as const).filter((p) => byProtocol.has(p)).map((protocol) => {
    const ports = byProtocol.get(protocol)!;
    if (ports === 'all') return `(${protocol})`;
    return `(${protocol} && (${[...ports].sort((a, b) => a - b).map((n) => `${protocol}.dst == ${n}`).join(' || ')}))`;
  });
  return `(${terms.join(' || ')})`;
}

/** A rule's destination resolved: a match, or nothing to match (a selector without nodes). */
interface Destination { readonly match?: string; readonly dnsName?: string; readonly sets?: readonly { name: string; family: IpFamily; addresses: string[] }[] }

/** EgressFirewalls in OVN_Northbound (see the file comment). */
export class OvnEgressFirewalls implements OvnKind<EgressFirewallSpec, NamespacedKey, EgressFirewallInfo, EgressFirewallInfo & Changed, NamespaceFilter> {
  readonly ownerType = 'EgressFirewall' as const;
  readonly controller: string;
  private readonly owner: Owner;

  constructor(readonly db: Northbound, private readonly options: OvnEgressFirewallsOptions = {}) {
    this.controller = options.controller ?? DEFAULT_CONTROLLER;
    this.owner = { controller: this.controller };
  }

  /** The address set of a DNS name and family (shared by every namespace). */
  dnsAddressSetName(dnsName: string, family: IpFamily): string {
    return `${hashForOvn(`${this.controller}:EgressFirewallDNS:${canonicalDnsName(dnsName)}`)}_v${family}`;
  }

  private mine(namespace?: string): (acl: ACL) => boolean {
    return (acl) => isOwned(acl, this.owner, 'EgressFirewall', namespace);
  }

  /**
   * Makes the namespace's egress firewall ACLs exactly the rules (DNS names resolved first); one transaction.
   * @throws OvnInvalidNameError; OvnInvalidFieldError naming the field (a name other than `default`, too many rules, a
   *   bad type, CIDR, port or protocol, a rule with not exactly one destination, a DNS name without a resolver or
   *   with a wildcard, a node selector without nodeAddresses); OvnNotOwnedError. Nothing is sent.
   */
  async ensure(spec: EgressFirewallSpec): Promise<EgressFirewallInfo & Changed> {
    checkKubernetesName('namespace', spec.namespace);
    checkKubernetesName('egress firewall', spec.name);
    const object = objectOf(spec);
    if (spec.name !== EGRESS_FIREWALL_NAME) throw new OvnInvalidFieldError(object, 'metadata.name', spec.name, `an EgressFirewall must be named "${EGRESS_FIREWALL_NAME}" (one per namespace)`);
    if (!Array.isArray(spec.egress as unknown)) throw new OvnInvalidFieldError(object, 'spec.egress', spec.egress, 'must be an array');
    spec.egress.forEach((rule, i) => {
      if (typeof rule !== 'object' || rule === null) throw new OvnInvalidFieldError(object, `spec.egress[${i}]`, rule, 'must be an object');
    });
    if (spec.egress.length > EGRESS_FIREWALL_MAX_RULES) throw new OvnInvalidFieldError(object, 'spec.egress', spec.egress.length, `at most ${EGRESS_FIREWALL_MAX_RULES} rules`);
    let cluster: IpPrefix[];
    try { cluster = (this.options.clusterSubnets ?? []).map((s) => parsePrefix(s)); } catch (err) {
      throw new OvnInvalidFieldError('cluster', 'clusterSubnets', this.options.clusterSubnets, (err as Error).message);
    }
    const excluded = [...cluster, joinPrefixOf(this.options), joinPrefixV6Of(this.options)];
    const destinations: Destination[] = [];
    for (const [i, rule] of spec.egress.entries()) destinations.push(await this.destination(rule, `spec.egress[${i}]`, object, cluster, excluded));
    const pgName = namespacePortGroupName(this.controller, spec.namespace);
    const acls: WantedAcl[] = [];
    spec.egress.forEach((rule, i) => {
      const field = `spec.egress[${i}]`;
      if (rule.type !== 'Allow' && rule.type !== 'Deny') throw new OvnInvalidFieldError(object, `${field}.type`, rule.type, 'Allow or Deny');
      const ports = egressFirewallPortsMatch(rule.ports, object, `${field}.ports`);
      const dst = destinations[i].match;
      if (dst === undefined) return;
      acls.push({
        name: `EF:${spec.namespace}:${i}`.slice(0, 63), direction: 'to-lport', priority: EGRESS_FIREWALL_START_PRIORITY - i,
        action: rule.type === 'Allow' ? 'allow' : 'drop', match: [dst, `inport == @${pgName}`, ports].filter((t) => t !== undefined).join(' && '),
        external_ids: ownerIds(this.owner, 'EgressFirewall', spec.namespace, [[RULE_INDEX_KEY, String(i)]], true),
      });
    });
    const changed = await commitDesired(this.db, (tx) => {
      for (const d of destinations) for (const set of d.sets ?? []) this.ensureDnsSet(tx, d.dnsName!, set);
      ensureNamespaceAcls(this.db, tx, this.owner, spec.namespace, acls, this.mine(spec.namespace));
      this.removeUnusedDnsSets(tx, new Map([[spec.namespace, acls.map((a) => a.match)]]));
      return !tx.isEmpty;
    });
    return { ...(this.get(spec) ?? { namespace: spec.namespace, name: spec.name, rules: [], dnsNames: [] }), changed };
  }

  private async destination(rule: EgressFirewallRule, field: string, object: string, cluster: IpPrefix[], notOutside: IpPrefix[]): Promise<Destination> {
    const to = rule.to ?? {};
    const given = (['cidrSelector', 'dnsName', 'nodeSelector'] as const).filter((k) => to[k] !== undefined);
    if (given.length !== 1) throw new OvnInvalidFieldError(object, `${field}.to`, to, 'exactly one of cidrSelector, dnsName, nodeSelector');
    if (to.cidrSelector !== undefined) {
      let cidr: IpPrefix;
      try { cidr = parsePrefix(to.cidrSelector, true); } catch (err) { throw new OvnInvalidFieldError(object, `${field}.to.cidrSelector`, to.cidrSelector, (err as Error).message); }
      const dst = `ip${cidr.family}.dst`;
      const excluded = notOutside.filter((c) => overlaps(c, cidr)).map((c) => c.text);
      if (excluded.length === 0) return { match: `(${dst} == ${cidr.text})` };
      return { match: `(${dst} == ${cidr.text} && ${dst} != ${excluded.length === 1 ? excluded[0] : `{${excluded.join(', ')}}`})` };
    }
    if (to.dnsName !== undefined) {
      const name = to.dnsName;
      if (typeof name !== 'string' || !DNS_NAME.test(name)) throw new OvnInvalidFieldError(object, `${field}.to.dnsName`, name, 'not a DNS name');
      if (name.startsWith(WILDCARD)) throw new OvnInvalidFieldError(object, `${field}.to.dnsName`, name, 'wildcard DNS names need ovn-kubernetes\' DNSNameResolver, which this library does not have');
      if (!this.options.resolver) throw new OvnInvalidFieldError(object, `${field}.to.dnsName`, name, 'DNS name rules need a resolver (OvnEgressFirewallsOptions.resolver)');
      const resolved = await this.options.resolver(canonicalDnsName(name));
      // One set per family the cluster carries (ovn-kubernetes: per enabled IP mode), even when empty, so a name
      // whose addresses come and go keeps its ACL; a family only the resolver returned gets its set too.
      const byFamily = new Map<IpFamily, string[]>((cluster.length > 0 ? [...new Set(cluster.map((c) => c.family))] : [4 as const]).map((f) => [f, []]));
      for (const text of resolved) {
        const a = tryParseAddress(text);
        if (!a) throw new OvnInvalidFieldError(object, `${field}.to.dnsName`, name, `the resolver returned ${JSON.stringify(text)}, not an address`);
        byFamily.set(a.family, [...(byFamily.get(a.family) ?? []), a.text]);
      }
      const sets = [...byFamily].sort(([a], [b]) => a - b).map(([family, addresses]) => ({ name: this.dnsAddressSetName(name, family), family, addresses: [...new Set(addresses)].sort() }));
      const terms = sets.map((s) => `ip${s.family}.dst == $${s.name}`);
      return { match: terms.length === 1 ? `(${terms[0]})` : `(${terms.join(' || ')})`, dnsName: canonicalDnsName(name), sets };
    }
    if (!this.options.nodeAddresses) throw new OvnInvalidFieldError(object, `${field}.to.nodeSelector`, to.nodeSelector, 'node selector rules need the nodeAddresses option to resolve them');
    const byFamily = new Map<IpFamily, string[]>();
    for (const text of this.options.nodeAddresses(to.nodeSelector!)) {
      const a = tryParseAddress(text.includes('/') ? text.slice(0, text.indexOf('/')) : text);
      if (!a) throw new OvnInvalidFieldError(object, `${field}.to.nodeSelector`, text, 'a node address that is not one');
      byFamily.set(a.family, [...(byFamily.get(a.family) ?? []), a.text]);
    }
    if (byFamily.size === 0) return {};
    const terms = [...byFamily].sort(([a], [b]) => a - b).map(([family, list]) => {
      const unique = [...new Set(list)].sort();
      return `ip${family}.dst == ${unique.length === 1 ? unique[0] : `{${unique.join(', ')}}`}`;
    });
    return { match: `(${terms.join(' || ')})` };
  }

  private ensureDnsSet(tx: DesiredState<NorthboundTables>, dnsName: string, set: { name: string; family: IpFamily; addresses: string[] }): void {
    const row = byName(this.db, 'Address_Set', set.name);
    if (row) {
      assertOwned('Address_Set', set.name, row, this.owner);
      tx.updateSet('Address_Set', row, 'addresses', set.addresses);
    } else {
      tx.insertNamed('Address_Set', {
        name: set.name, addresses: set.addresses,
        external_ids: ownerIds(this.owner, 'EgressFirewallDNS', dnsName, [[IP_FAMILY_KEY, `v${set.family}`]], true),
      });
    }
  }

  /** Deletes the DNS address sets no egress firewall ACL names any more, the namespaces of `replaced` having those matches now. */
  private removeUnusedDnsSets(tx: DesiredState<NorthboundTables>, replaced: ReadonlyMap<string, readonly string[]>): void {
    const used = [...replaced.values()].flat();
    for (const ns of namespacesWithAcls(this.db, this.owner, this.mine())) {
      if (replaced.has(ns)) continue;
      const pg = byName(this.db, 'Port_Group', namespacePortGroupName(this.controller, ns));
      used.push(...aclsOf(this.db, pg).filter(this.mine(ns)).map((a) => a.match));
    }
    for (const set of ownedBy(this.db, 'Address_Set', this.owner, 'EgressFirewallDNS')) {
      if (!used.some((m) => m.includes(`$${set.name}`))) tx.delete('Address_Set', set._uuid);
    }
  }

  /** Removes the namespace's egress firewall ACLs (and the namespace's port group if nothing else uses it). */
  async delete(key: NamespacedKey): Promise<boolean> {
    checkKubernetesName('namespace', key.namespace);
    return commitDesired(this.db, (tx) => {
      removeNamespaceAcls(this.db, tx, this.owner, key.namespace, this.mine(key.namespace));
      this.removeUnusedDnsSets(tx, new Map([[key.namespace, []]]));
      return !tx.isEmpty;
    });
  }

  get(key: NamespacedKey): EgressFirewallInfo | undefined {
    const pg = byName(this.db, 'Port_Group', namespacePortGroupName(this.controller, key.namespace));
    const acls = aclsOf(this.db, pg).filter(this.mine(key.namespace));
    if (acls.length === 0) return undefined;
    const sets = ownedBy(this.db, 'Address_Set', this.owner, 'EgressFirewallDNS');
    return {
      namespace: key.namespace, name: EGRESS_FIREWALL_NAME,
      rules: acls.map((a) => ({ index: Number(a.external_ids.get(RULE_INDEX_KEY)), action: a.action, match: a.match })).sort((a, b) => a.index - b.index),
      dnsNames: [...new Set(sets.filter((s) => acls.some((a) => a.match.includes(`$${s.name}`))).map((s) => s.external_ids.get(OBJECT_NAME_KEY) ?? ''))].sort(),
    };
  }

  list(filter: NamespaceFilter = {}): EgressFirewallInfo[] {
    return namespacesWithAcls(this.db, this.owner, this.mine()).filter((ns) => filter.namespace === undefined || ns === filter.namespace)
      .map((namespace) => this.get({ namespace, name: EGRESS_FIREWALL_NAME })).filter((i) => i !== undefined);
  }

  async sync(existing: Iterable<NamespacedKey>): Promise<NamespacedKey[]> {
    const keep = new Set([...existing].map((k) => k.namespace));
    return commitDesired(this.db, (tx) => {
      const stale = namespacesWithAcls(this.db, this.owner, this.mine()).filter((ns) => !keep.has(ns));
      for (const ns of stale) removeNamespaceAcls(this.db, tx, this.owner, ns, this.mine(ns));
      if (stale.length > 0) this.removeUnusedDnsSets(tx, new Map(stale.map((ns) => [ns, []])));
      return stale.map((namespace) => ({ namespace, name: EGRESS_FIREWALL_NAME }));
    });
  }
}
