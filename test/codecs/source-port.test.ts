// RFC 8926 section 3.3 (and RFC 7348 section 5 for VXLAN): the outer UDP source port carries the inner flow's
// entropy, so ECMP and RSS spread tunnels over paths and queues while one inner flow keeps one path. Over many inner
// flows the port must vary, stay in the configured range (OVS's `tnl/egress_port_range`, 32768..61000 by
// default), spread evenly, and stay the same for the same flow; STT's TCP source port does the same.
import test from 'ava';
import {
  flowHash, GeneveDecoder, GeneveEncoder, GeneveResult, portFromHash, Reason, SttSegmenter, VxlanDecoder, VxlanEncoder, VxlanResult,
} from '../../codecs/index.js';
import { OUTER4, OUTER6, rng } from './helpers.js';

const HEAD = 128;
const FLOWS = 10_000;

/** An inner IPv4 TCP or UDP frame of flow `k` (random addresses and ports from the seeded generator). */
function innerFlow(buf: Uint8Array, off: number, r: () => number): void {
  buf.fill(0, off, off + 64);
  buf[off + 12] = 0x08; buf[off + 13] = 0x00;
  const ip = off + 14;
  buf[ip] = 0x45; buf[ip + 3] = 50; buf[ip + 8] = 64; buf[ip + 9] = r() < 0.5 ? 6 : 17;
  for (let i = 12; i < 24; i++) buf[ip + i] = Math.floor(r() * 256); // addresses, then the L4 ports
}

type Port = (buf: Uint8Array) => number;

function encoders(): Array<[string, Port]> {
  const gen = new GeneveEncoder({ outer: OUTER4, ovn: true });
  const gdec = new GeneveDecoder(); const gout = new GeneveResult();
  const vx = new VxlanEncoder({ outer: OUTER6 });
  const vdec = new VxlanDecoder(); const vout = new VxlanResult();
  const seg = new SttSegmenter({ outer: OUTER4 });
  const dst = new Uint8Array(2048);
  return [
    ['Geneve over IPv4', (buf) => {
      if (gen.encapOvn(buf, HEAD, 64, 1, 2, 3) !== Reason.Ok) throw new Error('encap');
      if (gdec.decode(buf, HEAD - gen.headerLength, gen.headerLength + 64, gout) !== Reason.Ok) throw new Error('decode');
      return gout.srcPort;
    }],
    ['VXLAN over IPv6', (buf) => {
      if (vx.encapOvn(buf, HEAD, 64, 1, 2) !== Reason.Ok) throw new Error('encap');
      if (vdec.decode(buf, HEAD - vx.headerLength, vx.headerLength + 64, vout) !== Reason.Ok) throw new Error('decode');
      return vout.srcPort;
    }],
    ['STT (TCP source port)', (buf) => {
      if (seg.segment(buf, HEAD, 64, dst, 0, 1536) !== Reason.Ok) throw new Error('segment');
      return (dst[34] << 8) | dst[35];
    }],
  ];
}

for (const [name, port] of encoders()) {
  test(`${name}: the source port follows the inner flow, spread over 32768..61000`, (t) => {
    const r = rng(7);
    const buf = new Uint8Array(HEAD + 64);
    const ports = new Set<number>();
    const buckets = new Array<number>(16).fill(0);
    for (let k = 0; k < FLOWS; k++) {
      innerFlow(buf, HEAD, r);
      const p = port(buf);
      t.true(p >= 32768 && p <= 61000, `port ${p} in range`);
      ports.add(p);
      buckets[Math.floor(((p - 32768) * 16) / (61000 - 32768 + 1))]++;
      // the same flow again: the same port
      if (k % 1000 === 0) t.is(port(buf), p);
    }
    // 10,000 flows thrown uniformly into 28,233 ports land on ~8,400 distinct ones
    t.true(ports.size > 8000, `${ports.size} distinct ports for ${FLOWS} flows`);
    // chi-square over 16 buckets, 15 degrees of freedom: 37.7 is the 0.1% tail
    const expected = FLOWS / 16;
    const chi2 = buckets.reduce((s, n) => s + ((n - expected) ** 2) / expected, 0);
    t.true(chi2 < 37.7, `chi-square ${chi2.toFixed(1)} over ${JSON.stringify(buckets)}`);
  });
}

test('a change of the inner L4 port alone moves the outer source port', (t) => {
  const enc = new GeneveEncoder({ outer: OUTER4, ovn: true });
  const dec = new GeneveDecoder(); const out = new GeneveResult();
  const buf = new Uint8Array(HEAD + 64);
  innerFlow(buf, HEAD, rng(9));
  const seen = new Set<number>();
  for (let sport = 40000; sport < 40100; sport++) {
    buf[HEAD + 34] = sport >> 8; buf[HEAD + 35] = sport & 0xff;
    enc.encap(buf, HEAD, 64);
    dec.decode(buf, HEAD - enc.headerLength, enc.headerLength + 64, out);
    seen.add(out.srcPort);
  }
  t.true(seen.size > 95, `${seen.size} ports for 100 inner source ports`);
});

