// Run by zero-alloc.integration.test.ts in a child process started with a 1 MB young generation
// (node --max-semi-space-size=1): every hot-path call of the codecs, after warm-up, in loops of hundreds of
// thousands of packets, counting the garbage collections that happen during each loop.
//
// Why this catches any per-packet allocation: V8 only collects when an allocation does not fit. With a 1 MB
// semi-space, a loop of 500,000 packets that allocates even one 16-byte heap number per packet (8 MB) runs
// the scavenger at least 8 times; a loop that allocates nothing cannot trigger a collection at all (there is
// no allocation for it to fail on). The heap growth over a loop with no collection is what it allocated.
// Prints one JSON line: [{ name, packets, gcs, heapGrowth }].
//
// Addresses, ports and keys are chosen above 2^31 / 2^15 where they can be: uint32 fields beyond the small
// integer range are where a number would be boxed into a fresh heap object if a field or a return lost its
// unboxed representation.
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import {
  GeneveDecoder, GeneveEncoder, GeneveResult, SttReassembler, SttResult, SttSegmenter, VxlanDecoder, VxlanEncoder,
  VxlanResult, flowHash, Reason, type OuterSpec,
} from '../../codecs/index.js';
import { setPacketId } from '../../bench/codecs/stt-relabel.js';

const OUTER4: OuterSpec = { srcMac: 'fe:00:00:00:00:01', dstMac: 'fe:00:00:00:00:02', src: '192.168.200.1', dst: '203.0.113.250', ipId: 'counter' };
const OUTER6: OuterSpec = { srcMac: 'fe:00:00:00:00:01', dstMac: 'fe:00:00:00:00:02', src: 'fd00::c0a8:1', dst: 'fd00::cb00:71fa' };
const HEAD = 256;

let gcs = 0;
const observer = new PerformanceObserver((list) => { gcs += list.getEntries().length; });
observer.observe({ entryTypes: ['gc'] });
const flush = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));

/** An inner IPv4/UDP frame with addresses and ports in the upper half of their ranges. */
function innerFrame(buf: Uint8Array, off: number, len: number): void {
  for (let i = 0; i < len; i++) buf[off + i] = (i * 131 + 7) & 0xff;
  buf[off + 12] = 0x08; buf[off + 13] = 0x00;
  const ip = off + 14;
  buf[ip] = 0x45; buf[ip + 2] = (len - 14) >> 8; buf[ip + 3] = (len - 14) & 0xff; buf[ip + 6] = 0; buf[ip + 7] = 0; buf[ip + 9] = 17;
  buf.set([200, 1, 2, 3, 250, 4, 5, 6, 0xfe, 0x01, 0xff, 0x02], ip + 12);
}

/** Loop sums stay int32, so the harness itself never boxes a number. */
let sink = 0;

interface Result { name: string; packets: number; gcs: number; heapGrowth: number }

/**
 * Bytes in use in the young generation, where every object a packet could allocate is born. Not the whole heap:
 * an optimising compile that happens during a loop puts code and deoptimisation data in other spaces, which is
 * not the packet's allocation (seen as ~100 KB of heapUsed on a loaded machine, with no GC).
 */
function newSpaceUsed(): number {
  for (const space of getHeapSpaceStatistics()) if (space.space_name === 'new_space') return space.space_used_size;
  throw new Error('no new_space in v8.getHeapSpaceStatistics()');
}

/** What two back-to-back readings differ by with nothing in between: the reading's own result objects. */
const MEASUREMENT_BYTES = (() => { const a = newSpaceUsed(); return newSpaceUsed() - a; })();
const results: Result[] = [];

/**
 * A full collection before each case's warm-up (node --expose-gc), so that no collection the earlier code started
 * is still pending when the measured loop runs: V8 marks the old generation incrementally and finishes the cycle
 * through an interrupt at the next stack check, which can land inside a loop that allocates nothing (seen once under
 * load: 1 GC, heap 144 bytes as in the runs without one). Before the warm-up, not between it and the loop: a
 * collection there can drop optimised code, and the loop then starts unoptimised (18 KB seen).
 */
const fullGc = (globalThis as { gc?: () => void }).gc;
if (fullGc === undefined) throw new Error('run with node --expose-gc');

async function run(name: string, packets: number, loop: (n: number) => number): Promise<void> {
  fullGc?.();
  for (let i = 0; i < 3; i++) sink = (sink + loop(Math.ceil(packets / 5))) | 0;
  await flush();
  const g0 = gcs;
  const h0 = newSpaceUsed();
  const s = loop(packets);
  const h1 = newSpaceUsed();
  await flush();
  sink = (sink + s) | 0;
  results.push({ name, packets, gcs: gcs - g0, heapGrowth: h1 - h0 - MEASUREMENT_BYTES });
}

const N = Number(process.argv[2] ?? 500_000);

