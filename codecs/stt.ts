// STT (draft-davie-stt-08): segmentation of one inner frame into TCP-like segments (reassembly: stt-reassembler.ts).
// No per-packet allocation.
//
// TCP-like header: source port (inner-flow hash), destination port 7471, SEQ = STT frame length << 16 |
// offset of this segment in the STT frame, ACK = packet id (same for all segments of a frame), data offset 5,
// flags ACK|PSH, window 0xffff, checksum over the pseudo-header, urgent pointer 0.
// STT frame = 18-byte STT header + inner Ethernet frame:
//   version(8)=0 | flags(8) | L4 offset(8) | reserved(8) | MSS(16) | PCP(3) V(1) VLAN ID(12) |
//   context ID(64) | padding(16)
// Flags as OVS and Wireshark implement them: 0x01 checksum verified, 0x02 checksum partial, 0x04 inner IPv4,
// 0x08 inner TCP.

import { isHash, isIndex } from './arguments.js';
import { add16, copyBytes, copySum16, fold, sum16 } from './checksum.js';
import { createSimdSummer, type SimdSummer } from './checksum-simd.js';
import { flowHash } from './flow-hash.js';
import { IPPROTO_TCP } from './ipv4.js';
import { ovnFromSttContext, ovnKeysValid, ovnSttContextHi, ovnSttContextLo } from './ovn-metadata.js';
import { emitOuter, OuterInfo, OuterTemplate, typedArraySet, type OuterSpec } from './outer.js';
import { Reason } from './reason.js';

export const STT_PORT = 7471;
export const STT_HEADER_LENGTH = 18;
export const STT_TCP_HEADER_LENGTH = 20;
/** The largest STT frame (header + inner frame): SEQ carries its length in 16 bits. */
export const STT_MAX_FRAME_LENGTH = 65535;
export const STT_MAX_INNER_LENGTH = STT_MAX_FRAME_LENGTH - STT_HEADER_LENGTH;
export const STT_FLAG_CSUM_VERIFIED = 0x01;
export const STT_FLAG_CSUM_PARTIAL = 0x02;
export const STT_FLAG_IPV4 = 0x04;
export const STT_FLAG_TCP = 0x08;
const TCP_FLAGS_ACK_PSH = 0x18;

export interface SttSegmenterOptions {
  outer: OuterSpec;
  /** TCP payload bytes per segment (default 1448, i.e. a 1500-byte outer IPv4 MTU). */
  mss?: number;
  /** First packet id (ACK field); default random. Incremented per frame. */
  initialPacketId?: number;
  /**
   * Stage each frame in a WebAssembly memory and sum its segments there with SIMD (default true; used where
   * WebAssembly SIMD is available; false: the plain-JS copy-and-sum, the same bytes).
   */
  simdChecksum?: boolean;
}

/**
 * Splits one inner Ethernet frame into STT segments written into a caller buffer: segment i starts at
 * dstOffset + i * stride and is segmentLengths[i] bytes long. Set the STT header fields of the next frame
 * (flags, context, ...) on the object before calling segment(); they stay until changed.
 */
export class SttSegmenter {
  declare readonly template: OuterTemplate;
  /** Outer header bytes per segment (Ethernet, IP, TCP). */
  declare readonly headerLength: number;
  declare readonly mss: number;
  declare readonly maxSegments: number;
  declare readonly segmentLengths: Int32Array;
  segmentCount = 0;
  /** Packet id of the frame last segmented. */
  declare packetId: number;
  flags = 0;
  l4Offset = 0;
  /** The STT header's MSS field (segmentation offload for the receiver; 0 when not used). */
  headerMss = 0;
  /** PCP(3) | V(1) | VLAN ID(12). */
  vlanTci = 0;
  contextHi = 0;
  contextLo = 0;
  private declare readonly tcpConstSum: number;
  /** The frame stage and its checksum (WebAssembly memory), or null: plain JS. */
  private declare readonly simd: SimdSummer | null;
  /** Views of the stage, one per whole-MSS segment (made once: copying from them is one native memcpy each). */
  private declare readonly stageViews: Uint8Array[];
  /** Segments are staged and summed by WebAssembly SIMD (see SttSegmenterOptions.simdChecksum). */
  declare readonly simdChecksum: boolean;

