// A small inner Ethernet/IPv4/UDP frame for `encap` when no --inner hex is given (what a pod would send).
import { ipv4HeaderChecksum, parseIpv4, parseMac } from '../../codecs/index.js';

export interface InnerFrameSpec {
  srcMac: string;
  dstMac: string;
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
  payload: string;
}

export const DEFAULT_INNER: InnerFrameSpec = {
  srcMac: '0a:58:0a:f4:00:05', dstMac: '0a:58:0a:f4:01:06',
  srcIp: '10.244.0.5', dstIp: '10.244.1.6', srcPort: 40000, dstPort: 8080, payload: 'hello from ovn-overlay',
};

/** Ethernet + IPv4 (checksummed, DF) + UDP (no checksum, as allowed over IPv4) + payload. */
export function buildInnerFrame(spec: InnerFrameSpec): Uint8Array {
  const payload = Buffer.from(spec.payload, 'utf8');
  const frame = new Uint8Array(14 + 20 + 8 + payload.length);
  const dv = new DataView(frame.buffer);
  frame.set(parseMac(spec.dstMac), 0);
  frame.set(parseMac(spec.srcMac), 6);
  dv.setUint16(12, 0x0800);
  const ip = 14;
  frame[ip] = 0x45;
  dv.setUint16(ip + 2, 20 + 8 + payload.length);
  dv.setUint16(ip + 6, 0x4000);
  frame[ip + 8] = 64;
  frame[ip + 9] = 17;
  dv.setUint32(ip + 12, parseIpv4(spec.srcIp));
  dv.setUint32(ip + 16, parseIpv4(spec.dstIp));
  dv.setUint16(ip + 10, ipv4HeaderChecksum(frame, ip, 20));
  const udp = ip + 20;
  dv.setUint16(udp, spec.srcPort);
  dv.setUint16(udp + 2, spec.dstPort);
  dv.setUint16(udp + 4, 8 + payload.length);
  frame.set(payload, udp + 8);
  return frame;
}

/** Parses hex (spaces, colons and a 0x prefix allowed) into bytes. */
export function parseHex(text: string): Uint8Array {
  const clean = text.replace(/^0x/i, '').replace(/[\s:]/g, '');
  if (clean.length === 0 || clean.length % 2 !== 0 || !/^[0-9a-f]+$/i.test(clean)) throw new Error('expected an even number of hex digits');
  return Uint8Array.from(Buffer.from(clean, 'hex'));
}
