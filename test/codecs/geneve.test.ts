import test from 'ava';
import {
  GeneveDecoder, GeneveEncoder, GeneveResult, inspectFrame, Reason, reasonName, sum16, formatIpv6,
} from '../../codecs/index.js';
import { OUTER4, OUTER6, rng, writeInner } from './helpers.js';

const HEADROOM = 512;

/** Recomputes an IPv4 header checksum after a test mutated the header. */
function fixIp(b: Uint8Array, ip: number): void {
  b[ip + 10] = 0; b[ip + 11] = 0;
  const c = ~sum16(b, ip, 20) & 0xffff;
  b[ip + 10] = c >> 8; b[ip + 11] = c & 0xff;
}

function encodeOne(enc: GeneveEncoder, innerLen: number, seed = 1): { buf: Uint8Array; start: number; len: number } {
  const buf = new Uint8Array(HEADROOM + innerLen + 16);
  writeInner(buf, HEADROOM, innerLen, rng(seed));
  return { buf, start: HEADROOM - enc.headerLength, len: enc.headerLength + innerLen };
}

test('round trip with the OVN option: decoder reads back keys, and binary-parser agrees', (t) => {
  const enc = new GeneveEncoder({ outer: OUTER4, ovn: true });
  const { buf, start, len } = encodeOne(enc, 100);
  t.is(enc.encapOvn(buf, HEADROOM, 100, 0xabcdef, 0x7fff, 0xfffe), Reason.Ok);
  const out = new GeneveResult();
  t.is(new GeneveDecoder().decode(buf, start, len, out), Reason.Ok);
  t.is(out.vni, 0xabcdef);
  t.true(out.ovn);
  t.is(out.ovnIngress, 0x7fff);
  t.is(out.ovnEgress, 0xfffe);
  t.true(out.critical);
  t.is(out.innerOffset, HEADROOM);
  t.is(out.innerLength, 100);
  t.true(out.srcPort >= 32768 && out.srcPort <= 61000);
  const ins = inspectFrame(buf.subarray(start, start + len));
  t.is(ins.ipv4?.totalLength, len - 14);
  t.is(ins.ipv4?.df, 1);
  t.is(ins.ipv4?.ttl, 64);
  t.is(ins.udp?.dstPort, 6081);
  t.is(ins.udp?.length, len - 34);
  t.is(ins.udp?.checksum, 0, 'no UDP checksum over IPv4 by default');
  t.deepEqual(ins.geneve?.options, [{ optionClass: 0x0102, type: 0x80, length: 1, data: '7ffffffe' }]);
  t.is(ins.geneve?.critical, 1);
  t.is(sum16(buf, start + 14, 20), 0xffff, 'IPv4 header checksum is valid');
});

test('out-of-range OVN keys are rejected and leave the template unchanged', (t) => {
  const enc = new GeneveEncoder({ outer: OUTER4, ovn: true });
  t.is(enc.setOvn(1, 2, 3), Reason.Ok);
  t.is(enc.setOvn(0x1000000, 2, 3), Reason.KeyOutOfRange);
  t.is(enc.setOvn(1, 0x8000, 3), Reason.KeyOutOfRange);
  t.is(enc.setOvn(1, 2, 0x10000), Reason.KeyOutOfRange);
  t.is(enc.setOvn(-1, 2, 3), Reason.KeyOutOfRange);
  t.is(enc.setOvn(1.5, 2, 3), Reason.KeyOutOfRange);
  t.is(enc.setVni(0x1000000), Reason.KeyOutOfRange);
  const { buf, start, len } = encodeOne(enc, 60);
  t.is(enc.encap(buf, HEADROOM, 60), Reason.Ok);
  const out = new GeneveResult();
  t.is(new GeneveDecoder().decode(buf, start, len, out), Reason.Ok);
  t.deepEqual([out.vni, out.ovnIngress, out.ovnEgress], [1, 2, 3]);
  t.is(new GeneveEncoder({ outer: OUTER4 }).setOvn(1, 2, 3), Reason.InvalidArgument, 'no OVN option in this encoder');
});

