// Issue 12, item 9: every argument of the hot-path functions is checked, and a bad one is a reason code, never an
// exception and never an Ok on made-up numbers. Before the fix, decode(short, 0, undefined, out) threw a RangeError
// from a DataView, decode(frame, 0, NaN, out) returned Ok, and a fractional offset gave fractional inner offsets.
import test from 'ava';
import {
  GeneveDecoder, GeneveEncoder, GeneveResult, Reason, reasonName, SttReassembler, SttResult, SttSegmenter, VxlanDecoder,
  VxlanEncoder, VxlanResult, decodeVxlanHeader,
} from '../../codecs/index.js';
import { OUTER4, rng, writeInner } from './helpers.js';

/** Values that are not a usable offset or length: each must be refused, whatever the frame. */
const BAD_NUMBERS: unknown[] = [undefined, null, NaN, -1, 0.5, 1.5, Infinity, -Infinity, 2 ** 32, '0', {}, 1n];
/** Values that are not a frame buffer. */
const BAD_BUFFERS: unknown[] = [undefined, null, 0, 'frame', {}, [], new ArrayBuffer(100), new Uint16Array(50), new DataView(new ArrayBuffer(100))];

function geneveFrame(): { buf: Uint8Array; start: number; len: number } {
  const enc = new GeneveEncoder({ outer: OUTER4, ovn: true });
  const buf = new Uint8Array(256);
  writeInner(buf, 128, 100, rng(1));
  if (enc.encapOvn(buf, 128, 100, 1, 2, 3) !== Reason.Ok) throw new Error('encap');
  return { buf, start: 128 - enc.headerLength, len: enc.headerLength + 100 };
}

function vxlanFrame(): { buf: Uint8Array; start: number; len: number } {
  const enc = new VxlanEncoder({ outer: OUTER4, vni: 9 });
  const buf = new Uint8Array(256);
  writeInner(buf, 128, 100, rng(2));
  if (enc.encap(buf, 128, 100) !== Reason.Ok) throw new Error('encap');
  return { buf, start: 128 - enc.headerLength, len: enc.headerLength + 100 };
}

/** Calls f and returns its reason's name; a thrown exception fails the test with what was thrown. */
function reasonOf(t: { fail(message: string): void }, what: string, f: () => number): string {
  try {
    return reasonName(f());
  } catch (error) {
    t.fail(`${what} threw ${String(error)}`);
    return 'threw';
  }
}

type Decode = (buf: unknown, off: unknown, len: unknown, out: unknown) => number;

for (const [name, make, frame, Result] of [
  ['GeneveDecoder.decode', () => new GeneveDecoder(), geneveFrame, GeneveResult],
  ['VxlanDecoder.decode', () => new VxlanDecoder(), vxlanFrame, VxlanResult],
] as const) {
  test(`${name}: a bad offset or length is InvalidArgument, on a short buffer and on a whole frame`, (t) => {
    const dec = make();
    const decode = dec.decode.bind(dec) as unknown as Decode;
    const out = new Result();
    const { buf, start, len } = frame();
    const short = buf.slice(0, 10);
    for (const bad of BAD_NUMBERS) {
      t.is(reasonOf(t, `${name}(short, 0, ${String(bad)})`, () => decode(short, 0, bad, out)), 'InvalidArgument', `short buffer, len ${String(bad)}`);
      t.is(reasonOf(t, `${name}(frame, start, ${String(bad)})`, () => decode(buf, start, bad, out)), 'InvalidArgument', `whole frame, len ${String(bad)}`);
      t.is(reasonOf(t, `${name}(frame, ${String(bad)}, len)`, () => decode(buf, bad, len, out)), 'InvalidArgument', `whole frame, off ${String(bad)}`);
    }
    // a fractional offset is refused, not decoded into fractional inner offsets
    t.is(reasonOf(t, 'fractional', () => decode(buf, start + 0.5, len, out)), 'InvalidArgument');
    // the frame still decodes afterwards, with integer offsets
    t.is(reasonOf(t, 'good', () => decode(buf, start, len, out)), 'Ok');
    t.true(Number.isInteger(out.innerOffset) && Number.isInteger(out.innerLength));
  });

  test(`${name}: a buffer that is not a Uint8Array, or a result of the wrong type, is InvalidArgument`, (t) => {
    const dec = make();
    const decode = dec.decode.bind(dec) as unknown as Decode;
    const { buf, start, len } = frame();
    const out = new Result();
    for (const bad of BAD_BUFFERS) t.is(reasonOf(t, `buffer ${String(bad)}`, () => decode(bad, 0, 10, out)), 'InvalidArgument', `buffer ${Object.prototype.toString.call(bad)}`);
    for (const bad of [undefined, null, {}, 5, Result === GeneveResult ? new VxlanResult() : new GeneveResult()]) {
      t.is(reasonOf(t, `out ${String(bad)}`, () => decode(buf, start, len, bad)), 'InvalidArgument', `out ${Object.prototype.toString.call(bad)}`);
    }
    // and after all that, the same decoder still decodes (its caches were not poisoned)
    t.is(reasonOf(t, 'good', () => decode(buf, start, len, out)), 'Ok');
  });
}

