// OVN's logical metadata in each tunnel (ovn-architecture(7), "Tunnel Encapsulations"):
// - Geneve: VNI = logical datapath key (24 bits); option class 0x0102 type 0x80 length 4 bytes:
//   rsv(1) | ingress logical port (15) | egress logical port (16).
// - STT: 64-bit context ID, MSB to LSB: reserved(9) | ingress port (15) | egress port (16) | datapath (24),
//   carried as two uint32 halves (hi, lo) so nothing is a BigInt on the hot path.
// - VXLAN: VNI = egress port (12) << 12 | datapath (12); no ingress port.

import { isIndex } from './arguments.js';

export const OVN_GENEVE_CLASS = 0x0102;
export const OVN_GENEVE_TYPE = 0x80;
/** Option data length in bytes. */
export const OVN_GENEVE_DATA_LENGTH = 4;

export const OVN_MAX_DATAPATH = 0xffffff;
export const OVN_MAX_INGRESS_PORT = 0x7fff;
export const OVN_MAX_EGRESS_PORT = 0xffff;
export const OVN_VXLAN_MAX_DATAPATH = 0xfff;
export const OVN_VXLAN_MAX_EGRESS_PORT = 0xfff;

/** True when the three keys fit Geneve's and STT's fields. */
export function ovnKeysValid(datapath: number, ingress: number, egress: number): boolean {
  return isIndex(datapath) && datapath <= OVN_MAX_DATAPATH
    && isIndex(ingress) && ingress <= OVN_MAX_INGRESS_PORT
    && isIndex(egress) && egress <= OVN_MAX_EGRESS_PORT;
}

/** The 32-bit OVN Geneve option value (ingress << 16 | egress), or -1 when a key is out of range. */
export function ovnGeneveOptionValue(ingress: number, egress: number): number {
  if (!isIndex(ingress) || ingress > OVN_MAX_INGRESS_PORT) return -1;
  if (!isIndex(egress) || egress > OVN_MAX_EGRESS_PORT) return -1;
  return ((ingress << 16) | egress) >>> 0;
}

/** The ingress port key of an OVN Geneve option value (the reserved top bit ignored). */
export function ovnGeneveIngress(optionValue: number): number {
  return (optionValue >>> 16) & OVN_MAX_INGRESS_PORT;
}

/** The egress port key of an OVN Geneve option value. */
export function ovnGeneveEgress(optionValue: number): number {
  return optionValue & OVN_MAX_EGRESS_PORT;
}

/** High 32 bits of the STT context for OVN keys (assumes valid keys). */
export function ovnSttContextHi(ingress: number, egress: number): number {
  return ((ingress << 8) | (egress >>> 8)) >>> 0;
}

/** Low 32 bits of the STT context for OVN keys (assumes valid keys). */
export function ovnSttContextLo(egress: number, datapath: number): number {
  return (((egress & 0xff) << 24) | datapath) >>> 0;
}

/** Decoded OVN keys from an STT context; false when the reserved bits are not zero. */
export function ovnFromSttContext(hi: number, lo: number, out: { datapath: number; ingress: number; egress: number }): boolean {
  if (hi >>> 23 !== 0) return false;
  out.ingress = (hi >>> 8) & 0x7fff;
  out.egress = ((hi & 0xff) << 8) | (lo >>> 24);
  out.datapath = lo & 0xffffff;
  return true;
}

/** VXLAN VNI for OVN keys, or -1 when out of range for VXLAN's 12-bit fields. */
export function ovnVxlanVni(datapath: number, egress: number): number {
  if (!isIndex(datapath) || datapath > OVN_VXLAN_MAX_DATAPATH) return -1;
  if (!isIndex(egress) || egress > OVN_VXLAN_MAX_EGRESS_PORT) return -1;
  return (egress << 12) | datapath;
}
