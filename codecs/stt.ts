// STT (draft-davie-stt-08): segmentation of one inner frame into TCP-like segments, and reassembly from a
// fixed memory budget. No per-packet allocation in either direction.
//
// TCP-like header: source port (inner-flow hash), destination port 7471, SEQ = STT frame length << 16 |
// offset of this segment in the STT frame, ACK = packet id (same for all segments of a frame), data offset 5,
// flags ACK|PSH, window 0xffff, checksum over the pseudo-header, urgent pointer 0.
// STT frame = 18-byte STT header + inner Ethernet frame:
//   version(8)=0 | flags(8) | L4 offset(8) | reserved(8) | MSS(16) | PCP(3) V(1) VLAN ID(12) |
//   context ID(64) | padding(16)
// Flags as OVS and Wireshark implement them: 0x01 checksum verified, 0x02 checksum partial, 0x04 inner IPv4,
// 0x08 inner TCP.

import { isHash, isIndex } from './arguments.js';
import { add16, copySum16, fold, sum16 } from './checksum.js';
import { flowHash } from './flow-hash.js';
import { IPPROTO_TCP } from './ipv4.js';
import { ovnFromSttContext, ovnKeysValid, ovnSttContextHi, ovnSttContextLo } from './ovn-metadata.js';
import { decodeOuter, emitOuter, OuterInfo, OuterTemplate, pseudoHeaderSum, VERIFY_IP_CHECKSUM, type OuterSpec } from './outer.js';
import { Reason, REASON_COUNT } from './reason.js';
import { ByteView } from './views.js';

export const STT_PORT = 7471;
export const STT_HEADER_LENGTH = 18;
export const STT_TCP_HEADER_LENGTH = 20;
/** The largest STT frame (header + inner frame): SEQ carries its length in 16 bits. */
export const STT_MAX_FRAME_LENGTH = 65535;
export const STT_MAX_INNER_LENGTH = STT_MAX_FRAME_LENGTH - STT_HEADER_LENGTH;
export const STT_FLAG_CSUM_VERIFIED = 0x01;
export const STT_FLAG_CSUM_PARTIAL = 0x02;
export const STT_FLAG_IPV4 = 0x04;
export const STT_FLAG_TCP = 0x08;
const TCP_FLAGS_ACK_PSH = 0x18;

export interface SttSegmenterOptions {
  outer: OuterSpec;
  /** TCP payload bytes per segment (default 1448, i.e. a 1500-byte outer IPv4 MTU). */
  mss?: number;
  /** First packet id (ACK field); default random. Incremented per frame. */
  initialPacketId?: number;
}

/**
 * Splits one inner Ethernet frame into STT segments written into a caller buffer: segment i starts at
 * dstOffset + i * stride and is segmentLengths[i] bytes long. Set the STT header fields of the next frame
 * (flags, context, ...) on the object before calling segment(); they stay until changed.
 */
export class SttSegmenter {
  declare readonly template: OuterTemplate;
  /** Outer header bytes per segment (Ethernet, IP, TCP). */
  declare readonly headerLength: number;
  declare readonly mss: number;
  declare readonly maxSegments: number;
  declare readonly segmentLengths: Int32Array;
  segmentCount = 0;
  /** Packet id of the frame last segmented. */
  declare packetId: number;
  flags = 0;
  l4Offset = 0;
  /** The STT header's MSS field (segmentation offload for the receiver; 0 when not used). */
  headerMss = 0;
  /** PCP(3) | V(1) | VLAN ID(12). */
  vlanTci = 0;
  contextHi = 0;
  contextLo = 0;
  private declare readonly tcpConstSum: number;

