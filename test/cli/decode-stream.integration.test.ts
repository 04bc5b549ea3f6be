// `ovn-overlay decode` on captures of any size: every line arrives through a pipe (the command waits for its
// reader and exits only once its output has left), the capture is streamed in constant memory, and impossible
// records are refused with one line.
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GeneveEncoder, PcapWriter, Reason } from '../../codecs/index.js';
import { buildInnerFrame, DEFAULT_INNER } from '../../src/cli/inner-frame.js';
import { NODE_ARGS, runCli } from './helpers.js';

let dir: string;
test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ovn-overlay-decode-'));
});
test.after.always(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A capture of `count` OVN Geneve frames (each decodes into 6 lines). */
async function geneveCapture(name: string, count: number): Promise<string> {
  const inner = buildInnerFrame(DEFAULT_INNER);
  const enc = new GeneveEncoder({ outer: { srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', src: '192.168.0.1', dst: '192.168.0.2' }, ovn: true });
  const frame = new Uint8Array(enc.headerLength + inner.length);
  const writer = new PcapWriter(1, 65535, count * (16 + frame.length) + 64);
  for (let i = 0; i < count; i++) {
    frame.set(inner, enc.headerLength);
    if (enc.encapOvn(frame, enc.headerLength, inner.length, 5, 3, 4) !== Reason.Ok) throw new Error('encap failed');
    writer.add(frame);
  }
  const file = join(dir, name);
  await writeFile(file, writer.toBytes());
  return file;
}

/** Runs a shell pipeline; resolves with its stdout and exit code. */
function shell(script: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', script], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const decodeCommand = (...args: string[]) => [process.execPath, ...NODE_ARGS, 'decode', ...args].map((a) => `'${a}'`).join(' ');

test('every line of a 100,000-record capture arrives through a pipe whose reader starts late, exit 0', async (t) => {
  const file = await geneveCapture('big.pcap', 100_000);
  // The reader sleeps first: the pipe fills, the command must wait for it, and must not exit before the end is read.
  const r = await shell(`{ ${decodeCommand(file)}; echo "decode exit $?" >&2; } | (sleep 1; awk 'END { print NR; print }')`);
  t.is(r.stdout, `${100_000 * 6 + 1}\n100000 records, 100000 tunnel frame(s) decoded\n`);
  t.is(r.stderr, 'decode exit 0\n');
});

test('the capture is streamed: one larger than the process\'s whole heap decodes entirely', async (t) => {
  const file = await geneveCapture('heap.pcap', 60_000);
  // 60,000 frames held as decoded objects need well over 24 MB of heap; streamed, one record at a time suffices.
  const r = await shell(`${decodeCommand(file)} | tail -1`, { NODE_OPTIONS: '--max-old-space-size=24' });
  t.is(r.stdout, '60000 records, 60000 tunnel frame(s) decoded\n', r.stderr);
});

test('endless or impossible input: one line, at once, nothing read beyond the first bad header', async (t) => {
  const zero = await runCli(['decode', '/dev/zero'], { timeoutMs: 20_000 });
  t.is(zero.code, 1);
  t.is(zero.stderr, 'ovn-overlay: /dev/zero is not a pcap file: bad magic 0x0 (pcapng is not supported)\n');

  // A 1 GiB sparse file with a valid header: its first record is all zeros, a packet of 0 bytes.
  const sparse = join(dir, 'sparse.pcap');
  const header = new PcapWriter().toBytes();
  const handle = await open(sparse, 'w');
  await handle.write(header, 0, header.length, 0);
  await handle.truncate(1 << 30);
  await handle.close();
  const s = await runCli(['decode', sparse], { timeoutMs: 20_000 });
  t.is(s.code, 1);
  t.is(s.stderr, `ovn-overlay: ${sparse}: record 1 at byte 24: a packet of 0 bytes\n`);

  // Frames before an impossible record are shown, then the record is refused.
  const writer = new PcapWriter();
  writer.add(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14));
  writer.add(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14));
  const bytes = writer.toBytes();
  new DataView(bytes.buffer).setUint32(24 + 16 + 14 + 12, 10, true); // second record: 14 bytes captured of 10
  const bad = join(dir, 'caplen.pcap');
  await writeFile(bad, bytes);
  const c = await runCli(['decode', bad]);
  t.is(c.code, 1);
  t.is(c.stdout, 'frame 1: not a Geneve, VXLAN or STT frame\n');
  t.is(c.stderr, `ovn-overlay: ${bad}: record 2 at byte 54: 14 bytes captured of a 10-byte packet\n`);

  const zeroSnap = join(dir, 'snaplen0.pcap');
  const snap = new PcapWriter(1, 0).toBytes();
  await writeFile(zeroSnap, snap);
  const z = await runCli(['decode', zeroSnap]);
  t.is(z.code, 1);
  t.regex(z.stderr, /is not a pcap file: snapshot length 0 in the file header/);
});
