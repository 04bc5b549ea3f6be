// The codec check the Windows leg runs on both runtimes: every frame a real ovs-vswitchd made
// (fixtures/codecs/ovs-frames.json and its pcaps) decoded, then encoded again from the decoded parameters, and
// one frame segmented into STT. The test compares node.exe's results with the same routines run on Linux, and
// the re-encoded frames with OVS's own bytes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  GeneveDecoder, GeneveEncoder, GeneveResult, readPcap, Reason, reasonName, SttReassembler, SttResult, SttSegmenter, VxlanDecoder,
  VxlanEncoder, VxlanResult,
} from '../../../codecs/index.js';

interface Capture {
  name: string; pcap: string; tunnel: 'geneve' | 'vxlan'; src: string; dst: string; vni: number;
  ovnOption: string | null; udpChecksum: boolean; inner: string;
}

export interface CodecCheck {
  name: string;
  /** The frame as OVS wrote it. */
  ovs: string;
  /** What the decoder read from it. */
  decoded: { reason: string; vni: number; srcPort: number; inner: string; ovnIngress?: number; ovnEgress?: number };
  /** The frame our encoder made from the decoded parameters. */
  encoded: string;
}

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** The flow-hash argument that makes the encoder choose `port` (OVS took it from its own packet hash). */
function hashForPort(port: number, min = 32768, max = 61000): number {
  return Math.ceil(((port - min) * 4294967296) / (max - min + 1));
}

/** `fixtures` is the directory of ovs-frames.json (a Linux path, or its Z:\ form under Wine). */
export function runCodecCheck(fixtures: string): CodecCheck[] {
  const meta = JSON.parse(readFileSync(join(fixtures, 'ovs-frames.json'), 'utf8')) as { underlayMac: string; remoteMac: string; captures: Capture[] };
  return meta.captures.map((c) => {
    const file = readPcap(new Uint8Array(readFileSync(join(fixtures, c.pcap))));
    const rec = file.records[0];
    const frame = file.bytes.subarray(rec.offset, rec.offset + rec.length);
    const outer = { srcMac: meta.underlayMac, dstMac: meta.remoteMac, src: c.src, dst: c.dst, udpChecksum: c.udpChecksum, flowLabel: 0 };
    const buf = new Uint8Array(512);
    const innerOff = 256;
    let decoded: CodecCheck['decoded'];
    let start: number;
    let innerLength: number;
    if (c.tunnel === 'geneve') {
      const out = new GeneveResult();
      const reason = new GeneveDecoder().decode(frame, 0, frame.length, out);
      const inner = frame.subarray(out.innerOffset, out.innerOffset + out.innerLength);
      decoded = { reason: reasonName(reason), vni: out.vni, srcPort: out.srcPort, inner: hex(inner),
        ...(out.ovn ? { ovnIngress: out.ovnIngress, ovnEgress: out.ovnEgress } : {}) };
      buf.set(inner, innerOff);
      innerLength = inner.length;
      const enc = new GeneveEncoder({ outer, ovn: out.ovn, vni: out.vni });
      const r = out.ovn
        ? enc.encapOvn(buf, innerOff, inner.length, out.vni, out.ovnIngress, out.ovnEgress, hashForPort(out.srcPort))
        : enc.encap(buf, innerOff, inner.length, hashForPort(out.srcPort));
      if (r !== Reason.Ok) throw new Error(`${c.name}: encap ${reasonName(r)}`);
      start = innerOff - enc.headerLength;
    } else {
      const out = new VxlanResult();
      const reason = new VxlanDecoder().decode(frame, 0, frame.length, out);
      const inner = frame.subarray(out.innerOffset, out.innerOffset + out.innerLength);
      decoded = { reason: reasonName(reason), vni: out.vni, srcPort: out.srcPort, inner: hex(inner) };
      buf.set(inner, innerOff);
      innerLength = inner.length;
      const enc = new VxlanEncoder({ outer, vni: out.vni });
      const r = enc.encap(buf, innerOff, inner.length, hashForPort(out.srcPort));
      if (r !== Reason.Ok) throw new Error(`${c.name}: encap ${reasonName(r)}`);
      start = innerOff - enc.headerLength;
    }
    return { name: c.name, ovs: hex(frame), decoded, encoded: hex(buf.subarray(start, innerOff + innerLength)) };
  });
}

/**
 * STT (no OVS reference here: the userspace datapath has no STT): one 3000-byte frame segmented with fixed inputs,
 * then reassembled by the default reassembler (its checksums summed by WebAssembly SIMD where the runtime has it), once
 * with a corrupted segment among the good ones.
 */
export interface SttCheck {
  reason: string;
  segments: string[];
  reassembly: { simdChecksum: boolean; reasons: string[]; innerMatches: boolean; corrupted: string };
}

export function runSttCheck(): SttCheck {
  const inner = new Uint8Array(3000);
  inner.set([0x0a, 0x58, 0x0a, 0, 0, 5, 0x0a, 0x58, 0x0a, 0, 0, 4, 0x08, 0x00]);
  for (let i = 14; i < inner.length; i++) inner[i] = (i * 7 + 3) & 0xff;
  const seg = new SttSegmenter({
    outer: { srcMac: 'aa:55:aa:55:00:01', dstMac: 'f8:bc:12:44:34:b6', src: '172.31.1.1', dst: '172.31.1.2' },
    mss: 1448, initialPacketId: 0x01020304,
  });
  const ovn = seg.setOvn(5, 3, 4);
  if (ovn !== Reason.Ok) throw new Error(`setOvn ${reasonName(ovn)}`);
  const stride = 1600;
  const out = new Uint8Array(seg.bytesNeeded(inner.length, stride));
  const reason = seg.segment(inner, 0, inner.length, out, 0, stride, 0x12345678);
  const segments = Array.from({ length: seg.segmentCount }, (_, i) => hex(out.subarray(i * stride, i * stride + seg.segmentLengths[i])));
  const ra = new SttReassembler({ memoryBudget: 1 << 20 });
  const result = new SttResult();
  const reasons = segments.map((_, i) => reasonName(ra.push(out, i * stride, seg.segmentLengths[i], 0, result)));
  const innerMatches = hex(result.frameBuffer.subarray(result.innerOffset, result.innerOffset + result.innerLength)) === hex(inner);
  // the next frame, its second segment with one payload byte changed
  seg.segment(inner, 0, inner.length, out, 0, stride, 0x12345678);
  out[stride + 100] ^= 0x20;
  const corrupted = reasonName(ra.push(out, stride, seg.segmentLengths[1], 0, result));
  return { reason: reasonName(reason), segments, reassembly: { simdChecksum: ra.simdChecksum, reasons, innerMatches, corrupted } };
}