test('options: C bit follows critical options, option offsets are reported, 252 bytes at most', (t) => {
  const data8 = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
  const nonCrit = new GeneveEncoder({ outer: OUTER4, options: [{ optionClass: 0xffff, type: 0x01, data: data8 }] });
  const crit = new GeneveEncoder({ outer: OUTER4, options: [{ optionClass: 0xffff, type: 0x81, data: data8 }] });
  for (const [enc, c] of [[nonCrit, false], [crit, true]] as const) {
    const { buf, start, len } = encodeOne(enc, 64);
    t.is(enc.encap(buf, HEADROOM, 64), Reason.Ok);
    const out = new GeneveResult();
    const dec = new GeneveDecoder({ knownCriticalOptions: [{ optionClass: 0xffff, type: 0x81 }] });
    t.is(dec.decode(buf, start, len, out), Reason.Ok);
    t.is(out.critical, c);
    t.is(out.optionCount, 1);
    t.is(out.optionsLength, 12);
    t.is(buf[out.optionOffsets[0] + 2], c ? 0x81 : 0x01);
    // the default decoder knows only OVN's critical option
    t.is(new GeneveDecoder().decode(buf, start, len, out), c ? Reason.GeneveUnknownCriticalOption : Reason.Ok);
  }
  const big = new Uint8Array(124);
  t.throws(() => new GeneveEncoder({ outer: OUTER4, options: [0, 1].map(() => ({ optionClass: 1, type: 1, data: big })) }), { instanceOf: RangeError });
  t.throws(() => new GeneveEncoder({ outer: OUTER4, options: [{ optionClass: 1, type: 1, data: new Uint8Array(3) }] }));
  // 63 words exactly: 1 option of 124 + 1 of 120 = 128 + 124 = 252
  const max = new GeneveEncoder({ outer: OUTER4, options: [{ optionClass: 1, type: 1, data: big }, { optionClass: 1, type: 2, data: new Uint8Array(120) }] });
  t.is(max.optionsLength, 252);
  const { buf, start, len } = encodeOne(max, 64);
  t.is(max.encap(buf, HEADROOM, 64), Reason.Ok);
  const out = new GeneveResult();
  t.is(new GeneveDecoder().decode(buf, start, len, out), Reason.Ok);
  t.is(out.optionCount, 2);
  t.is(out.innerLength, 64);
});

test('IPv6 outer with UDP checksum and flow label from the flow hash; VLAN tag', (t) => {
  const enc = new GeneveEncoder({ outer: { ...OUTER6, vlan: { id: 100, pcp: 5 } }, ovn: true });
  const { buf, start, len } = encodeOne(enc, 300, 7);
  t.is(enc.encapOvn(buf, HEADROOM, 300, 9, 8, 7), Reason.Ok);
  const out = new GeneveResult();
  t.is(new GeneveDecoder().decode(buf, start, len, out), Reason.Ok);
  t.is(out.ipVersion, 6);
  t.is(out.vlanTci, (5 << 13) | 100);
  t.not(out.l4Checksum, 0);
  t.not(out.flowLabel, 0);
  t.is(formatIpv6(buf, out.srcAddrOffset), 'fd00::1');
  const ins = inspectFrame(buf.subarray(start, start + len));
  t.is(ins.ipv6?.payloadLength, len - 18 - 40);
  t.is(ins.ipv6?.flowLabel, out.flowLabel);
  t.deepEqual(ins.ethernet?.vlan, { pcp: 5, dei: 0, vid: 100 });
  // same inner flow -> same source port and flow label; the hash argument overrides
  const again = encodeOne(enc, 300, 7);
  enc.encap(again.buf, HEADROOM, 300);
  const out2 = new GeneveResult();
  new GeneveDecoder().decode(again.buf, again.start, again.len, out2);
  t.is(out2.srcPort, out.srcPort);
  t.is(out2.flowLabel, out.flowLabel);
  enc.encap(again.buf, HEADROOM, 300, 0);
  new GeneveDecoder().decode(again.buf, again.start, again.len, out2);
  t.is(out2.srcPort, 32768);
  // a flipped payload bit breaks the checksum
  buf[HEADROOM + 200] ^= 0x10;
  t.is(new GeneveDecoder().decode(buf, start, len, out), Reason.BadL4Checksum);
  t.is(new GeneveDecoder({ verifyUdpChecksum: false }).decode(buf, start, len, out), Reason.Ok);
});

