// The decoders' fast paths (decodeUdpTunnel's untagged-IPv4 path, GeneveDecoder's OVN header shape) must give what
// the general paths give. The same frames, mutated at random, are decoded as they are (fast path when they have the
// common shape) and with an 802.1Q tag inserted (the general path: decodeOuter); for Geneve also with reserved bits
// set in OVN's option header (the general option walk, which ignores them). Reasons must match for every frame,
// and every field for the frames that decode.
import test from 'ava';
import { GeneveDecoder, GeneveEncoder, GeneveResult, Reason, reasonName, VxlanDecoder, VxlanEncoder, VxlanResult } from '../../codecs/index.js';
import { randInt, rng, writeInner } from './helpers.js';

const HEAD = 128;

/** The frame with an 802.1Q tag (VLAN 5) after the MAC addresses. */
function tagged(frame: Uint8Array): Uint8Array {
  const t = new Uint8Array(frame.length + 4);
  t.set(frame.subarray(0, 12), 0);
  t[12] = 0x81; t[13] = 0x00; t[14] = 0x00; t[15] = 0x05;
  t.set(frame.subarray(12), 16);
  return t;
}

/** The result's fields, with offsets made relative to the IP header so a tagged frame compares equal. */
function fields(out: GeneveResult | VxlanResult, shift: number): Record<string, unknown> {
  const f: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(out)) {
    if (k === 'vlanTci') continue;
    if (v instanceof Int32Array) f[k] = Array.from(v.subarray(0, (out as GeneveResult).optionCount ?? 0), (x) => x - shift);
    else f[k] = typeof v === 'number' && /Offset$|End$/.test(k) && k !== 'l4Checksum' ? v - shift : v;
  }
  return f;
}

function mutate(r: () => number, frame: Uint8Array): Uint8Array {
  const m = frame.slice();
  const kind = randInt(r, 0, 4);
  if (kind === 0) return m;
  if (kind === 1) { for (let i = randInt(r, 1, 3); i > 0; i--) m[randInt(r, 12, Math.min(m.length - 1, 70))] ^= 1 << randInt(r, 0, 7); return m; }
  if (kind === 2) { m[randInt(r, 12, Math.min(m.length - 1, 70))] = randInt(r, 0, 255); return m; }
  if (kind === 3) return m.subarray(0, randInt(r, 0, m.length));
  const grown = new Uint8Array(m.length + randInt(r, 1, 40));
  grown.set(m);
  return grown;
}

for (const tunnel of ['geneve', 'vxlan'] as const) {
  test(`${tunnel}: the fast path and the general path agree on 20,000 mutated frames`, (t) => {
    const r = rng(tunnel === 'geneve' ? 11 : 12);
    const dec = tunnel === 'geneve' ? new GeneveDecoder() : new VxlanDecoder();
    const a = tunnel === 'geneve' ? new GeneveResult() : new VxlanResult();
    const b = tunnel === 'geneve' ? new GeneveResult() : new VxlanResult();
    const decode = (buf: Uint8Array, off: number, len: number, out: GeneveResult | VxlanResult) =>
      dec instanceof GeneveDecoder ? dec.decode(buf, off, len, out as GeneveResult) : dec.decode(buf, off, len, out as VxlanResult);
    const seen = new Map<string, number>();
    let fastOk = 0;
    for (let i = 0; i < 20000; i++) {
      const udpChecksum = r() < 0.5;
      const outer = { srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', src: `10.0.${randInt(r, 0, 255)}.1`, dst: '10.0.0.2', udpChecksum, ttl: randInt(r, 1, 255) };
      const enc = tunnel === 'geneve' ? new GeneveEncoder({ outer, ovn: r() < 0.8 }) : new VxlanEncoder({ outer, vni: randInt(r, 0, 0xffffff) });
      const size = randInt(r, 0, 300);
      const buf = new Uint8Array(HEAD + size);
      writeInner(buf, HEAD, size, r);
      const rc = enc instanceof GeneveEncoder && enc.optionsLength > 0
        ? enc.encapOvn(buf, HEAD, size, randInt(r, 0, 0xffffff), randInt(r, 0, 0x7fff), randInt(r, 0, 0xffff))
        : enc.encap(buf, HEAD, size);
      t.is(rc, Reason.Ok);
      const frame = mutate(r, buf.subarray(HEAD - enc.headerLength));
      // at an odd offset inside a larger buffer, as packets are in a pool
      const pool = new Uint8Array(frame.length + 9);
      pool.set(frame, 5);
      const ra = decode(pool, 5, frame.length, a);
      if (frame.length < 14) continue; // no ethertype to put a tag before
      const tag = tagged(frame);
      const rb = decode(tag, 0, tag.length, b);
      seen.set(reasonName(ra), (seen.get(reasonName(ra)) ?? 0) + 1);
      if (ra !== rb) { t.fail(`frame ${i}: ${reasonName(ra)} untagged, ${reasonName(rb)} tagged`); break; }
      if (ra === Reason.Ok) {
        fastOk++;
        t.deepEqual(fields(a, a.ipOffset), fields(b, b.ipOffset), `frame ${i}: fields`);
        if (dec instanceof GeneveDecoder && (a as GeneveResult).ovn && (a as GeneveResult).optionCount === 1 && a.l4Checksum === 0) {
          // OVN's option with a reserved bit set takes the general option walk, which must read the same (no UDP
          // checksum on these frames: the flipped bit would break it)
          const o = (a as GeneveResult).optionOffsets[0] - 5;
          const slow = frame.slice();
          slow[o + 3] |= 0x20;
          const c = new GeneveResult();
          t.is(dec.decode(slow, 0, slow.length, c), Reason.Ok);
          t.deepEqual(fields(c, c.ipOffset), fields(a, a.ipOffset), `frame ${i}: general option walk`);
        }
      }
    }
    t.log(Object.fromEntries(seen));
    t.true(fastOk > 5000, `${fastOk} frames decoded`);
  });
}
