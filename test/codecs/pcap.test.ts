import test from 'ava';
import { PcapWriter, readPcap } from '../../codecs/index.js';

function twoFrames(): Uint8Array {
  const writer = new PcapWriter();
  writer.add(Uint8Array.of(1, 2, 3, 4), 0, 4, 1_000_001);
  writer.add(Uint8Array.of(5, 6, 7), 0, 3, 2_000_002);
  return writer.toBytes();
}

test('what PcapWriter writes, readPcap reads back: frames, timestamps', (t) => {
  const file = readPcap(twoFrames());
  t.is(file.records.length, 2);
  t.deepEqual([...file.bytes.subarray(file.records[1].offset, file.records[1].offset + file.records[1].length)], [5, 6, 7]);
  t.is(file.records[1].seconds, 2);
  t.is(file.records[1].fraction, 2);
});

test('a capture still being written: a half-written tail is an error by default, the end of the list when tolerated', (t) => {
  const whole = twoFrames();
  for (const cut of [whole.length - 1, whole.length - 3 - 8]) {
    const partial = whole.subarray(0, cut);
    t.throws(() => readPcap(partial), { message: /truncated record/ });
    t.is(readPcap(partial, { truncatedTail: 'ignore' }).records.length, 1);
  }
  t.throws(() => readPcap(whole.subarray(0, 10)), { message: /shorter than its 24-byte header/ });
  t.is(readPcap(whole.subarray(0, 10), { truncatedTail: 'ignore' }).records.length, 0);
});