  constructor(options: SttSegmenterOptions) {
    const mss = options.mss ?? 1448;
    if (!Number.isInteger(mss) || mss < 64 || mss > 65495) throw new RangeError('mss must be an integer in 64..65495');
    this.mss = mss;
    const t = new OuterTemplate(options.outer, IPPROTO_TCP, STT_TCP_HEADER_LENGTH, 0, STT_PORT);
    this.template = t;
    this.headerLength = t.headerLength;
    const b = t.bytes;
    const tcp = t.l4Offset;
    b[tcp + 12] = 5 << 4;
    b[tcp + 13] = TCP_FLAGS_ACK_PSH;
    b[tcp + 14] = 0xff; b[tcp + 15] = 0xff;
    this.tcpConstSum = sum16(b, tcp, STT_TCP_HEADER_LENGTH);
    this.maxSegments = Math.ceil(STT_MAX_FRAME_LENGTH / mss);
    this.segmentLengths = new Int32Array(this.maxSegments);
    this.packetId = (options.initialPacketId ?? Math.floor(Math.random() * 4294967296)) >>> 0;
  }

  /** Sets the source port range of subsequent frames (see OuterSpec.srcPortMin); InvalidArgument keeps the old one. */
  setSourcePortRange(min: number, max: number): Reason {
    return this.template.setSourcePortRange(min, max);
  }

  /** Sets the 64-bit context (two uint32 halves). */
  setContext(hi: number, lo: number): void {
    this.contextHi = hi >>> 0;
    this.contextLo = lo >>> 0;
  }

  /** Sets OVN's keys in the context: reserved(9) | ingress(15) | egress(16) | datapath(24). */
  setOvn(datapath: number, ingress: number, egress: number): Reason {
    if (!ovnKeysValid(datapath, ingress, egress)) return Reason.KeyOutOfRange;
    this.contextHi = ovnSttContextHi(ingress, egress);
    this.contextLo = ovnSttContextLo(egress, datapath);
    return Reason.Ok;
  }

  /** Bytes needed in the destination buffer for a frame of `innerLength` bytes with this stride. */
  bytesNeeded(innerLength: number, stride: number): number {
    const f = innerLength + STT_HEADER_LENGTH;
    const n = Math.ceil(f / this.mss);
    return (n - 1) * stride + this.headerLength + (f - (n - 1) * this.mss);
  }

  /**
   * Segments src[srcOffset, srcOffset+innerLength) (an inner Ethernet frame). For the fast copy keep
   * srcOffset ≡ dstOffset (mod 4) (absolute addresses) and stride a multiple of 4.
   */
  segment(src: Uint8Array, srcOffset: number, innerLength: number, dst: Uint8Array, dstOffset: number, stride: number, hash?: number): Reason {
    const t = this.template;
    const mss = this.mss;
    const hl = t.headerLength;
    if (!(src instanceof Uint8Array) || !(dst instanceof Uint8Array)) return Reason.InvalidArgument;
    if (!isIndex(srcOffset) || !isIndex(innerLength) || srcOffset + innerLength > src.length) return Reason.InvalidArgument;
    if (!isIndex(dstOffset) || !isIndex(stride) || (hash !== undefined && !isHash(hash))) return Reason.InvalidArgument;
    const f = innerLength + STT_HEADER_LENGTH;
    if (f > STT_MAX_FRAME_LENGTH) return Reason.FrameTooLarge;
    if (stride < hl + mss) return Reason.BufferTooSmall;
    const n = Math.ceil(f / mss);
    if (dstOffset + (n - 1) * stride + hl + (f - (n - 1) * mss) > dst.length) return Reason.BufferTooSmall;
    const h = hash === undefined ? flowHash(src, srcOffset, innerLength) : hash;
    const pktId = this.packetId = (this.packetId + 1) >>> 0;
    const pseudo = t.pseudoSum;
    const tcpOff = t.l4Offset;
    const ackSum = (pktId >>> 16) + (pktId & 0xffff);
    for (let i = 0; i < n; i++) {
      const start = dstOffset + i * stride;
      const frameOff = i * mss;
      const payload = i === n - 1 ? f - frameOff : mss;
      emitOuter(t, dst, start, payload, h);
      const tcp = start + tcpOff;
      // SEQ = frame length << 16 | offset, ACK = packet id
      dst[tcp + 4] = f >>> 8; dst[tcp + 5] = f & 0xff; dst[tcp + 6] = frameOff >>> 8; dst[tcp + 7] = frameOff & 0xff;
      dst[tcp + 8] = pktId >>> 24; dst[tcp + 9] = (pktId >>> 16) & 0xff; dst[tcp + 10] = (pktId >>> 8) & 0xff; dst[tcp + 11] = pktId & 0xff;
      const p = start + hl;
      let dataSum: number;
      if (i === 0) {
        this.writeHeader(dst, p);
        const first = payload - STT_HEADER_LENGTH;
        dataSum = add16(sum16(dst, p, STT_HEADER_LENGTH), copySum16(src, srcOffset, dst, p + STT_HEADER_LENGTH, first));
      } else {
        dataSum = copySum16(src, srcOffset + frameOff - STT_HEADER_LENGTH, dst, p, payload);
      }
      const srcPort = (dst[tcp] << 8) | dst[tcp + 1];
      const s = pseudo + (STT_TCP_HEADER_LENGTH + payload) + this.tcpConstSum + srcPort + f + frameOff + ackSum + dataSum;
      const c = ~fold(s) & 0xffff;
      dst[tcp + 16] = c >>> 8; dst[tcp + 17] = c & 0xff;
      this.segmentLengths[i] = hl + payload;
    }
    this.segmentCount = n;
    return Reason.Ok;
  }

