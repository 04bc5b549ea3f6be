// The JavaScript floors of the codecs bench: for each case, the least code that does the same header work as
// ours on the bench's frames (IPv4 outer, optionally 802.1Q-tagged): the same checks in the same order, the same
// fields written, the same bytes produced, and nothing else. No classes, no options objects, no reason names: one
// function per case over a Uint8Array. Headers are read as 32-bit words through a DataView (4x fewer bounds-checked
// loads than bytes: a 20-byte IPv4 header checksum 2.7 ns by words, 6 ns by bytes here) and written as bytes (a
// store through a DataView that is not a constant measured slower than two byte stores); templates are copied with
// TypedArray.prototype.set (11 ns for 58 bytes, against 35 ns byte by byte; 32-bit stores were no faster in place).
//
// Each floor is deliberately one self-contained function: a helper shared between two floors would be a call the
// floor does not have to pay, and the point of a floor is what V8 can do at best. So the outer-header checks
// appear in both decap floors, and the flow hash in both encap floors: that repetition is the probe, not a
// pattern to copy. The bench checks that every floor gives ours's result (fields, bytes) before timing it.
// Return values are our reason codes as numbers (0 = Ok).

/** What the decap floors write: the same fields as GeneveResult / VxlanResult, as one plain object. */
export interface FloorDecoded {
  vlanTci: number; ipVersion: number; ipOffset: number; ttl: number; tos: number; ipId: number; srcAddr4: number; dstAddr4: number;
  srcAddrOffset: number; dstAddrOffset: number; flowLabel: number; l4Offset: number; l4End: number; srcPort: number; dstPort: number;
  l4Checksum: number; vni: number; oam: boolean; critical: boolean; protocolType: number; optionsOffset: number; optionsLength: number;
  optionCount: number; optionOffsets: Int32Array; ovn: boolean; ovnIngress: number; ovnEgress: number; flags: number;
  ovnDatapath: number; innerOffset: number; innerLength: number;
}

export function floorDecoded(): FloorDecoded {
  return {
    vlanTci: -1, ipVersion: 0, ipOffset: 0, ttl: 0, tos: 0, ipId: 0, srcAddr4: 0, dstAddr4: 0, srcAddrOffset: 0, dstAddrOffset: 0,
    flowLabel: 0, l4Offset: 0, l4End: 0, srcPort: 0, dstPort: 0, l4Checksum: 0, vni: 0, oam: false, critical: false, protocolType: 0,
    optionsOffset: 0, optionsLength: 0, optionCount: 0, optionOffsets: new Int32Array(63), ovn: false, ovnIngress: 0, ovnEgress: 0,
    flags: 0, ovnDatapath: 0, innerOffset: 0, innerLength: 0,
  };
}

/** Check bits, as the decoders' options: verify the IPv4 header checksum, verify a UDP/TCP checksum. */
export const FLOOR_IP_CHECKSUM = 1;
export const FLOOR_L4_CHECKSUM = 2;

/** A one-entry DataView cache per floor, as ours keeps one per decoder: the bench reuses one array. */
interface ViewCache { array: Uint8Array | null; view: DataView; base: number }
const viewCache = (): ViewCache => ({ array: null, view: new DataView(new ArrayBuffer(0)), base: 0 });
const geneveView = viewCache();
const vxlanView = viewCache();
const geneveEncapView = viewCache();
const vxlanEncapView = viewCache();

function bind(c: ViewCache, b: Uint8Array): void {
  c.array = b;
  c.view = new DataView(b.buffer);
  c.base = b.byteOffset;
}