for (const [label, outer] of [['ipv4', OUTER4], ['ipv6+udp checksum', OUTER6]] as const) {
  const size = 64;
  const buf = new Uint8Array(HEAD + size);
  innerFrame(buf, HEAD, size);
  const enc = new GeneveEncoder({ outer, ovn: true, vni: 0xfedcba });
  await run(`geneve encapOvn ${label}`, N, (n) => {
    let s = 0;
    for (let i = 0; i < n; i++) s = (s + enc.encapOvn(buf, HEAD, size, 0xffff00 + (i & 0xff), 0x7f00 + (i & 0xff), 0xff00 + (i & 0xff))) | 0;
    return s;
  });
  await run(`geneve encap ${label}`, N, (n) => {
    let s = 0;
    for (let i = 0; i < n; i++) s = (s + enc.encap(buf, HEAD, size)) | 0;
    return s;
  });
  const dec = new GeneveDecoder();
  const out = new GeneveResult();
  const start = HEAD - enc.headerLength;
  const len = enc.headerLength + size;
  if (dec.decode(buf, start, len, out) !== Reason.Ok) throw new Error(`geneve ${label} does not decode`);
  await run(`geneve decode ${label}`, N, (n) => {
    let s = 0;
    for (let i = 0; i < n; i++) s = (s + dec.decode(buf, start, len, out) + out.ovnEgress + out.vni + (out.dstAddr4 & 1)) | 0;
    return s;
  });
  const venc = new VxlanEncoder({ outer, vni: 0xfedcba });
  await run(`vxlan encapOvn ${label}`, N, (n) => {
    let s = 0;
    for (let i = 0; i < n; i++) s = (s + venc.encapOvn(buf, HEAD, size, 0xf00 + (i & 0xff), 0xf00 + (i & 0xff))) | 0;
    return s;
  });
  const vdec = new VxlanDecoder();
  const vout = new VxlanResult();
  const vstart = HEAD - venc.headerLength;
  const vlen = venc.headerLength + size;
  if (vdec.decode(buf, vstart, vlen, vout) !== Reason.Ok) throw new Error(`vxlan ${label} does not decode`);
  await run(`vxlan decode ${label}`, N, (n) => {
    let s = 0;
    for (let i = 0; i < n; i++) s = (s + vdec.decode(buf, vstart, vlen, vout) + vout.vni + (vout.srcAddr4 & 1)) | 0;
    return s;
  });
}

{
  const size = 64;
  const buf = new Uint8Array(HEAD + size);
  innerFrame(buf, HEAD, size);
  await run('flowHash', N, (n) => {
    let s = 0;
    for (let i = 0; i < n; i++) s = (s + flowHash(buf, HEAD, size)) | 0;
    return s;
  });
}

{
  // STT: 8 KB frames (6 segments each) through the segmenter and the reassembler
  const innerLen = 8192;
  const seg = new SttSegmenter({ outer: OUTER4, mss: 1448, initialPacketId: 0xfffffff0 });
  seg.setOvn(0xffffff, 0x7fff, 0xffff);
  const inner = new Uint8Array(innerLen);
  innerFrame(inner, 0, innerLen);
  const stride = 1536;
  const frames = 8;
  const frameBytes = seg.bytesNeeded(innerLen, stride);
  const all = new Uint8Array(frames * frameBytes);
  const frameCount = Math.ceil(N / 50);
  await run('stt segment (frames)', frameCount, (n) => {
    let s = 0;
    for (let i = 0; i < n; i++) s = (s + seg.segment(inner, 0, innerLen, all, (i & (frames - 1)) * frameBytes, stride) + seg.segmentCount) | 0;
    return s;
  });
  const counts = new Int32Array(frames);
  const lens = new Int32Array(frames * seg.maxSegments);
  for (let f = 0; f < frames; f++) {
    seg.segment(inner, 0, innerLen, all, f * frameBytes, stride);
    counts[f] = seg.segmentCount;
    for (let k = 0; k < seg.segmentCount; k++) lens[f * seg.maxSegments + k] = seg.segmentLengths[k];
  }
  const ra = new SttReassembler({ memoryBudget: 1 << 20 });
  const out = new SttResult();
  const maxSeg = seg.maxSegments;
  // each frame pushed gets its own packet id (the reassembler would take a repeated one for a late duplicate); a
  // packet id beyond 2^31, where a lost unboxed representation would show
  let id = 0xfffff000;
  await run('stt reassemble (frames)', frameCount, (n) => {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const f = i & (frames - 1);
      id = (id + 1) >>> 0;
      for (let k = 0; k < counts[f]; k++) {
        const at = f * frameBytes + k * stride;
        setPacketId(all, at, id);
        s = (s + ra.push(all, at, lens[f * maxSeg + k], 0, out)) | 0;
      }
    }
    return s + out.innerLength + ra.counters.framesReassembled;
  });
  if (ra.counters.framesReassembled < frameCount || ra.counters.duplicates !== 0) throw new Error(`stt reassembly delivered ${ra.counters.framesReassembled} frames, ${ra.counters.duplicates} duplicates`);
}

observer.disconnect();
process.stdout.write(`${JSON.stringify(results)}\n`);
if (sink === 0.5) process.stdout.write('unreachable\n');
