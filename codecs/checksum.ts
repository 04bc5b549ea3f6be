// Internet checksum (RFC 1071) without allocation.
//
// `sum16(buf, off, len)` returns the 16-bit one's-complement sum (not yet inverted) of the bytes read as
// big-endian 16-bit words starting at `off` (an odd `len` is padded with a zero byte). Large regions are
// summed four bytes at a time through a Uint32Array view of the whole ArrayBuffer (one view per buffer,
// cached, so no per-packet allocation). The one's-complement sum commutes with byte swapping (RFC 1071
// section 2(B)), so little-endian 32-bit words give the byte-swapped sum, fixed up at the end.
//
// `copySum16` copies and sums in one pass. Where source and destination are congruent mod 8 it moves 8 bytes per
// store through BigUint64Array views and sums the same bytes as two 32-bit words: on this machine a copy across
// 64 KB is bound by its stores (32-bit stores: 32 Gbps with or without the sum; 64-bit stores: 48 Gbps with the
// sum), and optimised code keeps the 64-bit values unboxed (0 collections over 36 million copies, measured). Those
// values are never converted or computed with, so no BigInt is made. That loop moves 64 bytes per iteration: V8
// (11.3) re-checks each typed array's map and reloads its length and data pointer once per iteration (the arrays are
// not constants to it), so eight 8-byte stores per iteration, not two, took a 64 KB STT frame's copy and sum from
// 18-19 us to 14.8 us here. Congruent mod 4: 32-bit words. Otherwise the
// destination's aligned words are assembled from two source words each (shifts), so any layout copies by words.

/** Views of one Uint8Array's ArrayBuffer, cached with the array as key (its `buffer` and `byteOffset` getters are
 * builtin calls that cost more than the compare). */
class BufferViews {
  array: Uint8Array = NO_ARRAY;
  buffer: ArrayBufferLike | null = null;
  /** The array's byteOffset. */
  base = 0;
  words: Uint32Array = NO_WORDS;
  longs: BigUint64Array = NO_LONGS;

  bind(array: Uint8Array): void {
    this.array = array;
    this.base = array.byteOffset;
    const buffer = array.buffer;
    if (buffer !== this.buffer) {
      this.buffer = buffer;
      this.words = new Uint32Array(buffer, 0, buffer.byteLength >>> 2);
      this.longs = new BigUint64Array(buffer, 0, buffer.byteLength >>> 3);
    }
  }
}
const NO_ARRAY = new Uint8Array(0);
const NO_WORDS = new Uint32Array(0);
const NO_LONGS = new BigUint64Array(0);

/** Four cached views, most recently used first: a copy's source and destination, and the packets around them. */
const cache = [new BufferViews(), new BufferViews(), new BufferViews(), new BufferViews()];

function viewsOf(array: Uint8Array): BufferViews {
  const c = cache;
  if (c[0].array === array) return c[0];
  let i = 1;
  while (i < 3 && c[i].array !== array) i++;
  const v = c[i];
  if (v.array !== array) v.bind(array);
  // move to the front
  for (; i > 0; i--) c[i] = c[i - 1];
  c[0] = v;
  return v;
}

