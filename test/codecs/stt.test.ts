import test from 'ava';
import {
  inspectFrame, Reason, reasonName, STT_FLAG_IPV4, STT_FLAG_TCP, SttReassembler, SttResult, SttSegmenter, sum16,
} from '../../codecs/index.js';
import { OUTER4, OUTER6, rng, writeInner } from './helpers.js';

const STRIDE = 2048;

function makeFrame(len: number, seed: number): Uint8Array {
  const b = new Uint8Array(len);
  writeInner(b, 0, len, rng(seed));
  return b;
}

function segmentOne(seg: SttSegmenter, inner: Uint8Array): Uint8Array {
  const dst = new Uint8Array(seg.bytesNeeded(inner.length, STRIDE) + 16);
  const r = seg.segment(inner, 0, inner.length, dst, 0, STRIDE);
  if (r !== Reason.Ok) throw new Error(reasonName(r));
  return dst;
}

function innerOf(out: SttResult): Uint8Array {
  return out.frameBuffer.subarray(out.innerOffset, out.innerOffset + out.innerLength);
}

test('segmentation: SEQ, ACK, lengths, checksums; reassembly gives back the frame and the OVN keys', (t) => {
  for (const outer of [OUTER4, OUTER6]) {
    const seg = new SttSegmenter({ outer, initialPacketId: 41 });
    t.is(seg.setOvn(0xfedcba, 0x7fff, 0xabcd), Reason.Ok);
    seg.flags = STT_FLAG_IPV4 | STT_FLAG_TCP;
    const inner = makeFrame(65517, 5);
    const dst = segmentOne(seg, inner);
    const f = 65517 + 18;
    t.is(seg.segmentCount, Math.ceil(f / 1448));
    t.is(seg.packetId, 42);
    const ra = new SttReassembler();
    const out = new SttResult();
    for (let i = 0; i < seg.segmentCount; i++) {
      const s = i * STRIDE;
      const len = seg.segmentLengths[i];
      const ins = inspectFrame(dst.subarray(s, s + len));
      t.is(ins.tcp?.seq, ((f << 16) | (i * 1448)) >>> 0);
      t.is(ins.tcp?.ack, 42);
      t.is(ins.tcp?.flags, 0x18);
      t.is(ins.tcp?.dataOffset, 5);
      t.is(ins.tcp?.dstPort, 7471);
      if (i === 0) {
        t.is(ins.stt?.header?.version, 0);
        t.is(ins.stt?.header?.flags, 0x0c);
        t.is(ins.stt?.header?.contextId, (0x7fffn << 40n) | (0xabcdn << 24n) | 0xfedcban);
      }
      const r = ra.push(dst, s, len, 0, out);
      t.is(r, i === seg.segmentCount - 1 ? Reason.Ok : Reason.Pending);
    }
    t.is(Buffer.compare(Buffer.from(innerOf(out)), Buffer.from(inner)), 0);
    t.true(out.ovn);
    t.deepEqual([out.ovnDatapath, out.ovnIngress, out.ovnEgress], [0xfedcba, 0x7fff, 0xabcd]);
    t.is(out.flags, 0x0c);
    t.is(ra.counters.framesReassembled, 1);
    t.is(ra.entries, 0);
  }
});

test('a single-segment frame is delivered zero copy from the caller buffer', (t) => {
  const seg = new SttSegmenter({ outer: OUTER4 });
  const inner = makeFrame(200, 1);
  const dst = segmentOne(seg, inner);
  t.is(seg.segmentCount, 1);
  const ra = new SttReassembler();
  const out = new SttResult();
  t.is(ra.push(dst, 0, seg.segmentLengths[0], 0, out), Reason.Ok);
  t.is(out.frameBuffer, dst);
  t.is(Buffer.compare(Buffer.from(innerOf(out)), Buffer.from(inner)), 0);
  t.is(ra.counters.framesSingleSegment, 1);
});

