// STT reassembly under interleaving and duplication (issue 12, item 10): frames delivered, not speed. With the
// default reassembler (4 MiB, 1,024 entries):
// - 10,000 flows of 32 KB frames, their segments interleaved round-robin (segment 0 of every flow, then segment 1,
//   ...): 320 MB in flight at once, 80x the budget, so at most the frames that fit can complete; the measure is how
//   close the reassembler gets to that (a FIFO eviction completes almost none);
// - 2,000 frames whose every segment arrives twice in a row: all should be delivered.
import { Reason, SttReassembler, SttResult, SttSegmenter, type OuterSpec } from '../../codecs/index.js';
import type { BenchMeasurement } from '../result.js';

const OUTER: OuterSpec = { srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', src: '10.0.0.1', dst: '10.0.0.2' };
const STRIDE = 1536;

export interface DeliveryFigures { measurements: Array<Omit<BenchMeasurement, 'suite'> & { suite: string }>; notes: string[] }

/** Segments of frames of `innerLength` bytes with consecutive packet ids, produced one frame at a time. */
function frameSource(innerLength: number) {
  const seg = new SttSegmenter({ outer: OUTER, initialPacketId: 1000 });
  const inner = new Uint8Array(innerLength);
  for (let i = 0; i < innerLength; i++) inner[i] = (i * 7 + 3) & 0xff;
  const dst = new Uint8Array(seg.bytesNeeded(innerLength, STRIDE));
  return {
    seg, inner, dst,
    /** Writes frame `k`'s segments into dst (packet id 1001 + k). */
    frame(k: number): number {
      seg.packetId = 1000 + k;
      if (seg.segment(inner, 0, innerLength, dst, 0, STRIDE) !== Reason.Ok) throw new Error('segment');
      return seg.segmentCount;
    },
  };
}

/**
 * Rewrites the packet id (the TCP ACK field) of the segment at buf[start] and fixes its TCP checksum incrementally
 * (RFC 1624): one frame's segments stand for every flow's without keeping 10,000 frames in memory.
 */
function setPacketId(buf: Uint8Array, start: number, id: number): void {
  const tcp = start + 34;
  let sum = (~((buf[tcp + 16] << 8) | buf[tcp + 17])) & 0xffff;
  for (let w = 0; w < 2; w++) {
    const at = tcp + 8 + 2 * w;
    const old = (buf[at] << 8) | buf[at + 1];
    const now = w === 0 ? id >>> 16 : id & 0xffff;
    sum += (~old & 0xffff) + now;
    buf[at] = now >>> 8; buf[at + 1] = now & 0xff;
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const c = ~sum & 0xffff;
  buf[tcp + 16] = c >>> 8; buf[tcp + 17] = c & 0xff;
}

export function sttUnderInterleaving(quick: boolean): DeliveryFigures {
  const measurements: DeliveryFigures['measurements'] = [];
  const notes: string[] = [];
  const out = new SttResult();

  // round-robin over many flows: one frame's segments, each re-labelled with the flow's packet id before its push
  const flows = quick ? 2000 : 10000;
  const src = frameSource(32 * 1024 - 18);
  const perFrame = src.frame(0);
  const ra = new SttReassembler();
  let delivered = 0;
  for (let k = 0; k < perFrame; k++) {
    for (let f = 0; f < flows; f++) {
      setPacketId(src.dst, k * STRIDE, 5000 + f);
      if (ra.push(src.dst, k * STRIDE, src.seg.segmentLengths[k], 0, out) === Reason.Ok) delivered++;
    }
  }
  const capacity = Math.floor(ra.memoryBudget / (32 * 1024));
  const name = `stt reassembly, ${flows} flows interleaved (32 KB frames, default 4 MiB / 1024 entries)`;
  measurements.push({ suite: 'codecs', case: name, subject: 'ovn-overlay', metric: 'frames delivered', value: delivered, unit: `frames of ${flows}` });
  measurements.push({ suite: 'codecs', case: name, subject: 'ovn-overlay', metric: 'evictions', value: ra.counters.evicted, unit: 'entries' });
  notes.push(`${name}: ${delivered} delivered; ${capacity} frames of 32 KB fit in the budget at once, the most any bounded reassembler can complete when every flow is in flight; ${ra.counters.evicted} evictions`);

  // every segment twice in a row
  const frames = quick ? 400 : 2000;
  const dup = frameSource(16 * 1024);
  const ra2 = new SttReassembler();
  let dupDelivered = 0;
  for (let f = 0; f < frames; f++) {
    const n = dup.frame(f);
    for (let k = 0; k < n; k++) {
      for (let copy = 0; copy < 2; copy++) {
        if (ra2.push(dup.dst, k * STRIDE, dup.seg.segmentLengths[k], 0, out) === Reason.Ok) dupDelivered++;
      }
    }
  }
  const dupName = `stt reassembly, ${frames} frames with every segment twice`;
  measurements.push({ suite: 'codecs', case: dupName, subject: 'ovn-overlay', metric: 'frames delivered', value: dupDelivered, unit: `frames of ${frames}` });
  notes.push(`${dupName}: ${dupDelivered} delivered`);
  return { measurements, notes };
}
