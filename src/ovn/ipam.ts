// Address management for pods on a node subnet (IPv4, IPv6 or both).
//
// The network address, the gateway (.1, the cluster router's port) and the management port (.2) are never
// handed out, nor are `exclude_ips` or the IPv4 broadcast address. Dual-stack pods get the same host offset in
// both subnets (10.244.1.7 with fd00:10:244:1::7): an offset is free only when it is free in every family. That
// keeps a pod's whole `addresses` string a function of one number, which is what lets a transaction guard its
// choice with one key, the port's UUID (see pods.ts): two agents that picked the same offset produce the same string.
import { OvnInvalidAddressError, OvnSubnetExhaustedError } from './errors.js';
import { addressAt, parseAddress, prefixSize, tryParseAddress, type IpAddress, type IpFamily, type IpPrefix } from './ip.js';
import { macFromAddress } from './mac.js';

/** Offsets below this are never allocated: 0 network, 1 gateway, 2 management port. */
export const FIRST_POD_OFFSET = 3n;
/** The gateway's offset in a node subnet (.1, the cluster router's port). */
export const GATEWAY_OFFSET = 1n;
/** The management port's offset in a node subnet (.2). */
export const MANAGEMENT_OFFSET = 2n;

/** An inclusive range of addresses of one family (one address: start === end). */
export interface AddressRange { readonly family: IpFamily; readonly start: bigint; readonly end: bigint }

/**
 * Parses OVN's `exclude_ips` syntax: addresses and `A..B` ranges separated by spaces (commas accepted too).
 */
export function parseExcludeIps(text: string): AddressRange[] {
  const out: AddressRange[] = [];
  for (const token of text.split(/[\s,]+/)) {
    if (token === '') continue;
    const dots = token.indexOf('..');
    if (dots >= 0) {
      const start = parseAddress(token.slice(0, dots));
      const end = parseAddress(token.slice(dots + 2));
      if (start.family !== end.family || end.value < start.value) throw new OvnInvalidAddressError(`bad exclude range ${token}`);
      out.push({ family: start.family, start: start.value, end: end.value });
    } else {
      const ip = parseAddress(token);
      out.push({ family: ip.family, start: ip.value, end: ip.value });
    }
  }
  return out;
}

/** Formats ranges back into `exclude_ips` syntax. */
export function formatExcludeIps(ranges: readonly AddressRange[], format: (family: IpFamily, v: bigint) => string): string {
  return ranges.map((r) => (r.start === r.end ? format(r.family, r.start) : `${format(r.family, r.start)}..${format(r.family, r.end)}`)).join(' ');
}

/** What the allocator knows about one node: its subnets (at most one per family) and exclusions. */
export interface NodeAddressing {
  readonly subnets: readonly IpPrefix[];
  readonly excluded?: readonly AddressRange[];
}

/** The addresses a pod gets. */
export interface PodAddresses {
  readonly offset: bigint;
  /** One per subnet, in subnet order (IPv4 first when the node lists it first). */
  readonly addresses: readonly IpAddress[];
  readonly mac: string;
  /** The LSP `addresses` / `port_security` entry: "MAC IP [IP]". */
  readonly lspAddress: string;
}

/** The gateway address of a node subnet (.1). */
export function gatewayAddress(subnet: IpPrefix): IpAddress { return addressAt(subnet, GATEWAY_OFFSET); }
/** The management port address of a node subnet (.2). */
export function managementAddress(subnet: IpPrefix): IpAddress { return addressAt(subnet, MANAGEMENT_OFFSET); }

/** The highest offset a pod may get: the smallest subnet bounds it; IPv4 keeps its broadcast address. */
export function lastPodOffset(subnets: readonly IpPrefix[]): bigint {
  let last: bigint | undefined;
  for (const s of subnets) {
    const top = prefixSize(s) - (s.family === 4 ? 2n : 1n);
    if (last === undefined || top < last) last = top;
  }
  return last ?? -1n;
}