test('out-of-order and interleaved frames reassemble; a bad checksum drops only that segment', (t) => {
  const seg = new SttSegmenter({ outer: OUTER4 });
  const a = makeFrame(10000, 2); const b = makeFrame(7000, 3);
  const da = segmentOne(seg, a); const na = seg.segmentCount; const la = Array.from(seg.segmentLengths.subarray(0, na));
  const db = segmentOne(seg, b); const nb = seg.segmentCount; const lb = Array.from(seg.segmentLengths.subarray(0, nb));
  const ra = new SttReassembler();
  const out = new SttResult();
  const order: Array<[Uint8Array, number, number]> = [];
  for (let i = na - 1; i >= 0; i--) order.push([da, i * STRIDE, la[i]]);
  for (let i = 0; i < nb; i++) order.splice(2 * i + 1, 0, [db, i * STRIDE, lb[i]]);
  // corrupt one segment of b first: it is dropped and the later good copy completes the frame
  const bad = new Uint8Array(db.subarray(STRIDE, STRIDE + lb[1]));
  bad[100] ^= 1;
  t.is(ra.push(bad, 0, bad.length, 0, out), Reason.BadL4Checksum);
  const done: Uint8Array[] = [];
  for (const [buf, off, len] of order) {
    const r = ra.push(buf, off, len, 0, out);
    if (r === Reason.Ok) done.push(innerOf(out).slice());
    else t.is(r, Reason.Pending);
  }
  t.is(done.length, 2);
  t.true(done.some((d) => Buffer.compare(Buffer.from(d), Buffer.from(a)) === 0));
  t.true(done.some((d) => Buffer.compare(Buffer.from(d), Buffer.from(b)) === 0));
  t.is(ra.counters.drops[Reason.BadL4Checksum], 1);
});

test('an exact duplicate is ignored; an overlap with other bytes or an inconsistent length drops the frame, with counters', (t) => {
  const seg = new SttSegmenter({ outer: OUTER4 });
  const inner = makeFrame(5000, 4);
  const d = segmentOne(seg, inner);
  const lens = Array.from(seg.segmentLengths.subarray(0, seg.segmentCount));
  const ra = new SttReassembler();
  const out = new SttResult();
  t.is(ra.push(d, 0, lens[0], 0, out), Reason.Pending);
  t.is(ra.push(d, 0, lens[0], 0, out), Reason.Pending, 'the same segment again: a duplicate, the frame kept');
  t.is(ra.counters.duplicates, 1);
  t.is(ra.entries, 1);
  // the same range with other bytes (checksum fixed): the frame is dropped
  const other0 = new Uint8Array(d.subarray(0, lens[0]));
  other0[200] ^= 0x55;
  fixTcpChecksum(other0);
  t.is(ra.push(other0, 0, other0.length, 0, out), Reason.SttOverlap);
  t.is(ra.entries, 0);
  // inconsistent: same packet id, another frame length
  t.is(ra.push(d, 0, lens[0], 0, out), Reason.Pending);
  const other = new Uint8Array(d.subarray(STRIDE, STRIDE + lens[1]));
  const tcp = 34;
  other[tcp + 5] ^= 0x04; // frame length field
  other[tcp + 16] = 0; other[tcp + 17] = 0;
  const c = fixTcpChecksum(other);
  t.true(c);
  t.is(ra.push(other, 0, other.length, 0, out), Reason.SttInconsistent);
  t.is(ra.counters.drops[Reason.SttOverlap], 1);
  t.is(ra.counters.drops[Reason.SttInconsistent], 1);
  // a segment claiming bytes beyond the frame length
  const beyond = new Uint8Array(d.subarray(STRIDE, STRIDE + lens[1]));
  beyond[tcp + 6] = 0xff; beyond[tcp + 7] = 0x00;
  fixTcpChecksum(beyond);
  t.is(ra.push(beyond, 0, beyond.length, 0, out), Reason.SttBadLength);
});

