// IPv6 constants and address helpers (set-up and display only).

export const IPV6_HEADER_LENGTH = 40;

/** Parses IPv6 text (with :: and an optional trailing dotted quad) into 16 bytes; throws on bad input. */
export function parseIpv6(text: string): Uint8Array {
  const out = new Uint8Array(16);
  let s = text;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  const groups: number[] = [];
  const parseSide = (side: string): number[] => {
    if (side === '') return [];
    const res: number[] = [];
    const parts = side.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (i === parts.length - 1 && p.includes('.')) {
        const q = p.split('.').map(Number);
        if (q.length !== 4 || q.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) throw new TypeError(`bad IPv6 address: ${text}`);
        res.push((q[0] << 8) | q[1], (q[2] << 8) | q[3]);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) throw new TypeError(`bad IPv6 address: ${text}`);
        res.push(parseInt(p, 16));
      }
    }
    return res;
  };
  const dbl = s.indexOf('::');
  if (dbl >= 0) {
    if (s.indexOf('::', dbl + 1) >= 0) throw new TypeError(`bad IPv6 address: ${text}`);
    const head = parseSide(s.slice(0, dbl));
    const tail = parseSide(s.slice(dbl + 2));
    if (head.length + tail.length > 7) throw new TypeError(`bad IPv6 address: ${text}`);
    groups.push(...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail);
  } else {
    groups.push(...parseSide(s));
    if (groups.length !== 8) throw new TypeError(`bad IPv6 address: ${text}`);
  }
  for (let i = 0; i < 8; i++) { out[2 * i] = groups[i] >>> 8; out[2 * i + 1] = groups[i] & 0xff; }
  return out;
}

/** Formats 16 bytes at `off` as RFC 5952 text. */
export function formatIpv6(buf: Uint8Array, off = 0): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((buf[off + 2 * i] << 8) | buf[off + 2 * i + 1]);
  let bestStart = -1; let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i; while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}
