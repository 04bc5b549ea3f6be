// STT reassembly from a fixed memory budget: segments in, whole STT frames out, zero copy out of the reassembler's
// arena, no allocation per segment.
//
// Bounded: everything is allocated at construction: the frame arena (memoryBudget, in slots of 64 KiB + 8 bytes, see
// frame-arena.ts: a frame of f bytes takes the smallest power-of-two block of at least f + 0..7 bytes, 1 KiB to 64 KiB)
// and the entry tables (maxEntries entries of about 140 + 8 * maxRanges bytes each: 660 KB with the defaults). A
// flood of segments can take neither more memory nor more than maxEntries frames in flight.
//
// What is kept when memory or entries run out (issue 12, item 10): with 10,000 flows interleaved, evicting the oldest
// frame for each new one (a FIFO) completed 1 frame of 10,000, since every frame was evicted before its last segment
// came. Here a new frame takes the place of a frame in flight only when that frame is further from completion (more
// bytes missing) than the new one would be, or has received nothing for idleMs (its sender went quiet: a lost
// segment); otherwise the new frame's segment is refused (SttNoRoom). So the frames closest to completion finish,
// and a stalled frame holds its memory for idleMs (default 1 s), not timeoutMs. Frames delivered are remembered (no
// memory, just their entry) until their entry is needed or timeoutMs passes, so a late duplicate of one of their
// segments is recognised as a duplicate rather than starting a frame that can never complete.
//
// Duplicates: a segment whose bytes lie wholly within what a frame has received, and equal what was received, is an
// exact duplicate: counted and ignored (every segment sent twice once lost every frame). A segment that overlaps
// received bytes with other content drops the frame (SttOverlap), as IPv6 treats overlapping fragments (RFC 5722).

import { isIndex } from './arguments.js';
import { copyBytes, copySum16, fold, sum16 } from './checksum.js';
import { createSimdSummer, type SimdSummer } from './checksum-simd.js';
import { ARENA_SLOT_BYTES, FrameArena } from './frame-arena.js';
import { IPPROTO_TCP } from './ipv4.js';
import { decodeOuter, OuterInfo, pseudoHeaderSum, VERIFY_IP_CHECKSUM } from './outer.js';
import { Reason, REASON_COUNT } from './reason.js';
import { readSttHeader, STT_HEADER_LENGTH, STT_PORT, STT_TCP_HEADER_LENGTH, SttResult } from './stt.js';
import { ByteView } from './views.js';

export interface SttReassemblerOptions {
  /** Bytes of frame storage allocated up front (default 4 MiB; at least 65,544: one 64 KiB frame). */
  memoryBudget?: number;
  /** Frames in flight, and delivered frames remembered for their late duplicates, at most (default 1024). */
  maxEntries?: number;
  /** Entries older than this are dropped (default 30000 ms, on the caller's clock). */
  timeoutMs?: number;
  /** A frame that received nothing for this long may give its place to any new frame (default 1000 ms). */
  idleMs?: number;
  /** Most disjoint received ranges per frame before it is dropped (default 64). */
  maxRanges?: number;
  port?: number;
  /** Verify every segment's TCP checksum (default true). */
  verifyChecksum?: boolean;
  /** Verify the outer IPv4 header checksum (default true); see GeneveDecoderOptions. */
  verifyIpChecksum?: boolean;
  /**
   * Sum the segments with WebAssembly SIMD, the arena then living in a WebAssembly memory (default true; used where
   * WebAssembly SIMD is available; false: the plain-JS copy-and-sum of checksum.ts, the same result).
   */
  simdChecksum?: boolean;
}

/** Counters of the reassembler; `drops[reason]` counts segments or frames dropped for each reason code. */
export class SttCounters {
  segments = 0;
  framesSingleSegment = 0;
  framesReassembled = 0;
  /** Frames in flight dropped to make room for a frame closer to completion, or for any frame after idleMs. */
  evicted = 0;
  expired = 0;
  /** Exact duplicate segments, ignored (of frames in flight or recently delivered). */
  duplicates = 0;
  readonly drops = new Float64Array(REASON_COUNT);
}

