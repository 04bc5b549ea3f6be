// A 32-bit hash of an inner Ethernet frame's flow (addresses, protocol, ports), used for the outer UDP/TCP
// source port and the IPv6 flow label, so one inner flow always takes the same path through ECMP and RSS.
// No allocation; every read is bounds-checked (a short frame hashes what it has).

import { ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_QINQ, ETHERTYPE_VLAN } from './ethernet.js';

function mix(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finalize(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function word(buf: Uint8Array, o: number): number {
  return (buf[o] << 24) | (buf[o + 1] << 16) | (buf[o + 2] << 8) | buf[o + 3];
}

/** Hash of the inner frame buf[off, off+len) (Ethernet). Symmetric inputs are not required. */
export function flowHash(buf: Uint8Array, off: number, len: number, seed = 0): number {
  const end = off + len;
  let h = seed | 0;
  if (len < 14 || end > buf.length) {
    // not a full Ethernet header: hash what there is
    for (let i = off; i < end && i < buf.length; i++) h = mix(h, buf[i]);
    return finalize(h ^ len);
  }
  let p = off + 12;
  let type = (buf[p] << 8) | buf[p + 1];
  p += 2;
  while ((type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ) && p + 4 <= end) {
    type = (buf[p + 2] << 8) | buf[p + 3];
    p += 4;
  }
  if (type === ETHERTYPE_IPV4 && p + 20 <= end) {
    const ihl = (buf[p] & 0x0f) << 2;
    const proto = buf[p + 9];
    h = mix(h, word(buf, p + 12));
    h = mix(h, word(buf, p + 16));
    h = mix(h, proto);
    const frag = ((buf[p + 6] & 0x3f) << 8) | buf[p + 7];
    const l4 = p + ihl;
    if (frag === 0 && ihl >= 20 && (proto === 6 || proto === 17 || proto === 132) && l4 + 4 <= end) {
      h = mix(h, word(buf, l4));
    }
    return finalize(h ^ 4);
  }
  if (type === ETHERTYPE_IPV6 && p + 40 <= end) {
    for (let i = 8; i < 40; i += 4) h = mix(h, word(buf, p + i));
    const nh = buf[p + 6];
    h = mix(h, nh);
    const l4 = p + 40;
    if ((nh === 6 || nh === 17 || nh === 132) && l4 + 4 <= end) h = mix(h, word(buf, l4));
    return finalize(h ^ 6);
  }
  // L2 only: MAC addresses and ethertype
  h = mix(h, word(buf, off));
  h = mix(h, word(buf, off + 4));
  h = mix(h, word(buf, off + 8));
  h = mix(h, type);
  return finalize(h ^ 2);
}

/** Maps a hash into [min, max] (inclusive), as a tunnel source port. */
export function portFromHash(hash: number, min: number, max: number): number {
  return min + Math.floor(((hash >>> 0) * (max - min + 1)) / 4294967296);
}