/** Geneve decap as GeneveDecoder.decode with OVN's option the only known critical one. */
export function floorGeneveDecap(b: Uint8Array, off: number, len: number, o: FloorDecoded, checks: number): number {
  const c = geneveView;
  if (b !== c.array) bind(c, b);
  const d = c.view; const z = c.base;
  if ((off >>> 0) !== off || (len >>> 0) !== len || off + len > b.length) return 30;
  const end = off + len;
  if (len < 14) return 2;
  let p = off + 14;
  let type = d.getUint16(z + off + 12);
  o.vlanTci = -1;
  if (type === 0x8100 || type === 0x88a8) {
    if (p + 4 > end) return 2;
    const tag = d.getInt32(z + p);
    o.vlanTci = tag >>> 16; type = tag & 0xffff; p += 4;
    if (type === 0x8100) { if (p + 4 > end) return 2; type = d.getUint16(z + p + 2); p += 4; }
  }
  o.ipOffset = p;
  if (type !== 0x0800) return 3;
  if (p + 20 > end) return 2;
  const a = z + p;
  const w0 = d.getInt32(a);
  if (w0 >>> 28 !== 4) return 4;
  const hl = (w0 >>> 22) & 0x3c;
  if (hl < 20) return 5;
  if (p + hl > end) return 2;
  const total = w0 & 0xffff;
  if (total < hl) return 6;
  if (p + total > end) return 2;
  const w1 = d.getInt32(a + 4); const w2 = d.getInt32(a + 8); const w3 = d.getInt32(a + 12); const w4 = d.getInt32(a + 16);
  if ((checks & 1) !== 0) {
    let s = (w0 >>> 16) + total + (w1 >>> 16) + (w1 & 0xffff) + (w2 >>> 16) + (w2 & 0xffff) + (w3 >>> 16) + (w3 & 0xffff) + (w4 >>> 16) + (w4 & 0xffff);
    for (let i = a + 20; i < a + hl; i += 4) { const w = d.getInt32(i); s += (w >>> 16) + (w & 0xffff); }
    s = (s & 0xffff) + (s >>> 16); s = (s & 0xffff) + (s >>> 16);
    if (s !== 0xffff) return 7;
  }
  if ((w1 & 0x3fff) !== 0) return 8;
  o.ipVersion = 4; o.tos = (w0 >>> 16) & 0xff; o.ipId = w1 >>> 16; o.ttl = w2 >>> 24;
  o.srcAddr4 = w3 >>> 0; o.dstAddr4 = w4 >>> 0; o.srcAddrOffset = p + 12; o.dstAddrOffset = p + 16; o.flowLabel = 0;
  const u = p + hl;
  let l4End = p + total;
  o.l4Offset = u; o.l4End = l4End;
  if (((w2 >>> 16) & 0xff) !== 17) return 9;
  if (u + 8 > l4End) return 2;
  const u0 = d.getInt32(z + u); const u1 = d.getInt32(z + u + 4);
  const dstPort = u0 & 0xffff; const udpLength = u1 >>> 16; const checksum = u1 & 0xffff;
  o.srcPort = u0 >>> 16; o.dstPort = dstPort; o.l4Checksum = checksum;
  if (dstPort !== 6081) return 10;
  if (udpLength < 8 || u + udpLength > l4End) return 11;
  l4End = u + udpLength;
  o.l4End = l4End;
  if (checksum !== 0 && (checks & 2) !== 0) {
    let s = 17 + udpLength + (w3 >>> 16) + (w3 & 0xffff) + (w4 >>> 16) + (w4 & 0xffff) + floorSum(b, u, udpLength);
    while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
    if (s !== 0xffff) return 12;
  }
  const g = u + 8;
  // OVN's header (version 0, C bit, Ethernet, one option: OVN's), recognised in two words as ours does
  if (g + 16 <= l4End && d.getInt32(z + g) === 0x02406558 && d.getInt32(z + g + 8) === 0x01028001) {
    const v = d.getInt32(z + g + 12);
    o.oam = false; o.critical = true; o.protocolType = 0x6558; o.vni = d.getUint32(z + g + 4) >>> 8;
    o.optionsOffset = g + 8; o.optionsLength = 8; o.optionOffsets[0] = g + 8; o.optionCount = 1;
    o.ovn = true; o.ovnIngress = (v >>> 16) & 0x7fff; o.ovnEgress = v & 0xffff; o.innerOffset = g + 16; o.innerLength = l4End - g - 16;
    return 0;
  }
  o.optionCount = 0; o.ovn = false;
  if (g + 8 > l4End) return 2;
  const g0 = d.getInt32(z + g);
  if (g0 >>> 30 !== 0) return 13;
  const optLen = (g0 >>> 22) & 0xfc;
  const oam = (g0 & 0x800000) !== 0;
  const protocolType = g0 & 0xffff;
  o.oam = oam; o.critical = (g0 & 0x400000) !== 0; o.protocolType = protocolType;
  o.vni = d.getUint32(z + g + 4) >>> 8;
  const optStart = g + 8; const optEnd = optStart + optLen;
  if (optEnd > l4End) return 2;
  o.optionsOffset = optStart; o.optionsLength = optLen; o.innerOffset = optEnd; o.innerLength = l4End - optEnd;
  let unknownCritical = false; let q = optStart; let n = 0;
  const offsets = o.optionOffsets;
  while (q < optEnd) {
    if (q + 4 > optEnd) return 14;
    const h = d.getInt32(z + q);
    const olen = 4 + ((h & 0x1f) << 2);
    if (q + olen > optEnd) return 14;
    const key = h >>> 8;
    offsets[n++] = q;
    if (key === 0x010280) {
      if (olen !== 8) return 19;
      const v = d.getInt32(z + q + 4);
      o.ovn = true; o.ovnIngress = (v >>> 16) & 0x7fff; o.ovnEgress = v & 0xffff;
    } else if ((key & 0x80) !== 0) {
      unknownCritical = true;
    }
    q += olen;
  }
  o.optionCount = n;
  if (unknownCritical) return 16;
  if (oam) return 17;
  if (protocolType !== 0x6558) return 18;
  return 0;
}

