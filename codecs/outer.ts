// Outer headers shared by the three tunnels: Ethernet (+ optional 802.1Q tag), IPv4 or IPv6, and UDP (Geneve,
// VXLAN) or the TCP-like header (STT).
//
// Encoding: `OuterTemplate` is built once per tunnel flow (allocation allowed there) and holds every byte that
// does not change per packet, plus the constant parts of the IPv4 header checksum and the L4 pseudo-header
// sum. `emitOuter` copies the template in front of the payload and patches only lengths, checksums, the IPv4
// id, the IPv6 flow label and the source port.
//
// Decoding: `decodeOuter` checks the arguments and validates Ethernet/VLAN/IP (and UDP for Geneve and VXLAN)
// into fields of a reused result object. Every offset is checked against the end of the frame before it is read.

import { add16, finish, fold, sum16 } from './checksum.js';
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_QINQ, ETHERTYPE_VLAN, macBytes } from './ethernet.js';
import { IPPROTO_UDP, IPV4_FLAG_DF, isIpv4Text, parseIpv4, writeU32 } from './ipv4.js';
import { parseIpv6 } from './ipv6.js';
import { Reason } from './reason.js';
import { writeU16, writeU32be } from './bytes.js';
import { avalanche, flowHashIn } from './flow-hash.js';
import { isHash, isIndex } from './arguments.js';
import type { ByteView } from './views.js';

/** How to build the outer headers of one tunnel flow (one remote endpoint). */
export interface OuterSpec {
  srcMac: string | Uint8Array;
  dstMac: string | Uint8Array;
  /** Adds an 802.1Q tag (TPID 0x8100). */
  vlan?: { id: number; pcp?: number; dei?: boolean };
  /** Outer source and destination address: both IPv4 (dotted quad) or both IPv6. */
  src: string;
  dst: string;
  /** Default 64. */
  ttl?: number;
  /** IPv4 TOS / IPv6 traffic class. Default 0. */
  tos?: number;
  /** IPv4 don't-fragment bit. Default true (as OVS). */
  df?: boolean;
  /** IPv4 identification: a fixed value (default 0, as OVS's userspace datapath), or 'counter' (+1 per packet). */
  ipId?: number | 'counter';
  /** IPv6 flow label: 'hash' (default, from the inner flow hash) or a fixed 20-bit value. */
  flowLabel?: 'hash' | number;
  /** UDP checksum: default false over IPv4, true over IPv6. Ignored for STT (TCP always has one). */
  udpChecksum?: boolean;
  /** Destination port: default by tunnel (Geneve 6081, VXLAN 4789, STT 7471). */
  dstPort?: number;
  /**
   * The UDP (and STT's TCP) source port range, both ends included: each inner flow's hash picks its port in it
   * (RFC 8926 section 3.3: entropy for ECMP and RSS). Default 32768..61000, OVS's default; OVS sets its range with
   * `ovs-appctl tnl/egress_port_range MIN MAX`, here `srcPortMin`/`srcPortMax` or setSourcePortRange(). 1..65535.
   */
  srcPortMin?: number;
  srcPortMax?: number;
}

/**
 * `TypedArray.prototype.set`, called directly: `buf.set(...)` compiled to a generic property load (LoadIC) per
 * packet in TurboFan here; the cached function is one known call target.
 */
export const typedArraySet = Uint8Array.prototype.set;

/** 2^-32: a multiplication by it is exact (a power of two) and cheaper than a division by 2^32. */
const TWO_TO_MINUS_32 = 1 / 4294967296;