const FREE = 0;
const LIVE = 1;
/** Delivered: the entry keeps its key (for late duplicates) but no memory. */
const DONE = 2;
/** Lists by bytes still missing, 4 KiB apart (1..16), and the list of delivered entries. */
const MISSING_LISTS = 17;
const DONE_LIST = 17;
const NONE = -1;

export class SttReassembler {
  declare readonly memoryBudget: number;
  declare readonly maxEntries: number;
  declare readonly timeoutMs: number;
  declare readonly idleMs: number;
  declare readonly maxRanges: number;
  declare readonly port: number;
  declare readonly verifyChecksum: boolean;
  declare readonly verifyIpChecksum: boolean;
  readonly counters = new SttCounters();
  /** The segments' TCP checksums are summed by WebAssembly SIMD over the arena (see SttReassemblerOptions). */
  declare readonly simdChecksum: boolean;
  /** The frame storage (reassembled frames are delivered from here, zero copy). */
  declare readonly arena: Uint8Array;
  /** Frames in flight. */
  entries = 0;

  private declare readonly storage: FrameArena;
  /** The checksum over the arena's WebAssembly memory, or null (plain JS). */
  private declare readonly simd: SimdSummer | null;
  /** DataView of the caller's buffer, for the outer header checks. */
  private declare readonly bytes: ByteView;
  /** The last result object seen, so its type is checked once, not per segment (a private one at first). */
  private declare lastOut: SttResult;

  // the entry table: keys (9 words: source, destination, packet id), and per entry its state and frame
  private declare readonly keys: Uint32Array;
  private declare readonly family: Uint8Array;
  private declare readonly state: Uint8Array;
  private declare readonly frameLen: Int32Array;
  private declare readonly received: Int32Array;
  /** The frame's first byte in the arena, and its block (first unit, order). */
  private declare readonly base: Int32Array;
  private declare readonly block: Int32Array;
  private declare readonly order: Int8Array;
  private declare readonly created: Float64Array;
  private declare readonly touched: Float64Array;
  private declare readonly rangeCount: Int32Array;
  private declare readonly ranges: Int32Array;
  /** Hash chains. */
  private declare readonly chain: Int32Array;
  private declare readonly bucket: Int32Array;
  private declare readonly bucketMask: number;
  private declare readonly freeList: Int32Array;
  private declare freeCount: number;
  /** Each entry's list (by bytes missing, or delivered), most recently touched first. */
  private declare readonly list: Int8Array;
  private declare readonly listPrev: Int32Array;
  private declare readonly listNext: Int32Array;
  private declare readonly listHead: Int32Array;
  private declare readonly listTail: Int32Array;
  /** Bit i set: missing list i is not empty. */
  private declare missingMask: number;
  /** Frames in flight by last touch, most recent first (for idleMs). */
  private declare readonly idlePrev: Int32Array;
  private declare readonly idleNext: Int32Array;
  private declare idleHead: number;
  private declare idleTail: number;
  /** Frames in flight by creation, newest first (for timeoutMs; the caller's clock is expected not to go back). */
  private declare readonly agePrev: Int32Array;
  private declare readonly ageNext: Int32Array;
  private declare ageHead: number;
  private declare ageTail: number;