test('GeneveDecoder.decodeTunnel and decodeVxlanHeader check their arguments too', (t) => {
  const g = geneveFrame();
  const dec = new GeneveDecoder();
  const tunnel = dec.decodeTunnel.bind(dec) as unknown as Decode;
  const out = new GeneveResult();
  const p = g.start + 42;
  const end = g.start + g.len;
  for (const bad of BAD_NUMBERS) {
    t.is(reasonOf(t, 'decodeTunnel p', () => tunnel(g.buf, bad, end, out)), 'InvalidArgument', `p ${String(bad)}`);
    t.is(reasonOf(t, 'decodeTunnel end', () => tunnel(g.buf, p, bad, out)), 'InvalidArgument', `end ${String(bad)}`);
  }
  t.is(reasonOf(t, 'decodeTunnel end past the buffer', () => tunnel(g.buf, p, g.buf.length + 1, out)), 'InvalidArgument');
  t.is(reasonOf(t, 'decodeTunnel', () => tunnel(g.buf, p, end, out)), 'Ok');
  t.is(out.ovnEgress, 3);
  const v = vxlanFrame();
  const header = decodeVxlanHeader as unknown as Decode;
  const vout = new VxlanResult();
  for (const bad of BAD_NUMBERS) t.is(reasonOf(t, 'decodeVxlanHeader', () => header(v.buf, bad, v.start + v.len, vout)), 'InvalidArgument', `p ${String(bad)}`);
  for (const bad of BAD_BUFFERS) t.is(reasonOf(t, 'decodeVxlanHeader buffer', () => header(bad, 0, 8, vout)), 'InvalidArgument');
  t.is(reasonOf(t, 'decodeVxlanHeader out', () => header(v.buf, v.start + 42, v.start + v.len, {})), 'InvalidArgument');
  t.is(reasonOf(t, 'decodeVxlanHeader', () => header(v.buf, v.start + 42, v.start + v.len, vout)), 'Ok');
  t.is(vout.vni, 9);
});

test('SttReassembler.push checks the buffer, offset, length, clock and result', (t) => {
  const seg = new SttSegmenter({ outer: OUTER4 });
  const inner = new Uint8Array(3000);
  writeInner(inner, 0, inner.length, rng(3));
  const dst = new Uint8Array(seg.bytesNeeded(inner.length, 2048));
  t.is(seg.segment(inner, 0, inner.length, dst, 0, 2048), Reason.Ok);
  const ra = new SttReassembler();
  const push = ra.push.bind(ra) as unknown as (buf: unknown, off: unknown, len: unknown, now: unknown, out: unknown) => number;
  const out = new SttResult();
  const len0 = seg.segmentLengths[0];
  for (const bad of BAD_NUMBERS) {
    t.is(reasonOf(t, 'push off', () => push(dst, bad, len0, 0, out)), 'InvalidArgument', `off ${String(bad)}`);
    t.is(reasonOf(t, 'push len', () => push(dst, 0, bad, 0, out)), 'InvalidArgument', `len ${String(bad)}`);
    t.is(reasonOf(t, 'push short len', () => push(dst.slice(0, 10), 0, bad, 0, out)), 'InvalidArgument', `short, len ${String(bad)}`);
  }
  for (const bad of [NaN, Infinity, -Infinity, undefined, '0']) t.is(reasonOf(t, 'push now', () => push(dst, 0, len0, bad, out)), 'InvalidArgument', `now ${String(bad)}`);
  for (const bad of BAD_BUFFERS) t.is(reasonOf(t, 'push buffer', () => push(bad, 0, 10, 0, out)), 'InvalidArgument');
  for (const bad of [undefined, null, {}, new GeneveResult()]) t.is(reasonOf(t, 'push out', () => push(dst, 0, len0, 0, bad)), 'InvalidArgument');
  t.is(ra.entries, 0, 'nothing was stored from a refused call');
  // the frame still reassembles
  let r = '';
  for (let i = 0; i < seg.segmentCount; i++) r = reasonOf(t, 'push', () => push(dst, i * 2048, seg.segmentLengths[i], 0, out));
  t.is(r, 'Ok');
  t.is(out.innerLength, inner.length);
});