/** Folds a non-negative integer sum (< 2^53) to 16 bits with end-around carry. */
export function fold(sum: number): number {
  // reduce with division while beyond 32 bits, then with bit ops
  while (sum > 0xffffffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  sum = (sum >>> 16) + (sum & 0xffff);
  sum = (sum >>> 16) + (sum & 0xffff);
  return sum;
}

/** One's-complement sum of big-endian 16-bit words in buf[off, off+len), folded to 16 bits. */
export function sum16(buf: Uint8Array, off: number, len: number): number {
  if (len < 64) return sum16Small(buf, off, len);
  // Accumulate with weights by absolute address parity, little-endian style: even address byte weight 1,
  // odd address byte weight 256 (this is the byte-swapped big-endian sum over absolute-even pairs).
  const v = viewsOf(buf);
  const abs = v.base + off;
  let acc = 0;
  let i = off;
  const end = off + len;
  let a = abs;
  while ((a & 3) !== 0) {
    acc += (a & 1) === 0 ? buf[i] : buf[i] << 8;
    i++; a++;
  }
  const words = v.words;
  let w = a >>> 2;
  const wordCount = (end - i) >>> 2;
  const wEnd = w + wordCount;
  // four at a time; doubles hold the sum exactly (< 2^53)
  const wEnd4 = w + (wordCount & ~3);
  let acc2 = 0;
  while (w < wEnd4) {
    acc += words[w] + words[w + 2];
    acc2 += words[w + 1] + words[w + 3];
    w += 4;
  }
  while (w < wEnd) acc += words[w++];
  acc += acc2;
  i += wordCount << 2;
  a += wordCount << 2;
  while (i < end) {
    acc += (a & 1) === 0 ? buf[i] : buf[i] << 8;
    i++; a++;
  }
  // fold inline: passing the (double) accumulator to a function would box it
  while (acc > 0xffffffff) acc = (acc % 0x10000) + Math.floor(acc / 0x10000);
  let s = (acc >>> 16) + (acc & 0xffff);
  s = (s >>> 16) + (s & 0xffff);
  // s is the little-endian (swapped) sum over absolute-even pairs; the region's own pairs start at `abs`
  if ((abs & 1) === 0) s = ((s & 0xff) << 8) | (s >>> 8);
  return s;
}

function sum16Small(buf: Uint8Array, off: number, len: number): number {
  let acc = 0;
  const end = off + (len & ~1);
  let i = off;
  for (; i < end; i += 2) acc += (buf[i] << 8) | buf[i + 1];
  if ((len & 1) !== 0) acc += buf[i] << 8;
  acc = (acc >>> 16) + (acc & 0xffff);
  return (acc >>> 16) + (acc & 0xffff);
}

/** Adds two 16-bit one's-complement sums. */
export function add16(a: number, b: number): number {
  const s = a + b;
  return (s & 0xffff) + (s >>> 16);
}

/** The checksum field value for a region whose sum (including pseudo-header) is `sum`. */
export function finish(sum: number): number {
  return ~fold(sum) & 0xffff;
}

/** Checksum of an IPv4 header (its checksum field included as stored). 0 means valid. */
export function ipv4HeaderChecksum(buf: Uint8Array, off: number, headerLength: number): number {
  return ~sum16Small(buf, off, headerLength) & 0xffff;
}

/**
 * Copies src[so, so+len) to dst[dOff, dOff+len) and returns the one's-complement sum of the copied bytes
 * (big-endian words paired from dOff), in one pass. Fastest when the source and destination addresses are congruent
 * mod 8 (8-byte stores), then mod 4; any other layout still moves whole words (see the top of the file). Reads and
 * writes stay within the two regions. The regions must not overlap.
 */
export function copySum16(src: Uint8Array, so: number, dst: Uint8Array, dOff: number, len: number): number {
  if (len < 64) {
    for (let i = 0; i < len; i++) dst[dOff + i] = src[so + i];
    return sum16(dst, dOff, len);
  }
  const sv = viewsOf(src);
  const dv = viewsOf(dst);
  const sa = sv.base + so;
  const da = dv.base + dOff;
  const delta = (sa - da) & 7;
  // lead bytes up to an aligned destination (8 bytes when the copy can move 8, else 4; at least 4 bytes when the
  // source words must be shifted, so the first word read starts inside the source region)
  const align = delta === 0 ? 7 : 3;
  let acc = 0;
  let i = 0;
  let a = da;
  while ((a & align) !== 0 || ((delta & 3) !== 0 && i < 4)) {
    const v = src[so + i];
    dst[dOff + i] = v;
    acc += (a & 1) === 0 ? v : v << 8;
    i++; a++;
  }
  const sw = sv.words;
  const dw = dv.words;
  let acc2 = 0;
  if (delta === 0) {
    const sl = sv.longs;
    const dl = dv.longs;
    const count = (len - i) >>> 3;
    let ls = (sa + i) >>> 3;
    let ld = a >>> 3;
    let ws = ls << 1;
    const end8 = ls + (count & ~7);
    while (ls < end8) {
      dl[ld] = sl[ls];
      dl[ld + 1] = sl[ls + 1];
      dl[ld + 2] = sl[ls + 2];
      dl[ld + 3] = sl[ls + 3];
      dl[ld + 4] = sl[ls + 4];
      dl[ld + 5] = sl[ls + 5];
      dl[ld + 6] = sl[ls + 6];
      dl[ld + 7] = sl[ls + 7];
      acc += ((sw[ws] + sw[ws + 2]) + (sw[ws + 4] + sw[ws + 6])) + ((sw[ws + 8] + sw[ws + 10]) + (sw[ws + 12] + sw[ws + 14]));
      acc2 += ((sw[ws + 1] + sw[ws + 3]) + (sw[ws + 5] + sw[ws + 7])) + ((sw[ws + 9] + sw[ws + 11]) + (sw[ws + 13] + sw[ws + 15]));
      ls += 8; ld += 8; ws += 16;
    }
    const end1 = ls + (count & 7);
    while (ls < end1) { dl[ld] = sl[ls]; acc += sw[ws]; acc2 += sw[ws + 1]; ls++; ld++; ws += 2; }
    i += count << 3;
    a += count << 3;
  } else if ((delta & 3) === 0) {
    const count = (len - i) >>> 2;
    let ws = (sa + i) >>> 2;
    let wd = a >>> 2;
    const end2 = ws + (count & ~1);
    while (ws < end2) {
      const x = sw[ws]; const y = sw[ws + 1];
      dw[wd] = x; dw[wd + 1] = y;
      acc += x; acc2 += y;
      ws += 2; wd += 2;
    }
    if ((count & 1) !== 0) { const x = sw[ws]; dw[wd] = x; acc += x; }
    i += count << 2;
    a += count << 2;
  } else {
    // each aligned destination word is the high bytes of one source word and the low bytes of the next
    // (little-endian words: the byte at the lower address is the low byte)
    const s = sa + i;
    const right = (s & 3) << 3;
    const left = 32 - right;
    // one word short of the region's end, so the last source word read is still inside it
    const count = ((len - i) >>> 2) - 1;
    let ws = s >>> 2;
    let wd = a >>> 2;
    const wEnd = wd + count;
    let prev = sw[ws];
    while (wd < wEnd) {
      const next = sw[ws + 1];
      const x = ((prev >>> right) | (next << left)) >>> 0;
      dw[wd] = x;
      acc += x;
      prev = next;
      ws++; wd++;
    }
    i += count << 2;
    a += count << 2;
  }
  acc += acc2;
  while (i < len) {
    const v = src[so + i];
    dst[dOff + i] = v;
    acc += (a & 1) === 0 ? v : v << 8;
    i++; a++;
  }
  while (acc > 0xffffffff) acc = (acc % 0x10000) + Math.floor(acc / 0x10000);
  let s = (acc >>> 16) + (acc & 0xffff);
  s = (s >>> 16) + (s & 0xffff);
  if ((da & 1) === 0) s = ((s & 0xff) << 8) | (s >>> 8);
  return s;
}

/**
 * Copies src[so, so+len) to dst[dOff, dOff+len) (regions not overlapping) without summing: for a caller that sums
 * the copy another way (the STT reassembler, with its arena in WebAssembly memory: checksum-simd.ts). Where the two
 * addresses are congruent mod 8, copySum16's 8-byte loop without its sum: half its time over 64 KB here (8.0 us
 * against 14.8); any other layout is copySum16's.
 */
export function copyBytes(src: Uint8Array, so: number, dst: Uint8Array, dOff: number, len: number): void {
  if (len < 64) {
    for (let i = 0; i < len; i++) dst[dOff + i] = src[so + i];
    return;
  }
  const sv = viewsOf(src);
  const dv = viewsOf(dst);
  const sa = sv.base + so;
  const da = dv.base + dOff;
  if (((sa - da) & 7) !== 0) {
    copySum16(src, so, dst, dOff, len);
    return;
  }
  let i = 0;
  while (((da + i) & 7) !== 0) { dst[dOff + i] = src[so + i]; i++; }
  const sl = sv.longs;
  const dl = dv.longs;
  const count = (len - i) >>> 3;
  let ls = (sa + i) >>> 3;
  let ld = (da + i) >>> 3;
  const end8 = ls + (count & ~7);
  while (ls < end8) {
    dl[ld] = sl[ls];
    dl[ld + 1] = sl[ls + 1];
    dl[ld + 2] = sl[ls + 2];
    dl[ld + 3] = sl[ls + 3];
    dl[ld + 4] = sl[ls + 4];
    dl[ld + 5] = sl[ls + 5];
    dl[ld + 6] = sl[ls + 6];
    dl[ld + 7] = sl[ls + 7];
    ls += 8; ld += 8;
  }
  const end1 = ls + (count & 7);
  while (ls < end1) { dl[ld] = sl[ls]; ls++; ld++; }
  for (i += count << 3; i < len; i++) dst[dOff + i] = src[so + i];
}