  constructor(options: SttReassemblerOptions = {}) {
    this.memoryBudget = options.memoryBudget ?? 4 * 1024 * 1024;
    if (!Number.isInteger(this.memoryBudget) || this.memoryBudget < ARENA_SLOT_BYTES) throw new RangeError(`memoryBudget must be at least ${ARENA_SLOT_BYTES} bytes (one 64 KiB frame)`);
    const e = this.maxEntries = options.maxEntries ?? 1024;
    if (!Number.isInteger(e) || e < 1) throw new RangeError('maxEntries must be a positive integer');
    this.timeoutMs = options.timeoutMs ?? 30000;
    this.idleMs = options.idleMs ?? 1000;
    if (!(this.timeoutMs > 0) || !(this.idleMs > 0)) throw new RangeError('timeoutMs and idleMs must be positive');
    const ranges = this.maxRanges = options.maxRanges ?? 64;
    if (!Number.isInteger(ranges) || ranges < 1) throw new RangeError('maxRanges must be a positive integer');
    this.port = options.port ?? STT_PORT;
    this.verifyChecksum = options.verifyChecksum ?? true;
    this.verifyIpChecksum = options.verifyIpChecksum ?? true;
    const simd = this.verifyChecksum && options.simdChecksum !== false
      ? createSimdSummer(Math.floor(this.memoryBudget / ARENA_SLOT_BYTES) * ARENA_SLOT_BYTES)
      : null;
    this.simd = simd;
    this.simdChecksum = simd !== null;
    this.storage = new FrameArena(this.memoryBudget, simd === null ? undefined : () => simd.bytes);
    this.arena = this.storage.bytes;
    this.bytes = new ByteView();
    this.lastOut = new SttResult();
    this.keys = new Uint32Array(e * 9);
    this.family = new Uint8Array(e);
    this.state = new Uint8Array(e);
    this.frameLen = new Int32Array(e);
    this.received = new Int32Array(e);
    this.base = new Int32Array(e);
    this.block = new Int32Array(e);
    this.order = new Int8Array(e);
    this.created = new Float64Array(e);
    this.touched = new Float64Array(e);
    this.rangeCount = new Int32Array(e);
    this.ranges = new Int32Array(e * ranges * 2);
    this.chain = new Int32Array(e);
    let buckets = 1;
    while (buckets < e * 2) buckets <<= 1;
    this.bucket = new Int32Array(buckets).fill(NONE);
    this.bucketMask = buckets - 1;
    this.freeList = new Int32Array(e);
    for (let i = 0; i < e; i++) this.freeList[i] = e - 1 - i;
    this.freeCount = e;
    this.list = new Int8Array(e).fill(NONE);
    this.listPrev = new Int32Array(e).fill(NONE);
    this.listNext = new Int32Array(e).fill(NONE);
    this.listHead = new Int32Array(MISSING_LISTS + 1).fill(NONE);
    this.listTail = new Int32Array(MISSING_LISTS + 1).fill(NONE);
    this.missingMask = 0;
    this.idlePrev = new Int32Array(e).fill(NONE);
    this.idleNext = new Int32Array(e).fill(NONE);
    this.idleHead = NONE;
    this.idleTail = NONE;
    this.agePrev = new Int32Array(e).fill(NONE);
    this.ageNext = new Int32Array(e).fill(NONE);
    this.ageHead = NONE;
    this.ageTail = NONE;
  }

  /**
   * Takes one STT segment (an outer Ethernet frame buf[off, off+len)) at time `now` (ms, caller's clock).
   * Returns Ok with `out` describing a complete frame, Pending when the segment was stored (or was an exact
   * duplicate), or a drop reason. Every argument is checked (InvalidArgument) before anything is stored or expired.
   */
  push(buf: Uint8Array, off: number, len: number, now: number, out: SttResult): Reason {
    const r = this.pushInner(buf, off, len, now, out);
    if (r > Reason.Pending) this.counters.drops[r]++;
    return r;
  }

