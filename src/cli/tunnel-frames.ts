// Decodes the frames of a capture with the fast codecs (Geneve, VXLAN, STT with reassembly) into plain,
// printable descriptions; the inner frame is described with the readable inspector.
import {
  ETHERTYPE_TEB, GENEVE_CRITICAL, GeneveDecoder, GeneveResult, OVN_GENEVE_CLASS, OVN_GENEVE_TYPE, Reason, SttReassembler,
  SttResult, VxlanDecoder, VxlanResult, formatIpv4, formatIpv6, inspectFrame, reasonName, type OuterInfo,
} from '../../codecs/index.js';

export type TunnelType = 'geneve' | 'vxlan' | 'stt';

export interface GeneveOptionText {
  optionClass: number;
  type: number;
  data: string;
  /** A critical option (type bit 0x80) that OVN does not know: a receiver must drop the frame (RFC 8926 3.5.1). */
  unknownCritical?: boolean;
}

/** The inner frame's addresses (for naming the pods that sent and receive it). */
export interface InnerAddresses {
  srcMac: string;
  dstMac: string;
  srcIp?: string;
  dstIp?: string;
}

export interface DecodedFrame {
  /** 1-based record number in the capture (for STT: of the segment that completed the frame). */
  index: number;
  tunnel?: TunnelType;
  outer?: { src: string; dst: string; srcPort: number; dstPort: number; vlan?: number };
  vni?: number;
  /** OVN's keys: Geneve VNI + option, STT context; for VXLAN only with `vxlanAsOvn` (no ingress). */
  ovn?: { datapath: number; ingress?: number; egress: number };
  geneveOptions?: GeneveOptionText[];
  sttContext?: bigint;
  sttSegments?: number;
  inner?: string;
  innerLength?: number;
  innerAddresses?: InnerAddresses;
  /** Geneve: the frame carries a critical option OVN does not know (shown, flagged: OVS would drop it). */
  unknownCritical?: boolean;
  /** Why the frame was not decoded (a codecs Reason name, or "not a tunnel frame"). */
  error?: string;
}

export interface TunnelDecodeOptions {
  genevePort?: number;
  vxlanPort?: number;
  sttPort?: number;
}

const NOT_MINE: ReadonlySet<number> = new Set([Reason.WrongPort, Reason.WrongProtocol, Reason.NotIp]);

function hex(buf: Uint8Array, off: number, len: number): string {
  return Buffer.from(buf.buffer, buf.byteOffset + off, len).toString('hex');
}

function outerOf(buf: Uint8Array, info: OuterInfo): DecodedFrame['outer'] {
  const v4 = info.ipVersion === 4;
  return {
    src: v4 ? formatIpv4(info.srcAddr4) : formatIpv6(buf, info.srcAddrOffset),
    dst: v4 ? formatIpv4(info.dstAddr4) : formatIpv6(buf, info.dstAddrOffset),
    srcPort: info.srcPort,
    dstPort: info.dstPort,
    ...(info.vlanTci >= 0 ? { vlan: info.vlanTci & 0xfff } : {}),
  };
}

/** The MACs and IP addresses of an inner Ethernet frame. */
export function innerAddresses(frame: Uint8Array): InnerAddresses | undefined {
  const f = inspectFrame(frame);
  if (!f.ethernet) return undefined;
  const ip = f.ipv4 ?? f.ipv6;
  return { srcMac: f.ethernet.src, dstMac: f.ethernet.dst, ...(ip ? { srcIp: ip.src, dstIp: ip.dst } : {}) };
}

/** A one-line description of an inner Ethernet frame: MACs, IP addresses, L4 ports. */
export function describeInner(frame: Uint8Array): string {
  const f = inspectFrame(frame);
  const parts: string[] = [];
  if (f.ethernet) parts.push(`${f.ethernet.src} > ${f.ethernet.dst}${f.ethernet.vlan ? ` vlan ${f.ethernet.vlan.vid}` : ''}`);
  if (f.ipv4) parts.push(`IPv4 ${f.ipv4.src} > ${f.ipv4.dst}`);
  else if (f.ipv6) parts.push(`IPv6 ${f.ipv6.src} > ${f.ipv6.dst}`);
  else if (f.ethernet) parts.push(`ethertype 0x${f.ethernet.etherType.toString(16).padStart(4, '0')}`);
  if (f.udp) parts.push(`UDP ${f.udp.srcPort} > ${f.udp.dstPort}`);
  else if (f.tcp) parts.push(`TCP ${f.tcp.srcPort} > ${f.tcp.dstPort}`);
  else if (f.ipv4?.protocol === 1 || f.ipv6?.nextHeader === 58) parts.push('ICMP');
  return parts.join(', ');
}

/** The STT frames whose segments are being counted at most (the reassembler bounds its own memory likewise). */
const MAX_STT_FRAMES_COUNTED = 4096;

/**
 * Decodes the records of a capture one at a time, in order (STT segments are reassembled across records):
 * what `decode` and `decodeCapture` use, so a capture of any length is decoded in constant memory.
 */