function fixTcpChecksum(seg: Uint8Array): boolean {
  const tcp = 34; const len = seg.length - tcp;
  seg[tcp + 16] = 0; seg[tcp + 17] = 0;
  let s = sum16(seg, 26, 8) + 6 + len + sum16(seg, tcp, len);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  const c = ~s & 0xffff;
  seg[tcp + 16] = c >> 8; seg[tcp + 17] = c & 0xff;
  return true;
}

test('a full reassembler keeps the frames closest to completion, gives way to idle ones, expires on the caller clock, and never grows', (t) => {
  const seg = new SttSegmenter({ outer: OUTER4 });
  const ra = new SttReassembler({ memoryBudget: 256 * 1024, timeoutMs: 10_000, idleMs: 1000 });
  const out = new SttResult();
  const arenaBytes = ra.arena.length;
  t.true(arenaBytes <= 256 * 1024);
  const inner = makeFrame(60000, 9);
  // first segments of 100 frames of 60 KB: 3 fit (64 KiB + 8 bytes each); the others are refused, not swapped in
  const results: string[] = [];
  for (let k = 0; k < 100; k++) {
    const d = segmentOne(seg, inner);
    results.push(reasonName(ra.push(d, 0, seg.segmentLengths[0], k, out)));
  }
  t.deepEqual(results.slice(0, 3), ['Pending', 'Pending', 'Pending']);
  t.true(results.slice(3).every((r) => r === 'SttNoRoom'), results.join());
  t.is(ra.entries, 3);
  t.is(ra.counters.evicted, 0);
  t.is(ra.counters.drops[Reason.SttNoRoom], 97);
  // a frame closer to completion than those (a small one) takes the place of one of them
  const small = makeFrame(3000, 10);
  const ds = segmentOne(seg, small);
  let r: number = Reason.Pending;
  for (let i = 0; i < seg.segmentCount; i++) r = ra.push(ds, i * STRIDE, seg.segmentLengths[i], 100, out);
  t.is(r, Reason.Ok);
  t.is(ra.counters.evicted, 1);
  // its memory came back; one new frame takes it
  const first = segmentOne(seg, inner);
  t.is(ra.push(first, 0, seg.segmentLengths[0], 1200, out), Reason.Pending);
  t.is(ra.counters.evicted, 1);
  // the two first frames have been idle for idleMs: any new frame may take their place
  const d = segmentOne(seg, inner);
  for (let i = 0; i < seg.segmentCount; i++) r = ra.push(d, i * STRIDE, seg.segmentLengths[i], 1200, out);
  t.is(r, Reason.Ok);
  t.is(Buffer.compare(Buffer.from(innerOf(out)), Buffer.from(inner)), 0);
  t.true(ra.counters.evicted >= 2);
  t.is(ra.arena.length, arenaBytes);
  ra.expire(20_000);
  t.is(ra.entries, 0);
  t.true(ra.counters.expired >= 1);
  // maxEntries bounds the table too: 8 frames in flight, the rest refused
  const few = new SttReassembler({ maxEntries: 8 });
  const two = makeFrame(3000, 1);
  for (let k = 0; k < 50; k++) {
    const dd = segmentOne(seg, two);
    few.push(dd, 0, seg.segmentLengths[0], 0, out);
  }
  t.is(few.entries, 8);
  t.is(few.counters.drops[Reason.SttNoRoom], 42);
});

test('too many disjoint ranges drop the frame', (t) => {
  const seg = new SttSegmenter({ outer: OUTER4, mss: 64 });
  const inner = makeFrame(4000, 11);
  const dst = new Uint8Array(seg.bytesNeeded(inner.length, 256));
  t.is(seg.segment(inner, 0, inner.length, dst, 0, 256), Reason.Ok);
  const ra = new SttReassembler({ maxRanges: 4 });
  const out = new SttResult();
  const results: number[] = [];
  for (let i = 0; i < 12; i += 2) results.push(ra.push(dst, i * 256, seg.segmentLengths[i], 0, out));
  t.deepEqual(results.map(reasonName), ['Pending', 'Pending', 'Pending', 'Pending', 'SttTooManySegments', 'Pending']);
});