  private writeHeader(b: Uint8Array, p: number): void {
    b[p] = 0; b[p + 1] = this.flags; b[p + 2] = this.l4Offset; b[p + 3] = 0;
    b[p + 4] = this.headerMss >>> 8; b[p + 5] = this.headerMss & 0xff;
    b[p + 6] = this.vlanTci >>> 8; b[p + 7] = this.vlanTci & 0xff;
    const hi = this.contextHi; const lo = this.contextLo;
    b[p + 8] = hi >>> 24; b[p + 9] = (hi >>> 16) & 0xff; b[p + 10] = (hi >>> 8) & 0xff; b[p + 11] = hi & 0xff;
    b[p + 12] = lo >>> 24; b[p + 13] = (lo >>> 16) & 0xff; b[p + 14] = (lo >>> 8) & 0xff; b[p + 15] = lo & 0xff;
    b[p + 16] = 0; b[p + 17] = 0;
  }
}

/** A reassembled (or single-segment) STT frame; one object reused across calls. */
export class SttResult extends OuterInfo {
  /** SEQ's frame length and offset, and ACK's packet id, of the last segment. */
  frameLengthField = 0;
  segmentOffset = 0;
  packetId = 0;
  /** Where the whole STT frame is: the caller's buffer (single segment) or the reassembler's arena.
   * Valid until the next push(). */
  frameBuffer: Uint8Array = EMPTY;
  frameOffset = 0;
  frameLength = 0;
  version = 0;
  flags = 0;
  sttL4Offset = 0;
  sttMss = 0;
  sttVlanTci = 0;
  contextHi = 0;
  contextLo = 0;
  /** The context read as OVN keys (false when its reserved bits are set). */
  ovn = false;
  ovnDatapath = 0;
  ovnIngress = 0;
  ovnEgress = 0;
  /** The inner Ethernet frame within frameBuffer. */
  innerOffset = 0;
  innerLength = 0;
}
const EMPTY = new Uint8Array(0);

export interface SttReassemblerOptions {
  /** Bytes of frame storage allocated up front (default 4 MiB, at least 64 KiB). */
  memoryBudget?: number;
  /** Frames in flight at most (default 1024). */
  maxEntries?: number;
  /** Entries older than this are dropped (default 30000 ms, on the caller's clock). */
  timeoutMs?: number;
  /** Most disjoint received ranges per frame before it is dropped (default 64). */
  maxRanges?: number;
  port?: number;
  /** Verify every segment's TCP checksum (default true). */
  verifyChecksum?: boolean;
  /** Verify the outer IPv4 header checksum (default true); see GeneveDecoderOptions. */
  verifyIpChecksum?: boolean;
}

