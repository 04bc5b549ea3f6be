// Ethernet II framing constants and MAC address helpers (helpers are for set-up, not the hot path).

export const ETH_HEADER_LENGTH = 14;
export const VLAN_TAG_LENGTH = 4;
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_QINQ = 0x88a8;
/** Transparent Ethernet bridging: Geneve's protocol type for an inner Ethernet frame. */
export const ETHERTYPE_TEB = 0x6558;

/** Parses "aa:bb:cc:dd:ee:ff" (or '-' separated) into 6 bytes; throws on bad input (set-up time only). */
export function parseMac(text: string): Uint8Array {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6) throw new TypeError(`bad MAC address: ${text}`);
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) {
    const p = parts[i];
    if (!/^[0-9a-fA-F]{1,2}$/.test(p)) throw new TypeError(`bad MAC address: ${text}`);
    out[i] = parseInt(p, 16);
  }
  return out;
}

export function formatMac(buf: Uint8Array, off = 0): string {
  let s = '';
  for (let i = 0; i < 6; i++) s += (i ? ':' : '') + buf[off + i].toString(16).padStart(2, '0');
  return s;
}

/** A MAC given as text or bytes, as 6 bytes. */
export function macBytes(mac: string | Uint8Array): Uint8Array {
  if (typeof mac === 'string') return parseMac(mac);
  if (mac.length !== 6) throw new TypeError('a MAC address has 6 bytes');
  return mac;
}
