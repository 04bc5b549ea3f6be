// A 32-bit hash of an inner Ethernet frame's flow (addresses, protocol, ports), used for the outer UDP/TCP
// source port and the IPv6 flow label, so one inner flow always takes the same path through ECMP and RSS.
// No allocation; every read is bounds-checked (a short frame hashes what it has).

import { ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_QINQ, ETHERTYPE_VLAN } from './ethernet.js';
import { isIndex } from './arguments.js';
import { ByteView } from './views.js';

/** The view of the public flowHash(); encoders pass their own to flowHashIn(). */
const publicView = new ByteView();

/** The final mix of every flow hash (also written out in encapUdp's IPv4 path). */
export function avalanche(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  // an int32 (not >>> 0): values beyond 2^31 would be boxed as heap numbers when returned
  return h | 0;
}

/**
 * Hash (an int32) of the inner frame buf[off, off+len) (Ethernet): addresses, protocol and L4 ports when present.
 * Arguments that do not describe bytes of a Uint8Array (a bad offset or length, another type) hash as an empty
 * frame: a hash, never an exception.
 */
export function flowHash(buf: Uint8Array, off: number, len: number, seed = 0): number {
  const view = publicView;
  const s = typeof seed === 'number' ? seed | 0 : 0;
  if ((buf !== view.array && !view.bind(buf)) || !isIndex(off) || !isIndex(len) || off + len > buf.length) return flowHashIn(view.array, view.view, 0, 0, 0, s);
  return flowHashIn(buf, view.view, view.base, off, len, s);
}

/**
 * flowHash() reading through `dv`, a view of buf's bytes at `base` (an encoder's ByteView). encapUdp (outer.ts) hashes
 * the encoders' common inner frame (untagged IPv4 of 34 bytes or more) itself, in its own body, and calls this for
 * every other frame; the same hash, as test/codecs/source-port checks.
 */
export function flowHashIn(buf: Uint8Array, dv: DataView, base: number, off: number, len: number, seed: number): number {
  const end = off + len;
  if (len < 14 || off < 0 || end > buf.length) {
    // not a full Ethernet header: hash what there is
    let h = seed ^ len;
    for (let i = off; i < end && i < buf.length; i++) h = Math.imul(h ^ buf[i], 0x01000193);
    return avalanche(h);
  }
  let p = off + 12;
  let type = dv.getUint16(base + p);
  p += 2;
  while ((type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ) && p + 4 <= end) {
    type = dv.getUint16(base + p + 2);
    p += 4;
  }
  if (type === ETHERTYPE_IPV4 && p + 20 <= end) {
    const ihl = (dv.getUint8(base + p) & 0x0f) << 2;
    const proto = dv.getUint8(base + p + 9);
    let h = seed ^ dv.getInt32(base + p + 12);
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) ^ dv.getInt32(base + p + 16);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) ^ proto;
    const l4 = p + ihl;
    if ((dv.getUint16(base + p + 6) & 0x3fff) === 0 && ihl >= 20 && (proto === 6 || proto === 17 || proto === 132) && l4 + 4 <= end) {
      h = Math.imul(h ^ (h >>> 16), 0x9e3779b1) ^ dv.getInt32(base + l4);
    }
    return avalanche(h);
  }
  if (type === ETHERTYPE_IPV6 && p + 40 <= end) {
    let h = seed ^ 6;
    for (let i = p + 8; i < p + 40; i += 4) h = Math.imul(h ^ dv.getInt32(base + i), 0x9e3779b1) ^ (h >>> 15);
    const nh = dv.getUint8(base + p + 6);
    h ^= nh;
    const l4 = p + 40;
    if ((nh === 6 || nh === 17 || nh === 132) && l4 + 4 <= end) h = Math.imul(h ^ dv.getInt32(base + l4), 0x85ebca6b);
    return avalanche(h);
  }
  // L2 only: MAC addresses and ethertype
  let h = seed ^ 2;
  h = Math.imul(h ^ dv.getInt32(base + off), 0x9e3779b1);
  h = Math.imul(h ^ dv.getInt32(base + off + 4), 0x85ebca6b);
  h = Math.imul(h ^ dv.getInt32(base + off + 8), 0xc2b2ae35);
  return avalanche(h ^ type);
}

/** Maps a hash into [min, max] (inclusive), as a tunnel source port. */
export function portFromHash(hash: number, min: number, max: number): number {
  return min + Math.floor((hash >>> 0) * (max - min + 1) * (1 / 4294967296));
}
