// STT reassembly under interleaving and duplication (issue 12, item 10): frames delivered, not speed. Used by the
// bench (figures) and by test/codecs/stt-delivery (the same scenarios as assertions). With the default reassembler
// (4 MiB, 1,024 entries):
// - flows of 32 KB frames, their segments interleaved round-robin (segment 0 of every flow, then segment 1, ...):
//   10,000 flows put 320 MB in flight at once, 80x the budget, so at most the frames that fit can complete; the
//   measure is how close the reassembler gets to that (a FIFO eviction completed 1 of 10,000);
// - frames whose every segment arrives twice in a row: all should be delivered (the first reassembler lost all).
import { Reason, SttReassembler, SttResult, SttSegmenter, type OuterSpec, type SttReassemblerOptions } from '../../codecs/index.js';
import type { BenchMeasurement } from '../result.js';
import { setPacketId } from './stt-relabel.js';

const OUTER: OuterSpec = { srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', src: '10.0.0.1', dst: '10.0.0.2' };
const STRIDE = 1536;

/** One frame of `innerLength` bytes segmented; frame(k) gives it packet id 1001 + k. */
function frameSource(innerLength: number) {
  const seg = new SttSegmenter({ outer: OUTER, initialPacketId: 1000 });
  const inner = new Uint8Array(innerLength);
  for (let i = 0; i < innerLength; i++) inner[i] = (i * 7 + 3) & 0xff;
  const dst = new Uint8Array(seg.bytesNeeded(innerLength, STRIDE));
  return {
    seg, dst,
    frame(k: number): number {
      seg.packetId = 1000 + k;
      if (seg.segment(inner, 0, innerLength, dst, 0, STRIDE) !== Reason.Ok) throw new Error('segment');
      return seg.segmentCount;
    },
  };
}

export interface Delivery { delivered: number; frames: number; reassembler: SttReassembler }

/** `flows` frames of `frameBytes` inner bytes, segments interleaved round-robin, all at time 0. */
export function deliveredUnderInterleaving(flows: number, frameBytes: number, options: SttReassemblerOptions = {}): Delivery {
  const src = frameSource(frameBytes);
  const perFrame = src.frame(0);
  const ra = new SttReassembler(options);
  const out = new SttResult();
  let delivered = 0;
  for (let k = 0; k < perFrame; k++) {
    for (let f = 0; f < flows; f++) {
      setPacketId(src.dst, k * STRIDE, 5000 + f);
      if (ra.push(src.dst, k * STRIDE, src.seg.segmentLengths[k], 0, out) === Reason.Ok) delivered++;
    }
  }
  return { delivered, frames: flows, reassembler: ra };
}

/** `frames` frames of `frameBytes` inner bytes, one after another, every segment pushed twice in a row. */
export function deliveredWithDuplicates(frames: number, frameBytes: number, options: SttReassemblerOptions = {}): Delivery {
  const src = frameSource(frameBytes);
  const ra = new SttReassembler(options);
  const out = new SttResult();
  let delivered = 0;
  for (let f = 0; f < frames; f++) {
    const n = src.frame(f);
    for (let k = 0; k < n; k++) {
      for (let copy = 0; copy < 2; copy++) {
        if (ra.push(src.dst, k * STRIDE, src.seg.segmentLengths[k], 0, out) === Reason.Ok) delivered++;
      }
    }
  }
  return { delivered, frames, reassembler: ra };
}

export interface DeliveryFigures { measurements: BenchMeasurement[]; notes: string[] }

export function sttUnderInterleaving(quick: boolean): DeliveryFigures {
  const measurements: BenchMeasurement[] = [];
  const notes: string[] = [];
  const flows = quick ? 2000 : 10000;
  const frameBytes = 32_000;
  const rr = deliveredUnderInterleaving(flows, frameBytes);
  const ra = rr.reassembler;
  // the most frames of that size the budget holds at once (a 32 KB frame takes a 32 KiB block)
  const capacity = Math.floor(ra.arena.length / (64 * 1024 + 8)) * 2;
  const name = `stt reassembly, ${flows} flows interleaved (32 KB frames, default 4 MiB / 1024 entries)`;
  const m = (metric: string, value: number, unit: string): BenchMeasurement => ({ suite: 'codecs', case: name, subject: 'ovn-overlay', metric, value, unit });
  measurements.push(m('frames delivered', rr.delivered, `frames of ${flows}`));
  measurements.push(m('frames that fit at once', capacity, 'frames'));
  measurements.push(m('evictions', ra.counters.evicted, 'entries'));
  measurements.push(m('segments refused (no room)', ra.counters.drops[Reason.SttNoRoom], 'segments'));
  notes.push(`${name}: ${rr.delivered} delivered of ${flows}; ${capacity} frames of 32 KB fit in the budget at once, the most any bounded reassembler can complete when every flow is in flight (a FIFO eviction delivered 1 of 10,000); ${ra.counters.evicted} evictions, ${ra.counters.drops[Reason.SttNoRoom]} segments of new frames refused`);

  const frames = quick ? 400 : 2000;
  const dup = deliveredWithDuplicates(frames, 16 * 1024);
  const dupName = `stt reassembly, ${frames} frames with every segment twice`;
  measurements.push({ suite: 'codecs', case: dupName, subject: 'ovn-overlay', metric: 'frames delivered', value: dup.delivered, unit: `frames of ${frames}` });
  measurements.push({ suite: 'codecs', case: dupName, subject: 'ovn-overlay', metric: 'duplicates ignored', value: dup.reassembler.counters.duplicates, unit: 'segments' });
  notes.push(`${dupName}: ${dup.delivered} delivered, ${dup.reassembler.counters.duplicates} duplicate segments ignored`);
  return { measurements, notes };
}