/** The LSP address string of a set of addresses, with the MAC derived from the first one. */
export function lspAddressOf(addresses: readonly IpAddress[], mac = macFromAddress(addresses[0])): string {
  let out = mac;
  for (const a of addresses) out += ` ${a.text}`;
  return out;
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/**
 * addressAt for IPv4 in plain number arithmetic (the bigint shifts of the general path cost more than the rest of
 * an allocation); the MAC of an IPv4 address is `0a:58:` + its bytes (mac.ts). Same results (tested).
 */
function v4At(subnet: IpPrefix, offset: bigint): { address: IpAddress; mac: string } {
  const value = subnet.network + offset;
  const v = Number(value);
  const a = v >>> 24, b = (v >>> 16) & 255, c = (v >>> 8) & 255, d = v & 255;
  return { address: { family: 4, value, text: `${a}.${b}.${c}.${d}` }, mac: `0a:58:${HEX[a]}:${HEX[b]}:${HEX[c]}:${HEX[d]}` };
}

/** The addresses at one offset of every subnet of the node. */
export function podAddressesAt(node: NodeAddressing, offset: bigint): PodAddresses {
  let mac: string | undefined;
  const subnets = node.subnets;
  const addresses: IpAddress[] = new Array<IpAddress>(subnets.length);
  for (let i = 0; i < subnets.length; i++) {
    const s = subnets[i];
    if (s.family !== 4) { addresses[i] = addressAt(s, offset); continue; }
    const at = v4At(s, offset);
    if (i === 0) mac = at.mac;
    addresses[i] = at.address;
  }
  mac ??= macFromAddress(addresses[0]);
  return { offset, addresses, mac, lspAddress: lspAddressOf(addresses, mac) };
}

/**
 * Offsets in use on a node, from LSP `addresses` entries ("MAC IP...", "router", "dynamic", "unknown"): any
 * address inside one of the node's subnets marks its offset taken, whatever the other family says.
 */
export function offsetsInUse(node: NodeAddressing, lspAddressEntries: Iterable<string>, into = new Set<bigint>()): Set<bigint> {
  for (const entry of lspAddressEntries) {
    const words = entry.split(' ');
    for (let i = 1; i < words.length; i++) {
      const offset = offsetOf(node, words[i]);
      if (offset !== undefined) into.add(offset);
    }
  }
  return into;
}

/** The offset of an address in the node's subnet of its family, or undefined when outside. */
export function offsetOf(node: NodeAddressing, addressText: string): bigint | undefined {
  const slash = addressText.indexOf('/');
  const ip = tryParseAddress(slash >= 0 ? addressText.slice(0, slash) : addressText);
  if (!ip) return undefined;
  for (const s of node.subnets) {
    if (s.family === ip.family && ip.value >= s.network && ip.value < s.network + prefixSize(s)) return ip.value - s.network;
  }
  return undefined;
}

/** What the allocator derives from a node's addressing, computed once per NodeAddressing object. */
const derived = new WeakMap<NodeAddressing, { last: bigint; excluded: readonly { start: bigint; end: bigint }[] }>();
function derivedOf(node: NodeAddressing): { last: bigint; excluded: readonly { start: bigint; end: bigint }[] } {
  let d = derived.get(node);
  if (!d) { d = { last: lastPodOffset(node.subnets), excluded: excludedOffsets(node) }; derived.set(node, d); }
  return d;
}

function excludedOffsets(node: NodeAddressing): { start: bigint; end: bigint }[] {
  const out: { start: bigint; end: bigint }[] = [];
  for (const r of node.excluded ?? []) {
    for (const s of node.subnets) {
      if (s.family !== r.family) continue;
      const size = prefixSize(s);
      const start = r.start - s.network;
      const end = r.end - s.network;
      if (end < 0n || start >= size) continue;
      out.push({ start: start < 0n ? 0n : start, end: end >= size ? size - 1n : end });
    }
  }
  return out.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}

/** What the allocator asks of the offsets in use (a Set will do). */
export interface OffsetSet { has(offset: bigint): boolean }

/**
 * The lowest free offset: not below FIRST_POD_OFFSET, not in use, not reserved (allocations in flight), not
 * excluded in any family. Throws OvnSubnetExhaustedError when the subnet is full.
 *
 * `from`: where to start looking, when the caller knows every offset below it is taken (in use or reserved);
 * it saves the scan over them (an allocator that keeps a low-water mark makes each call O(1) instead of
 * O(addresses in use)). The answer is the same as without it as long as that holds.
 */
export function allocatePodAddresses(node: NodeAddressing, inUse: OffsetSet, reserved?: OffsetSet, from = FIRST_POD_OFFSET): PodAddresses {
  if (node.subnets.length === 0) throw new OvnSubnetExhaustedError('the node has no subnet');
  const offset = lowestFreeOffset(node, inUse, reserved, from);
  if (offset === undefined) throw new OvnSubnetExhaustedError(`no free address left in ${node.subnets.map((s) => s.text).join(', ')}`);
  return podAddressesAt(node, offset);
}

/** The offset allocatePodAddresses would hand out (same rules, same `from`), or undefined when none is left. */
export function lowestFreeOffset(node: NodeAddressing, inUse: OffsetSet, reserved?: OffsetSet, from = FIRST_POD_OFFSET): bigint | undefined {
  const { last, excluded } = derivedOf(node);
  let e = 0;
  for (let offset = from > FIRST_POD_OFFSET ? from : FIRST_POD_OFFSET; offset <= last; offset++) {
    while (e < excluded.length && excluded[e].end < offset) e++;
    if (e < excluded.length && excluded[e].start <= offset) { offset = excluded[e].end; continue; }
    if (inUse.has(offset) || reserved?.has(offset)) continue;
    return offset;
  }
  return undefined;
}