type Encap = (buf: unknown, innerOffset: unknown, innerLength: unknown, ...rest: unknown[]) => number;

test('encoders: bad buffers, offsets, lengths, keys and hashes are reason codes, and nothing is written', (t) => {
  const genv = new GeneveEncoder({ outer: OUTER4, ovn: true });
  const vx = new VxlanEncoder({ outer: OUTER4 });
  const calls: Array<[string, Encap, unknown[]]> = [
    ['GeneveEncoder.encap', genv.encap.bind(genv) as unknown as Encap, []],
    ['GeneveEncoder.encapOvn', genv.encapOvn.bind(genv) as unknown as Encap, [1, 2, 3]],
    ['VxlanEncoder.encap', vx.encap.bind(vx) as unknown as Encap, []],
    ['VxlanEncoder.encapOvn', vx.encapOvn.bind(vx) as unknown as Encap, [1, 2]],
  ];
  for (const [name, encap, keys] of calls) {
    const buf = new Uint8Array(300);
    writeInner(buf, 128, 100, rng(4));
    const before = buf.slice();
    const refused = (what: string, expected: string, ...args: unknown[]) => {
      t.is(reasonOf(t, `${name} ${what}`, () => encap(...(args as [unknown, unknown, unknown]))), expected, `${name}: ${what}`);
      t.deepEqual(buf, before, `${name}: ${what} wrote nothing`);
    };
    for (const bad of BAD_NUMBERS) {
      refused(`innerOffset ${String(bad)}`, 'InvalidArgument', buf, bad, 100, ...keys);
      refused(`innerLength ${String(bad)}`, 'InvalidArgument', buf, 128, bad, ...keys);
    }
    for (const bad of [NaN, 0.5, 2 ** 33, '1', {}, 1n, null]) refused(`hash ${String(bad)}`, 'InvalidArgument', buf, 128, 100, ...keys, bad);
    for (const bad of BAD_BUFFERS) t.is(reasonOf(t, `${name} buffer`, () => encap(bad, 128, 100, ...keys)), 'InvalidArgument');
    refused('no headroom', 'BufferTooSmall', buf, 10, 100, ...keys);
    refused('past the end', 'BufferTooSmall', buf, 128, 200, ...keys);
    if (keys.length > 0) {
      for (const bad of [NaN, -1, 0.5, 2 ** 24, 1n, undefined, '1']) refused(`key ${String(bad)}`, 'KeyOutOfRange', buf, 128, 100, bad, ...keys.slice(1));
    }
    // a hash given as a signed or unsigned 32-bit integer is taken
    t.is(reasonOf(t, name, () => encap(buf, 128, 100, ...keys, -5)), 'Ok');
    t.is(reasonOf(t, name, () => encap(buf, 128, 100, ...keys, 0xfffffffb)), 'Ok');
  }
});

test('SttSegmenter.segment: bad buffers, offsets, lengths, stride and hash are reason codes', (t) => {
  const seg = new SttSegmenter({ outer: OUTER4 });
  const segment = seg.segment.bind(seg) as unknown as (...args: unknown[]) => number;
  const inner = new Uint8Array(5000);
  writeInner(inner, 0, inner.length, rng(5));
  const dst = new Uint8Array(seg.bytesNeeded(inner.length, 2048));
  for (const bad of BAD_NUMBERS) {
    t.is(reasonOf(t, 'srcOffset', () => segment(inner, bad, 5000, dst, 0, 2048)), 'InvalidArgument', `srcOffset ${String(bad)}`);
    t.is(reasonOf(t, 'innerLength', () => segment(inner, 0, bad, dst, 0, 2048)), 'InvalidArgument', `innerLength ${String(bad)}`);
    t.is(reasonOf(t, 'dstOffset', () => segment(inner, 0, 5000, dst, bad, 2048)), 'InvalidArgument', `dstOffset ${String(bad)}`);
    t.is(reasonOf(t, 'stride', () => segment(inner, 0, 5000, dst, 0, bad)), 'InvalidArgument', `stride ${String(bad)}`);
  }
  for (const bad of [NaN, 0.5, 1n, '1']) t.is(reasonOf(t, 'hash', () => segment(inner, 0, 5000, dst, 0, 2048, bad)), 'InvalidArgument');
  for (const bad of BAD_BUFFERS) {
    t.is(reasonOf(t, 'src', () => segment(bad, 0, 10, dst, 0, 2048)), 'InvalidArgument');
    t.is(reasonOf(t, 'dst', () => segment(inner, 0, 10, bad, 0, 2048)), 'InvalidArgument');
  }
  t.is(reasonOf(t, 'segment', () => segment(inner, 0, 5000, dst, 0, 2048)), 'Ok');
});