  constructor(options: SttSegmenterOptions) {
    const mss = options.mss ?? 1448;
    if (!Number.isInteger(mss) || mss < 64 || mss > 65495) throw new RangeError('mss must be an integer in 64..65495');
    this.mss = mss;
    const t = new OuterTemplate(options.outer, IPPROTO_TCP, STT_TCP_HEADER_LENGTH, 0, STT_PORT);
    this.template = t;
    this.headerLength = t.headerLength;
    const b = t.bytes;
    const tcp = t.l4Offset;
    b[tcp + 12] = 5 << 4;
    b[tcp + 13] = TCP_FLAGS_ACK_PSH;
    b[tcp + 14] = 0xff; b[tcp + 15] = 0xff;
    this.tcpConstSum = sum16(b, tcp, STT_TCP_HEADER_LENGTH);
    this.maxSegments = Math.ceil(STT_MAX_FRAME_LENGTH / mss);
    this.segmentLengths = new Int32Array(this.maxSegments);
    this.packetId = (options.initialPacketId ?? Math.floor(Math.random() * 4294967296)) >>> 0;
    const simd = options.simdChecksum !== false ? createSimdSummer(STT_MAX_FRAME_LENGTH + 1) : null;
    this.simd = simd;
    this.simdChecksum = simd !== null;
    const views: Uint8Array[] = [];
    if (simd !== null) {
      const stage = simd.bytes;
      for (let at = 0; at + mss <= stage.length; at += mss) views.push(stage.subarray(at, at + mss));
    }
    this.stageViews = views;
  }

  /** Sets the source port range of subsequent frames (see OuterSpec.srcPortMin); InvalidArgument keeps the old one. */
  setSourcePortRange(min: number, max: number): Reason {
    return this.template.setSourcePortRange(min, max);
  }

  /** Sets the 64-bit context (two uint32 halves). */
  setContext(hi: number, lo: number): void {
    this.contextHi = hi >>> 0;
    this.contextLo = lo >>> 0;
  }

  /** Sets OVN's keys in the context: reserved(9) | ingress(15) | egress(16) | datapath(24). */
  setOvn(datapath: number, ingress: number, egress: number): Reason {
    if (!ovnKeysValid(datapath, ingress, egress)) return Reason.KeyOutOfRange;
    this.contextHi = ovnSttContextHi(ingress, egress);
    this.contextLo = ovnSttContextLo(egress, datapath);
    return Reason.Ok;
  }

  /** Bytes needed in the destination buffer for a frame of `innerLength` bytes with this stride. */
  bytesNeeded(innerLength: number, stride: number): number {
    const f = innerLength + STT_HEADER_LENGTH;
    const n = Math.ceil(f / this.mss);
    return (n - 1) * stride + this.headerLength + (f - (n - 1) * this.mss);
  }

  /**
   * Segments src[srcOffset, srcOffset+innerLength) (an inner Ethernet frame). For the fast copy keep
   * srcOffset ≡ dstOffset (mod 4) (absolute addresses) and stride a multiple of 4.
   */
  segment(src: Uint8Array, srcOffset: number, innerLength: number, dst: Uint8Array, dstOffset: number, stride: number, hash?: number): Reason {
    const t = this.template;
    const mss = this.mss;
    const hl = t.headerLength;
    if (!(src instanceof Uint8Array) || !(dst instanceof Uint8Array)) return Reason.InvalidArgument;
    if (!isIndex(srcOffset) || !isIndex(innerLength) || srcOffset + innerLength > src.length) return Reason.InvalidArgument;
    if (!isIndex(dstOffset) || !isIndex(stride) || (hash !== undefined && !isHash(hash))) return Reason.InvalidArgument;
    const f = innerLength + STT_HEADER_LENGTH;
    if (f > STT_MAX_FRAME_LENGTH) return Reason.FrameTooLarge;
    if (stride < hl + mss) return Reason.BufferTooSmall;
    const n = Math.ceil(f / mss);
    if (dstOffset + (n - 1) * stride + hl + (f - (n - 1) * mss) > dst.length) return Reason.BufferTooSmall;
    const h = hash === undefined ? flowHash(src, srcOffset, innerLength) : hash;
    const pktId = this.packetId = (this.packetId + 1) >>> 0;
    const pseudo = t.pseudoSum;
    const tcpOff = t.l4Offset;
    const ackSum = (pktId >>> 16) + (pktId & 0xffff);
    // the whole STT frame staged in WebAssembly memory: one native copy when the inner frame is the whole array
    const simd = this.simd;
    if (simd !== null) {
      const stage = simd.bytes;
      this.writeHeader(stage, 0);
      if (srcOffset === 0 && innerLength === src.length) typedArraySet.call(stage, src, STT_HEADER_LENGTH);
      else copyBytes(src, srcOffset, stage, STT_HEADER_LENGTH, innerLength);
    }
    for (let i = 0; i < n; i++) {
      const start = dstOffset + i * stride;
      const frameOff = i * mss;
      const payload = i === n - 1 ? f - frameOff : mss;
      emitOuter(t, dst, start, payload, h);
      const tcp = start + tcpOff;
      // SEQ = frame length << 16 | offset, ACK = packet id
      dst[tcp + 4] = f >>> 8; dst[tcp + 5] = f & 0xff; dst[tcp + 6] = frameOff >>> 8; dst[tcp + 7] = frameOff & 0xff;
      dst[tcp + 8] = pktId >>> 24; dst[tcp + 9] = (pktId >>> 16) & 0xff; dst[tcp + 10] = (pktId >>> 8) & 0xff; dst[tcp + 11] = pktId & 0xff;
      const p = start + hl;
      let dataSum: number;
      if (simd !== null) {
        // a whole-MSS segment is one native copy from its stage view; the last, shorter one is copied by words
        if (payload === mss && i < this.stageViews.length) typedArraySet.call(dst, this.stageViews[i], p);
        else copyBytes(simd.bytes, frameOff, dst, p, payload);
        dataSum = simd.sum(frameOff, payload);
      } else if (i === 0) {
        this.writeHeader(dst, p);
        const first = payload - STT_HEADER_LENGTH;
        dataSum = add16(sum16(dst, p, STT_HEADER_LENGTH), copySum16(src, srcOffset, dst, p + STT_HEADER_LENGTH, first));
      } else {
        dataSum = copySum16(src, srcOffset + frameOff - STT_HEADER_LENGTH, dst, p, payload);
      }
      const srcPort = (dst[tcp] << 8) | dst[tcp + 1];
      const s = pseudo + (STT_TCP_HEADER_LENGTH + payload) + this.tcpConstSum + srcPort + f + frameOff + ackSum + dataSum;
      const c = ~fold(s) & 0xffff;
      dst[tcp + 16] = c >>> 8; dst[tcp + 17] = c & 0xff;
      this.segmentLengths[i] = hl + payload;
    }
    this.segmentCount = n;
    return Reason.Ok;
  }

