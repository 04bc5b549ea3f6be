// Internet checksum (RFC 1071) without allocation.
//
// `sum16(buf, off, len)` returns the 16-bit one's-complement sum (not yet inverted) of the bytes read as
// big-endian 16-bit words starting at `off` (an odd `len` is padded with a zero byte). Large regions are
// summed four bytes at a time through a Uint32Array view of the whole ArrayBuffer (one view per buffer,
// cached, so no per-packet allocation). The one's-complement sum commutes with byte swapping (RFC 1071
// section 2(B)), so little-endian 32-bit words give the byte-swapped sum, fixed up at the end.

let cachedBuffer: ArrayBufferLike | null = null;
let cachedWords: Uint32Array = new Uint32Array(0);
let cachedBuffer2: ArrayBufferLike | null = null;
let cachedWords2: Uint32Array = new Uint32Array(0);

function wordsOf(buffer: ArrayBufferLike): Uint32Array {
  if (buffer === cachedBuffer) return cachedWords;
  if (buffer === cachedBuffer2) {
    // swap so the most recent stays in the first slot
    const b = cachedBuffer; const w = cachedWords;
    cachedBuffer = cachedBuffer2; cachedWords = cachedWords2;
    cachedBuffer2 = b; cachedWords2 = w;
    return cachedWords;
  }
  cachedBuffer2 = cachedBuffer; cachedWords2 = cachedWords;
  cachedBuffer = buffer;
  cachedWords = new Uint32Array(buffer, 0, buffer.byteLength >>> 2);
  return cachedWords;
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
  const abs = buf.byteOffset + off;
  let acc = 0;
  let i = off;
  const end = off + len;
  let a = abs;
  while ((a & 3) !== 0) {
    acc += (a & 1) === 0 ? buf[i] : buf[i] << 8;
    i++; a++;
  }
  const words = wordsOf(buf.buffer);
  let w = a >>> 2;
  const wordCount = (end - i) >>> 2;
  const wEnd = w + wordCount;
  // four at a time; doubles hold the sum exactly (< 2^53)
  const wEnd4 = w + (wordCount & ~3);
  let acc2 = 0;
  while (w < wEnd4) {
    acc += words[w] + words[w + 1];
    acc2 += words[w + 2] + words[w + 3];
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
 * (big-endian words paired from dOff), in one pass. Four bytes at a time when the source and destination
 * addresses are congruent modulo 4 (keep srcOffset ≡ dstOffset mod 4 for speed); bytewise otherwise.
 */
export function copySum16(src: Uint8Array, so: number, dst: Uint8Array, dOff: number, len: number): number {
  const sa = src.byteOffset + so;
  const da = dst.byteOffset + dOff;
  if (len < 64 || ((sa - da) & 3) !== 0) {
    for (let i = 0; i < len; i++) dst[dOff + i] = src[so + i];
    return sum16(dst, dOff, len);
  }
  let acc = 0;
  let i = 0;
  let a = da;
  while ((a & 3) !== 0) {
    const v = src[so + i];
    dst[dOff + i] = v;
    acc += (a & 1) === 0 ? v : v << 8;
    i++; a++;
  }
  const sw = wordsOf(src.buffer);
  const dw = src.buffer === dst.buffer ? sw : wordsOf(dst.buffer);
  const count = (len - i) >>> 2;
  let ws = (sa + i) >>> 2;
  let wd = a >>> 2;
  const wsEnd = ws + count;
  let acc2 = 0;
  const wsEnd2 = ws + (count & ~1);
  while (ws < wsEnd2) {
    const x = sw[ws]; const y = sw[ws + 1];
    dw[wd] = x; dw[wd + 1] = y;
    acc += x; acc2 += y;
    ws += 2; wd += 2;
  }
  if (ws < wsEnd) { const x = sw[ws]; dw[wd] = x; acc += x; }
  acc += acc2;
  i += count << 2;
  a += count << 2;
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
