import test from 'ava';
import { PcapFormatError, PcapStreamReader, PcapWriter, readPcap } from '../../codecs/index.js';

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

/** A pcap file (little- or big-endian) with the given records, each `[caplen, origlen]` of filler bytes. */
function file(records: ReadonlyArray<readonly [number, number]>, { snapLength = 65535, bigEndian = false } = {}): Uint8Array {
  const size = 24 + records.reduce((n, [cap]) => n + 16 + cap, 0);
  const bytes = new Uint8Array(size);
  const dv = new DataView(bytes.buffer);
  const le = !bigEndian;
  dv.setUint32(0, 0xa1b2c3d4, le);
  dv.setUint16(4, 2, le);
  dv.setUint16(6, 4, le);
  dv.setUint32(16, snapLength, le);
  dv.setUint32(20, 1, le);
  let p = 24;
  records.forEach(([cap, orig], i) => {
    dv.setUint32(p, i, le);
    dv.setUint32(p + 8, cap, le);
    dv.setUint32(p + 12, orig, le);
    bytes.fill((i % 250) + 1, p + 16, p + 16 + cap);
    p += 16 + cap;
  });
  return bytes;
}

/** Every record the stream reader hands over when fed `bytes` in chunks of `size`: [seconds, caplen, first byte]. */
function streamed(bytes: Uint8Array, size: number): number[][] {
  const seen: number[][] = [];
  const reader = new PcapStreamReader((buf, r) => { seen.push([r.seconds, r.length, r.length > 0 ? buf[r.offset] : -1, buf[r.offset + r.length - 1] ?? -1]); });
  for (let p = 0; p < bytes.length; p += size) reader.push(bytes.subarray(p, p + size));
  reader.end();
  return seen;
}

test('the stream reader hands over the records readPcap finds, however the file is cut into chunks', (t) => {
  for (const bigEndian of [false, true]) {
    const bytes = file([[60, 60], [0, 42], [1, 1], [1514, 1514], [17, 100], [2000, 2000]], { bigEndian });
    const whole = readPcap(bytes);
    const expected = whole.records.map((r) => [r.seconds, r.length, r.length > 0 ? bytes[r.offset] : -1, bytes[r.offset + r.length - 1] ?? -1]);
    t.is(expected.length, 6);
    for (const size of [1, 2, 3, 7, 15, 16, 17, 23, 24, 25, 100, 1513, 4096, bytes.length]) {
      t.deepEqual(streamed(bytes, size), expected, `chunks of ${size}`);
    }
  }
});

test('a record longer than the snapshot length is read: Open vSwitch writes snaplen 1518 and whole frames', (t) => {
  const bytes = file([[1600, 1600], [9000, 9000]], { snapLength: 1518 });
  t.deepEqual(readPcap(bytes).records.map((r) => r.length), [1600, 9000]);
  t.deepEqual(streamed(bytes, 512).map((r) => r[1]), [1600, 9000]);
});

test('impossible files and records are refused with a code, by both readers, at the first bad header', (t) => {
  const cases: Array<[string, Uint8Array, string, RegExp]> = [
    ['snaplen 0', file([[60, 60]], { snapLength: 0 }), 'PCAP_ZERO_SNAPLEN', /snapshot length 0/],
    ['caplen > orig_len', file([[60, 60], [80, 60]]), 'PCAP_CAPLEN_OVER_ORIGLEN', /record 2 at byte 100: 80 bytes captured of a 60-byte packet/],
    ['a 0-byte packet', file([[0, 0]]), 'PCAP_ZERO_LENGTH_PACKET', /record 1 at byte 24: a packet of 0 bytes/],
    ['a record over 256 KiB', file([[262145, 262145]]), 'PCAP_RECORD_TOO_LONG', /262145 bytes captured, over the 262144/],
    ['pcapng', Uint8Array.of(0x0a, 0x0d, 0x0d, 0x0a, ...new Array<number>(28).fill(0)), 'PCAP_BAD_MAGIC', /bad magic/],
  ];
  for (const [what, bytes, code, message] of cases) {
    t.throws(() => readPcap(bytes), { instanceOf: PcapFormatError, code, message }, `readPcap: ${what}`);
    for (const size of [1, 16, 4096]) {
      t.throws(() => streamed(bytes, size), { instanceOf: PcapFormatError, code, message }, `stream (${size}): ${what}`);
    }
  }
});

test('the stream reader: a file cut short is an error at its end, with where', (t) => {
  const bytes = file([[60, 60], [60, 60]]);
  t.throws(() => streamed(bytes.subarray(0, 10), 4), { code: 'PCAP_SHORT_HEADER' });
  t.throws(() => streamed(bytes.subarray(0, bytes.length - 1), 7), { code: 'PCAP_TRUNCATED', message: /truncated record 2 at byte 100/ });
  t.throws(() => streamed(bytes.subarray(0, 24 + 76 + 5), 7), { code: 'PCAP_TRUNCATED' });
  t.deepEqual(streamed(bytes.subarray(0, 24), 5), [], 'a header and no records is a valid empty capture');
});
