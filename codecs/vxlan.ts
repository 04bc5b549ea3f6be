// VXLAN (RFC 7348) encapsulation and decapsulation, allocation-free.
//  | R R R R I R R R |  Reserved (24)  |  VNI (24)  |  Reserved (8) |

import { IPPROTO_UDP } from './ipv4.js';
import { ovnVxlanVni } from './ovn-metadata.js';
import { decodeIp, decodeUdp, finishUdpEncap, OuterInfo, OuterTemplate, startUdpEncap, type OuterSpec } from './outer.js';
import { Reason } from './reason.js';
import { writeU32be, writeVni } from './bytes.js';
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

  setVni(vni: number): Reason {
    return writeVni(this.template.bytes, this.vniOffset, vni);
  }

  /** Writes the headers in front of buf[innerOffset, innerOffset+innerLength); see GeneveEncoder.encap. */
  encap(buf: Uint8Array, innerOffset: number, innerLength: number, hash = -1): Reason {
    const t = this.template;
    const r = startUdpEncap(t, this.bytes, buf, innerOffset, innerLength, hash);
    if (r !== Reason.Ok) return r;
    finishUdpEncap(t, buf, innerOffset, innerLength);
    return Reason.Ok;
  }

  /** OVN over VXLAN: VNI = egress (12) << 12 | datapath (12), written straight into this packet. */
  encapOvn(buf: Uint8Array, innerOffset: number, innerLength: number, datapath: number, egress: number, hash = -1): Reason {
    const vni = ovnVxlanVni(datapath, egress);
    if (vni < 0) return Reason.KeyOutOfRange;
    const t = this.template;
    const r = startUdpEncap(t, this.bytes, buf, innerOffset, innerLength, hash);
    if (r !== Reason.Ok) return r;
    writeU32be(buf, innerOffset - t.headerLength + this.vniOffset, vni << 8);
    finishUdpEncap(t, buf, innerOffset, innerLength);
    return Reason.Ok;
  }
}

export interface VxlanDecoderOptions {
  port?: number;
  verifyUdpChecksum?: boolean;
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

export class VxlanDecoder {
  declare readonly port: number;
  declare readonly verifyUdpChecksum: boolean;
  private declare readonly bytes: ByteView;

  constructor(options: VxlanDecoderOptions = {}) {
    this.port = options.port ?? VXLAN_PORT;
    this.verifyUdpChecksum = options.verifyUdpChecksum ?? true;
    this.bytes = new ByteView();
  }

  decode(buf: Uint8Array, off: number, len: number, out: VxlanResult): Reason {
    const v = this.bytes;
    if (buf !== v.array) v.bind(buf);
    let r = decodeIp(buf, v.view, v.base, off, len, out, IPPROTO_UDP);
    if (r !== Reason.Ok) return r;
    r = decodeUdp(buf, v.view, v.base, out, this.port, this.verifyUdpChecksum);
    if (r !== Reason.Ok) return r;
    return decodeVxlanHeader(buf, out.l4Offset + 8, out.l4End, out);
  }
}

/** Decodes a VXLAN header at buf[p, end). The I flag must be set; reserved bits are ignored (RFC 7348). */
export function decodeVxlanHeader(buf: Uint8Array, p: number, end: number, out: VxlanResult): Reason {
  if (p < 0 || end > buf.length || p + 8 > end) return Reason.Truncated;
  out.flags = buf[p];
  const vni = (buf[p + 4] << 16) | (buf[p + 5] << 8) | buf[p + 6];
  out.vni = vni;
  out.ovnDatapath = vni & 0xfff;
  out.ovnEgress = vni >>> 12;
  out.innerOffset = p + 8;
  out.innerLength = end - p - 8;
  if ((out.flags & VXLAN_FLAG_VNI) === 0) return Reason.VxlanBadFlags;
  return Reason.Ok;
}