export class TunnelFrameDecoder {
  private readonly geneve: GeneveDecoder;
  private readonly vxlan: VxlanDecoder;
  private readonly stt: SttReassembler;
  private readonly g = new GeneveResult();
  private readonly v = new VxlanResult();
  private readonly s = new SttResult();
  /** Segments seen so far of each STT frame not yet complete (oldest dropped past MAX_STT_FRAMES_COUNTED). */
  private readonly sttSegments = new Map<number, number>();

  constructor(private readonly options: TunnelDecodeOptions & { vxlanAsOvn?: boolean } = {}) {
    this.geneve = new GeneveDecoder({ port: options.genevePort });
    this.vxlan = new VxlanDecoder({ port: options.vxlanPort });
    this.stt = new SttReassembler({ port: options.sttPort });
  }

  /**
   * The frame in buf[offset, offset+length), record number `index` (1-based); undefined for an STT segment
   * that does not complete a frame yet.
   */
  decode(buf: Uint8Array, offset: number, length: number, index: number): DecodedFrame | undefined {
    const { g, v, s } = this;
    let r: Reason = this.geneve.decode(buf, offset, length, g);
    // A frame with a critical option OVN does not know is decoded all the same (the decoder fills everything
    // before saying so) and shown flagged: a receiver drops it, which is worth seeing rather than hiding.
    const unknownCritical = r === Reason.GeneveUnknownCriticalOption && !g.oam && g.protocolType === ETHERTYPE_TEB;
    if (r === Reason.Ok || unknownCritical) {
      const options: GeneveOptionText[] = [];
      for (let k = 0; k < g.optionCount; k++) {
        const q = g.optionOffsets[k];
        const optionClass = (buf[q] << 8) | buf[q + 1];
        const type = buf[q + 2];
        const unknown = (type & GENEVE_CRITICAL) !== 0 && !(optionClass === OVN_GENEVE_CLASS && type === OVN_GENEVE_TYPE);
        options.push({ optionClass, type, data: hex(buf, q + 4, (buf[q + 3] & 0x1f) << 2), ...(unknown ? { unknownCritical: true } : {}) });
      }
      const inner = buf.subarray(g.innerOffset, g.innerOffset + g.innerLength);
      const addresses = innerAddresses(inner);
      return {
        index, tunnel: 'geneve', outer: outerOf(buf, g), vni: g.vni,
        ...(g.ovn ? { ovn: { datapath: g.vni, ingress: g.ovnIngress, egress: g.ovnEgress } } : {}),
        geneveOptions: options, inner: describeInner(inner), innerLength: g.innerLength,
        ...(addresses ? { innerAddresses: addresses } : {}),
        ...(unknownCritical ? { unknownCritical: true } : {}),
      };
    }
    if (!NOT_MINE.has(r)) return { index, tunnel: 'geneve', error: reasonName(r) };
    r = this.vxlan.decode(buf, offset, length, v);
    if (r === Reason.Ok) {
      const inner = buf.subarray(v.innerOffset, v.innerOffset + v.innerLength);
      const addresses = innerAddresses(inner);
      return {
        index, tunnel: 'vxlan', outer: outerOf(buf, v), vni: v.vni,
        ...(this.options.vxlanAsOvn ? { ovn: { datapath: v.ovnDatapath, egress: v.ovnEgress } } : {}),
        inner: describeInner(inner), innerLength: v.innerLength,
        ...(addresses ? { innerAddresses: addresses } : {}),
      };
    }
    if (!NOT_MINE.has(r)) return { index, tunnel: 'vxlan', error: reasonName(r) };
    r = this.stt.push(buf, offset, length, index, s);
    if (r === Reason.Pending) {
      const counted = this.sttSegments.get(s.packetId);
      if (counted === undefined && this.sttSegments.size >= MAX_STT_FRAMES_COUNTED) {
        this.sttSegments.delete(this.sttSegments.keys().next().value as number);
      }
      this.sttSegments.set(s.packetId, (counted ?? 0) + 1);
      return undefined;
    }
    if (r === Reason.Ok) {
      const segments = (this.sttSegments.get(s.packetId) ?? 0) + 1;
      this.sttSegments.delete(s.packetId);
      const inner = s.frameBuffer.subarray(s.innerOffset, s.innerOffset + s.innerLength).slice();
      const addresses = innerAddresses(inner);
      return {
        index, tunnel: 'stt', outer: outerOf(buf, s),
        sttContext: (BigInt(s.contextHi) << 32n) | BigInt(s.contextLo), sttSegments: segments,
        ...(s.ovn ? { ovn: { datapath: s.ovnDatapath, ingress: s.ovnIngress, egress: s.ovnEgress } } : {}),
        inner: describeInner(inner), innerLength: s.innerLength,
        ...(addresses ? { innerAddresses: addresses } : {}),
      };
    }
    return { index, ...(NOT_MINE.has(r) ? { error: 'not a Geneve, VXLAN or STT frame' } : { tunnel: 'stt' as const, error: reasonName(r) }) };
  }
}
