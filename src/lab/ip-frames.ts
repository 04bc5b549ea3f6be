// Frames for north-south tests, built and read by hand with correct checksums: ARP, ICMP and ICMPv6 echo, IPv6
// neighbour solicitation, IGMPv2 and MLDv2 reports, UDP over IPv4 and IPv6, an SCTP INIT (CRC32c); and a plain
// reading of what the captures hold. Like frames.ts,
// independent of codecs/ (the lab is what codecs/ is checked against) and never on a hot path.
import { Address6 } from 'ip-address';
import { macBytes } from './frames.js';

const ETH_IPV4 = 0x0800;
const ETH_ARP = 0x0806;
const ETH_IPV6 = 0x86dd;
export const IPPROTO_ICMP = 1;
export const IPPROTO_IGMP = 2;
export const IPPROTO_UDP = 17;
export const IPPROTO_SCTP = 132;
export const IPPROTO_ICMPV6 = 58;

function ipv4Bytes(ip: string): number[] {
  return ip.split('.').map(Number);
}

function ipv6Bytes(ip: string): number[] {
  let value = new Address6(ip).bigInt();
  const out = new Array<number>(16);
  for (let i = 15; i >= 0; i--) { out[i] = Number(value & 0xffn); value >>= 8n; }
  return out;
}

function ipBytes(ip: string): number[] {
  return ip.includes(':') ? ipv6Bytes(ip) : ipv4Bytes(ip);
}

/** The Internet checksum (RFC 1071) of the bytes, starting from `initial` (a pseudo-header's partial sum). */
function checksum(bytes: readonly number[] | Uint8Array, initial = 0): number {
  let sum = initial;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i] << 8) | (i + 1 < bytes.length ? bytes[i + 1] : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function sum16(bytes: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i] << 8) | bytes[i + 1];
  return sum;
}

function be16(v: number): number[] { return [(v >> 8) & 0xff, v & 0xff]; }

function ethernet(dstMac: string, srcMac: string, type: number, payload: readonly number[]): Uint8Array {
  return new Uint8Array([...macBytes(dstMac), ...macBytes(srcMac), ...be16(type), ...payload]);
}

/** IPv4 or IPv6 header + payload, with the layer-4 checksum at `l4ChecksumAt` (-1: none) filled in. */
function ipPacket(src: string, dst: string, protocol: number, l4: number[], l4ChecksumAt: number, ttl: number): { type: number; bytes: number[] } {
  const s = ipBytes(src);
  const d = ipBytes(dst);
  if (src.includes(':') !== dst.includes(':')) throw new RangeError(`ip-frames: ${src} and ${dst} are of different families`);
  if (src.includes(':')) {
    if (l4ChecksumAt >= 0) {
      const pseudo = sum16([...s, ...d, ...be16(0), ...be16(l4.length), 0, 0, 0, protocol]);
      const c = checksum(l4, pseudo);
      l4[l4ChecksumAt] = c >> 8; l4[l4ChecksumAt + 1] = c & 0xff;
    }
    return { type: ETH_IPV6, bytes: [0x60, 0, 0, 0, ...be16(l4.length), protocol, ttl, ...s, ...d, ...l4] };
  }
  if (l4ChecksumAt >= 0) {
    // ICMP's checksum covers only its own bytes; UDP's a pseudo-header too.
    const pseudo = protocol === IPPROTO_UDP ? sum16([...s, ...d, 0, protocol, ...be16(l4.length)]) : 0;
    const c = checksum(l4, pseudo);
    l4[l4ChecksumAt] = c >> 8; l4[l4ChecksumAt + 1] = c & 0xff;
  }
  const header = [0x45, 0, ...be16(20 + l4.length), 0, 1, 0x40, 0, ttl, protocol, 0, 0, ...s, ...d];
  const c = checksum(header);
  header[10] = c >> 8; header[11] = c & 0xff;
  return { type: ETH_IPV4, bytes: [...header, ...l4] };
}

/** The Ethernet addresses of a frame to build. */
export interface FrameAddresses { readonly srcMac: string; readonly dstMac: string }

