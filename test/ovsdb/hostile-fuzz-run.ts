// `npm run fuzz:ovsdb [-- COUNT [SEED]]`: 100,000 hostile streams (hostile-fuzz.ts) from a byte-level fake server
// over unix sockets, under small bounds; then the worst messages at the DEFAULT bounds, one each, with the peak
// RSS each costs. Exits non-zero on any failure or on memory beyond the asserted bounds.
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Duplex } from 'node:stream';
import { OvsdbClient } from '../../src/ovsdb/client.js';
import { DEFAULT_MESSAGE_LIMITS } from '../../src/ovsdb/message-limits.js';
import { fuzzOvsdbClient, FUZZ_LIMITS } from './hostile-fuzz.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const count = Number(process.argv[2] ?? 100_000);
const seed = Number(process.argv[3] ?? 1);
const MB = 1048576;

const dir = mkdtempSync(join(tmpdir(), 'ovsdb-fuzz-'));
const path = join(dir, 'fake.sock');
const accepted: net.Socket[] = [];
const waiting: ((s: net.Socket) => void)[] = [];
const server = net.createServer((s) => { const w = waiting.shift(); if (w) w(s); else accepted.push(s); });
server.listen(path);
await once(server, 'listening');

/** A fresh connection to the fake server: [the client's end, the server's end]. */
async function connect(): Promise<[Duplex, Duplex]> {
  const theirs = accepted.shift() ?? new Promise<net.Socket>((resolve) => waiting.push(resolve));
  const ours = net.connect({ path });
  await once(ours, 'connect');
  return [ours, await theirs];
}

function drainedOrClosed(socket: Duplex): Promise<void> {
  return new Promise((resolve) => {
    const done = () => { socket.off('drain', done); socket.off('close', done); resolve(); };
    socket.on('drain', done);
    socket.on('close', done);
  });
}

/** Peak RSS (VmHWM) since the last reset, in MB; Linux only. */
function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}
function resetPeakRss(): void {
  gc();
  writeFileSync('/proc/self/clear_refs', '5');
}

let failed = false;
try {
  console.log(`fuzz: ${count} streams over unix sockets, seed ${seed}, bounds ${JSON.stringify(FUZZ_LIMITS)}`);
  const report = await fuzzOvsdbClient(count, seed, connect, {
    gc, onProgress: (done) => { if (done % 10_240 === 0 && done > 0) process.stderr.write(`  ${done} streams, rss ${Math.round(process.memoryUsage().rss / MB)} MB\n`); },
  });
  console.log(`  ${report.streams} streams in ${(report.ms / 1000).toFixed(1)} s, failures ${report.failures.length}`);
  console.log(`  kinds ${JSON.stringify(report.byKind)}`);
  console.log(`  endings ${JSON.stringify(report.endings)}`);
  console.log(`  rss ${report.rssStartMb} MB at start, ${report.rssMaxMb} MB at most, ${report.rssEndMb} MB at the end; heap growth ${report.heapGrowthMb} MB`);
  for (const f of report.failures) console.log(`  FAIL ${f}`);
  // Bounded: one stream holds at most one message of 256 KiB; a leak of even 1 KB per stream would show as 100 MB.
  const rssBound = report.rssStartMb + 128;
  if (report.rssMaxMb > rssBound) { console.log(`  FAIL rss reached ${report.rssMaxMb} MB, over the bound of ${rssBound} MB`); failed = true; }
  if (report.heapGrowthMb > 32) { console.log(`  FAIL the heap grew ${report.heapGrowthMb} MB`); failed = true; }
  if (report.failures.length) failed = true;

  // The worst single messages at the default bounds: how much memory the bound lets one message cost.
  console.log(`defaults: ${JSON.stringify(DEFAULT_MESSAGE_LIMITS)}`);
  const worst: [string, () => Buffer[]][] = [
    ['64 MB of {}, (refused at maxValues)', () => [Buffer.from('{"id":1,"result":['), ...Array.from({ length: 64 }, () => Buffer.from('{},'.repeat(MB / 3)))]],
    ['{} objects just under maxValues (parsed)', () => [Buffer.from(`{"id":1,"result":[${'{},'.repeat(DEFAULT_MESSAGE_LIMITS.maxValues / 2 - 4)}{}],"error":null}`)]],
    ['64 MB of digits (refused at maxNumberLength)', () => [Buffer.from('{"id":1,"result":['), ...Array.from({ length: 64 }, () => Buffer.alloc(MB, '7'))]],
    ['an endless string (refused at maxMessageBytes)', () => [Buffer.from('{"id":1,"result":["'), ...Array.from({ length: DEFAULT_MESSAGE_LIMITS.maxMessageBytes / MB + 1 }, () => Buffer.alloc(MB, 'a'))]],
    ['a string just under maxMessageBytes (parsed)', () => [Buffer.from('{"id":1,"result":["'), ...Array.from({ length: DEFAULT_MESSAGE_LIMITS.maxMessageBytes / MB - 1 }, () => Buffer.alloc(MB, 'a')), Buffer.from('"],"error":null}')]],
    ['1,000,000 levels of [ (refused at maxDepth)', () => [Buffer.from('{"id":1,"result":'), Buffer.alloc(1_000_000, '[')]],
  ];
  for (const [name, make] of worst) {
    resetPeakRss();
    const before = peakRssMb();
    const [ours, theirs] = await connect();
    theirs.on('error', () => undefined);
    const client = OvsdbClient.fromStream(ours, {}, 'fuzz');
    const call = client.call('echo', []).then(() => 'answered', (e: Error) => (e.cause as { code?: string } | undefined)?.code ?? e.message);
    const t0 = performance.now();
    for (const chunk of make()) {
      if (theirs.destroyed) break;
      if (!theirs.write(chunk)) await drainedOrClosed(theirs);
    }
    const outcome = await call;
    const ms = performance.now() - t0;
    const peak = peakRssMb();
    theirs.destroy();
    await client.close();
    console.log(`  ${name}: ${outcome}, ${ms.toFixed(0)} ms, peak rss ${peak} MB (+${peak - before} MB)`);
    // The bound on one message at the defaults: its bytes twice (held, then joined), its text, and its values.
    if (peak - before > 1536) { console.log(`  FAIL ${name}: ${peak - before} MB over the 1536 MB bound`); failed = true; }
  }
} finally {
  for (const s of accepted) s.destroy();
  server.close();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
