// The lab's hand-built SCTP and MLD frames checked by another reader: tshark verifies the CRC32c of sctpInit's
// frames (IPv4 and IPv6) and reads their INIT, readFrame agrees and catches a flipped bit; tshark reads an MLDv2
// report behind its hop-by-hop Router Alert with a good ICMPv6 checksum. The CRC32c itself against the check value
// every implementation uses.
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32c } from '../../src/lab/ip-frames.js';
import { mldv2Report, multicastMac, readFrame, sctpInit } from '../../src/lab/index.js';
import { runCommand } from '../../src/lab/process.js';

/** A classic pcap file (Ethernet) holding the frames. */
function pcap(frames: readonly Uint8Array[]): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20);
  return Buffer.concat([header, ...frames.flatMap((f) => {
    const record = Buffer.alloc(16);
    record.writeUInt32LE(f.length, 8);
    record.writeUInt32LE(f.length, 12);
    return [record, Buffer.from(f)];
  })]);
}

test('crc32c: the check value of "123456789" (RFC 3720 B.4)', (t) => {
  t.is(crc32c(new TextEncoder().encode('123456789')), 0xe3069283);
});

test('sctpInit over IPv4 and IPv6: tshark finds the CRC32c good and reads the INIT; readFrame agrees and catches a flipped bit', async (t) => {
  const macs = { srcMac: '0a:58:0a:f4:02:03', dstMac: '0a:58:0a:f4:02:01' };
  const v4 = sctpInit({ ...macs, srcIp: '10.244.2.3', dstIp: '10.96.0.25', srcPort: 46000, dstPort: 36412, initiateTag: 0x12345678 });
  const v6 = sctpInit({ ...macs, srcIp: 'fd00::3', dstIp: 'fd00::1', srcPort: 1, dstPort: 2, initiateTag: 7 });
  const dir = mkdtempSync(join(tmpdir(), 'ip-frames-'));
  try {
    const file = join(dir, 'sctp.pcap');
    writeFileSync(file, pcap([v4, v6]));
    const fields = await runCommand('tshark', ['-r', file, '-o', 'sctp.checksum:CRC-32C', '-T', 'fields', '-E', 'separator=,',
      '-e', 'sctp.srcport', '-e', 'sctp.dstport', '-e', 'sctp.chunk_type', '-e', 'sctp.init_initiate_tag', '-e', 'sctp.checksum.status']);
    // Checksum status 1 is "Good" (tshark's proto_checksum_status).
    t.deepEqual(fields.trim().split('\n'), ['46000,36412,1,0x12345678,1', '1,2,1,0x00000007,1']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  t.like(readFrame(v4), { family: 4, protocol: 132, srcPort: 46000, dstPort: 36412, sctpChunk: 1, sctpInitiateTag: 0x12345678, checksumOk: true });
  t.like(readFrame(v6), { family: 6, protocol: 132, sctpInitiateTag: 7, checksumOk: true });
  const flipped = v4.slice();
  flipped[flipped.length - 1] ^= 1;
  t.false(readFrame(flipped).checksumOk);
});

test('mldv2Report: tshark reads the Router Alert, the report of the group and a good ICMPv6 checksum; to 33:33:00:00:00:16', async (t) => {
  const report = mldv2Report({ srcMac: '0a:58:0a:f4:02:03', srcIp: 'fe80::858:aff:fef4:203', group: 'ff3e::4321:1234' });
  t.is(multicastMac('ff3e::4321:1234'), '33:33:43:21:12:34');
  t.is(multicastMac('239.1.1.1'), '01:00:5e:01:01:01');
  const dir = mkdtempSync(join(tmpdir(), 'ip-frames-'));
  try {
    const file = join(dir, 'mld.pcap');
    writeFileSync(file, pcap([report]));
    const fields = await runCommand('tshark', ['-r', file, '-T', 'fields', '-E', 'separator=,',
      '-e', 'eth.dst', '-e', 'ipv6.hlim', '-e', 'ipv6.hopopts.nxt', '-e', 'ipv6.opt.router_alert', '-e', 'icmpv6.type',
      '-e', 'icmpv6.mldr.mar.record_type', '-e', 'icmpv6.mldr.mar.multicast_address', '-e', 'icmpv6.checksum.status']);
    t.is(fields.trim(), '33:33:00:00:00:16,1,58,0,143,4,ff3e::4321:1234,1');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