/** An ARP request: who has `targetIp`? tell `senderIp` (broadcast). */
export function arpRequest(o: { srcMac: string; senderIp: string; targetIp: string }): Uint8Array {
  return ethernet('ff:ff:ff:ff:ff:ff', o.srcMac, ETH_ARP, [
    0, 1, 0x08, 0x00, 6, 4, 0, 1, ...macBytes(o.srcMac), ...ipv4Bytes(o.senderIp), 0, 0, 0, 0, 0, 0, ...ipv4Bytes(o.targetIp),
  ]);
}

/** An ICMP (IPv4) or ICMPv6 echo request from `srcIp` to `dstIp` carrying `payload` (the marker tests match on). */
export function echoRequest(o: FrameAddresses & { srcIp: string; dstIp: string; id?: number; seq?: number; payload: string; ttl?: number }): Uint8Array {
  const v6 = o.srcIp.includes(':');
  const data = [...new TextEncoder().encode(o.payload)];
  const l4 = [v6 ? 128 : 8, 0, 0, 0, ...be16(o.id ?? 0x4f56), ...be16(o.seq ?? 1), ...data];
  const ip = ipPacket(o.srcIp, o.dstIp, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP, l4, 2, o.ttl ?? 64);
  return ethernet(o.dstMac, o.srcMac, ip.type, ip.bytes);
}

/** A UDP datagram over IPv4 or IPv6, with its checksum. */
export function udpDatagram(o: FrameAddresses & { srcIp: string; dstIp: string; srcPort: number; dstPort: number; payload: string; ttl?: number }): Uint8Array {
  const data = [...new TextEncoder().encode(o.payload)];
  const l4 = [...be16(o.srcPort), ...be16(o.dstPort), ...be16(8 + data.length), 0, 0, ...data];
  const ip = ipPacket(o.srcIp, o.dstIp, IPPROTO_UDP, l4, 6, o.ttl ?? 64);
  return ethernet(o.dstMac, o.srcMac, ip.type, ip.bytes);
}

/** CRC32c (Castagnoli, reflected polynomial 0x82f63b78), SCTP's checksum (RFC 9260 appendix A). */
const CRC32C_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  return c;
});

