// Issue 12, item 10: STT reassembly delivered nothing in two ordinary situations. Every segment sent twice: one exact
// duplicate dropped the whole partial frame (2,000 of 2,000 frames lost). 10,000 interleaved flows with the default
// 4 MiB / 1,024 entries: 1 frame of 10,000 delivered (222,725 evictions), since each new frame evicted the oldest,
// which was always one segment short. The scenarios are bench/codecs/interleaving.ts's (the bench reports them).
import test from 'ava';
import { Reason } from '../../codecs/index.js';
import { deliveredUnderInterleaving, deliveredWithDuplicates } from '../../bench/codecs/interleaving.js';

test('every segment sent twice: every frame is delivered, each duplicate counted and ignored', (t) => {
  const { delivered, reassembler } = deliveredWithDuplicates(2000, 16 * 1024);
  t.is(delivered, 2000);
  // 12 segments per frame, each once more: 11 seen in flight, the last one after its frame was delivered
  t.is(reassembler.counters.duplicates, 2000 * 12);
  t.is(reassembler.counters.drops[Reason.SttOverlap], 0);
  t.is(reassembler.entries, 0);
});

test('10,000 flows interleaved round-robin with the defaults: the frames that fit are completed, not evicted', (t) => {
  const { delivered, reassembler } = deliveredUnderInterleaving(10_000, 32_000);
  // 4 MiB holds 126 frames of 32,018 bytes at once (63 slots of 64 KiB + 8 bytes, two 32 KiB blocks each)
  t.is(delivered, 126, `${delivered} delivered`);
  t.is(reassembler.counters.evicted, 0);
  t.true(reassembler.counters.drops[Reason.SttNoRoom] > 0);
});
