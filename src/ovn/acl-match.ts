// OVN match expressions and priorities for Kubernetes NetworkPolicy, shaped as ovn-kubernetes writes them:
// per-namespace default-deny port groups, ARP/ND allowed, rules as allow-related ACLs on the policy's port group.
import { hashForOvn } from './names.js';
import { parseAddress, parsePrefix, type IpFamily, type IpPrefix } from './ip.js';
import { OvnInvalidFieldError } from './errors.js';

/** Drop everything not allowed, for pods selected by any policy of the namespace. */
export const DEFAULT_DENY_PRIORITY = 1000;
/** ARP/ND to selected pods, and the policies' rules. */
export const DEFAULT_ALLOW_PRIORITY = 1001;
/** Rules with an ipBlock that has `except` entries. */
export const IPBLOCK_EXCEPT_PRIORITY = 1010;

/** A NetworkPolicy direction (policy type). */
export type PolicyDirection = 'ingress' | 'egress';

/** `<hash(namespace)>_ingressDefaultDeny` / `_egressDefaultDeny` (ovn-kubernetes' names). */
export function defaultDenyPortGroupName(namespace: string, direction: PolicyDirection): string {
  return `${hashForOvn(namespace)}_${direction}DefaultDeny`;
}

/** The port group of the pods a policy selects: hash of `<namespace>_<policy>`. */
export function policyPortGroupName(namespace: string, policy: string): string {
  return hashForOvn(`${namespace}_${policy}`);
}

/** The address set of one rule's peers: hash of `<namespace>.<policy>.<direction>.<rule>` + `_v4`/`_v6`. */
export function peerAddressSetName(namespace: string, policy: string, direction: PolicyDirection, rule: number, family: IpFamily): string {
  return `${hashForOvn(`${namespace}.${policy}.${direction}.${rule}`)}_v${family}`;
}

/** `outport == @pg` for ingress (traffic to the pods), `inport == @pg` for egress. */
export function portGroupMatch(portGroup: string, direction: PolicyDirection): string {
  return `${direction === 'ingress' ? 'outport' : 'inport'} == @${portGroup}`;
}

/** The ARP/ND allow match of a default-deny port group (`outport == @pg && (arp || nd)`). */
export function arpAllowMatch(portGroup: string, direction: PolicyDirection): string {
  return `${portGroupMatch(portGroup, direction)} && (arp || nd)`;
}

/** The ACL direction OVN uses for a policy direction. */
export function aclDirection(direction: PolicyDirection): 'to-lport' | 'from-lport' {
  return direction === 'ingress' ? 'to-lport' : 'from-lport';
}

/** The L4 protocols of OVN load balancers and ACL matches. */
export type L4Protocol = 'tcp' | 'udp' | 'sctp';

/** A NetworkPolicy port: protocol, and a port or port range (omitted: every port of the protocol). */
export interface PolicyPort {
  readonly protocol: L4Protocol;
  readonly port?: number;
  /** With `port`: the inclusive end of a range. */
  readonly endPort?: number;
  /**
   * Only traffic to these addresses (at least one): a named port resolved per pod, where `port` is the number the
   * name has in those pods (the selected pods for ingress, the peers for egress).
   */
  readonly destinations?: readonly string[];
}

/** A NetworkPolicy ipBlock: a CIDR with exceptions of the same family. */
export interface IpBlock {
  readonly cidr: string;
  readonly except?: readonly string[];
}

/**
 * Checks an L4 port number (1..65535).
 * @throws OvnInvalidFieldError naming `object` and `field`.
 */
export function checkPort(port: number, object = 'port', field = 'port'): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new OvnInvalidFieldError(object, field, port, `port ${port} is outside 1..65535`);
}

/** The L4 protocols OVN load balancers and ACL matches take. */
export const L4_PROTOCOLS: readonly L4Protocol[] = ['tcp', 'udp', 'sctp'];