test('segmenter argument checks', (t) => {
  const seg = new SttSegmenter({ outer: OUTER4 });
  const inner = new Uint8Array(70000);
  const dst = new Uint8Array(200000);
  t.is(seg.segment(inner, 0, 65518, dst, 0, STRIDE), Reason.FrameTooLarge);
  t.is(seg.segment(inner, 0, 65517, dst, 0, STRIDE), Reason.Ok);
  t.is(seg.segment(inner, 0, 1000, dst, 0, 1000), Reason.BufferTooSmall);
  t.is(seg.segment(inner, 0, 65517, dst, 150000, STRIDE), Reason.BufferTooSmall);
  t.is(seg.segment(inner, 69999, 2, dst, 0, STRIDE), Reason.InvalidArgument);
  t.is(seg.setOvn(0x1000000, 0, 0), Reason.KeyOutOfRange);
  t.is(seg.setOvn(0, 0x8000, 0), Reason.KeyOutOfRange);
});

test('segmentation through the WebAssembly SIMD stage writes the bytes the plain-JS path writes, and nothing between segments', (t) => {
  const r = rng(21);
  for (let k = 0; k < 120; k++) {
    const mss = k % 4 === 0 ? 64 + Math.floor(r() * 1500) : 1448;
    const outer = k % 3 === 0 ? OUTER6 : OUTER4;
    const simd = new SttSegmenter({ outer, mss, initialPacketId: k });
    const plain = new SttSegmenter({ outer, mss, initialPacketId: k, simdChecksum: false });
    t.true(simd.simdChecksum, 'WebAssembly SIMD is available here (Node 20 and 22 on x86-64)');
    t.false(plain.simdChecksum);
    for (const s of [simd, plain]) { t.is(s.setOvn(k, 3, 4), Reason.Ok); s.flags = STT_FLAG_IPV4; }
    const len = k < 10 ? k * 7 : k % 5 === 0 ? 65517 : Math.floor(r() * 65518);
    // the inner frame alone in its array (one native copy), or inside a larger one at an odd offset
    const whole = k % 2 === 0;
    const srcOffset = whole ? 0 : 1 + Math.floor(r() * 9);
    const src = new Uint8Array(srcOffset + len + (whole ? 0 : 5));
    writeInner(src, srcOffset, len, r);
    const stride = simd.headerLength + mss + (k % 3) * 4 + (k % 5);
    const dstOffset = Math.floor(r() * 8);
    const need = dstOffset + simd.bytesNeeded(len, stride);
    const a = new Uint8Array(need + 8).fill(0xa5);
    const b = new Uint8Array(need + 8).fill(0xa5);
    t.is(simd.segment(src, srcOffset, len, a, dstOffset, stride, 99), Reason.Ok);
    t.is(plain.segment(src, srcOffset, len, b, dstOffset, stride, 99), Reason.Ok);
    t.is(simd.segmentCount, plain.segmentCount);
    t.deepEqual(Array.from(simd.segmentLengths.subarray(0, simd.segmentCount)), Array.from(plain.segmentLengths.subarray(0, plain.segmentCount)));
    t.true(Buffer.compare(a, b) === 0, `frame ${k}: ${len} bytes, mss ${mss}, stride ${stride}, ${whole ? 'whole array' : `offset ${srcOffset}`}`);
    // the gaps between segments and the bytes around them are untouched
    for (let i = 0; i < simd.segmentCount; i++) {
      const end = dstOffset + i * stride + simd.segmentLengths[i];
      const next = i + 1 < simd.segmentCount ? dstOffset + (i + 1) * stride : a.length;
      for (let j = end; j < next; j++) if (a[j] !== 0xa5) { t.fail(`frame ${k}: byte ${j} written between segments`); break; }
    }
    for (let j = 0; j < dstOffset; j++) t.is(a[j], 0xa5);
  }
});