test('decoder reason codes for malformed headers', (t) => {
  const dec = new GeneveDecoder();
  const out = new GeneveResult();
  const enc = new GeneveEncoder({ outer: OUTER4, ovn: true, options: [{ optionClass: 5, type: 1, data: new Uint8Array(4) }] });
  const fresh = () => { const f = encodeOne(enc, 80); enc.encapOvn(f.buf, HEADROOM, 80, 1, 1, 1); return f; };
  const g = 14 + 20 + 8; // Geneve header offset within the frame
  const cases: Array<[string, (b: Uint8Array, s: number) => void, number, number?]> = [
    ['version 1', (b, s) => { b[s + g] |= 0x40; }, Reason.GeneveBadVersion],
    ['OAM', (b, s) => { b[s + g + 1] |= 0x80; }, Reason.GeneveOam],
    ['protocol type', (b, s) => { b[s + g + 3] = 0x00; }, Reason.BadProtocolType],
    ['option length beyond the header', (b, s) => { b[s + g + 8 + 8 + 3] = 2; }, Reason.GeneveOptionLengthMismatch],
    ['header option length shorter than the options', (b, s) => { b[s + g] = 3; }, Reason.GeneveOptionLengthMismatch],
    ['OVN option of the wrong size', (b, s) => { b[s + g + 8 + 3] = 2; b[s + g + 8 + 8 + 3] = 0; b[s + g] = 4; }, Reason.GeneveBadOvnOption],
    ['unknown critical option', (b, s) => { b[s + g + 8 + 8 + 2] = 0x81; }, Reason.GeneveUnknownCriticalOption],
    ['IP checksum', (b, s) => { b[s + 14 + 8] = 1; }, Reason.BadIpChecksum],
    ['IP version', (b, s) => { b[s + 14] = 0x55; }, Reason.BadIpVersion],
    ['IP header length', (b, s) => { b[s + 14] = 0x44; }, Reason.BadIpHeaderLength],
    ['fragment', (b, s) => { b[s + 14 + 6] = 0x20; fixIp(b, s + 14); }, Reason.IpFragment],
    ['fragment offset', (b, s) => { b[s + 14 + 7] = 0x01; fixIp(b, s + 14); }, Reason.IpFragment],
    ['not UDP', (b, s) => { b[s + 14 + 9] = 6; fixIp(b, s + 14); }, Reason.WrongProtocol],
    ['IP total length beyond the frame', (b, s) => { b[s + 14 + 2] = 0xff; fixIp(b, s + 14); }, Reason.Truncated],
    ['IP total length below the header', (b, s) => { b[s + 14 + 2] = 0; b[s + 14 + 3] = 10; fixIp(b, s + 14); }, Reason.BadIpLength],
    ['port', (b, s) => { b[s + 34 + 3] = 0xc2; }, Reason.WrongPort],
    ['UDP length', (b, s) => { b[s + 34 + 4] = 0xff; }, Reason.BadUdpLength],
    ['not IP', (b, s) => { b[s + 12] = 0x88; }, Reason.NotIp],
  ];
  for (const [name, mutate, expected] of cases) {
    const { buf, start, len } = fresh();
    t.is(dec.decode(buf, start, len, out), Reason.Ok, `${name}: fresh frame decodes`);
    mutate(buf, start);
    const got = dec.decode(buf, start, len, out);
    t.is(reasonName(got), reasonName(expected), name);
  }
  const { buf, start, len } = fresh();
  for (let cut = 0; cut < len; cut += 7) {
    const r = dec.decode(buf, start, cut, out);
    t.not(r, Reason.Ok, `cut at ${cut}`);
  }
  t.is(dec.decode(buf, start, len + 1000, out), Reason.InvalidArgument);
});

test('encoder refuses too little headroom and oversize frames', (t) => {
  const enc = new GeneveEncoder({ outer: OUTER4 });
  const buf = new Uint8Array(70000);
  t.is(enc.encap(buf, enc.headerLength - 1, 10), Reason.BufferTooSmall);
  t.is(enc.encap(buf, 100, buf.length), Reason.BufferTooSmall);
  t.is(enc.encap(buf, 100, 65535 - 20 - 8 - 8 + 1), Reason.FrameTooLarge);
  t.is(enc.encap(buf, 100, 65535 - 20 - 8 - 8), Reason.Ok);
});