/** VXLAN decap as VxlanDecoder.decode. */
export function floorVxlanDecap(b: Uint8Array, off: number, len: number, o: FloorDecoded, checks: number): number {
  const c = vxlanView;
  if (b !== c.array) bind(c, b);
  const d = c.view; const z = c.base;
  if ((off >>> 0) !== off || (len >>> 0) !== len || off + len > b.length) return 30;
  const end = off + len;
  if (len < 14) return 2;
  let p = off + 14;
  let type = d.getUint16(z + off + 12);
  o.vlanTci = -1;
  if (type === 0x8100 || type === 0x88a8) {
    if (p + 4 > end) return 2;
    const tag = d.getInt32(z + p);
    o.vlanTci = tag >>> 16; type = tag & 0xffff; p += 4;
    if (type === 0x8100) { if (p + 4 > end) return 2; type = d.getUint16(z + p + 2); p += 4; }
  }
  o.ipOffset = p;
  if (type !== 0x0800) return 3;
  if (p + 20 > end) return 2;
  const a = z + p;
  const w0 = d.getInt32(a);
  if (w0 >>> 28 !== 4) return 4;
  const hl = (w0 >>> 22) & 0x3c;
  if (hl < 20) return 5;
  if (p + hl > end) return 2;
  const total = w0 & 0xffff;
  if (total < hl) return 6;
  if (p + total > end) return 2;
  const w1 = d.getInt32(a + 4); const w2 = d.getInt32(a + 8); const w3 = d.getInt32(a + 12); const w4 = d.getInt32(a + 16);
  if ((checks & 1) !== 0) {
    let s = (w0 >>> 16) + total + (w1 >>> 16) + (w1 & 0xffff) + (w2 >>> 16) + (w2 & 0xffff) + (w3 >>> 16) + (w3 & 0xffff) + (w4 >>> 16) + (w4 & 0xffff);
    for (let i = a + 20; i < a + hl; i += 4) { const w = d.getInt32(i); s += (w >>> 16) + (w & 0xffff); }
    s = (s & 0xffff) + (s >>> 16); s = (s & 0xffff) + (s >>> 16);
    if (s !== 0xffff) return 7;
  }
  if ((w1 & 0x3fff) !== 0) return 8;
  o.ipVersion = 4; o.tos = (w0 >>> 16) & 0xff; o.ipId = w1 >>> 16; o.ttl = w2 >>> 24;
  o.srcAddr4 = w3 >>> 0; o.dstAddr4 = w4 >>> 0; o.srcAddrOffset = p + 12; o.dstAddrOffset = p + 16; o.flowLabel = 0;
  const u = p + hl;
  let l4End = p + total;
  o.l4Offset = u; o.l4End = l4End;
  if (((w2 >>> 16) & 0xff) !== 17) return 9;
  if (u + 8 > l4End) return 2;
  const u0 = d.getInt32(z + u); const u1 = d.getInt32(z + u + 4);
  const dstPort = u0 & 0xffff; const udpLength = u1 >>> 16; const checksum = u1 & 0xffff;
  o.srcPort = u0 >>> 16; o.dstPort = dstPort; o.l4Checksum = checksum;
  if (dstPort !== 4789) return 10;
  if (udpLength < 8 || u + udpLength > l4End) return 11;
  l4End = u + udpLength;
  o.l4End = l4End;
  if (checksum !== 0 && (checks & 2) !== 0) {
    let s = 17 + udpLength + (w3 >>> 16) + (w3 & 0xffff) + (w4 >>> 16) + (w4 & 0xffff) + floorSum(b, u, udpLength);
    while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
    if (s !== 0xffff) return 12;
  }
  const x = u + 8;
  if (x + 8 > l4End) return 2;
  const flags = d.getUint8(z + x);
  const vni = d.getUint32(z + x + 4) >>> 8;
  o.flags = flags; o.vni = vni; o.ovnDatapath = vni & 0xfff; o.ovnEgress = vni >>> 12;
  o.innerOffset = x + 8; o.innerLength = l4End - x - 8;
  if ((flags & 0x08) === 0) return 20;
  return 0;
}

/** The constant parts of an IPv4 UDP tunnel header, as ours's OuterTemplate holds them (built once per flow). */
export interface FloorTemplate {
  bytes: Uint8Array;
  headerLength: number;
  /** Sum of the IPv4 header with total length, id and checksum as zero. */
  ipConstSum: number;
  srcPortMin: number;
  srcPortSpan: number;
  /** Sum of the pseudo-header's addresses and protocol, for the UDP checksum; -1 when there is none. */
  pseudoSum: number;
}

/**
 * Geneve encap with OVN's keys as GeneveEncoder.encapOvn over IPv4 (no VLAN): checks the arguments and keys,
 * hashes the inner flow, copies the template in front of the inner frame, patches lengths, the header checksum,
 * the source port, the VNI and OVN's option, and the UDP checksum when the template has one.
 */