/** Counters of the reassembler; `drops[reason]` counts segments or frames dropped for each reason code. */
export class SttCounters {
  segments = 0;
  framesSingleSegment = 0;
  framesReassembled = 0;
  evicted = 0;
  expired = 0;
  readonly drops = new Float64Array(REASON_COUNT);
}

const FREE = 0;
const LIVE = 1;

export class SttReassembler {
  declare readonly memoryBudget: number;
  declare readonly maxEntries: number;
  declare readonly timeoutMs: number;
  declare readonly maxRanges: number;
  declare readonly port: number;
  declare readonly verifyChecksum: boolean;
  declare readonly verifyIpChecksum: boolean;
  readonly counters = new SttCounters();
  /** The frame storage (reassembled frames are delivered from here, zero copy). */
  declare readonly arena: Uint8Array;

  // entry table
  private readonly keys: Uint32Array; // 9 words per entry: src[4] dst[4] packet id
  /** DataView of the caller's buffer, for the outer header checks. */
  private declare readonly bytes: ByteView;
  /** The last result object seen, so its type is checked once, not per segment (a private one at first). */
  private lastOut = new SttResult();
  private declare readonly family: Uint8Array;
  private declare readonly state: Uint8Array;
  private declare readonly serial: Float64Array;
  private declare readonly created: Float64Array;
  private declare readonly frameLen: Int32Array;
  private declare readonly received: Int32Array;
  private declare readonly base: Int32Array;
  private declare readonly allocStart: Int32Array;
  private declare readonly rangeCount: Int32Array;
  private declare readonly ranges: Int32Array;
  private declare readonly next: Int32Array;
  private declare readonly bucket: Int32Array;
  private declare readonly bucketMask: number;
  private declare readonly freeList: Int32Array;
  private declare freeCount: number;
  // creation-order queue (doubles as the arena's allocation order)
  private declare readonly queue: Int32Array;
  private declare readonly queueSerial: Float64Array;
  private qHead = 0;
  private qTail = 0;
  private qCount = 0;
  private nextSerial = 1;
  private arenaHead = 0;
  /** Live entries. */
  entries = 0;

  constructor(options: SttReassemblerOptions = {}) {
    this.memoryBudget = options.memoryBudget ?? 4 * 1024 * 1024;
    if (!Number.isInteger(this.memoryBudget) || this.memoryBudget < 65536 + 4) throw new RangeError('memoryBudget must be at least 65540 bytes');
    const e = this.maxEntries = options.maxEntries ?? 1024;
    if (!Number.isInteger(e) || e < 1) throw new RangeError('maxEntries must be a positive integer');
    this.timeoutMs = options.timeoutMs ?? 30000;
    this.maxRanges = options.maxRanges ?? 64;
    this.port = options.port ?? STT_PORT;
    this.verifyChecksum = options.verifyChecksum ?? true;
    this.verifyIpChecksum = options.verifyIpChecksum ?? true;
    this.arena = new Uint8Array(this.memoryBudget);
    this.keys = new Uint32Array(e * 9);
    this.bytes = new ByteView();
    this.family = new Uint8Array(e);
    this.state = new Uint8Array(e);
    this.serial = new Float64Array(e);
    this.created = new Float64Array(e);
    this.frameLen = new Int32Array(e);
    this.received = new Int32Array(e);
    this.base = new Int32Array(e);
    this.allocStart = new Int32Array(e);
    this.rangeCount = new Int32Array(e);
    this.ranges = new Int32Array(e * this.maxRanges * 2);
    this.next = new Int32Array(e);
    let buckets = 1;
    while (buckets < e * 2) buckets <<= 1;
    this.bucket = new Int32Array(buckets).fill(-1);
    this.bucketMask = buckets - 1;
    this.freeList = new Int32Array(e);
    for (let i = 0; i < e; i++) this.freeList[i] = e - 1 - i;
    this.freeCount = e;
    this.queue = new Int32Array(e);
    this.queueSerial = new Float64Array(e);
  }

