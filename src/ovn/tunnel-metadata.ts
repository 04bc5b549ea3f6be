// The logical metadata OVN carries between chassis (ovn-architecture(7), "Tunnel Encapsulations"), computed from
// Southbound tunnel keys in the forms the codecs write:
//   Geneve: VNI = datapath key (24 bits); option class 0x0102 type 0x80, 32 bits: rsv(1) ingress(15) egress(16)
//   STT:    64-bit context, MSB to LSB: reserved(9) ingress(15) egress(16) datapath(24)
//   VXLAN:  VNI (24 bits) = egress(12) << 12 | datapath(12); no ingress port (OVN's reduced VXLAN mode)

export const OVN_GENEVE_OPTION_CLASS = 0x0102;
export const OVN_GENEVE_OPTION_TYPE = 0x80;
/** Length of the OVN Geneve option's data in bytes. */
export const OVN_GENEVE_OPTION_LENGTH = 4;

export const MAX_DATAPATH_KEY = 0xff_ffff;
export const MAX_INGRESS_PORT_KEY = 0x7fff;
export const MAX_EGRESS_PORT_KEY = 0xffff;
export const MAX_VXLAN_DATAPATH_KEY = 0xfff;
export const MAX_VXLAN_EGRESS_PORT_KEY = 0xfff;

export class TunnelKeyRangeError extends RangeError {
  override readonly name = 'TunnelKeyRangeError';
}

/** The three pieces of logical metadata, as OVN numbers them in Datapath_Binding / Port_Binding `tunnel_key`. */
export interface LogicalTunnelKeys {
  readonly datapath: number;
  /** Logical ingress port (Port_Binding tunnel_key of the port the packet entered the datapath from). */
  readonly ingressPort: number;
  /** Logical egress port (or multicast group key >= 32768). */
  readonly egressPort: number;
}

export interface GeneveMetadata {
  readonly vni: number;
  readonly optionClass: number;
  readonly optionType: number;
  /** The option's 32-bit value: ingress << 16 | egress. */
  readonly optionValue: number;
}

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
    throw new TunnelKeyRangeError(`${name} ${value} is outside ${min}..${max}`);
  }
}

export function validateTunnelKeys(keys: LogicalTunnelKeys): void {
  check('datapath tunnel key', keys.datapath, MAX_DATAPATH_KEY, 1);
  check('ingress port tunnel key', keys.ingressPort, MAX_INGRESS_PORT_KEY);
  check('egress port tunnel key', keys.egressPort, MAX_EGRESS_PORT_KEY);
}

export function geneveMetadata(keys: LogicalTunnelKeys): GeneveMetadata {
  validateTunnelKeys(keys);
  return {
    vni: keys.datapath,
    optionClass: OVN_GENEVE_OPTION_CLASS,
    optionType: OVN_GENEVE_OPTION_TYPE,
    optionValue: ((keys.ingressPort << 16) | keys.egressPort) >>> 0,
  };
}

export function sttContext(keys: LogicalTunnelKeys): bigint {
  validateTunnelKeys(keys);
  return (BigInt(keys.ingressPort) << 40n) | (BigInt(keys.egressPort) << 24n) | BigInt(keys.datapath);
}

export function vxlanVni(keys: { readonly datapath: number; readonly egressPort: number }): number {
  check('datapath tunnel key (VXLAN)', keys.datapath, MAX_VXLAN_DATAPATH_KEY, 1);
  check('egress port tunnel key (VXLAN)', keys.egressPort, MAX_VXLAN_EGRESS_PORT_KEY);
  return (keys.egressPort << 12) | keys.datapath;
}

/** Every encapsulation's metadata for one set of keys. */
export function tunnelMetadataFromKeys(keys: LogicalTunnelKeys): TunnelMetadata {
  const geneve = geneveMetadata(keys);
  const fitsVxlan = keys.datapath <= MAX_VXLAN_DATAPATH_KEY && keys.egressPort <= MAX_VXLAN_EGRESS_PORT_KEY;
  return { keys, geneve, stt: sttContext(keys), vxlanVni: fitsVxlan ? vxlanVni(keys) : undefined };
}

/** Decodes the keys back from the Geneve VNI and option value (for tests and inspection). */
export function keysFromGeneve(vni: number, optionValue: number): LogicalTunnelKeys {
  return { datapath: vni & MAX_DATAPATH_KEY, ingressPort: (optionValue >>> 16) & MAX_INGRESS_PORT_KEY, egressPort: optionValue & 0xffff };
}

/** Decodes the keys back from an STT context. */
export function keysFromStt(context: bigint): LogicalTunnelKeys {
  return {
    datapath: Number(context & 0xff_ffffn),
    egressPort: Number((context >> 24n) & 0xffffn),
    ingressPort: Number((context >> 40n) & 0x7fffn),
  };
}