export function floorGeneveEncap(b: Uint8Array, innerOffset: number, innerLength: number, t: FloorTemplate, datapath: number, ingress: number, egress: number): number {
  if ((ingress >>> 0) !== ingress || ingress > 0x7fff || (egress >>> 0) !== egress || egress > 0xffff) return 29;
  if ((datapath >>> 0) !== datapath || datapath > 0xffffff) return 29;
  if ((innerOffset >>> 0) !== innerOffset || (innerLength >>> 0) !== innerLength) return 30;
  const start = innerOffset - t.headerLength;
  if (start < 0 || innerOffset + innerLength > b.length) return 27;
  const udpLength = t.headerLength - 34 + innerLength;
  if (udpLength + 20 > 65535) return 28;
  const c = geneveEncapView;
  if (b !== c.array) bind(c, b);
  const h = floorHash(c.view, c.base, innerOffset, innerLength, b);
  b.set(t.bytes, start);
  const ip = start + 14;
  const total = udpLength + 20;
  b[ip + 2] = total >>> 8; b[ip + 3] = total;
  let s = t.ipConstSum + total;
  s = (s & 0xffff) + (s >>> 16); s = (s & 0xffff) + (s >>> 16); s = ~s;
  b[ip + 10] = s >>> 8; b[ip + 11] = s;
  const port = t.srcPortMin + Math.floor((h >>> 0) * t.srcPortSpan * (1 / 4294967296));
  b[ip + 20] = port >>> 8; b[ip + 21] = port;
  b[ip + 24] = udpLength >>> 8; b[ip + 25] = udpLength;
  b[ip + 32] = datapath >>> 16; b[ip + 33] = datapath >>> 8; b[ip + 34] = datapath;
  b[ip + 40] = ingress >>> 8; b[ip + 41] = ingress; b[ip + 42] = egress >>> 8; b[ip + 43] = egress;
  if (t.pseudoSum >= 0) floorUdpChecksum(c.view, c.base + ip + 20, udpLength, t.pseudoSum);
  return 0;
}

/** VXLAN encap with OVN's keys as VxlanEncoder.encapOvn over IPv4 (no VLAN). */
export function floorVxlanEncap(b: Uint8Array, innerOffset: number, innerLength: number, t: FloorTemplate, datapath: number, egress: number): number {
  if ((datapath >>> 0) !== datapath || datapath > 0xfff || (egress >>> 0) !== egress || egress > 0xfff) return 29;
  if ((innerOffset >>> 0) !== innerOffset || (innerLength >>> 0) !== innerLength) return 30;
  const start = innerOffset - t.headerLength;
  if (start < 0 || innerOffset + innerLength > b.length) return 27;
  const udpLength = t.headerLength - 34 + innerLength;
  if (udpLength + 20 > 65535) return 28;
  const c = vxlanEncapView;
  if (b !== c.array) bind(c, b);
  const h = floorHash(c.view, c.base, innerOffset, innerLength, b);
  b.set(t.bytes, start);
  const ip = start + 14;
  const total = udpLength + 20;
  b[ip + 2] = total >>> 8; b[ip + 3] = total;
  let s = t.ipConstSum + total;
  s = (s & 0xffff) + (s >>> 16); s = (s & 0xffff) + (s >>> 16); s = ~s;
  b[ip + 10] = s >>> 8; b[ip + 11] = s;
  const port = t.srcPortMin + Math.floor((h >>> 0) * t.srcPortSpan * (1 / 4294967296));
  b[ip + 20] = port >>> 8; b[ip + 21] = port;
  b[ip + 24] = udpLength >>> 8; b[ip + 25] = udpLength;
  const vni = (egress << 12) | datapath;
  b[ip + 32] = vni >>> 16; b[ip + 33] = vni >>> 8; b[ip + 34] = vni;
  if (t.pseudoSum >= 0) floorUdpChecksum(c.view, c.base + ip + 20, udpLength, t.pseudoSum);
  return 0;
}

/**
 * The inner-flow hash (codecs/flow-hash.ts's function, the same value) read through the floor's view. Small enough
 * for V8 to inline into both encap floors, so it is not a call.
 */