/** `ip4.dst == {10.244.1.5, 10.244.2.7}`, both families ORed: where a named port resolved per pod applies. */
function destinationMatch(destinations: readonly string[]): string {
  if (destinations.length === 0) throw new OvnInvalidFieldError('port', 'destinations', destinations, 'a port limited to destinations needs at least one');
  const byFamily = new Map<IpFamily, string[]>();
  for (const d of destinations) {
    const address = parseAddress(d);
    const list = byFamily.get(address.family) ?? [];
    list.push(address.text);
    byFamily.set(address.family, list);
  }
  const terms = [...byFamily].sort(([a], [b]) => a - b).map(([family, list]) => {
    const unique = [...new Set(list)].sort();
    return `ip${family}.dst == ${unique.length === 1 ? unique[0] : `{${unique.join(', ')}}`}`;
  });
  return terms.length === 1 ? terms[0] : `(${terms.join(' || ')})`;
}

/**
 * `tcp && tcp.dst == 80`, `udp && udp.dst >= 1000 && udp.dst <= 2000`, `sctp`, `ip4.dst == {a, b} && tcp && tcp.dst ==
 * 8080` (a named port); ORed in parentheses.
 */
export function l4Match(ports: readonly PolicyPort[] | undefined): string | undefined {
  if (!ports || ports.length === 0) return undefined;
  const terms = ports.map((p) => {
    const where = p.destinations === undefined ? '' : `${destinationMatch(p.destinations)} && `;
    if (p.port === undefined) return `${where}${p.protocol}`;
    checkPort(p.port);
    if (p.endPort !== undefined && p.endPort !== p.port) {
      checkPort(p.endPort);
      if (p.endPort < p.port) throw new OvnInvalidFieldError('port range', 'endPort', p.endPort, `endPort ${p.endPort} is below port ${p.port}`);
      return `${where}${p.protocol} && ${p.protocol}.dst >= ${p.port} && ${p.protocol}.dst <= ${p.endPort}`;
    }
    return `${where}${p.protocol} && ${p.protocol}.dst == ${p.port}`;
  });
  return terms.length === 1 ? terms[0] : `(${terms.map((t) => `(${t})`).join(' || ')})`;
}

/** The L3 field a peer is matched on: sources for ingress, destinations for egress. */
export function peerField(family: IpFamily, direction: PolicyDirection): string {
  return `ip${family}.${direction === 'ingress' ? 'src' : 'dst'}`;
}

/** `ip4.src == {$as_v4}` (or both families ORed). */
export function addressSetMatch(sets: readonly { name: string; family: IpFamily }[], direction: PolicyDirection): string {
  const terms = sets.map((s) => `${peerField(s.family, direction)} == {$${s.name}}`);
  return terms.length === 1 ? terms[0] : `(${terms.join(' || ')})`;
}

/**
 * `ip4.src == 10.0.0.0/8 && ip4.src != {10.1.0.0/16, 10.2.0.0/16}` (IPv6 alike).
 * @throws OvnInvalidFieldError with field `cidr` or `except[j]` (a bad prefix, an except of the other family).
 */
export function ipBlockMatch(block: IpBlock, direction: PolicyDirection): string {
  const object = `ipBlock ${block.cidr}`;
  const prefix = (text: string, field: string): IpPrefix => {
    try { return parsePrefix(text, true); } catch (err) { throw new OvnInvalidFieldError(object, field, text, (err as Error).message); }
  };
  const cidr = prefix(block.cidr, 'cidr');
  const field = peerField(cidr.family, direction);
  const except = (block.except ?? []).map((e, j) => {
    const p = prefix(e, `except[${j}]`);
    if (p.family !== cidr.family) throw new OvnInvalidFieldError(object, `except[${j}]`, e, `IPv${p.family}, in an IPv${cidr.family} block: OVN matches one family per term`);
    return p.text;
  });
  const base = `${field} == ${cidr.text}`;
  if (except.length === 0) return base;
  return `${base} && ${field} != {${except.join(', ')}}`;
}

/** Joins non-empty match terms with `&&`. */
export function andMatch(...terms: (string | undefined)[]): string {
  return terms.filter((t): t is string => t !== undefined && t !== '').join(' && ');
}