  /**
   * Takes one STT segment (an outer Ethernet frame buf[off, off+len)) at time `now` (ms, caller's clock).
   * Returns Ok with `out` describing a complete frame, Pending when the segment was stored, or a drop reason.
   */
  push(buf: Uint8Array, off: number, len: number, now: number, out: SttResult): Reason {
    const r = this.pushInner(buf, off, len, now, out);
    if (r > Reason.Pending) this.counters.drops[r]++;
    return r;
  }

  private pushInner(buf: Uint8Array, off: number, len: number, now: number, out: SttResult): Reason {
    // every argument is checked before anything is stored or expired: a bad clock would expire everything
    const v = this.bytes;
    if (buf !== v.array && !v.bind(buf)) return Reason.InvalidArgument;
    if (typeof now !== 'number' || now - now !== 0) return Reason.InvalidArgument;
    if (out !== this.lastOut) {
      if (!(out instanceof SttResult)) return Reason.InvalidArgument;
      this.lastOut = out;
    }
    this.expire(now);
    let r = decodeOuter(buf, v.view, v.base, off, len, out, IPPROTO_TCP, 0, this.verifyIpChecksum ? VERIFY_IP_CHECKSUM : 0);
    if (r !== Reason.Ok) return r;
    const tcp = out.l4Offset;
    if (tcp + STT_TCP_HEADER_LENGTH > out.l4End) return Reason.Truncated;
    out.srcPort = (buf[tcp] << 8) | buf[tcp + 1];
    out.dstPort = (buf[tcp + 2] << 8) | buf[tcp + 3];
    if (out.dstPort !== this.port) return Reason.WrongPort;
    if (buf[tcp + 12] >>> 4 !== 5) return Reason.SttBadTcpHeader;
    const f = (buf[tcp + 4] << 8) | buf[tcp + 5];
    const o = (buf[tcp + 6] << 8) | buf[tcp + 7];
    const id = ((buf[tcp + 8] << 24) | (buf[tcp + 9] << 16) | (buf[tcp + 10] << 8) | buf[tcp + 11]) >>> 0;
    out.l4Checksum = (buf[tcp + 16] << 8) | buf[tcp + 17];
    out.frameLengthField = f;
    out.segmentOffset = o;
    out.packetId = id;
    const p = tcp + STT_TCP_HEADER_LENGTH;
    const plen = out.l4End - p;
    if (f < STT_HEADER_LENGTH || plen === 0 || o + plen > f) return Reason.SttBadLength;
    this.counters.segments++;
    const tcpLen = out.l4End - tcp;
    if (o === 0 && plen === f) {
      // the whole frame in one segment: zero copy
      if (this.verifyChecksum) {
        const s = fold(pseudoHeaderSum(buf, out, IPPROTO_TCP, tcpLen) + sum16(buf, tcp, tcpLen));
        if (s !== 0xffff) return Reason.BadL4Checksum;
      }
      r = readSttHeader(buf, p, f, out);
      if (r === Reason.Ok) this.counters.framesSingleSegment++;
      return r;
    }
    // find or create the entry
    const fam = out.ipVersion;
    const h = this.keyHash(buf, out, id);
    let e = this.find(buf, out, id, fam, h);
    if (e >= 0 && this.frameLen[e] !== f) {
      this.release(e);
      return Reason.SttInconsistent;
    }
    if (e < 0) {
      e = this.create(buf, out, id, fam, h, f, now, p + o);
    }
    // overlap check against received ranges
    const rb = e * this.maxRanges * 2;
    const rc = this.rangeCount[e];
    const segEnd = o + plen;
    const ranges = this.ranges;
    for (let i = 0; i < rc; i++) {
      if (o < ranges[rb + 2 * i + 1] && ranges[rb + 2 * i] < segEnd) {
        this.release(e);
        return Reason.SttOverlap;
      }
    }
    // copy into the arena, summing as we go
    const dataSum = copySum16(buf, p, this.arena, this.base[e] + o, plen);
    if (this.verifyChecksum) {
      const s = fold(pseudoHeaderSum(buf, out, IPPROTO_TCP, tcpLen) + sum16(buf, tcp, STT_TCP_HEADER_LENGTH) + dataSum);
      if (s !== 0xffff) return Reason.BadL4Checksum; // the bytes copied are not counted as received
    }
    // record the range, merging with a neighbour when adjacent
    let merged = -1;
    for (let i = 0; i < rc; i++) {
      const k = rb + 2 * i;
      if (ranges[k + 1] === o) { ranges[k + 1] = segEnd; merged = i; break; }
      if (ranges[k] === segEnd) { ranges[k] = o; merged = i; break; }
    }
    if (merged >= 0) {
      // the grown range may now touch another one
      const k = rb + 2 * merged;
      for (let i = 0; i < this.rangeCount[e]; i++) {
        if (i === merged) continue;
        const j = rb + 2 * i;
        if (ranges[j] === ranges[k + 1] || ranges[j + 1] === ranges[k]) {
          ranges[k] = Math.min(ranges[k], ranges[j]);
          ranges[k + 1] = Math.max(ranges[k + 1], ranges[j + 1]);
          const last = rb + 2 * (this.rangeCount[e] - 1);
          ranges[j] = ranges[last]; ranges[j + 1] = ranges[last + 1];
          this.rangeCount[e]--;
          break;
        }
      }
    } else {
      if (rc >= this.maxRanges) {
        this.release(e);
        return Reason.SttTooManySegments;
      }
      ranges[rb + 2 * rc] = o; ranges[rb + 2 * rc + 1] = segEnd;
      this.rangeCount[e] = rc + 1;
    }
    this.received[e] += plen;
    if (this.received[e] < f) return Reason.Pending;
    const base = this.base[e];
    this.release(e);
    r = readSttHeader(this.arena, base, f, out);
    if (r === Reason.Ok) this.counters.framesReassembled++;
    return r;
  }