function floorHash(d: DataView, z: number, off: number, len: number, b: Uint8Array): number {
  const end = off + len;
  let h: number;
  if (len < 14) {
    h = len;
    for (let i = off; i < end; i++) h = Math.imul(h ^ b[i], 0x01000193);
  } else {
    let p = off + 14;
    let type = d.getUint16(z + off + 12);
    while ((type === 0x8100 || type === 0x88a8) && p + 4 <= end) { type = d.getUint16(z + p + 2); p += 4; }
    if (type === 0x0800 && p + 20 <= end) {
      const w0 = d.getInt32(z + p); const w2 = d.getInt32(z + p + 8);
      const ihl = (w0 >>> 22) & 0x3c; const proto = (w2 >>> 16) & 0xff;
      h = d.getInt32(z + p + 12);
      h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) ^ d.getInt32(z + p + 16);
      h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) ^ proto;
      const l4 = p + ihl;
      if ((d.getUint16(z + p + 6) & 0x3fff) === 0 && ihl >= 20 && (proto === 6 || proto === 17 || proto === 132) && l4 + 4 <= end) {
        h = Math.imul(h ^ (h >>> 16), 0x9e3779b1) ^ d.getInt32(z + l4);
      }
    } else if (type === 0x86dd && p + 40 <= end) {
      h = 6;
      for (let i = p + 8; i < p + 40; i += 4) h = Math.imul(h ^ d.getInt32(z + i), 0x9e3779b1) ^ (h >>> 15);
      const nh = d.getUint8(z + p + 6);
      h ^= nh;
      if ((nh === 6 || nh === 17 || nh === 132) && p + 44 <= end) h = Math.imul(h ^ d.getInt32(z + p + 40), 0x85ebca6b);
    } else {
      h = 2;
      h = Math.imul(h ^ d.getInt32(z + off), 0x9e3779b1);
      h = Math.imul(h ^ d.getInt32(z + off + 4), 0x85ebca6b);
      h = Math.imul(h ^ d.getInt32(z + off + 8), 0xc2b2ae35) ^ type;
    }
  }
  h ^= h >>> 16; h = Math.imul(h, 0x7feb352d); h ^= h >>> 15; h = Math.imul(h, 0x846ca68b); h ^= h >>> 16;
  return h | 0;
}

/**
 * The big-endian one's-complement sum of b[off, off+len), unfolded: 4 bytes at a time through a Uint32Array of the
 * whole buffer (little-endian words, summed by absolute address parity and swapped back at the end), the fastest
 * plain-JS sum measured here (50 Gbps on a hot 1448-byte region, against 12 for DataView words).
 */
function floorSum(b: Uint8Array, off: number, len: number): number {
  const words = wordsOf(b.buffer);
  const start = b.byteOffset + off;
  let a = start; let k = 0; let le = 0;
  while ((a & 3) !== 0 && k < len) { le += (a & 1) === 0 ? b[off + k] : b[off + k] << 8; k++; a++; }
  let w = a >>> 2; const count = (len - k) >>> 2; const end2 = w + (count & ~1);
  let le2 = 0;
  while (w < end2) { le += words[w]; le2 += words[w + 1]; w += 2; }
  if ((count & 1) !== 0) le += words[w];
  le += le2;
  k += count << 2; a += count << 2;
  while (k < len) { le += (a & 1) === 0 ? b[off + k] : b[off + k] << 8; k++; a++; }
  while (le > 0xffffffff) le = (le % 0x10000) + Math.floor(le / 0x10000);
  le = (le >>> 16) + (le & 0xffff); le = (le >>> 16) + (le & 0xffff);
  return (start & 1) === 0 ? ((le & 0xff) << 8) | (le >>> 8) : le;
}

/** The UDP checksum of the datagram at absolute offset `u` (its checksum field zero in the template). */
function floorUdpChecksum(d: DataView, u: number, udpLength: number, pseudoSum: number): void {
  let s = pseudoSum + udpLength;
  const words = u + (udpLength & ~3);
  for (let i = u; i < words; i += 4) { const w = d.getInt32(i); s += (w >>> 16) + (w & 0xffff); }
  if ((udpLength & 2) !== 0) s += d.getUint16(words);
  if ((udpLength & 1) !== 0) s += d.getUint8(words + (udpLength & 2)) << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  const c = ~s & 0xffff;
  d.setUint16(u + 6, c === 0 ? 0xffff : c);
}

/** Word views of an ArrayBuffer, one pair per buffer (the floors' own cache, as checksum.ts keeps one). */
interface Words { words: Uint32Array; longs: BigUint64Array }
const wordViews = new Map<ArrayBufferLike, Words>();
function viewsOf(buffer: ArrayBufferLike): Words {
  let w = wordViews.get(buffer);
  if (w === undefined) {
    w = { words: new Uint32Array(buffer, 0, buffer.byteLength >>> 2), longs: new BigUint64Array(buffer, 0, buffer.byteLength >>> 3) };
    wordViews.set(buffer, w);
  }
  return w;
}
function wordsOf(buffer: ArrayBufferLike): Uint32Array {
  return viewsOf(buffer).words;
}

/**
 * Copies src[so, so+len) to dst[dOff, dOff+len) and returns the big-endian one's-complement sum of the bytes,
 * folded: 8 bytes per store through BigUint64Array views when the two addresses are congruent mod 8 (the stores
 * bound the copy: 48 Gbps with the sum across 64 KB here, 32 with 32-bit stores), eight of them per iteration as ours
 * (V8 re-checks the arrays once per iteration), the same bytes summed as 32-bit
 * words; 32-bit words when congruent mod 4; bytes otherwise. The best plain-JS copy-and-sum measured here.
 */