export function crc32c(bytes: readonly number[] | Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) crc = CRC32C_TABLE[(crc ^ b) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** SCTP's checksum of a packet (common header + chunks) read with its checksum field as zero. */
function sctpChecksum(l4: readonly number[] | Uint8Array): number {
  const zeroed = Array.from(l4);
  zeroed.fill(0, 8, 12);
  return crc32c(zeroed);
}

/**
 * An SCTP packet with one INIT chunk (the first packet of an association: verification tag 0, RFC 9260 3.3.2),
 * over IPv4 or IPv6. `initiateTag` is the value tests find it by. The CRC32c goes in as the RFC's sample code
 * stores it: its low byte first.
 */
export function sctpInit(o: FrameAddresses & { srcIp: string; dstIp: string; srcPort: number; dstPort: number; initiateTag: number; ttl?: number }): Uint8Array {
  const be32 = (v: number) => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
  // Chunk: type 1, flags 0, length 20; initiate tag, a_rwnd, outbound and inbound streams, initial TSN.
  const init = [1, 0, ...be16(20), ...be32(o.initiateTag), ...be32(65536), ...be16(10), ...be16(10), ...be32(o.initiateTag ^ 0x5a5a5a5a)];
  const l4 = [...be16(o.srcPort), ...be16(o.dstPort), ...be32(0), 0, 0, 0, 0, ...init];
  const crc = sctpChecksum(l4);
  l4.splice(8, 4, crc & 0xff, (crc >>> 8) & 0xff, (crc >>> 16) & 0xff, crc >>> 24);
  const ip = ipPacket(o.srcIp, o.dstIp, IPPROTO_SCTP, l4, -1, o.ttl ?? 64);
  return ethernet(o.dstMac, o.srcMac, ip.type, ip.bytes);
}

/** The Ethernet address of a multicast group: 01:00:5e + its low 23 bits (IPv4, RFC 1112), 33:33 + its low 32 bits (IPv6, RFC 2464). */
export function multicastMac(group: string): string {
  const b = ipBytes(group);
  const tail = group.includes(':') ? [0x33, 0x33, ...b.slice(12)] : [0x01, 0x00, 0x5e, b[1] & 0x7f, b[2], b[3]];
  return tail.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** An IGMPv2 membership report (join) for `group` from `srcIp`, to the group with TTL 1 (RFC 2236). */
export function igmpReport(o: { srcMac: string; srcIp: string; group: string }): Uint8Array {
  const l4 = [0x16, 0, 0, 0, ...ipv4Bytes(o.group)];
  const ip = ipPacket(o.srcIp, o.group, IPPROTO_IGMP, l4, 2, 1);
  return ethernet(multicastMac(o.group), o.srcMac, ip.type, ip.bytes);
}

/**
 * An MLDv2 report (RFC 3810 5.2) joining `group` (one CHANGE_TO_EXCLUDE record without sources) from `srcIp` (a
 * link-local address, as MLD requires) to ff02::16, hop limit 1, behind a hop-by-hop header with the Router Alert
 * option; the ICMPv6 checksum over the pseudo-header of the final destination.
 */
export function mldv2Report(o: { srcMac: string; srcIp: string; group: string }): Uint8Array {
  const l4 = [143, 0, 0, 0, 0, 0, ...be16(1), 4, 0, ...be16(0), ...ipv6Bytes(o.group)];
  const ip = ipPacket(o.srcIp, 'ff02::16', IPPROTO_ICMPV6, l4, 2, 1);
  // Hop-by-hop: next header ICMPv6, length 0 (8 bytes), Router Alert (type 5, value 0: MLD), PadN of 2.
  const hopByHop = [IPPROTO_ICMPV6, 0, 5, 2, 0, 0, 1, 0];
  const bytes = [...ip.bytes.slice(0, 4), ...be16(hopByHop.length + l4.length), 0, ...ip.bytes.slice(7, 40), ...hopByHop, ...ip.bytes.slice(40)];
  return ethernet(multicastMac('ff02::16'), o.srcMac, ip.type, bytes);
}

/** The solicited-node multicast address of an IPv6 address (ff02::1:ffXX:XXXX) and its MAC. */
export function solicitedNode(ip: string): { ip: string; mac: string } {
  const b = ipv6Bytes(ip);
  const tail = b.slice(13).map((x) => x.toString(16).padStart(2, '0'));
  return { ip: `ff02::1:ff${tail[0]}:${tail[1]}${tail[2]}`, mac: `33:33:ff:${tail.join(':')}` };
}

/** An IPv6 neighbour solicitation for `targetIp` from `srcIp` (with the source link-layer address option). */
export function neighborSolicitation(o: { srcMac: string; srcIp: string; targetIp: string }): Uint8Array {
  const to = solicitedNode(o.targetIp);
  const l4 = [135, 0, 0, 0, 0, 0, 0, 0, ...ipv6Bytes(o.targetIp), 1, 1, ...macBytes(o.srcMac)];
  const ip = ipPacket(o.srcIp, to.ip, IPPROTO_ICMPV6, l4, 2, 255);
  return ethernet(to.mac, o.srcMac, ip.type, ip.bytes);
}

/** What a capture's frame is, read plainly: Ethernet, ARP or IPv4/IPv6, and ICMP/ICMPv6/UDP. */
export interface FrameView {
  readonly dstMac: string;
  readonly srcMac: string;
  readonly etherType: number;
  /** ARP: the operation (1 request, 2 reply) and addresses. */
  readonly arp?: { readonly op: number; readonly senderMac: string; readonly senderIp: string; readonly targetIp: string };
  readonly family?: 4 | 6;
  readonly srcIp?: string;
  readonly dstIp?: string;
  readonly ttl?: number;
  readonly protocol?: number;
  /** ICMP/ICMPv6 type and code. */
  readonly icmpType?: number;
  readonly icmpCode?: number;
  /** IPv6 neighbour discovery: the target address (NS/NA). */
  readonly ndTarget?: string;
  readonly srcPort?: number;
  readonly dstPort?: number;
  /** Echo and UDP payload as text. */
  readonly payload?: string;
  /** SCTP: the first chunk's type (1: INIT) and, for an INIT, its initiate tag. */
  readonly sctpChunk?: number;
  readonly sctpInitiateTag?: number;
  /** The layer-4 checksum verifies (ICMP, ICMPv6, UDP, SCTP's CRC32c; a UDP/IPv4 checksum of 0 counts as valid). */
  readonly checksumOk?: boolean;
}

function mac(f: Uint8Array, at: number): string {
  return Array.from(f.subarray(at, at + 6), (b) => b.toString(16).padStart(2, '0')).join(':');
}

function v6Text(f: Uint8Array, at: number): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((f[at + i] << 8) | f[at + i + 1]).toString(16));
  return new Address6(groups.join(':')).correctForm();
}

