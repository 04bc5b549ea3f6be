// Frames made by a real ovs-vswitchd (fixtures/codecs/make-ovs-frames.sh): our decoders read them, and our
// encoders given the same parameters produce the same bytes. OVS picks the UDP source port from its own
// packet hash, so we take that one port from OVS's frame (by choosing the hash argument that maps to it);
// every other byte, checksums included, must match.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  GeneveDecoder, GeneveEncoder, GeneveResult, readPcap, Reason, VxlanDecoder, VxlanEncoder, VxlanResult,
} from '../../codecs/index.js';
import { fromHex, hex } from './helpers.js';

const dir = fileURLToPath(new URL('../../fixtures/codecs/', import.meta.url));
interface Capture { name: string; pcap: string; tunnel: 'geneve' | 'vxlan'; src: string; dst: string; vni: number;
  ovnOption: string | null; udpChecksum: boolean; inner: string }
const meta = JSON.parse(readFileSync(dir + 'ovs-frames.json', 'utf8')) as { underlayMac: string; remoteMac: string; captures: Capture[] };

function hashForPort(port: number, min = 32768, max = 61000): number {
  return Math.ceil(((port - min) * 4294967296) / (max - min + 1));
}

test('the fixtures cover Geneve with and without the OVN option, UDP checksum, IPv6, and VXLAN', (t) => {
  const names = meta.captures.map((c) => c.name);
  t.deepEqual(names, ['geneve4-plain', 'geneve4-ovn', 'geneve4-ovn-csum', 'geneve6-ovn', 'vxlan4']);
});

for (const c of meta.captures) {
  test(`OVS ${c.name}: decode, then re-encode byte for byte`, (t) => {
    const file = readPcap(new Uint8Array(readFileSync(dir + c.pcap)));
    t.is(file.records.length, 1);
    const rec = file.records[0];
    const frame = file.bytes.subarray(rec.offset, rec.offset + rec.length);
    const inner = fromHex(c.inner);
    const outer = { srcMac: meta.underlayMac, dstMac: meta.remoteMac, src: c.src, dst: c.dst, udpChecksum: c.udpChecksum, flowLabel: 0 };
    const buf = new Uint8Array(512);
    const innerOff = 256;
    buf.set(inner, innerOff);
    let start: number;
    let srcPort: number;
    if (c.tunnel === 'geneve') {
      const out = new GeneveResult();
      t.is(new GeneveDecoder().decode(frame, 0, frame.length, out), Reason.Ok);
      t.is(out.vni, c.vni);
      t.is(out.ovn, c.ovnOption !== null);
      if (c.ovnOption) {
        const v = parseInt(c.ovnOption, 16);
        t.is(out.ovnIngress, v >>> 16);
        t.is(out.ovnEgress, v & 0xffff);
        t.true(out.critical, 'OVS sets the C bit for the critical OVN option');
      }
      t.is(out.l4Checksum !== 0, c.udpChecksum);
      t.is(hex(frame.subarray(out.innerOffset, out.innerOffset + out.innerLength)), c.inner);
      srcPort = out.srcPort;
      const enc = new GeneveEncoder({ outer, ovn: c.ovnOption !== null, vni: c.vni });
      const v = c.ovnOption ? parseInt(c.ovnOption, 16) : 0;
      const r = c.ovnOption
        ? enc.encapOvn(buf, innerOff, inner.length, c.vni, v >>> 16, v & 0xffff, hashForPort(srcPort))
        : enc.encap(buf, innerOff, inner.length, hashForPort(srcPort));
      t.is(r, Reason.Ok);
      start = innerOff - enc.headerLength;
    } else {
      const out = new VxlanResult();
      t.is(new VxlanDecoder().decode(frame, 0, frame.length, out), Reason.Ok);
      t.is(out.vni, c.vni);
      t.is(out.ovnDatapath, c.vni & 0xfff);
      t.is(hex(frame.subarray(out.innerOffset, out.innerOffset + out.innerLength)), c.inner);
      srcPort = out.srcPort;
      const enc = new VxlanEncoder({ outer, vni: c.vni });
      t.is(enc.encap(buf, innerOff, inner.length, hashForPort(srcPort)), Reason.Ok);
      start = innerOff - enc.headerLength;
    }
    const ours = buf.subarray(start, innerOff + inner.length);
    t.is(hex(ours), hex(frame));
  });
}
