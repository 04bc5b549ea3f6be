// Test helpers: a seeded PRNG, inner frame builders and a naive checksum to compare against.

export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randInt(r: () => number, min: number, max: number): number {
  return min + Math.floor(r() * (max - min + 1));
}

/** RFC 1071 the slow way: big-endian 16-bit words, end-around carry. */
export function naiveSum(buf: Uint8Array, off: number, len: number): number {
  let s = 0;
  for (let i = 0; i < len; i += 2) {
    s += (buf[off + i] << 8) | (i + 1 < len ? buf[off + i + 1] : 0);
    while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  }
  return s;
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function fromHex(h: string): Uint8Array {
  return new Uint8Array(Buffer.from(h, 'hex'));
}

/**
 * Writes an inner Ethernet frame of `len` bytes at buf[off]: IPv4 or IPv6 with UDP or TCP when it fits,
 * random payload otherwise. Returns len.
 */
export function writeInner(buf: Uint8Array, off: number, len: number, r: () => number): number {
  for (let i = 0; i < len; i++) buf[off + i] = Math.floor(r() * 256);
  if (len < 14) return len;
  buf[off] = 0x0a; buf[off + 1] = 0x58; // locally administered unicast
  const kind = Math.floor(r() * 3);
  if (kind === 0 && len >= 14 + 20 + 8) {
    buf[off + 12] = 0x08; buf[off + 13] = 0x00;
    const ip = off + 14;
    buf[ip] = 0x45; buf[ip + 6] = 0; buf[ip + 7] = 0;
    const total = Math.min(len - 14, 65535);
    buf[ip + 2] = total >> 8; buf[ip + 3] = total & 0xff;
    buf[ip + 9] = r() < 0.5 ? 6 : 17;
  } else if (kind === 1 && len >= 14 + 40 + 8) {
    buf[off + 12] = 0x86; buf[off + 13] = 0xdd;
    const ip = off + 14;
    buf[ip] = 0x60;
    const plen = Math.min(len - 54, 65535);
    buf[ip + 4] = plen >> 8; buf[ip + 5] = plen & 0xff;
    buf[ip + 6] = r() < 0.5 ? 6 : 17;
  } else {
    buf[off + 12] = 0x88; buf[off + 13] = 0xb5; // local experimental ethertype
  }
  return len;
}

export const OUTER4 = { srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', src: '10.1.0.1', dst: '10.1.0.2' };
export const OUTER6 = { srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', src: 'fd00::1', dst: 'fd00::2' };
