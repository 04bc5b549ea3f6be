// The logical metadata OVN carries between chassis (ovn-architecture(7), "Tunnel Encapsulations"), computed from
// Southbound tunnel keys. The bit layouts (Geneve option value, STT context, VXLAN VNI) and key ranges are the
// codecs' (codecs/ovn-metadata.ts, what the encoders and decoders use per packet); this module adds the OVN-level
// API: keys validated with errors that name the key, the STT context as one BigInt, every encapsulation at once.
import {
  OVN_GENEVE_CLASS, OVN_GENEVE_TYPE, OVN_MAX_DATAPATH, OVN_MAX_EGRESS_PORT, OVN_MAX_INGRESS_PORT,
  OVN_VXLAN_MAX_DATAPATH, OVN_VXLAN_MAX_EGRESS_PORT, ovnFromSttContext, ovnGeneveEgress, ovnGeneveIngress, ovnGeneveOptionValue,
  ovnSttContextHi, ovnSttContextLo, ovnVxlanVni,
} from '../../codecs/ovn-metadata.js';
import { OvnTunnelKeyRangeError } from './errors.js';

// The codecs' key bounds under the names of the Southbound keys they bound (MAX_* are inclusive). The Geneve option
// class and type are the codecs' own (OVN_GENEVE_CLASS, OVN_GENEVE_TYPE in `ovn-overlay/codecs`), not renamed here.
export {
  OVN_MAX_DATAPATH as MAX_DATAPATH_KEY, OVN_MAX_INGRESS_PORT as MAX_INGRESS_PORT_KEY, OVN_MAX_EGRESS_PORT as MAX_EGRESS_PORT_KEY,
  OVN_VXLAN_MAX_DATAPATH as MAX_VXLAN_DATAPATH_KEY, OVN_VXLAN_MAX_EGRESS_PORT as MAX_VXLAN_EGRESS_PORT_KEY,
} from '../../codecs/ovn-metadata.js';


/** The three pieces of logical metadata, as OVN numbers them in Datapath_Binding / Port_Binding `tunnel_key`. */
export interface LogicalTunnelKeys {
  readonly datapath: number;
  /** Logical ingress port (Port_Binding tunnel_key of the port the packet entered the datapath from). */
  readonly ingressPort: number;
  /** Logical egress port (or multicast group key >= 32768). */
  readonly egressPort: number;
}

/** The Geneve VNI and OVN option of a packet. */
export interface GeneveMetadata {
  readonly vni: number;
  readonly optionClass: number;
  readonly optionType: number;
  /** The option's 32-bit value: ingress << 16 | egress. */
  readonly optionValue: number;
}

/** The logical metadata of one packet in every encapsulation. */
export interface TunnelMetadata {
  readonly keys: LogicalTunnelKeys;
  readonly geneve: GeneveMetadata;
  /** The STT context (tunnel ID), 64 bits. */
  readonly stt: bigint;
  /** The VXLAN VNI, or undefined when a key does not fit VXLAN's 12-bit fields. */
  readonly vxlanVni: number | undefined;
}

function check(name: string, value: number, max: number, min = 0): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new OvnTunnelKeyRangeError(`${name} ${value} is outside ${min}..${max}`);
  }
}

/** @throws OvnTunnelKeyRangeError naming the key outside its range. */
export function validateTunnelKeys(keys: LogicalTunnelKeys): void {
  check('datapath tunnel key', keys.datapath, OVN_MAX_DATAPATH, 1);
  check('ingress port tunnel key', keys.ingressPort, OVN_MAX_INGRESS_PORT);
  check('egress port tunnel key', keys.egressPort, OVN_MAX_EGRESS_PORT);
}

/** The Geneve VNI (datapath) and option value (ingress << 16 | egress) of the keys. */
export function geneveMetadata(keys: LogicalTunnelKeys): GeneveMetadata {
  validateTunnelKeys(keys);
  return {
    vni: keys.datapath,
    optionClass: OVN_GENEVE_CLASS,
    optionType: OVN_GENEVE_TYPE,
    optionValue: ovnGeneveOptionValue(keys.ingressPort, keys.egressPort),
  };
}

/** The 64-bit STT context of the keys. */
export function sttContext(keys: LogicalTunnelKeys): bigint {
  validateTunnelKeys(keys);
  const hi = ovnSttContextHi(keys.ingressPort, keys.egressPort);
  return (BigInt(hi) << 32n) | BigInt(ovnSttContextLo(keys.egressPort, keys.datapath));
}

/** The VXLAN VNI of the keys (12-bit datapath and egress port). @throws OvnTunnelKeyRangeError when they do not fit. */
export function vxlanVni(keys: { readonly datapath: number; readonly egressPort: number }): number {
  check('datapath tunnel key (VXLAN)', keys.datapath, OVN_VXLAN_MAX_DATAPATH, 1);
  check('egress port tunnel key (VXLAN)', keys.egressPort, OVN_VXLAN_MAX_EGRESS_PORT);
  return ovnVxlanVni(keys.datapath, keys.egressPort);
}

/** Every encapsulation's metadata for one set of keys. */
export function tunnelMetadataFromKeys(keys: LogicalTunnelKeys): TunnelMetadata {
  const geneve = geneveMetadata(keys);
  const fitsVxlan = keys.datapath <= OVN_VXLAN_MAX_DATAPATH && keys.egressPort <= OVN_VXLAN_MAX_EGRESS_PORT;
  return { keys, geneve, stt: sttContext(keys), vxlanVni: fitsVxlan ? vxlanVni(keys) : undefined };
}

/** Decodes the keys back from the Geneve VNI and option value (for tests and inspection). */
export function keysFromGeneve(vni: number, optionValue: number): LogicalTunnelKeys {
  return { datapath: vni & OVN_MAX_DATAPATH, ingressPort: ovnGeneveIngress(optionValue), egressPort: ovnGeneveEgress(optionValue) };
}

/** Decodes the keys back from an STT context (the 9 reserved bits ignored). */
export function keysFromStt(context: bigint): LogicalTunnelKeys {
  const out = { datapath: 0, ingress: 0, egress: 0 };
  ovnFromSttContext(Number((context >> 32n) & 0x7f_ffffn), Number(context & 0xffff_ffffn), out);
  return { datapath: out.datapath, egressPort: out.egress, ingressPort: out.ingress };
}
