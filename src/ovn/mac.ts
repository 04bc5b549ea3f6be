// MAC addresses derived from IP addresses the way ovn-kubernetes does (util.IPAddrToHWAddr): the locally
// administered prefix 0a:58 followed by the four IPv4 bytes, or, for IPv6, by the first four bytes of the
// SHA-256 of the address's canonical text. A pod's MAC comes from its first address.
import { createHash } from 'node:crypto';
import { parseAddress, type IpAddress } from './ip.js';

const hex = (byte: number): string => byte.toString(16).padStart(2, '0');

/** `0a:58:` + the IPv4 bytes (lowercase, as Go's net.HardwareAddr prints). */
export function macFromAddress(address: IpAddress | string): string {
  const ip = typeof address === 'string' ? parseAddress(address) : address;
  let bytes: number[];
  if (ip.family === 4) {
    bytes = [Number((ip.value >> 24n) & 255n), Number((ip.value >> 16n) & 255n), Number((ip.value >> 8n) & 255n), Number(ip.value & 255n)];
  } else {
    const digest = createHash('sha256').update(ip.text).digest();
    bytes = [digest[0], digest[1], digest[2], digest[3]];
  }
  return ['0a', '58', ...bytes.map(hex)].join(':');
}

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** True for a lowercase colon-separated unicast MAC such as OVN expects in `addresses`. */
export function isUnicastMac(mac: string): boolean {
  return MAC_RE.test(mac) && (parseInt(mac.slice(0, 2), 16) & 1) === 0;
}

/** The IPv6 link-local address of a MAC (modified EUI-64, RFC 4291): ovn-kubernetes' HWAddrToIPv6LLA. */
export function linkLocalFromMac(mac: string): string {
  const b = mac.split(':').map((h) => parseInt(h, 16));
  const hex = (hi: number, lo: number): string => ((hi << 8) | lo).toString(16);
  return `fe80::${hex(b[0] ^ 0x02, b[1])}:${hex(b[2], 0xff)}:${hex(0xfe, b[3])}:${hex(b[4], b[5])}`;
}
