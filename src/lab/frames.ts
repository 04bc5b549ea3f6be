// Hand-built test frames to inject into the lab, and a plain reading of the tunnel frames it captures.
// Independent of codecs/ on purpose: the lab and its fixtures are what codecs/ is checked against.

export function macBytes(mac: string): number[] {
  return mac.split(':').map((h) => Number.parseInt(h, 16));
}

function ipBytes(ip: string): number[] {
  return ip.split('.').map(Number);
}

function ipv4Checksum(header: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < header.length; i += 2) sum += (header[i] << 8) | header[i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** An Ethernet + IPv4 + UDP frame with a correct IPv4 header checksum and no UDP checksum. */
export function udpFrame(o: { srcMac: string; dstMac: string; srcIp: string; dstIp: string; payload: string; ttl?: number }): Uint8Array {
  const payload = new TextEncoder().encode(o.payload);
  const udpLength = 8 + payload.length;
  const ip = new Uint8Array([
    0x45, 0, (20 + udpLength) >> 8, (20 + udpLength) & 0xff, 0, 1, 0x40, 0, o.ttl ?? 64, 17, 0, 0,
    ...ipBytes(o.srcIp), ...ipBytes(o.dstIp),
  ]);
  const checksum = ipv4Checksum(ip);
  ip[10] = checksum >> 8;
  ip[11] = checksum & 0xff;
  return new Uint8Array([
    ...macBytes(o.dstMac), ...macBytes(o.srcMac), 0x08, 0x00,
    ...ip,
    0x30, 0x39, 0x00, 0x35, udpLength >> 8, udpLength & 0xff, 0, 0,
    ...payload,
  ]);
}

export interface TunnelFrame {
  srcIp: string;
  dstIp: string;
  dstPort: number;
  /** Geneve: VNI; VXLAN: VNI. */
  vni: number;
  /** Geneve options (raw bytes), empty for VXLAN. */
  options: Uint8Array;
  inner: Uint8Array;
}

/** Reads an IPv4/UDP Geneve (6081) or VXLAN (4789) frame; undefined for anything else. */
export function readTunnelFrame(frame: Uint8Array): TunnelFrame | undefined {
  if (frame.length < 14 + 20 + 8 + 8) return undefined;
  if (frame[12] !== 0x08 || frame[13] !== 0x00) return undefined;
  const ihl = (frame[14] & 0x0f) * 4;
  if (frame[14 + 9] !== 17) return undefined;
  const udp = 14 + ihl;
  const dstPort = (frame[udp + 2] << 8) | frame[udp + 3];
  const ip = (at: number) => Array.from(frame.subarray(at, at + 4)).join('.');
  const tunnel = udp + 8;
  const vni = (frame[tunnel + 4] << 16) | (frame[tunnel + 5] << 8) | frame[tunnel + 6];
  const base = { srcIp: ip(14 + 12), dstIp: ip(14 + 16), dstPort, vni };
  if (dstPort === 6081) {
    const optionsLength = (frame[tunnel] & 0x3f) * 4;
    const innerAt = tunnel + 8 + optionsLength;
    return { ...base, options: frame.slice(tunnel + 8, innerAt), inner: frame.slice(innerAt) };
  }
  if (dstPort === 4789) return { ...base, options: new Uint8Array(0), inner: frame.slice(tunnel + 8) };
  return undefined;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
