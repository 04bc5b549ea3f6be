// The slow, readable twin of the hot path: binary-parser descriptions of the same headers. Tests compare the
// fast decoders with it, and users call inspectFrame() to look at a packet. Allocates freely.

// the CommonJS build carries the type declarations (the ESM entry has none)
import { Parser } from 'binary-parser/dist/binary_parser.js';
import { formatMac } from './ethernet.js';
import { formatIpv4 } from './ipv4.js';
import { formatIpv6 } from './ipv6.js';

const ethernet = new Parser()
  .buffer('dst', { length: 6 })
  .buffer('src', { length: 6 })
  .uint16be('etherType');

const vlanTag = new Parser()
  .bit3('pcp')
  .bit1('dei')
  .bit12('vid')
  .uint16be('etherType');

const ipv4 = new Parser()
  .bit4('version')
  .bit4('ihl')
  .uint8('tos')
  .uint16be('totalLength')
  .uint16be('id')
  .bit1('reserved')
  .bit1('df')
  .bit1('mf')
  .bit13('fragmentOffset')
  .uint8('ttl')
  .uint8('protocol')
  .uint16be('checksum')
  .uint32be('src')
  .uint32be('dst');

const ipv6 = new Parser()
  .bit4('version')
  .bit8('trafficClass')
  .bit20('flowLabel')
  .uint16be('payloadLength')
  .uint8('nextHeader')
  .uint8('hopLimit')
  .buffer('src', { length: 16 })
  .buffer('dst', { length: 16 });

const udp = new Parser()
  .uint16be('srcPort')
  .uint16be('dstPort')
  .uint16be('length')
  .uint16be('checksum');

const tcp = new Parser()
  .uint16be('srcPort')
  .uint16be('dstPort')
  .uint32be('seq')
  .uint32be('ack')
  .bit4('dataOffset')
  .bit6('reserved')
  .bit6('flags')
  .uint16be('window')
  .uint16be('checksum')
  .uint16be('urgent');

const geneveOption = new Parser()
  .uint16be('optionClass')
  .uint8('type')
  .bit3('reserved')
  .bit5('length')
  // binary-parser calls length functions with `this` bound to the object being parsed
  .buffer('data', { length: function (this: { length: number }) { return this.length * 4; } });

const geneve = new Parser()
  .bit2('version')
  .bit6('optionsLength')
  .bit1('oam')
  .bit1('critical')
  .bit6('reserved')
  .uint16be('protocolType')
  .bit24('vni')
  .uint8('reserved2')
  .array('options', { type: geneveOption, lengthInBytes: function (this: { optionsLength: number }) { return this.optionsLength * 4; } });

const vxlan = new Parser()
  .uint8('flags')
  .bit24('reserved')
  .bit24('vni')
  .uint8('reserved2');

const sttHeader = new Parser()
  .uint8('version')
  .uint8('flags')
  .uint8('l4Offset')
  .uint8('reserved')
  .uint16be('mss')
  .bit3('pcp')
  .bit1('v')
  .bit12('vlanId')
  .uint64be('contextId')
  .uint16be('padding');

export interface InspectOptions {
  genevePort?: number;
  vxlanPort?: number;
  sttPort?: number;
}