  private pushInner(buf: Uint8Array, off: number, len: number, now: number, out: SttResult): Reason {
    const v = this.bytes;
    if (buf !== v.array && !v.bind(buf)) return Reason.InvalidArgument;
    // a bad clock would expire everything
    if (typeof now !== 'number' || now - now !== 0) return Reason.InvalidArgument;
    if (out !== this.lastOut) {
      if (!(out instanceof SttResult)) return Reason.InvalidArgument;
      this.lastOut = out;
    }
    if (!isIndex(off) || !isIndex(len)) return Reason.InvalidArgument;
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
      if (this.verifyChecksum && fold(pseudoHeaderSum(buf, out, IPPROTO_TCP, tcpLen) + sum16(buf, tcp, tcpLen)) !== 0xffff) return Reason.BadL4Checksum;
      r = readSttHeader(buf, p, f, out);
      if (r === Reason.Ok) this.counters.framesSingleSegment++;
      return r;
    }
    // find or create the entry
    const fam = out.ipVersion;
    const h = this.keyHash(buf, out, id);
    let e = this.find(buf, out, id, fam, h);
    if (e >= 0 && this.state[e] === DONE) {
      if (this.frameLen[e] === f) {
        // a late copy of a segment of a frame already delivered
        this.counters.duplicates++;
        return Reason.Pending;
      }
      this.release(e); // the packet id came back for another frame
      e = NONE;
    }
    if (e >= 0 && this.frameLen[e] !== f) {
      this.release(e);
      return Reason.SttInconsistent;
    }
    if (e < 0) {
      e = this.create(buf, out, id, fam, h, f, f - plen, now, p - o);
      if (e < 0) return Reason.SttNoRoom;
    }
    // against what the frame has received: an exact duplicate is ignored, any other overlap drops the frame
    const maxRanges = this.maxRanges;
    const rb = e * maxRanges * 2;
    const rc = this.rangeCount[e];
    const segEnd = o + plen;
    const ranges = this.ranges;
    for (let i = 0; i < rc; i++) {
      const a = ranges[rb + 2 * i]; const b = ranges[rb + 2 * i + 1];
      if (o < b && a < segEnd) {
        if (a <= o && segEnd <= b && this.sameBytes(buf, p, this.base[e] + o, plen)) {
          this.counters.duplicates++;
          return Reason.Pending;
        }
        this.release(e);
        return Reason.SttOverlap;
      }
    }
    // copy into the arena, summing as we go (plain JS), or copy, then sum the copy (WebAssembly SIMD: the copy alone
    // takes half the time of the plain-JS copy and sum, and SIMD sums 64 KB in ~2 us); no checksum, no sum
    const at = this.base[e] + o;
    let dataSum = 0;
    if (this.simd !== null) {
      copyBytes(buf, p, this.arena, at, plen);
      dataSum = this.simd.sum(at, plen);
    } else if (this.verifyChecksum) {
      dataSum = copySum16(buf, p, this.arena, at, plen);
    } else {
      copyBytes(buf, p, this.arena, at, plen);
    }
    if (this.verifyChecksum && fold(pseudoHeaderSum(buf, out, IPPROTO_TCP, tcpLen) + sum16(buf, tcp, STT_TCP_HEADER_LENGTH) + dataSum) !== 0xffff) {
      return Reason.BadL4Checksum; // the bytes copied are not counted as received
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
      if (rc >= maxRanges) {
        this.release(e);
        return Reason.SttTooManySegments;
      }
      ranges[rb + 2 * rc] = o; ranges[rb + 2 * rc + 1] = segEnd;
      this.rangeCount[e] = rc + 1;
    }
    const got = this.received[e] + plen;
    this.received[e] = got;
    if (got < f) {
      this.touch(e, now);
      return Reason.Pending;
    }
    // complete: deliver from the arena (valid until the next push, which may reuse the block)
    const base = this.base[e];
    this.finish(e, now);
    r = readSttHeader(this.arena, base, f, out);
    if (r === Reason.Ok) this.counters.framesReassembled++;
    return r;
  }

  /**
   * Drops frames in flight created more than timeoutMs ago (counted as expired), and forgets frames delivered more
   * than timeoutMs ago; push() calls it.
   */
  expire(now: number): void {
    const limit = now - this.timeoutMs;
    for (let e = this.ageTail; e >= 0 && this.created[e] <= limit; e = this.ageTail) {
      this.release(e);
      this.counters.expired++;
    }
    for (let e = this.listTail[DONE_LIST]; e >= 0 && this.touched[e] <= limit; e = this.listTail[DONE_LIST]) this.release(e);
  }

  /** True when buf[p, p+n) equals arena[at, at+n). */
  private sameBytes(buf: Uint8Array, p: number, at: number, n: number): boolean {
    const arena = this.arena;
    for (let i = 0; i < n; i++) if (buf[p + i] !== arena[at + i]) return false;
    return true;
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
    for (let e = this.bucket[h]; e >= 0; e = this.chain[e]) {
      if (this.keyEquals(e, buf, out, id, fam)) return e;
    }
    return NONE;
  }

  /**
   * An entry and arena block for a new frame of `f` bytes that will miss `missing` bytes after this segment; this
   * segment's data would sit at buf[frameStart + its offset] (so frameStart fixes the copy's alignment). Makes room
   * as the top of the file says; NONE when the frames in flight should be kept instead (SttNoRoom).
   */
  private create(buf: Uint8Array, out: OuterInfo, id: number, fam: number, h: number, f: number, missing: number, now: number, frameStart: number): number {
    const storage = this.storage;
    // the frame's offset 0 goes where the copy of this segment is congruent with its source mod 8 (blocks start at
    // multiples of 1 KiB in the arena)
    const delta = (this.bytes.base + frameStart - this.arena.byteOffset) & 7;
    const order = storage.orderFor(f + delta);
    let unit = NONE;
    for (;;) {
      if (this.freeCount === 0) {
        // a delivered frame's entry first: it holds no memory
        const done = this.listTail[DONE_LIST];
        if (done >= 0) { this.release(done); continue; }
        if (!this.evictFor(missing, now)) return NONE;
        continue;
      }
      unit = storage.allocate(order);
      if (unit >= 0) break;
      if (!this.evictFor(missing, now)) return NONE;
    }
    const e = this.freeList[--this.freeCount];
    this.state[e] = LIVE;
    this.block[e] = unit;
    this.order[e] = order;
    this.base[e] = storage.offsetOf(unit) + delta;
    this.frameLen[e] = f;
    this.received[e] = 0;
    this.rangeCount[e] = 0;
    this.created[e] = now;
    this.touched[e] = now;
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
    this.chain[e] = this.bucket[h];
    this.bucket[h] = e;
    this.listAdd(e, missingList(f));
    this.idleAdd(e);
    this.ageAdd(e);
    this.entries++;
    return e;
  }

  /**
   * Evicts one frame in flight to make room for a new frame that will miss `missing` bytes: the one idle longest if
   * it has been idle idleMs, else the one missing the most bytes (least recently touched first) if it misses more
   * than the new frame. False when there is none: the frames in flight are closer to completion than the new one.
   */
  private evictFor(missing: number, now: number): boolean {
    const idle = this.idleTail;
    if (idle >= 0 && now - this.touched[idle] >= this.idleMs) {
      this.release(idle);
      this.counters.evicted++;
      return true;
    }
    if (this.missingMask === 0) return false;
    const victim = this.listTail[31 - Math.clz32(this.missingMask)];
    if (this.frameLen[victim] - this.received[victim] <= missing) return false;
    this.release(victim);
    this.counters.evicted++;
    return true;
  }

  /** A segment was stored: the entry moves to the front of its lists. */
  private touch(e: number, now: number): void {
    this.touched[e] = now;
    const list = missingList(this.frameLen[e] - this.received[e]);
    if (this.list[e] !== list || this.listHead[list] !== e) {
      this.listRemove(e);
      this.listAdd(e, list);
    }
    if (this.idleHead !== e) {
      this.idleRemove(e);
      this.idleAdd(e);
    }
  }

  /** The frame is complete: its memory goes back, its entry is remembered as delivered. */
  private finish(e: number, now: number): void {
    this.storage.free(this.block[e], this.order[e]);
    this.listRemove(e);
    this.idleRemove(e);
    this.ageRemove(e);
    this.state[e] = DONE;
    this.touched[e] = now;
    this.listAdd(e, DONE_LIST);
    this.entries--;
  }

  /** Frees an entry: out of its hash chain and lists, its memory back. */
  private release(e: number): void {
    const state = this.state[e];
    if (state === FREE) return;
    const h = this.storedKeyHash(e);
    let prev = NONE;
    for (let x = this.bucket[h]; x >= 0; x = this.chain[x]) {
      if (x === e) {
        if (prev < 0) this.bucket[h] = this.chain[x]; else this.chain[prev] = this.chain[x];
        break;
      }
      prev = x;
    }
    this.listRemove(e);
    if (state === LIVE) {
      this.storage.free(this.block[e], this.order[e]);
      this.idleRemove(e);
      this.ageRemove(e);
      this.entries--;
    }
    this.state[e] = FREE;
    this.freeList[this.freeCount++] = e;
  }

  private listAdd(e: number, list: number): void {
    const head = this.listHead[list];
    this.list[e] = list;
    this.listPrev[e] = NONE;
    this.listNext[e] = head;
    if (head >= 0) this.listPrev[head] = e; else this.listTail[list] = e;
    this.listHead[list] = e;
    if (list < DONE_LIST) this.missingMask |= 1 << list;
  }

  private listRemove(e: number): void {
    const list = this.list[e];
    if (list < 0) return;
    const p = this.listPrev[e];
    const n = this.listNext[e];
    if (p >= 0) this.listNext[p] = n; else this.listHead[list] = n;
    if (n >= 0) this.listPrev[n] = p; else this.listTail[list] = p;
    if (list < DONE_LIST && this.listHead[list] < 0) this.missingMask &= ~(1 << list);
    this.list[e] = NONE;
  }

  private idleAdd(e: number): void {
    const head = this.idleHead;
    this.idlePrev[e] = NONE;
    this.idleNext[e] = head;
    if (head >= 0) this.idlePrev[head] = e; else this.idleTail = e;
    this.idleHead = e;
  }

  private idleRemove(e: number): void {
    const p = this.idlePrev[e];
    const n = this.idleNext[e];
    if (p >= 0) this.idleNext[p] = n; else if (this.idleHead === e) this.idleHead = n; else return;
    if (n >= 0) this.idlePrev[n] = p; else this.idleTail = p;
    this.idlePrev[e] = NONE;
    this.idleNext[e] = NONE;
  }

  private ageAdd(e: number): void {
    const head = this.ageHead;
    this.agePrev[e] = NONE;
    this.ageNext[e] = head;
    if (head >= 0) this.agePrev[head] = e; else this.ageTail = e;
    this.ageHead = e;
  }

  private ageRemove(e: number): void {
    const p = this.agePrev[e];
    const n = this.ageNext[e];
    if (p >= 0) this.ageNext[p] = n; else if (this.ageHead === e) this.ageHead = n; else return;
    if (n >= 0) this.agePrev[n] = p; else this.ageTail = p;
    this.agePrev[e] = NONE;
    this.ageNext[e] = NONE;
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
      evicted: c.evicted, expired: c.expired, duplicates: c.duplicates, entries: this.entries, arenaBytesUsed: this.storage.used,
    };
    for (let i = 0; i < c.drops.length; i++) if (c.drops[i] !== 0) res[`drop.${i}`] = c.drops[i];
    return res;
  }
}

/** The list of a frame missing `missing` bytes (1..65535): 1..16, 4 KiB apart. */
function missingList(missing: number): number {
  return (missing + 4095) >>> 12;
}