function floorCopySum(src: Uint8Array, sv: Words, so: number, dst: Uint8Array, dv: Words, dOff: number, len: number): number {
  const sa = src.byteOffset + so; const da = dst.byteOffset + dOff;
  const delta = (sa - da) & 7;
  const align = delta === 0 ? 7 : (delta & 3) === 0 ? 3 : -1;
  let a = da; let k = 0; let le = 0; let le2 = 0;
  if (align >= 0) {
    while ((a & align) !== 0 && k < len) { const v = src[so + k]; dst[dOff + k] = v; le += (a & 1) === 0 ? v : v << 8; k++; a++; }
    const sw = sv.words;
    if (delta === 0) {
      const sl = sv.longs; const dl = dv.longs;
      let ls = (sa + k) >>> 3; let ld = a >>> 3; let ws = ls << 1;
      const count = (len - k) >>> 3; const end8 = ls + (count & ~7);
      while (ls < end8) {
        dl[ld] = sl[ls]; dl[ld + 1] = sl[ls + 1]; dl[ld + 2] = sl[ls + 2]; dl[ld + 3] = sl[ls + 3];
        dl[ld + 4] = sl[ls + 4]; dl[ld + 5] = sl[ls + 5]; dl[ld + 6] = sl[ls + 6]; dl[ld + 7] = sl[ls + 7];
        le += ((sw[ws] + sw[ws + 2]) + (sw[ws + 4] + sw[ws + 6])) + ((sw[ws + 8] + sw[ws + 10]) + (sw[ws + 12] + sw[ws + 14]));
        le2 += ((sw[ws + 1] + sw[ws + 3]) + (sw[ws + 5] + sw[ws + 7])) + ((sw[ws + 9] + sw[ws + 11]) + (sw[ws + 13] + sw[ws + 15]));
        ls += 8; ld += 8; ws += 16;
      }
      const end1 = ls + (count & 7);
      while (ls < end1) { dl[ld] = sl[ls]; le += sw[ws]; le2 += sw[ws + 1]; ls++; ld++; ws += 2; }
      k += count << 3; a += count << 3;
    } else {
      const dw = dv.words;
      let ws = (sa + k) >>> 2; let wd = a >>> 2;
      const count = (len - k) >>> 2; const end2 = ws + (count & ~1);
      while (ws < end2) { const u = sw[ws]; const v = sw[ws + 1]; dw[wd] = u; dw[wd + 1] = v; le += u; le2 += v; ws += 2; wd += 2; }
      if ((count & 1) !== 0) { const u = sw[ws]; dw[wd] = u; le += u; }
      k += count << 2; a += count << 2;
    }
  }
  le += le2;
  while (k < len) { const v = src[so + k]; dst[dOff + k] = v; le += (a & 1) === 0 ? v : v << 8; k++; a++; }
  while (le > 0xffffffff) le = (le % 0x10000) + Math.floor(le / 0x10000);
  le = (le >>> 16) + (le & 0xffff); le = (le >>> 16) + (le & 0xffff);
  return (da & 1) === 0 ? ((le & 0xff) << 8) | (le >>> 8) : le;
}

/** The STT segmenter's state: what SttSegmenter keeps between frames. */
export interface FloorStt {
  template: Uint8Array;
  ipConstSum: number;
  pseudoSum: number;
  tcpConstSum: number;
  srcPortMin: number;
  srcPortSpan: number;
  mss: number;
  packetId: number;
  /** The 18-byte STT header of the next frame (flags, context...). */
  header: Uint8Array;
  segmentLengths: Int32Array;
  segmentCount: number;
  srcViews: Words | null;
  dstViews: Words | null;
  srcArray: Uint8Array | null;
  dstArray: Uint8Array | null;
}

/**
 * STT segmentation as SttSegmenter.segment over IPv4: per segment the template, SEQ/ACK, the STT header in the
 * first, the frame's slice copied and summed in one pass (4 bytes at a time: the bench keeps source and destination
 * congruent mod 4, as ours asks), and the TCP checksum.
 */