function checkInt(name: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${name} must be an integer in ${min}..${max}, got ${v}`);
  return v;
}

/**
 * Everything constant about the outer headers of one flow, plus the tunnel header bytes after L4.
 *
 * Fields assigned in a constructor are `declare`d in the hot-path classes of codecs/: under ES2022 class-field
 * semantics a plain `readonly x: number;` is emitted as a field defined to `undefined` first, so V8 gives it
 * the generic (tagged) representation and every per-packet read of a number or boolean pays for type checks.
 * `declare` emits nothing: the constructor's first store decides the representation (Smi, boolean, object).
 */
export class OuterTemplate {
  declare readonly bytes: Uint8Array;
  declare readonly headerLength: number;
  declare readonly ipOffset: number;
  declare readonly l4Offset: number;
  /** Offset of the tunnel header (after UDP, or after the TCP-like header). */
  declare readonly tunnelOffset: number;
  declare readonly ipv6: boolean;
  declare readonly l4Protocol: number;
  declare readonly l4HeaderLength: number;
  declare readonly udpChecksum: boolean;
  declare readonly dstPort: number;
  declare srcPortMin: number;
  declare srcPortMax: number;
  /** srcPortMax - srcPortMin + 1 */
  declare srcPortSpan: number;
  declare readonly flowLabelFromHash: boolean;
  declare readonly ipIdCounter: boolean;
  /** Sum of the IPv4 header with total length, id and checksum taken as zero. */
  declare readonly ipConstSum: number;
  /** Sum of the pseudo-header's addresses and protocol (lengths are added per packet). */
  declare readonly pseudoSum: number;
  declare ipId: number;
  /** IPv4 with a fixed zero id: the headers encapUdp patches itself. */
  declare readonly plainIpv4: boolean;

  constructor(spec: OuterSpec, l4Protocol: number, l4HeaderLength: number, tunnelHeaderLength: number, defaultPort: number) {
    const v4 = isIpv4Text(spec.src);
    if (v4 !== isIpv4Text(spec.dst)) throw new TypeError('outer src and dst must be the same IP version');
    this.ipv6 = !v4;
    this.l4Protocol = l4Protocol;
    this.l4HeaderLength = l4HeaderLength;
    const vlanLen = spec.vlan ? 4 : 0;
    this.ipOffset = 14 + vlanLen;
    this.l4Offset = this.ipOffset + (v4 ? 20 : 40);
    this.tunnelOffset = this.l4Offset + l4HeaderLength;
    this.headerLength = this.tunnelOffset + tunnelHeaderLength;
    this.dstPort = checkInt('dstPort', spec.dstPort ?? defaultPort, 0, 65535);
    const portMin = checkInt('srcPortMin', spec.srcPortMin ?? 32768, 1, 65535);
    const portMax = checkInt('srcPortMax', spec.srcPortMax ?? 61000, portMin, 65535);
    this.srcPortMin = portMin;
    this.srcPortMax = portMax;
    this.srcPortSpan = portMax - portMin + 1;
    this.udpChecksum = l4Protocol === IPPROTO_UDP ? (spec.udpChecksum ?? !v4) : true;
    this.flowLabelFromHash = spec.flowLabel === undefined || spec.flowLabel === 'hash';
    this.ipIdCounter = spec.ipId === 'counter';
    this.ipId = typeof spec.ipId === 'number' ? checkInt('ipId', spec.ipId, 0, 65535) : 0;
    this.plainIpv4 = v4 && !this.ipIdCounter && this.ipId === 0;
    const ttl = checkInt('ttl', spec.ttl ?? 64, 0, 255);
    const tos = checkInt('tos', spec.tos ?? 0, 0, 255);

    const b = new Uint8Array(this.headerLength);
    b.set(macBytes(spec.dstMac), 0);
    b.set(macBytes(spec.srcMac), 6);
    let p = 12;
    if (spec.vlan) {
      const id = checkInt('vlan.id', spec.vlan.id, 0, 4095);
      const pcp = checkInt('vlan.pcp', spec.vlan.pcp ?? 0, 0, 7);
      const tci = (pcp << 13) | (spec.vlan.dei ? 0x1000 : 0) | id;
      b[12] = ETHERTYPE_VLAN >> 8; b[13] = ETHERTYPE_VLAN & 0xff;
      b[14] = tci >> 8; b[15] = tci & 0xff;
      p = 16;
    }
    const etherType = v4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6;
    b[p] = etherType >> 8; b[p + 1] = etherType & 0xff;
    const ip = this.ipOffset;
    let pseudo = 0;
    if (v4) {
      b[ip] = 0x45; b[ip + 1] = tos;
      const frag = (spec.df ?? true) ? IPV4_FLAG_DF : 0;
      b[ip + 6] = frag >> 8; b[ip + 7] = frag & 0xff;
      b[ip + 8] = ttl; b[ip + 9] = l4Protocol;
      writeU32(b, ip + 12, parseIpv4(spec.src));
      writeU32(b, ip + 16, parseIpv4(spec.dst));
      this.ipConstSum = sum16(b, ip, 20);
      pseudo = sum16(b, ip + 12, 8);
    } else {
      const fl = this.flowLabelFromHash ? 0 : checkInt('flowLabel', spec.flowLabel as number, 0, 0xfffff);
      b[ip] = 0x60 | (tos >> 4); b[ip + 1] = ((tos & 0x0f) << 4) | (fl >> 16);
      b[ip + 2] = (fl >> 8) & 0xff; b[ip + 3] = fl & 0xff;
      b[ip + 6] = l4Protocol; b[ip + 7] = ttl;
      b.set(parseIpv6(spec.src), ip + 8);
      b.set(parseIpv6(spec.dst), ip + 24);
      this.ipConstSum = 0;
      pseudo = sum16(b, ip + 8, 32);
    }
    this.pseudoSum = add16(pseudo, l4Protocol);
    const l4 = this.l4Offset;
    b[l4 + 2] = this.dstPort >> 8; b[l4 + 3] = this.dstPort & 0xff;
    this.bytes = b;
  }

  /**
   * Sets the source port range of the packets encapsulated from now on (both ends included, 1..65535, min <= max),
   * as `ovs-appctl tnl/egress_port_range` does for OVS; InvalidArgument leaves the range as it was.
   */
  setSourcePortRange(min: number, max: number): Reason {
    if (!isIndex(min) || !isIndex(max) || min < 1 || max > 65535 || min > max) return Reason.InvalidArgument;
    this.srcPortMin = min;
    this.srcPortMax = max;
    this.srcPortSpan = max - min + 1;
    return Reason.Ok;
  }

  /** The outer IP total length for a given tunnel payload (bytes after the tunnel header). */
  ipLengthFor(payloadLength: number): number {
    return this.headerLength - this.ipOffset + payloadLength - (this.ipv6 ? 40 : 0);
  }
}

/**
 * Writes the outer headers (template copy + patches) at buf[start, start+t.headerLength) for a frame whose
 * tunnel payload (after the tunnel header) is `payloadLength` bytes, already in place behind the headers.
 * The caller has checked bounds. For UDP the checksum (if enabled) is computed over the whole datagram, so
 * the tunnel header must be final before this is called; `patchTunnel` runs between copy and checksum.
 */
/** Outer IP datagrams are limited to 65535 bytes (the IPv6 payload length excludes its 40-byte header). */
const MAX_IP_TOTAL = 65535;

/**
 * Every UDP tunnel encap (Geneve, VXLAN) in one function: checks the arguments (buf a Uint8Array, integer
 * innerOffset and innerLength with the inner frame inside buf and the headroom in front of it, the hash absent or a
 * 32-bit integer) and the size; writes the template's outer headers in front of buf[innerOffset,
 * innerOffset+innerLength) with the source port from `hash` (computed from the inner frame, through `view`, when
 * undefined); writes this packet's keys, `key0` and `key1` as big-endian words at `key0At`/`key1At` of the headers
 * (-1: none, the template's keys stand); then the UDP checksum, when the template has one, over all of it. Nothing is
 * written unless the result is Ok.
 *
 * Too large for V8 to inline, on purpose: one call per packet from the encoders, compiled once with its own inlining
 * budget, whose body holds the common case whole (an untagged IPv4 inner frame's flow hash, an IPv4 outer template
 * with a fixed zero id: OVS's). Only other frames call flowHashIn() and other templates emitOuter(). Measured
 * interleaved, 64 B: when encapUdp was small and inlined into the caller's loop with emitOuter and flowHashIn as
 * calls, the compiled shape (and the speed: Geneve 0.87-1.07x the JS floor) changed with what else the process ran
 * (bytecode flushing after major GCs, e.g. from the allocating peer, changed what V8 inlined on recompiling); whole,
 * Geneve 0.98x and VXLAN 1.02x in the bench.
 */
export function encapUdp(
  t: OuterTemplate, view: ByteView, buf: Uint8Array, innerOffset: number, innerLength: number, hash: number | undefined,
  key0At: number, key0: number, key1At: number, key1: number,
): Reason {
  if (buf !== view.array && !view.bind(buf)) return Reason.InvalidArgument;
  if (!isIndex(innerOffset) || !isIndex(innerLength)) return Reason.InvalidArgument;
  const start = innerOffset - t.headerLength;
  if (start < 0 || innerOffset + innerLength > buf.length) return Reason.BufferTooSmall;
  if (t.headerLength - t.ipOffset + innerLength - (t.ipv6 ? 40 : 0) > MAX_IP_TOTAL) return Reason.FrameTooLarge;
  let h: number;
  if (hash === undefined) {
    // flowHash() of an untagged IPv4 inner frame, written out here (a call or an inlining decision per packet cost
    // up to 0.1x the JS floor, see above); any other frame: flowHashIn()
    const dv = view.view;
    const base = view.base;
    if (innerLength >= 34 && dv.getUint16(base + innerOffset + 12) === ETHERTYPE_IPV4) {
      const p = innerOffset + 14;
      const w0 = dv.getInt32(base + p);
      const w1 = dv.getInt32(base + p + 4);
      const w2 = dv.getInt32(base + p + 8);
      const ihl = (w0 >>> 22) & 0x3c;
      const proto = (w2 >>> 16) & 0xff;
      let x = dv.getInt32(base + p + 12);
      x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) ^ dv.getInt32(base + p + 16);
      x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) ^ proto;
      const l4 = p + ihl;
      if ((w1 & 0x3fff) === 0 && ihl >= 20 && (proto === 6 || proto === 17 || proto === 132) && l4 + 4 <= innerOffset + innerLength) {
        x = Math.imul(x ^ (x >>> 16), 0x9e3779b1) ^ dv.getInt32(base + l4);
      }
      h = avalanche(x);
    } else {
      h = flowHashIn(buf, dv, base, innerOffset, innerLength, 0);
    }
  } else if (isHash(hash)) {
    h = hash;
  } else {
    return Reason.InvalidArgument;
  }
  if (t.plainIpv4) {
    // emitOuter()'s IPv4 path for such a template, written out for the same reason
    typedArraySet.call(buf, t.bytes, start);
    const ip = start + t.ipOffset;
    const l4 = start + t.l4Offset;
    const l4Len = t.headerLength - t.l4Offset + innerLength;
    const total = l4Len + 20;
    buf[ip + 2] = total >>> 8; buf[ip + 3] = total;
    let sum = t.ipConstSum + total;
    sum = (sum & 0xffff) + (sum >>> 16);
    sum = ~((sum & 0xffff) + (sum >>> 16));
    buf[ip + 10] = sum >>> 8; buf[ip + 11] = sum;
    const port = t.srcPortMin + Math.floor((h >>> 0) * t.srcPortSpan * TWO_TO_MINUS_32);
    buf[l4] = port >>> 8; buf[l4 + 1] = port;
    buf[l4 + 4] = l4Len >>> 8; buf[l4 + 5] = l4Len;
  } else {
    emitOuter(t, buf, start, innerLength, h);
  }
  if (key0At >= 0) {
    writeU32be(buf, start + key0At, key0);
    if (key1At >= 0) writeU32be(buf, start + key1At, key1);
  }
  if (t.udpChecksum) writeUdpChecksum(t, buf, start, innerLength);
  return Reason.Ok;
}

export function emitOuter(t: OuterTemplate, buf: Uint8Array, start: number, payloadLength: number, hash: number): void {
  // One TypedArray.prototype.set (a memmove inside the builtin) is the cheapest way to copy a 50-110 byte
  // template: measured on this machine for 58 bytes, 11 ns against 35 ns for a byte loop; 32-bit stores through a
  // DataView or an Int32Array were no faster in place.
  typedArraySet.call(buf, t.bytes, start);
  const ip = start + t.ipOffset;
  const l4 = start + t.l4Offset;
  const l4Len = t.headerLength - t.l4Offset + payloadLength;
  if (!t.ipv6) {
    const total = l4Len + 20;
    buf[ip + 2] = total >>> 8; buf[ip + 3] = total;
    // incremental checksum: the template's constant sum plus the per-packet fields
    let sum = t.ipConstSum + total;
    if (t.ipIdCounter) {
      const id = t.ipId = (t.ipId + 1) & 0xffff;
      writeU16(buf, ip + 4, id);
      sum += id;
    } else if (t.ipId !== 0) {
      sum += t.ipId;
      writeU16(buf, ip + 4, t.ipId);
    }
    sum = (sum & 0xffff) + (sum >>> 16);
    sum = ~((sum & 0xffff) + (sum >>> 16));
    buf[ip + 10] = sum >>> 8; buf[ip + 11] = sum;
  } else {
    writeU16(buf, ip + 4, l4Len);
    if (t.flowLabelFromHash) {
      // the low 20 bits of the first word: keep version and traffic class from the template
      const fl = (hash ^ (hash >>> 20)) & 0xfffff;
      buf[ip + 1] = (buf[ip + 1] & 0xf0) | (fl >>> 16);
      buf[ip + 2] = fl >>> 8;
      buf[ip + 3] = fl;
    }
  }
  // floor(hash * span / 2^32), the division as a multiplication by 2^-32 (exact: a power of two), which is cheaper
  const port = t.srcPortMin + Math.floor((hash >>> 0) * t.srcPortSpan * TWO_TO_MINUS_32);
  buf[l4] = port >>> 8; buf[l4 + 1] = port;
  if (t.l4Protocol === IPPROTO_UDP) { buf[l4 + 4] = l4Len >>> 8; buf[l4 + 5] = l4Len; }
}

/** Computes and writes the UDP checksum of the datagram at buf[start + t.l4Offset ...). */
export function writeUdpChecksum(t: OuterTemplate, buf: Uint8Array, start: number, payloadLength: number): void {
  const l4 = start + t.l4Offset;
  const l4Len = t.headerLength - t.l4Offset + payloadLength;
  buf[l4 + 6] = 0; buf[l4 + 7] = 0;
  const s = fold(t.pseudoSum + l4Len + sum16(buf, l4, l4Len));
  let c = ~s & 0xffff;
  if (c === 0) c = 0xffff;
  buf[l4 + 6] = c >>> 8; buf[l4 + 7] = c & 0xff;
}

/** Outer header fields filled by the decoders (a reused object: decoders never allocate). */
export class OuterInfo {
  /** 802.1Q TCI of the outermost tag, or -1 when untagged. */
  vlanTci = -1;
  ipVersion = 0;
  ipOffset = 0;
  ttl = 0;
  tos = 0;
  ipId = 0;
  /** IPv4 addresses as uint32 (0 for IPv6). */
  srcAddr4 = 0;
  dstAddr4 = 0;
  /** Offsets of the source/destination address in the buffer (4 or 16 bytes): zero copy for IPv6. */
  srcAddrOffset = 0;
  dstAddrOffset = 0;
  /** IPv6 flow label (0 for IPv4). */
  flowLabel = 0;
  l4Offset = 0;
  /** End of the L4 datagram as given by the IP length (trailing Ethernet padding excluded). */
  l4End = 0;
  srcPort = 0;
  dstPort = 0;
  /** The L4 checksum field as received (0 = absent for UDP). */
  l4Checksum = 0;
}

/** decodeOuter() check: the IPv4 header checksum. */
export const VERIFY_IP_CHECKSUM = 1;
/** decodeOuter() check: a UDP checksum, when the sender set one (a zero field means none over IPv4). */
export const VERIFY_UDP_CHECKSUM = 2;

/** What decodeUdpTunnel needs of a decoder (GeneveDecoder, VxlanDecoder). */
export interface UdpTunnelDecoding<R extends OuterInfo> {
  /** The UDP destination port to accept. */
  readonly port: number;
  /** VERIFY_* bits. */
  readonly checks: number;
  /** Decodes the tunnel header and what follows at [p, end) of the bytes `dv` views from `base` (p, end checked). */
  parseHeader(dv: DataView, base: number, p: number, end: number, out: R): Reason;
}

/**
 * Decodes a UDP tunnel frame buf[off, off+len) into `out`: the outer layers, then the decoder's tunnel header.
 * The frames a tunnel endpoint receives take a fast path: an untagged IPv4 frame with a 20-byte header, not a
 * fragment, carrying UDP to the decoder's port, with lengths that fit and (when asked) a valid header checksum: the
 * checks decodeOuter makes on such a frame, written as one condition. Any other frame, and every error, goes to
 * decodeOuter, which says precisely what is wrong; so the reason codes live in one place.
 *
 * Why: as separate calls per layer (decodeOuter, then the tunnel header) a 64-byte Geneve decap ran at 0.7-0.8x the
 * one-function JS floor in bench/codecs; V8 does not inline functions over 460 bytes of bytecode, and decodeOuter is
 * 1,600. Here the outer layers are in this function's own body and the decoder's parseHeader (small) is inlined
 * into it. The decoders' decode() first try their own, narrower fast path (no UDP checksum, their usual tunnel header;
 * see GeneveDecoder.decode); this one takes what those leave: frames with a UDP checksum, other Geneve headers.
 */
export function decodeUdpTunnel<R extends OuterInfo>(
  d: UdpTunnelDecoding<R>, buf: Uint8Array, dv: DataView, base: number, off: number, len: number, out: R,
): Reason {
  let p = 0;
  let end = 0;
  const port = d.port;
  const checks = d.checks;
  let fast = false;
  if (isIndex(off) && isIndex(len) && off + len <= buf.length && len >= 42) {
    const a = base + off;
    const w0 = dv.getInt32(a + 12); // ethertype, version/IHL, TOS
    const w1 = dv.getInt32(a + 16); // total length, id
    const w2 = dv.getInt32(a + 20); // flags/fragment, TTL, protocol
    const w3 = dv.getInt32(a + 24); // header checksum, source address (high half)
    const src = dv.getInt32(a + 26);
    const dst = dv.getInt32(a + 30);
    const u0 = dv.getInt32(a + 34); // ports
    const u1 = dv.getInt32(a + 38); // UDP length, checksum
    const total = w1 >>> 16;
    const udpLength = u1 >>> 16;
    if ((w0 >>> 8) === 0x080045 && total <= len - 14 && (w2 & 0x3fff00ff) === IPPROTO_UDP && (u0 & 0xffff) === port
      && udpLength >= 8 && udpLength <= total - 20
      && ((checks & VERIFY_IP_CHECKSUM) === 0 || plainIpv4HeaderValid(w0, w1, w2, w3, src, dst))) {
      const ip = off + 14;
      p = ip + 20;
      end = p + udpLength;
      out.vlanTci = -1;
      out.ipOffset = ip;
      out.ipVersion = 4;
      out.tos = w0 & 0xff;
      out.ipId = w1 & 0xffff;
      out.ttl = (w2 >>> 8) & 0xff;
      out.srcAddr4 = src >>> 0;
      out.dstAddr4 = dst >>> 0;
      out.srcAddrOffset = ip + 12;
      out.dstAddrOffset = ip + 16;
      out.flowLabel = 0;
      out.l4Offset = p;
      out.l4End = end;
      out.srcPort = u0 >>> 16;
      out.dstPort = port;
      out.l4Checksum = u1 & 0xffff;
      if ((u1 & 0xffff) !== 0 && (checks & VERIFY_UDP_CHECKSUM) !== 0
        && fold(pseudoHeaderSum(buf, out, IPPROTO_UDP, udpLength) + sum16(buf, p, udpLength)) !== 0xffff) return Reason.BadL4Checksum;
      fast = true;
    }
  }
  if (!fast) {
    const r = decodeOuter(buf, dv, base, off, len, out, IPPROTO_UDP, port, checks);
    if (r !== Reason.Ok) return r;
    p = out.l4Offset;
    end = out.l4End;
  }
  return d.parseHeader(dv, base, p + 8, end, out);
}

/**
 * The header checksum of a 20-byte IPv4 header (after an untagged Ethernet header) read as the fast paths read it:
 * w0 = frame bytes 12-15 (ethertype, 0x45, TOS), w1 = 16-19, w2 = 20-23, w3 = 24-27, src = 26-29, dst = 30-33.
 * Pure arithmetic, so V8 inlines it into each decoder's fast path.
 */
export function plainIpv4HeaderValid(w0: number, w1: number, w2: number, w3: number, src: number, dst: number): boolean {
  let s = 0x4500 + (w0 & 0xff) + (w1 >>> 16) + (w1 & 0xffff) + (w2 >>> 16) + (w2 & 0xffff) + (w3 >>> 16) + (src >>> 16) + (src & 0xffff)
    + (dst >>> 16) + (dst & 0xffff);
  s = (s & 0xffff) + (s >>> 16);
  return ((s & 0xffff) + (s >>> 16)) === 0xffff;
}

/**
 * The general path of the decoders: checks the arguments, then validates Ethernet (+ up to two VLAN tags) and
 * IPv4/IPv6 up to the L4 header of protocol `proto`; for UDP also the UDP header (destination `port`, length, and
 * the checksum when present and `checks` has VERIFY_UDP_CHECKSUM). The IPv4 header checksum is verified when
 * `checks` has VERIFY_IP_CHECKSUM. Headers are read as 32-bit words through `dv`/`base` (the decoder's ByteView,
 * see views.ts): one bounds-checked load per word instead of four byte loads. Every offset is checked against
 * buf[off, off+len) before it is read.
 */
export function decodeOuter(
  buf: Uint8Array, dv: DataView, base: number, off: number, len: number, out: OuterInfo, proto: number, port: number, checks: number,
): Reason {
  if (!isIndex(off) || !isIndex(len) || off + len > buf.length) return Reason.InvalidArgument;
  const end = off + len;
  if (len < 14) return Reason.Truncated;
  let p = off + 14;
  let type = dv.getUint16(base + off + 12);
  out.vlanTci = -1;
  if (type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ) {
    if (p + 4 > end) return Reason.Truncated;
    const tag = dv.getInt32(base + p);
    out.vlanTci = tag >>> 16;
    type = tag & 0xffff;
    p += 4;
    if (type === ETHERTYPE_VLAN) {
      if (p + 4 > end) return Reason.Truncated;
      type = dv.getUint16(base + p + 2);
      p += 4;
    }
  }
  out.ipOffset = p;
  if (type === ETHERTYPE_IPV4) return decodeIpv4(buf, dv, base, p, end, out, proto, port, checks);
  if (type !== ETHERTYPE_IPV6) return Reason.NotIp;
  if (p + 40 > end) return Reason.Truncated;
  const w0 = dv.getInt32(base + p);
  if (w0 >>> 28 !== 6) return Reason.BadIpVersion;
  const w1 = dv.getInt32(base + p + 4);
  const l4 = p + 40;
  const l4End = l4 + (w1 >>> 16);
  if (l4End > end) return Reason.Truncated;
  out.ipVersion = 6;
  out.tos = (w0 >>> 20) & 0xff;
  out.flowLabel = w0 & 0xfffff;
  out.ipId = 0;
  out.ttl = w1 & 0xff;
  out.srcAddr4 = 0;
  out.dstAddr4 = 0;
  out.srcAddrOffset = p + 8;
  out.dstAddrOffset = p + 24;
  out.l4Offset = l4;
  out.l4End = l4End;
  // extension headers are not supported on tunnel packets (as OVS)
  if (((w1 >>> 8) & 0xff) !== proto) return Reason.WrongProtocol;
  return proto === IPPROTO_UDP ? decodeUdp(buf, dv, base, l4, l4End, out, port, checks) : Reason.Ok;
}

/** The IPv4 header at buf[p, end) and, for UDP, the UDP header after it (see decodeOuter). */
function decodeIpv4(
  buf: Uint8Array, dv: DataView, base: number, p: number, end: number, out: OuterInfo, proto: number, port: number, checks: number,
): Reason {
  if (p + 20 > end) return Reason.Truncated;
  const a = base + p;
  const w0 = dv.getInt32(a);
  const hl = (w0 >>> 22) & 0x3c;
  const total = w0 & 0xffff;
  if (w0 >>> 28 !== 4) return Reason.BadIpVersion;
  if (hl < 20) return Reason.BadIpHeaderLength;
  if (p + hl > end) return Reason.Truncated;
  if (total < hl) return Reason.BadIpLength;
  if (p + total > end) return Reason.Truncated;
  const w1 = dv.getInt32(a + 4); const w2 = dv.getInt32(a + 8); const w3 = dv.getInt32(a + 12); const w4 = dv.getInt32(a + 16);
  // the sum of the header's 16-bit words must be 0xffff; the 20 fixed bytes are already in registers
  if ((checks & VERIFY_IP_CHECKSUM) !== 0 && ipv4Sum(dv, a, hl, (w0 >>> 16) + total + (w1 >>> 16) + (w1 & 0xffff) + (w2 >>> 16) + (w2 & 0xffff) + (w3 >>> 16) + (w3 & 0xffff) + (w4 >>> 16) + (w4 & 0xffff)) !== 0xffff) {
    return Reason.BadIpChecksum;
  }
  if ((w1 & 0x3fff) !== 0) return Reason.IpFragment;
  const l4 = p + hl;
  const l4End = p + total;
  out.ipVersion = 4;
  out.tos = (w0 >>> 16) & 0xff;
  out.ipId = w1 >>> 16;
  out.ttl = w2 >>> 24;
  out.srcAddr4 = w3 >>> 0;
  out.dstAddr4 = w4 >>> 0;
  out.srcAddrOffset = p + 12;
  out.dstAddrOffset = p + 16;
  out.flowLabel = 0;
  out.l4Offset = l4;
  out.l4End = l4End;
  if (((w2 >>> 16) & 0xff) !== proto) return Reason.WrongProtocol;
  return proto === IPPROTO_UDP ? decodeUdp(buf, dv, base, l4, l4End, out, port, checks) : Reason.Ok;
}

/** `sum` (the fixed 20 bytes) plus an IPv4 header's option words at dv[a + 20, a + hl), folded. */
function ipv4Sum(dv: DataView, a: number, hl: number, sum: number): number {
  for (let i = a + 20; i < a + hl; i += 4) { const w = dv.getInt32(i); sum += (w >>> 16) + (w & 0xffff); }
  sum = (sum & 0xffff) + (sum >>> 16);
  return (sum & 0xffff) + (sum >>> 16);
}

/** The UDP header at [l4, l4End): destination port, length, and the checksum when set and asked for. */
function decodeUdp(buf: Uint8Array, dv: DataView, base: number, l4: number, l4End: number, out: OuterInfo, port: number, checks: number): Reason {
  if (l4 + 8 > l4End) return Reason.Truncated;
  const u0 = dv.getInt32(base + l4);
  const u1 = dv.getInt32(base + l4 + 4);
  const udpLength = u1 >>> 16;
  out.srcPort = u0 >>> 16;
  out.dstPort = u0 & 0xffff;
  out.l4Checksum = u1 & 0xffff;
  if ((u0 & 0xffff) !== port) return Reason.WrongPort;
  if (udpLength < 8 || l4 + udpLength > l4End) return Reason.BadUdpLength;
  out.l4End = l4 + udpLength;
  if ((u1 & 0xffff) !== 0 && (checks & VERIFY_UDP_CHECKSUM) !== 0
    && fold(pseudoHeaderSum(buf, out, IPPROTO_UDP, udpLength) + sum16(buf, l4, udpLength)) !== 0xffff) return Reason.BadL4Checksum;
  return Reason.Ok;
}

/** The pseudo-header sum (addresses + protocol + L4 length) of a decoded packet. */
export function pseudoHeaderSum(buf: Uint8Array, out: OuterInfo, proto: number, l4Length: number): number {
  let s = proto + l4Length;
  if (out.ipVersion === 4) {
    const a = out.srcAddrOffset;
    for (let i = a; i < a + 8; i += 2) s += (buf[i] << 8) | buf[i + 1];
  } else {
    const a = out.srcAddrOffset;
    for (let i = a; i < a + 32; i += 2) s += (buf[i] << 8) | buf[i + 1];
  }
  return s;
}

export { finish };
