// IP addresses and prefixes as the rest of src/ovn uses them: a family and a bigint value, parsed and printed with
// the `ip-address` package (canonical forms: dotted quad, RFC 5952 for IPv6), so that string comparisons between
// what we write and what we read back from OVSDB are exact.
import { Address4, Address6 } from 'ip-address';
import { OvnInvalidAddressError } from './errors.js';

/** IPv4 or IPv6. */
export type IpFamily = 4 | 6;

/** A parsed address: family, value and canonical text. */
export interface IpAddress {
  readonly family: IpFamily;
  readonly value: bigint;
  /** Canonical text: "10.244.1.5", "fd00:10:244:1::5". */
  readonly text: string;
}

/** A parsed prefix: family, network value, length and canonical text. */
export interface IpPrefix {
  readonly family: IpFamily;
  /** The network address (host bits zero). */
  readonly network: bigint;
  readonly length: number;
  /** Canonical text: "10.244.1.0/24". */
  readonly text: string;
}

const V4_BITS = 32;
const V6_BITS = 128;

/** Address width of a family: 32 or 128. */
export function familyBits(family: IpFamily): number { return family === 4 ? V4_BITS : V6_BITS; }

/** Formats a value of a family in canonical text. */
export function formatAddress(family: IpFamily, value: bigint): string {
  if (family === 4) {
    return `${Number((value >> 24n) & 255n)}.${Number((value >> 16n) & 255n)}.${Number((value >> 8n) & 255n)}.${Number(value & 255n)}`;
  }
  return Address6.fromBigInt(value).correctForm();
}

/**
 * The value of a dotted-quad IPv4 address, or undefined. One pass over the characters, no regex or bigint per
 * octet: every Service endpoint and VIP goes through here several times per call. Leading zeros are refused (so
 * an accepted text is already in its canonical form).
 */
function parseV4(text: string): number | undefined {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 /* . */) {
      if (digits === 0 || ++dots > 3) return undefined;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return undefined;
      octet = octet * 10 + (c - 48);
      if (octet > 255) return undefined;
      digits++;
    } else {
      return undefined;
    }
  }
  if (dots !== 3 || digits === 0) return undefined;
  return value * 256 + octet;
}

/** Parses an address without a prefix length ("10.0.0.1", "fd00::1"). */
export function parseAddress(text: string): IpAddress {
  const v4 = parseV4(text);
  // parseV4 refuses leading zeros, so the text is already what formatAddress would write.
  if (v4 !== undefined) return { family: 4, value: BigInt(v4), text };
  if (text.includes(':') && !text.includes('/') && Address6.isValid(text)) {
    const value = new Address6(text).bigInt();
    return { family: 6, value, text: formatAddress(6, value) };
  }
  throw new OvnInvalidAddressError(`not an IP address: ${JSON.stringify(text)}`);
}

/** The family of an address text parseAddress takes, or undefined; allocates nothing for IPv4 (validation only needs the family). */
export function addressFamily(text: string): IpFamily | undefined {
  if (parseV4(text) !== undefined) return 4;
  return text.includes(':') && !text.includes('/') && Address6.isValid(text) ? 6 : undefined;
}

/** Like parseAddress, but undefined instead of an error. */
export function tryParseAddress(text: string): IpAddress | undefined {
  try { return parseAddress(text); } catch { return undefined; }
}

/**
 * Parses "10.244.1.0/24" or "fd00:10:244:1::/64". Host bits must be zero unless `allowHostBits` (then the address
 * is kept in `address` and the prefix is normalized).
 */
export function parsePrefix(text: string, allowHostBits = false): IpPrefix & { readonly address: IpAddress } {
  const slash = text.indexOf('/');
  if (slash < 0) throw new OvnInvalidAddressError(`not a prefix (no /length): ${JSON.stringify(text)}`);
  const address = parseAddress(text.slice(0, slash));
  const lengthText = text.slice(slash + 1);
  const bits = familyBits(address.family);
  if (!/^[0-9]{1,3}$/.test(lengthText) || Number(lengthText) > bits) {
    throw new OvnInvalidAddressError(`bad prefix length in ${JSON.stringify(text)}`);
  }
  const length = Number(lengthText);
  // Validate the whole thing with ip-address too (it knows the corner cases of both families).
  const valid = address.family === 4 ? Address4.isValid(text) : Address6.isValid(text);
  if (!valid) throw new OvnInvalidAddressError(`not a prefix: ${JSON.stringify(text)}`);
  const hostMask = (1n << BigInt(bits - length)) - 1n;
  const network = address.value & ~hostMask & ((1n << BigInt(bits)) - 1n);
  if (!allowHostBits && network !== address.value) {
    throw new OvnInvalidAddressError(`${text} has host bits set (the network is ${formatAddress(address.family, network)}/${length})`);
  }
  return { family: address.family, network, length, text: `${formatAddress(address.family, network)}/${length}`, address };
}

/** Number of addresses in a prefix. */
export function prefixSize(prefix: IpPrefix): bigint {
  return 1n << BigInt(familyBits(prefix.family) - prefix.length);
}

/** True when the address lies in the prefix (same family). */
export function prefixContains(prefix: IpPrefix, address: IpAddress): boolean {
  return address.family === prefix.family && address.value >= prefix.network && address.value < prefix.network + prefixSize(prefix);
}

/** The address at `offset` inside a prefix. */
export function addressAt(prefix: IpPrefix, offset: bigint): IpAddress {
  const value = prefix.network + offset;
  return { family: prefix.family, value, text: formatAddress(prefix.family, value) };
}

/** "10.244.1.5/24": an address with the prefix length of its subnet. */
export function withLength(address: IpAddress, length: number): string {
  return `${address.text}/${length}`;
}