  /** Drops entries older than the timeout; push() calls it too. */
  expire(now: number): void {
    const limit = now - this.timeoutMs;
    while (this.qCount > 0) {
      const e = this.queue[this.qTail];
      if (this.state[e] === LIVE && this.serial[e] === this.queueSerial[this.qTail]) {
        if (this.created[e] > limit) return;
        this.release(e);
        this.counters.expired++;
      }
      this.popQueue();
    }
  }

  private popQueue(): void {
    this.qTail = this.qTail + 1 === this.maxEntries ? 0 : this.qTail + 1;
    this.qCount--;
    if (this.qCount === 0) this.arenaHead = 0;
  }

  /** Pops dead queue entries; returns the oldest live entry or -1. */
  private oldest(): number {
    while (this.qCount > 0) {
      const e = this.queue[this.qTail];
      if (this.state[e] === LIVE && this.serial[e] === this.queueSerial[this.qTail]) return e;
      this.popQueue();
    }
    return -1;
  }

  private evictOldest(): void {
    const e = this.oldest();
    if (e < 0) return;
    this.release(e);
    this.counters.evicted++;
    this.popQueue();
  }

  private keyHash(buf: Uint8Array, out: OuterInfo, id: number): number {
    let h = Math.imul(id ^ 0x9e3779b9, 0x85ebca6b);
    const n = out.ipVersion === 4 ? 4 : 16;
    for (let i = 0; i < n; i += 4) {
      const a = out.srcAddrOffset + i; const b = out.dstAddrOffset + i;
      h = Math.imul(h ^ ((buf[a] << 24) | (buf[a + 1] << 16) | (buf[a + 2] << 8) | buf[a + 3]), 0xcc9e2d51);
      h = Math.imul(h ^ ((buf[b] << 24) | (buf[b + 1] << 16) | (buf[b + 2] << 8) | buf[b + 3]), 0x1b873593);
      h ^= h >>> 15;
    }
    return (h ^ (h >>> 13)) & this.bucketMask;
  }

