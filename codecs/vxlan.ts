// VXLAN (RFC 7348) encapsulation and decapsulation, allocation-free.
//  | R R R R I R R R |  Reserved (24)  |  VNI (24)  |  Reserved (8) |

import { IPPROTO_UDP } from './ipv4.js';
import { ovnVxlanVni } from './ovn-metadata.js';
import {
  decodeUdpTunnel, encapUdp, plainIpv4HeaderValid, OuterInfo, OuterTemplate, VERIFY_IP_CHECKSUM, VERIFY_UDP_CHECKSUM, type OuterSpec, type UdpTunnelDecoding,
} from './outer.js';
import { Reason } from './reason.js';
import { isIndex } from './arguments.js';
import { writeVni } from './bytes.js';
import { ByteView } from './views.js';

export const VXLAN_PORT = 4789;
export const VXLAN_HEADER_LENGTH = 8;
export const VXLAN_FLAG_VNI = 0x08;

export interface VxlanEncoderOptions {
  outer: OuterSpec;
  vni?: number;
}

export class VxlanEncoder {
  declare readonly template: OuterTemplate;
  declare readonly headerLength: number;
  private declare readonly vniOffset: number;
  /** DataView of the caller's buffer for the inner flow hash (see views.ts). */
  private declare readonly bytes: ByteView;

  constructor(options: VxlanEncoderOptions) {
    this.bytes = new ByteView();
    const t = new OuterTemplate(options.outer, IPPROTO_UDP, 8, VXLAN_HEADER_LENGTH, VXLAN_PORT);
    this.template = t;
    this.headerLength = t.headerLength;
    t.bytes[t.tunnelOffset] = VXLAN_FLAG_VNI;
    this.vniOffset = t.tunnelOffset + 4;
    if (this.setVni(options.vni ?? 0) !== Reason.Ok) throw new RangeError('VNI must be 24 bits');
  }

  /** Sets the source port range of subsequent packets (see OuterSpec.srcPortMin); InvalidArgument keeps the old one. */
  setSourcePortRange(min: number, max: number): Reason {
    return this.template.setSourcePortRange(min, max);
  }

  setVni(vni: number): Reason {
    return writeVni(this.template.bytes, this.vniOffset, vni);
  }

  /** Writes the headers in front of buf[innerOffset, innerOffset+innerLength); see GeneveEncoder.encap. */
  encap(buf: Uint8Array, innerOffset: number, innerLength: number, hash?: number): Reason {
    return encapUdp(this.template, this.bytes, buf, innerOffset, innerLength, hash, -1, 0, -1, 0);
  }

  /** OVN over VXLAN: VNI = egress (12) << 12 | datapath (12), written straight into this packet. */
  encapOvn(buf: Uint8Array, innerOffset: number, innerLength: number, datapath: number, egress: number, hash?: number): Reason {
    const vni = ovnVxlanVni(datapath, egress);
    if (vni < 0) return Reason.KeyOutOfRange;
    return encapUdp(this.template, this.bytes, buf, innerOffset, innerLength, hash, this.vniOffset, vni << 8, -1, 0);
  }
}

export interface VxlanDecoderOptions {
  port?: number;
  /** Verify a non-zero UDP checksum (default true). */
  verifyUdpChecksum?: boolean;
  /** Verify the outer IPv4 header checksum (default true); see GeneveDecoderOptions. */
  verifyIpChecksum?: boolean;
}

export class VxlanResult extends OuterInfo {
  flags = 0;
  vni = 0;
  /** OVN's reading of the VNI. */
  ovnDatapath = 0;
  ovnEgress = 0;
  innerOffset = 0;
  innerLength = 0;
}

/**
 * Validates and decodes VXLAN frames. By default it checks the arguments, Ethernet, IPv4 (with its header checksum)
 * or IPv6, UDP (port, length, the checksum when the sender set one) as GeneveDecoder does, then the VXLAN header's
 * I flag.
 */
export class VxlanDecoder implements UdpTunnelDecoding<VxlanResult> {
  declare readonly port: number;
  declare readonly verifyUdpChecksum: boolean;
  declare readonly verifyIpChecksum: boolean;
  /** @internal VERIFY_* bits for decodeUdpTunnel. */
  declare readonly checks: number;
  private declare readonly bytes: ByteView;
  /** The last result object seen, so its type is checked once, not per packet (a private one at first: never null,
   * so a null argument misses it and is refused). */
  private declare lastOut: VxlanResult;

  constructor(options: VxlanDecoderOptions = {}) {
    this.port = options.port ?? VXLAN_PORT;
    this.verifyUdpChecksum = options.verifyUdpChecksum ?? true;
    this.verifyIpChecksum = options.verifyIpChecksum ?? true;
    this.checks = (this.verifyIpChecksum ? VERIFY_IP_CHECKSUM : 0) | (this.verifyUdpChecksum ? VERIFY_UDP_CHECKSUM : 0);
    this.bytes = new ByteView();
    this.lastOut = new VxlanResult();
  }