/** Reads an untagged frame; fields it cannot read are left out. */
export function readFrame(f: Uint8Array): FrameView {
  const base = { dstMac: mac(f, 0), srcMac: mac(f, 6), etherType: f.length >= 14 ? (f[12] << 8) | f[13] : -1 };
  if (base.etherType === ETH_ARP && f.length >= 42) {
    return { ...base, arp: { op: (f[20] << 8) | f[21], senderMac: mac(f, 22), senderIp: Array.from(f.subarray(28, 32)).join('.'), targetIp: Array.from(f.subarray(38, 42)).join('.') } };
  }
  let l4At: number; let end: number; let protocol: number; let srcIp: string; let dstIp: string; let ttl: number; let family: 4 | 6;
  let pseudo: number;
  if (base.etherType === ETH_IPV4 && f.length >= 34) {
    const ihl = (f[14] & 0x0f) * 4;
    family = 4; protocol = f[23]; ttl = f[22];
    srcIp = Array.from(f.subarray(26, 30)).join('.'); dstIp = Array.from(f.subarray(30, 34)).join('.');
    l4At = 14 + ihl; end = 14 + ((f[16] << 8) | f[17]);
    pseudo = sum16([...f.subarray(26, 34), 0, protocol, ...be16(end - l4At)]);
  } else if (base.etherType === ETH_IPV6 && f.length >= 54) {
    family = 6; protocol = f[20]; ttl = f[21];
    srcIp = v6Text(f, 22); dstIp = v6Text(f, 38);
    l4At = 54; end = 54 + ((f[18] << 8) | f[19]);
    pseudo = sum16([...f.subarray(22, 54), ...be16(0), ...be16(end - l4At), 0, 0, 0, protocol]);
  } else return base;
  end = Math.min(end, f.length);
  const l4 = f.subarray(l4At, end);
  const ip = { ...base, family, srcIp, dstIp, ttl, protocol };
  const text = (at: number) => new TextDecoder().decode(l4.subarray(at));
  if ((protocol === IPPROTO_ICMP || protocol === IPPROTO_ICMPV6) && l4.length >= 8) {
    const ok = checksum(l4, protocol === IPPROTO_ICMPV6 ? pseudo : 0) === 0;
    const echo = l4[0] === 8 || l4[0] === 0 || l4[0] === 128 || l4[0] === 129;
    const nd = protocol === IPPROTO_ICMPV6 && (l4[0] === 135 || l4[0] === 136) && l4.length >= 24;
    return { ...ip, icmpType: l4[0], icmpCode: l4[1], checksumOk: ok, ...(echo ? { payload: text(8) } : {}), ...(nd ? { ndTarget: v6Text(l4, 8) } : {}) };
  }
  if (protocol === IPPROTO_UDP && l4.length >= 8) {
    const stored = (l4[6] << 8) | l4[7];
    const ok = (family === 4 && stored === 0) || checksum(l4, pseudo) === 0;
    return { ...ip, srcPort: (l4[0] << 8) | l4[1], dstPort: (l4[2] << 8) | l4[3], payload: text(8), checksumOk: ok };
  }
  if (protocol === IPPROTO_SCTP && l4.length >= 16) {
    const stored = (l4[8] | (l4[9] << 8) | (l4[10] << 16) | (l4[11] << 24)) >>> 0;
    const tag = l4[12] === 1 && l4.length >= 20 ? { sctpInitiateTag: ((l4[16] << 24) | (l4[17] << 16) | (l4[18] << 8) | l4[19]) >>> 0 } : {};
    return { ...ip, srcPort: (l4[0] << 8) | l4[1], dstPort: (l4[2] << 8) | l4[3], sctpChunk: l4[12], ...tag, checksumOk: sctpChecksum(l4) === stored };
  }
  return ip;
}