  private keyEquals(e: number, buf: Uint8Array, out: OuterInfo, id: number, fam: number): boolean {
    const k = e * 9;
    const keys = this.keys;
    if (this.family[e] !== fam || keys[k + 8] !== id) return false;
    const n = fam === 4 ? 1 : 4;
    for (let i = 0; i < n; i++) {
      const a = out.srcAddrOffset + 4 * i; const b = out.dstAddrOffset + 4 * i;
      if (keys[k + i] !== (((buf[a] << 24) | (buf[a + 1] << 16) | (buf[a + 2] << 8) | buf[a + 3]) >>> 0)) return false;
      if (keys[k + 4 + i] !== (((buf[b] << 24) | (buf[b + 1] << 16) | (buf[b + 2] << 8) | buf[b + 3]) >>> 0)) return false;
    }
    return true;
  }

  private find(buf: Uint8Array, out: OuterInfo, id: number, fam: number, h: number): number {
    for (let e = this.bucket[h]; e >= 0; e = this.next[e]) {
      if (this.keyEquals(e, buf, out, id, fam)) return e;
    }
    return -1;
  }

  /** Allocates an entry and its arena space, evicting the oldest entries when needed. */
  private create(buf: Uint8Array, out: OuterInfo, id: number, fam: number, h: number, f: number, now: number, srcAddrOfOffset0: number): number {
    this.oldest(); // pops dead queue slots
    if (this.freeCount === 0 || this.qCount === this.maxEntries) this.evictOldest();
    // align the arena copy with the source so copySum16 can move 4 bytes at a time
    const need = f + 3;
    const size = this.memoryBudget;
    let start = -1;
    for (;;) {
      const tailEntry = this.oldest();
      if (tailEntry < 0) { this.arenaHead = 0; start = 0; break; }
      const tailPos = this.allocStart[tailEntry];
      if (this.arenaHead > tailPos) {
        if (size - this.arenaHead >= need) { start = this.arenaHead; break; }
        if (tailPos >= need) { start = 0; break; }
      } else if (tailPos - this.arenaHead >= need) { start = this.arenaHead; break; }
      this.evictOldest();
    }
    if (this.freeCount === 0) this.evictOldest();
    const e = this.freeList[--this.freeCount];
    this.arenaHead = start + need;
    const srcAbs = buf.byteOffset + srcAddrOfOffset0;
    const arenaAbs = this.arena.byteOffset + start;
    this.allocStart[e] = start;
    this.base[e] = start + ((srcAbs - arenaAbs) & 3);
    this.frameLen[e] = f;
    this.received[e] = 0;
    this.rangeCount[e] = 0;
    this.created[e] = now;
    this.state[e] = LIVE;
    const serial = this.nextSerial++;
    this.serial[e] = serial;
    this.family[e] = fam;
    const k = e * 9;
    const n = fam === 4 ? 1 : 4;
    for (let i = 0; i < 4; i++) {
      if (i < n) {
        const a = out.srcAddrOffset + 4 * i; const b = out.dstAddrOffset + 4 * i;
        this.keys[k + i] = ((buf[a] << 24) | (buf[a + 1] << 16) | (buf[a + 2] << 8) | buf[a + 3]) >>> 0;
        this.keys[k + 4 + i] = ((buf[b] << 24) | (buf[b + 1] << 16) | (buf[b + 2] << 8) | buf[b + 3]) >>> 0;
      } else {
        this.keys[k + i] = 0; this.keys[k + 4 + i] = 0;
      }
    }
    this.keys[k + 8] = id;
    this.next[e] = this.bucket[h];
    this.bucket[h] = e;
    // append to the creation-order queue
    this.queue[this.qHead] = e;
    this.queueSerial[this.qHead] = serial;
    this.qHead = this.qHead + 1 === this.maxEntries ? 0 : this.qHead + 1;
    this.qCount++;
    this.entries++;
    return e;
  }