  /**
   * Decodes the Ethernet frame buf[off, off+len) into `out`; every argument is checked as GeneveDecoder.decode does.
   * VXLAN over untagged IPv4 without a UDP checksum is decoded here in one piece (see GeneveDecoder.decode); any other
   * frame, and every error, goes to decodeUdpTunnel.
   */
  decode(buf: Uint8Array, off: number, len: number, out: VxlanResult): Reason {
    const v = this.bytes;
    if (buf !== v.array && !v.bind(buf)) return Reason.InvalidArgument;
    if (out !== this.lastOut) {
      if (!(out instanceof VxlanResult)) return Reason.InvalidArgument;
      this.lastOut = out;
    }
    const dv = v.view;
    const base = v.base;
    if (isIndex(off) && isIndex(len) && off + len <= buf.length && len >= 50) {
      const a = base + off;
      const w0 = dv.getInt32(a + 12);
      const w1 = dv.getInt32(a + 16);
      const w2 = dv.getInt32(a + 20);
      const w3 = dv.getInt32(a + 24);
      const src = dv.getInt32(a + 26);
      const dst = dv.getInt32(a + 30);
      const u0 = dv.getInt32(a + 34);
      const u1 = dv.getInt32(a + 38);
      const total = w1 >>> 16;
      const udpLength = u1 >>> 16;
      if ((w0 >>> 8) === 0x080045 && total <= len - 14 && (w2 & 0x3fff00ff) === 17 && (u0 & 0xffff) === this.port
        && udpLength >= 16 && udpLength <= total - 20 && (u1 & 0xffff) === 0
        && (!this.verifyIpChecksum || plainIpv4HeaderValid(w0, w1, w2, w3, src, dst))) {
        const ip = off + 14;
        const p = ip + 28;
        const end = ip + 20 + udpLength;
        const flags = dv.getUint8(a + 42);
        const vni = dv.getUint32(a + 46) >>> 8;
        out.vlanTci = -1;
        out.ipOffset = ip;
        out.ipVersion = 4;
        out.tos = w0 & 0xff;
        out.ipId = w1 & 0xffff;
        out.ttl = (w2 >>> 8) & 0xff;
        out.srcAddr4 = src >>> 0;
        out.dstAddr4 = dst >>> 0;
        out.srcAddrOffset = ip + 12;
        out.dstAddrOffset = ip + 16;
        out.flowLabel = 0;
        out.l4Offset = ip + 20;
        out.l4End = end;
        out.srcPort = u0 >>> 16;
        out.dstPort = u0 & 0xffff;
        out.l4Checksum = 0;
        out.flags = flags;
        out.vni = vni;
        out.ovnDatapath = vni & 0xfff;
        out.ovnEgress = vni >>> 12;
        out.innerOffset = p + 8;
        out.innerLength = end - p - 8;
        return (flags & VXLAN_FLAG_VNI) === 0 ? Reason.VxlanBadFlags : Reason.Ok;
      }
    }
    return decodeUdpTunnel(this, buf, v.view, v.base, off, len, out);
  }

  /** @internal The VXLAN header at [p, end) of the bytes dv views from `base` (p and end checked). */
  parseHeader(dv: DataView, base: number, p: number, end: number, out: VxlanResult): Reason {
    return parseVxlanHeader(dv, base, p, end, out);
  }
}

/** The view decodeVxlanHeader reads through (one per module: the header alone has no decoder object). */
const headerView = new ByteView();

/** Decodes a VXLAN header at buf[p, end) (e.g. a UDP payload from a socket). The I flag must be set; reserved bits
 * are ignored (RFC 7348). Arguments are checked: InvalidArgument, never an exception. */
export function decodeVxlanHeader(buf: Uint8Array, p: number, end: number, out: VxlanResult): Reason {
  if (buf !== headerView.array && !headerView.bind(buf)) return Reason.InvalidArgument;
  if (!(out instanceof VxlanResult) || !isIndex(p) || !isIndex(end) || end > buf.length || p > end) return Reason.InvalidArgument;
  return parseVxlanHeader(headerView.view, headerView.base, p, end, out);
}

/** The VXLAN header at [p, end) of the bytes dv views from `base` (p and end checked). */
function parseVxlanHeader(dv: DataView, base: number, p: number, end: number, out: VxlanResult): Reason {
  if (p + 8 > end) return Reason.Truncated;
  const flags = dv.getUint8(base + p);
  const vni = dv.getUint32(base + p + 4) >>> 8;
  out.flags = flags;
  out.vni = vni;
  out.ovnDatapath = vni & 0xfff;
  out.ovnEgress = vni >>> 12;
  out.innerOffset = p + 8;
  out.innerLength = end - p - 8;
  return (flags & VXLAN_FLAG_VNI) === 0 ? Reason.VxlanBadFlags : Reason.Ok;
}