export interface InspectedFrame {
  ethernet?: { dst: string; src: string; etherType: number; vlan?: { pcp: number; dei: number; vid: number } };
  ipv4?: { version: number; ihl: number; tos: number; totalLength: number; id: number; df: number; mf: number;
    fragmentOffset: number; ttl: number; protocol: number; checksum: number; src: string; dst: string };
  ipv6?: { version: number; trafficClass: number; flowLabel: number; payloadLength: number; nextHeader: number;
    hopLimit: number; src: string; dst: string };
  udp?: { srcPort: number; dstPort: number; length: number; checksum: number };
  tcp?: { srcPort: number; dstPort: number; seq: number; ack: number; dataOffset: number; flags: number;
    window: number; checksum: number; urgent: number };
  geneve?: { version: number; optionsLength: number; oam: number; critical: number; protocolType: number; vni: number;
    options: Array<{ optionClass: number; type: number; length: number; data: string }> };
  vxlan?: { flags: number; vni: number };
  /** For STT, the SEQ/ACK reading; the STT header only on the segment at offset 0. */
  stt?: { frameLength: number; segmentOffset: number; packetId: number; header?: { version: number; flags: number;
    l4Offset: number; mss: number; pcp: number; v: number; vlanId: number; contextId: bigint } };
  /** Where the tunnel payload (inner frame, or STT segment data) starts and how long it is. */
  payload?: { offset: number; length: number };
  error?: string;
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** Decodes an outer Ethernet frame down to the tunnel header, the readable way. */
export function inspectFrame(frame: Uint8Array, options: InspectOptions = {}): InspectedFrame {
  const res: InspectedFrame = {};
  const buf = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  try {
    let p = 0;
    const eth = ethernet.parse(buf) as { dst: Buffer; src: Buffer; etherType: number };
    p = 14;
    res.ethernet = { dst: formatMac(eth.dst), src: formatMac(eth.src), etherType: eth.etherType };
    if (eth.etherType === 0x8100 || eth.etherType === 0x88a8) {
      const tag = vlanTag.parse(buf.subarray(p)) as { pcp: number; dei: number; vid: number; etherType: number };
      res.ethernet.vlan = { pcp: tag.pcp, dei: tag.dei, vid: tag.vid };
      res.ethernet.etherType = tag.etherType;
      p += 4;
    }
    let l4: number; let l4End: number; let proto: number;
    if (res.ethernet.etherType === 0x0800) {
      const ip = ipv4.parse(buf.subarray(p)) as Omit<NonNullable<InspectedFrame['ipv4']>, 'src' | 'dst'> & { src: number; dst: number };
      res.ipv4 = { ...ip, src: formatIpv4(ip.src), dst: formatIpv4(ip.dst) };
      delete (res.ipv4 as { reserved?: number }).reserved;
      l4 = p + ip.ihl * 4;
      l4End = p + ip.totalLength;
      proto = ip.protocol;
    } else if (res.ethernet.etherType === 0x86dd) {
      const ip = ipv6.parse(buf.subarray(p)) as Omit<NonNullable<InspectedFrame['ipv6']>, 'src' | 'dst'> & { src: Buffer; dst: Buffer };
      res.ipv6 = { ...ip, src: formatIpv6(ip.src), dst: formatIpv6(ip.dst) };
      l4 = p + 40;
      l4End = l4 + ip.payloadLength;
      proto = ip.nextHeader;
    } else {
      return res;
    }
    if (l4End > buf.length) throw new Error('IP length beyond the frame');
    if (proto === 17) {
      const u = udp.parse(buf.subarray(l4, l4End)) as NonNullable<InspectedFrame['udp']>;
      res.udp = u;
      const t = l4 + 8;
      const end = l4 + u.length;
      if (u.dstPort === (options.genevePort ?? 6081)) {
        const g = geneve.parse(buf.subarray(t, end)) as Omit<NonNullable<InspectedFrame['geneve']>, 'options'> & {
          options: Array<{ optionClass: number; type: number; length: number; data: Buffer }> };
        res.geneve = { version: g.version, optionsLength: g.optionsLength, oam: g.oam, critical: g.critical,
          protocolType: g.protocolType, vni: g.vni,
          options: g.options.map((o) => ({ optionClass: o.optionClass, type: o.type, length: o.length, data: hex(o.data) })) };
        const inner = t + 8 + g.optionsLength * 4;
        res.payload = { offset: inner, length: end - inner };
      } else if (u.dstPort === (options.vxlanPort ?? 4789)) {
        const v = vxlan.parse(buf.subarray(t, end)) as { flags: number; vni: number };
        res.vxlan = { flags: v.flags, vni: v.vni };
        res.payload = { offset: t + 8, length: end - t - 8 };
      }
    } else if (proto === 6) {
      const h = tcp.parse(buf.subarray(l4, l4End)) as NonNullable<InspectedFrame['tcp']>;
      delete (h as { reserved?: number }).reserved;
      res.tcp = h;
      if (h.dstPort === (options.sttPort ?? 7471)) {
        const data = l4 + h.dataOffset * 4;
        const frameLength = h.seq >>> 16;
        const segmentOffset = h.seq & 0xffff;
        res.stt = { frameLength, segmentOffset, packetId: h.ack };
        if (segmentOffset === 0) {
          const s = sttHeader.parse(buf.subarray(data, l4End)) as NonNullable<NonNullable<InspectedFrame['stt']>['header']> & { reserved: number; padding: number };
          res.stt.header = { version: s.version, flags: s.flags, l4Offset: s.l4Offset, mss: s.mss, pcp: s.pcp, v: s.v, vlanId: s.vlanId, contextId: s.contextId };
        }
        res.payload = { offset: data, length: l4End - data };
      }
    }
  } catch (e) {
    res.error = e instanceof Error ? e.message : String(e);
  }
  return res;
}