  /** Frees an entry (its queue slot is popped lazily). */
  private release(e: number): void {
    if (this.state[e] !== LIVE) return;
    // unlink from its hash chain: recompute the bucket from the stored key
    const h = this.storedKeyHash(e);
    let prev = -1;
    for (let x = this.bucket[h]; x >= 0; x = this.next[x]) {
      if (x === e) {
        if (prev < 0) this.bucket[h] = this.next[x]; else this.next[prev] = this.next[x];
        break;
      }
      prev = x;
    }
    this.state[e] = FREE;
    this.serial[e] = 0;
    this.freeList[this.freeCount++] = e;
    this.entries--;
  }

  private storedKeyHash(e: number): number {
    const k = e * 9;
    const keys = this.keys;
    let h = Math.imul(keys[k + 8] ^ 0x9e3779b9, 0x85ebca6b);
    const n = this.family[e] === 4 ? 1 : 4;
    for (let i = 0; i < n; i++) {
      h = Math.imul(h ^ keys[k + i], 0xcc9e2d51);
      h = Math.imul(h ^ keys[k + 4 + i], 0x1b873593);
      h ^= h >>> 15;
    }
    return (h ^ (h >>> 13)) & this.bucketMask;
  }

  /** A plain snapshot of the counters (allocates; for monitoring, not the hot path). */
  snapshot(): Record<string, number> {
    const c = this.counters;
    const res: Record<string, number> = {
      segments: c.segments, framesSingleSegment: c.framesSingleSegment, framesReassembled: c.framesReassembled,
      evicted: c.evicted, expired: c.expired, entries: this.entries,
    };
    for (let i = 0; i < c.drops.length; i++) if (c.drops[i] !== 0) res[`drop.${i}`] = c.drops[i];
    return res;
  }
}

/** Parses the 18-byte STT header of a complete frame buf[p, p+f) into `out`. */
export function readSttHeader(buf: Uint8Array, p: number, f: number, out: SttResult): Reason {
  if (f < STT_HEADER_LENGTH || p + f > buf.length) return Reason.SttBadLength;
  out.frameBuffer = buf;
  out.frameOffset = p;
  out.frameLength = f;
  out.version = buf[p];
  out.flags = buf[p + 1];
  out.sttL4Offset = buf[p + 2];
  out.sttMss = (buf[p + 4] << 8) | buf[p + 5];
  out.sttVlanTci = (buf[p + 6] << 8) | buf[p + 7];
  out.contextHi = ((buf[p + 8] << 24) | (buf[p + 9] << 16) | (buf[p + 10] << 8) | buf[p + 11]) >>> 0;
  out.contextLo = ((buf[p + 12] << 24) | (buf[p + 13] << 16) | (buf[p + 14] << 8) | buf[p + 15]) >>> 0;
  out.innerOffset = p + STT_HEADER_LENGTH;
  out.innerLength = f - STT_HEADER_LENGTH;
  if (out.version !== 0) return Reason.SttBadVersion;
  out.ovn = ovnFromSttContext(out.contextHi, out.contextLo, ovnKeysOut);
  out.ovnDatapath = ovnKeysOut.datapath;
  out.ovnIngress = ovnKeysOut.ingress;
  out.ovnEgress = ovnKeysOut.egress;
  return Reason.Ok;
}
const ovnKeysOut = { datapath: 0, ingress: 0, egress: 0 };