test('the encoders hash every inner frame as flowHash() does (their untagged IPv4 path is written out in encapUdp)', (t) => {
  const gen = new GeneveEncoder({ outer: OUTER4, ovn: true });
  const vx = new VxlanEncoder({ outer: OUTER6 });
  const buf = new Uint8Array(HEAD + 128);
  const r = rng(11);
  // untagged IPv4 (TCP/UDP, other protocols, fragments, options, short), tagged, IPv6, neither, shorter than Ethernet
  const shapes: Array<(len: number) => void> = [
    () => innerFlow(buf, HEAD, r),
    () => { innerFlow(buf, HEAD, r); buf[HEAD + 23] = 47; },
    () => { innerFlow(buf, HEAD, r); buf[HEAD + 20] = 0x20; },
    () => { innerFlow(buf, HEAD, r); buf[HEAD + 14] = 0x46; },
    () => { buf[HEAD + 12] = 0x81; buf[HEAD + 13] = 0x00; buf[HEAD + 16] = 0x08; buf[HEAD + 17] = 0x00; buf[HEAD + 18] = 0x45; },
    () => { buf[HEAD + 12] = 0x86; buf[HEAD + 13] = 0xdd; buf[HEAD + 20] = 6; },
    () => { buf[HEAD + 12] = 0x88; buf[HEAD + 13] = 0xcc; },
  ];
  for (let k = 0; k < 700; k++) {
    for (let i = 0; i < 128; i++) buf[HEAD + i] = Math.floor(r() * 256);
    shapes[k % shapes.length](0);
    const len = k % 10 === 0 ? 20 + (k % 30) : 64 + (k % 64);
    const want = portFromHash(flowHash(buf, HEAD, len), 32768, 61000);
    t.is(gen.encap(buf, HEAD, len), Reason.Ok);
    t.is((buf[HEAD - gen.headerLength + 34] << 8) | buf[HEAD - gen.headerLength + 35], want, `Geneve, frame ${k}`);
    t.is(vx.encap(buf, HEAD, len), Reason.Ok);
    t.is((buf[HEAD - vx.headerLength + 54] << 8) | buf[HEAD - vx.headerLength + 55], want, `VXLAN over IPv6, frame ${k}`);
  }
});

test('the range is configurable, at construction and at run time, as OVS tnl/egress_port_range', (t) => {
  const enc = new GeneveEncoder({ outer: { ...OUTER4, srcPortMin: 5000, srcPortMax: 5007 }, ovn: true });
  const dec = new GeneveDecoder(); const out = new GeneveResult();
  const buf = new Uint8Array(HEAD + 64);
  const r = rng(8);
  const portOf = () => {
    innerFlow(buf, HEAD, r);
    t.is(enc.encap(buf, HEAD, 64), Reason.Ok);
    t.is(dec.decode(buf, HEAD - enc.headerLength, enc.headerLength + 64, out), Reason.Ok);
    return out.srcPort;
  };
  const used = new Set<number>();
  for (let k = 0; k < 1000; k++) used.add(portOf());
  t.deepEqual([...used].sort((a, b) => a - b), [5000, 5001, 5002, 5003, 5004, 5005, 5006, 5007], 'every port of the range, none outside');
  t.is(enc.setSourcePortRange(49152, 65535), Reason.Ok);
  for (let k = 0; k < 1000; k++) { const p = portOf(); t.true(p >= 49152 && p <= 65535); }
  // one port: every flow on it
  t.is(enc.setSourcePortRange(4242, 4242), Reason.Ok);
  for (let k = 0; k < 10; k++) t.is(portOf(), 4242);
  // refused ranges leave the last one in place
  for (const [min, max] of [[0, 10], [10, 9], [1, 65536], [NaN, 5], [1.5, 3]]) t.is(enc.setSourcePortRange(min, max), Reason.InvalidArgument);
  t.is(portOf(), 4242);
  t.throws(() => new VxlanEncoder({ outer: { ...OUTER4, srcPortMin: 7000, srcPortMax: 6999 } }), { instanceOf: RangeError });
  const seg = new SttSegmenter({ outer: OUTER4 });
  t.is(seg.setSourcePortRange(1000, 1001), Reason.Ok);
  t.is(new VxlanEncoder({ outer: OUTER4 }).setSourcePortRange(1, 65535), Reason.Ok);
});
