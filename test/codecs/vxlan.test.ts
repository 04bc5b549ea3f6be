import test from 'ava';
import { inspectFrame, Reason, VxlanDecoder, VxlanEncoder, VxlanResult } from '../../codecs/index.js';
import { OUTER4, OUTER6, rng, writeInner } from './helpers.js';

test('VXLAN round trip, OVN keys in the VNI, and binary-parser agrees', (t) => {
  for (const outer of [OUTER4, OUTER6]) {
    const enc = new VxlanEncoder({ outer });
    const buf = new Uint8Array(2048);
    writeInner(buf, 128, 500, rng(3));
    t.is(enc.encapOvn(buf, 128, 500, 0xabc, 0xfed), Reason.Ok);
    const start = 128 - enc.headerLength;
    const out = new VxlanResult();
    t.is(new VxlanDecoder().decode(buf, start, enc.headerLength + 500, out), Reason.Ok);
    t.is(out.vni, (0xfed << 12) | 0xabc);
    t.is(out.ovnDatapath, 0xabc);
    t.is(out.ovnEgress, 0xfed);
    t.is(out.innerOffset, 128);
    t.is(out.innerLength, 500);
    const ins = inspectFrame(buf.subarray(start, 628));
    t.deepEqual(ins.vxlan, { flags: 0x08, vni: (0xfed << 12) | 0xabc });
    t.is(ins.udp?.dstPort, 4789);
    t.is(outer === OUTER6, ins.udp?.checksum !== 0);
  }
});

test('VXLAN rejects out-of-range OVN keys, a missing I flag, a wrong port', (t) => {
  const enc = new VxlanEncoder({ outer: OUTER4, vni: 77 });
  const buf = new Uint8Array(512);
  t.is(enc.encapOvn(buf, 100, 60, 0x1000, 1), Reason.KeyOutOfRange);
  t.is(enc.encapOvn(buf, 100, 60, 1, 0x1000), Reason.KeyOutOfRange);
  t.is(enc.encap(buf, 100, 60), Reason.Ok);
  const start = 100 - enc.headerLength;
  const out = new VxlanResult();
  const dec = new VxlanDecoder();
  t.is(dec.decode(buf, start, enc.headerLength + 60, out), Reason.Ok);
  t.is(out.vni, 77);
  buf[start + 42] = 0x00;
  t.is(dec.decode(buf, start, enc.headerLength + 60, out), Reason.VxlanBadFlags);
  buf[start + 42] = 0x08;
  t.is(new VxlanDecoder({ port: 4790 }).decode(buf, start, enc.headerLength + 60, out), Reason.WrongPort);
});