export function floorSttSegment(s: FloorStt, src: Uint8Array, srcOffset: number, innerLength: number, dst: Uint8Array, dstOffset: number, stride: number): number {
  const t = s.template; const hl = t.length; const mss = s.mss;
  if ((srcOffset >>> 0) !== srcOffset || (innerLength >>> 0) !== innerLength || srcOffset + innerLength > src.length) return 30;
  const f = innerLength + 18;
  if (f > 65535) return 28;
  if ((stride >>> 0) !== stride || (dstOffset >>> 0) !== dstOffset || stride < hl + mss) return 27;
  const n = Math.ceil(f / mss);
  if (dstOffset + (n - 1) * stride + hl + (f - (n - 1) * mss) > dst.length) return 27;
  if (src !== s.srcArray) { s.srcArray = src; s.srcViews = viewsOf(src.buffer); }
  if (dst !== s.dstArray) { s.dstArray = dst; s.dstViews = viewsOf(dst.buffer); }
  const sv = s.srcViews as Words; const dv = s.dstViews as Words;
  // the flow hash of an IPv4/TCP inner frame (the bench's), as flowHash
  const ip = srcOffset + 14;
  let h = ((src[ip + 12] << 24) | (src[ip + 13] << 16) | (src[ip + 14] << 8) | src[ip + 15]);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) ^ ((src[ip + 16] << 24) | (src[ip + 17] << 16) | (src[ip + 18] << 8) | src[ip + 19]);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) ^ src[ip + 9];
  const l4 = ip + ((src[ip] & 15) << 2);
  h = Math.imul(h ^ (h >>> 16), 0x9e3779b1) ^ ((src[l4] << 24) | (src[l4 + 1] << 16) | (src[l4 + 2] << 8) | src[l4 + 3]);
  h ^= h >>> 16; h = Math.imul(h, 0x7feb352d); h ^= h >>> 15; h = Math.imul(h, 0x846ca68b); h ^= h >>> 16;
  const srcPort = s.srcPortMin + Math.floor((h >>> 0) * s.srcPortSpan * (1 / 4294967296));
  const id = s.packetId = (s.packetId + 1) >>> 0;
  const ackSum = (id >>> 16) + (id & 0xffff);
  for (let i = 0; i < n; i++) {
    const start = dstOffset + i * stride;
    const frameOff = i * mss;
    const payload = i === n - 1 ? f - frameOff : mss;
    dst.set(t, start);
    const total = 20 + 20 + payload;
    dst[start + 16] = total >>> 8; dst[start + 17] = total;
    let x = s.ipConstSum + total;
    x = (x & 0xffff) + (x >>> 16); x = (x & 0xffff) + (x >>> 16); x = ~x;
    dst[start + 24] = x >>> 8; dst[start + 25] = x;
    const tcp = start + 34;
    dst[tcp] = srcPort >>> 8; dst[tcp + 1] = srcPort;
    dst[tcp + 4] = f >>> 8; dst[tcp + 5] = f; dst[tcp + 6] = frameOff >>> 8; dst[tcp + 7] = frameOff;
    dst[tcp + 8] = id >>> 24; dst[tcp + 9] = id >>> 16; dst[tcp + 10] = id >>> 8; dst[tcp + 11] = id;
    let p = start + hl;
    let from = srcOffset + frameOff - 18;
    let len = payload;
    let acc = 0;
    if (i === 0) {
      const hd = s.header;
      for (let k = 0; k < 18; k++) { const v = hd[k]; dst[p + k] = v; acc += (k & 1) === 0 ? v << 8 : v; }
      p += 18; from += 18; len -= 18;
    }
    acc += floorCopySum(src, sv, from, dst, dv, p, len);
    let c = s.pseudoSum + 20 + payload + s.tcpConstSum + srcPort + f + frameOff + ackSum + acc;
    while (c > 0xffff) c = (c & 0xffff) + (c >>> 16);
    c = ~c & 0xffff;
    dst[tcp + 16] = c >>> 8; dst[tcp + 17] = c;
    s.segmentLengths[i] = hl + payload;
  }
  s.segmentCount = n;
  return 0;
}

/** The reassembler's state: a direct-mapped table of frames in flight and their arena slots. */
export interface FloorReassembler {
  arena: Uint8Array;
  arenaViews: Words;
  arenaHead: number;
  live: Uint8Array;
  src: Uint32Array;
  dst: Uint32Array;
  id: Uint32Array;
  frameLength: Int32Array;
  received: Int32Array;
  base: Int32Array;
  rangeStart: Int32Array;
  rangeEnd: Int32Array;
  checks: number;
  bufArray: Uint8Array | null;
  bufViews: Words | null;
}

export function floorReassembler(checks: number): FloorReassembler {
  const arena = new Uint8Array(4 << 20);
  return {
    arena, arenaViews: viewsOf(arena.buffer), arenaHead: 0, live: new Uint8Array(64), src: new Uint32Array(64),
    dst: new Uint32Array(64), id: new Uint32Array(64), frameLength: new Int32Array(64), received: new Int32Array(64),
    base: new Int32Array(64), rangeStart: new Int32Array(64), rangeEnd: new Int32Array(64), checks, bufArray: null, bufViews: null,
  };
}

/**
 * STT reassembly as SttReassembler.push, for the bench's in-order segments over IPv4: the outer checks, the TCP-like
 * header, the frame's entry (direct-mapped by packet id and addresses), the overlap check, the slice copied into the
 * arena and summed in one pass, the TCP checksum, the received range, and on the last byte the STT header. 0 when a
 * frame is complete (its inner frame at o.innerOffset in r.arena), 1 when the segment was stored, else a reason.
 */