  private writeHeader(b: Uint8Array, p: number): void {
    b[p] = 0; b[p + 1] = this.flags; b[p + 2] = this.l4Offset; b[p + 3] = 0;
    b[p + 4] = this.headerMss >>> 8; b[p + 5] = this.headerMss & 0xff;
    b[p + 6] = this.vlanTci >>> 8; b[p + 7] = this.vlanTci & 0xff;
    const hi = this.contextHi; const lo = this.contextLo;
    b[p + 8] = hi >>> 24; b[p + 9] = (hi >>> 16) & 0xff; b[p + 10] = (hi >>> 8) & 0xff; b[p + 11] = hi & 0xff;
    b[p + 12] = lo >>> 24; b[p + 13] = (lo >>> 16) & 0xff; b[p + 14] = (lo >>> 8) & 0xff; b[p + 15] = lo & 0xff;
    b[p + 16] = 0; b[p + 17] = 0;
  }
}

/** A reassembled (or single-segment) STT frame; one object reused across calls. */
export class SttResult extends OuterInfo {
  /** SEQ's frame length and offset, and ACK's packet id, of the last segment. */
  frameLengthField = 0;
  segmentOffset = 0;
  packetId = 0;
  /** Where the whole STT frame is: the caller's buffer (single segment) or the reassembler's arena.
   * Valid until the next push(). */
  frameBuffer: Uint8Array = EMPTY;
  frameOffset = 0;
  frameLength = 0;
  version = 0;
  flags = 0;
  sttL4Offset = 0;
  sttMss = 0;
  sttVlanTci = 0;
  contextHi = 0;
  contextLo = 0;
  /** The context read as OVN keys (false when its reserved bits are set). */
  ovn = false;
  ovnDatapath = 0;
  ovnIngress = 0;
  ovnEgress = 0;
  /** The inner Ethernet frame within frameBuffer. */
  innerOffset = 0;
  innerLength = 0;
}
const EMPTY = new Uint8Array(0);

/** Parses the 18-byte STT header of a complete frame buf[p, p+f) into `out`. */
export function readSttHeader(buf: Uint8Array, p: number, f: number, out: SttResult): Reason {
  if (f < STT_HEADER_LENGTH || p + f > buf.length) return Reason.SttBadLength;
  out.frameBuffer = buf;
  out.frameOffset = p;
  out.frameLength = f;
  out.version = buf[p];
  out.flags = buf[p + 1];
  out.sttL4Offset = buf[p + 2];
  out.sttMss = (buf[p + 4] << 8) | buf[p + 5];
  out.sttVlanTci = (buf[p + 6] << 8) | buf[p + 7];
  out.contextHi = ((buf[p + 8] << 24) | (buf[p + 9] << 16) | (buf[p + 10] << 8) | buf[p + 11]) >>> 0;
  out.contextLo = ((buf[p + 12] << 24) | (buf[p + 13] << 16) | (buf[p + 14] << 8) | buf[p + 15]) >>> 0;
  out.innerOffset = p + STT_HEADER_LENGTH;
  out.innerLength = f - STT_HEADER_LENGTH;
  if (out.version !== 0) return Reason.SttBadVersion;
  out.ovn = ovnFromSttContext(out.contextHi, out.contextLo, ovnKeysOut);
  out.ovnDatapath = ovnKeysOut.datapath;
  out.ovnIngress = ovnKeysOut.ingress;
  out.ovnEgress = ovnKeysOut.egress;
  return Reason.Ok;
}
const ovnKeysOut = { datapath: 0, ingress: 0, egress: 0 };