export function floorSttPush(r: FloorReassembler, b: Uint8Array, off: number, len: number, o: FloorDecoded): number {
  if ((off >>> 0) !== off || (len >>> 0) !== len || off + len > b.length) return 30;
  if (b !== r.bufArray) { r.bufArray = b; r.bufViews = viewsOf(b.buffer); }
  const end = off + len;
  if (len < 14) return 2;
  const p = off + 14;
  if (((b[off + 12] << 8) | b[off + 13]) !== 0x0800) return 3;
  if (p + 20 > end) return 2;
  if (b[p] >>> 4 !== 4) return 4;
  const hl = (b[p] & 15) << 2;
  if (hl < 20) return 5;
  if (p + hl > end) return 2;
  const total = (b[p + 2] << 8) | b[p + 3];
  if (total < hl) return 6;
  if (p + total > end) return 2;
  if ((r.checks & 1) !== 0) {
    let s = 0;
    for (let i = p; i < p + hl; i += 2) s += (b[i] << 8) | b[i + 1];
    s = (s & 0xffff) + (s >>> 16); s = (s & 0xffff) + (s >>> 16);
    if (s !== 0xffff) return 7;
  }
  if ((((b[p + 6] << 8) | b[p + 7]) & 0x3fff) !== 0) return 8;
  if (b[p + 9] !== 6) return 9;
  const tcp = p + hl; const l4End = p + total;
  if (tcp + 20 > l4End) return 2;
  o.srcPort = (b[tcp] << 8) | b[tcp + 1];
  o.dstPort = (b[tcp + 2] << 8) | b[tcp + 3];
  if (o.dstPort !== 7471) return 10;
  if (b[tcp + 12] >>> 4 !== 5) return 21;
  const f = (b[tcp + 4] << 8) | b[tcp + 5];
  const so = (b[tcp + 6] << 8) | b[tcp + 7];
  const id = ((b[tcp + 8] << 24) | (b[tcp + 9] << 16) | (b[tcp + 10] << 8) | b[tcp + 11]) >>> 0;
  const data = tcp + 20; const plen = l4End - data;
  if (f < 18 || plen === 0 || so + plen > f) return 23;
  const src = ((b[p + 12] << 24) | (b[p + 13] << 16) | (b[p + 14] << 8) | b[p + 15]) >>> 0;
  const dst = ((b[p + 16] << 24) | (b[p + 17] << 16) | (b[p + 18] << 8) | b[p + 19]) >>> 0;
  const e = (id ^ src ^ dst) & 63;
  if (r.live[e] === 0 || r.id[e] !== id || r.src[e] !== src || r.dst[e] !== dst) {
    if (r.arenaHead + f + 7 > r.arena.length) r.arenaHead = 0;
    r.live[e] = 1; r.id[e] = id; r.src[e] = src; r.dst[e] = dst; r.frameLength[e] = f; r.received[e] = 0;
    // the slot congruent with the segment's data mod 8, so the copy moves 8 bytes per store
    const start = r.arenaHead;
    r.base[e] = start + (((b.byteOffset + data - so) - (r.arena.byteOffset + start)) & 7);
    r.arenaHead = start + f + 7;
  } else if (r.frameLength[e] !== f) {
    r.live[e] = 0;
    return 25;
  }
  if (r.received[e] !== 0 && so < r.rangeEnd[e] && r.rangeStart[e] < so + plen) { r.live[e] = 0; return 24; }
  // copy and sum, as the segmenter floor
  const le = floorCopySum(b, r.bufViews as Words, data, r.arena, r.arenaViews, r.base[e] + so, plen);
  if ((r.checks & 2) !== 0) {
    let s = le + 6 + (l4End - tcp) + ((src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff));
    for (let i = tcp; i < data; i += 2) s += (b[i] << 8) | b[i + 1];
    while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
    if (s !== 0xffff) return 12;
  }
  if (r.received[e] === 0) { r.rangeStart[e] = so; r.rangeEnd[e] = so + plen; }
  else if (r.rangeEnd[e] === so) r.rangeEnd[e] = so + plen;
  else if (r.rangeStart[e] === so + plen) r.rangeStart[e] = so;
  r.received[e] += plen;
  if (r.received[e] < f) return 1;
  r.live[e] = 0;
  const h = r.base[e]; const arena = r.arena;
  if (arena[h] !== 0) return 22;
  const hi = ((arena[h + 8] << 24) | (arena[h + 9] << 16) | (arena[h + 10] << 8) | arena[h + 11]) >>> 0;
  const lo = ((arena[h + 12] << 24) | (arena[h + 13] << 16) | (arena[h + 14] << 8) | arena[h + 15]) >>> 0;
  o.flags = arena[h + 1];
  o.ovn = hi >>> 23 === 0;
  o.ovnIngress = (hi >>> 8) & 0x7fff; o.ovnEgress = ((hi & 0xff) << 8) | (lo >>> 24); o.ovnDatapath = lo & 0xffffff;
  o.innerOffset = h + 18; o.innerLength = f - 18;
  return 0;
}
