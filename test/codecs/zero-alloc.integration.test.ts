// The hot path allocates nothing per packet: every encoder, decoder, the flow hash and STT segmentation and
// reassembly run hundreds of thousands of packets in a child process with a 1 MB young generation, and no
// garbage collection may happen during a loop (see zero-alloc-child.ts for why that is a proof, and why it
// cannot be flaky: a loop that does not allocate gives V8 nothing to collect on).
//
// Sensitivity: one 16-byte heap number per packet is 8 MB over 500,000 packets, at least 8 scavenges with a
// 1 MB semi-space; a subarray() per packet showed 47. Below a scavenge's worth, the heap growth over the
// loop's young generation (exact when no collection ran, net of the reading's own result objects) must stay under
// 4 KB (one-off map migrations, with a margin): under 0.01 byte per packet.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import test from 'ava';

const child = fileURLToPath(new URL('./zero-alloc-child.ts', import.meta.url));
const PACKETS = 500_000;
/** Bytes the measurement itself may show (a heap-space statistics result and one-off map migrations). */
const BOOKKEEPING_BYTES = 4096;

interface Result { name: string; packets: number; gcs: number; heapGrowth: number }

function runChild(): Promise<Result[]> {
  return new Promise((resolve, reject) => {
    // Optimisation is made synchronous: with V8's background compilers, a loaded machine (npm test runs files in
    // parallel) can leave a measured loop in unoptimised code, where uint32 values beyond 2^31 are boxed, and
    // one GC was seen that way; the hot path as the optimiser compiles it is what this test is about. --expose-gc: the
    // child finishes any pending collection before each measured loop (see zero-alloc-child.ts).
    const v8Flags = ['--max-semi-space-size=1', '--no-concurrent-recompilation', '--no-concurrent-osr', '--expose-gc'];
    execFile(process.execPath, [...v8Flags, '--import', 'tsx', child, String(PACKETS)], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) { reject(new Error(`${err.message}\n${stderr}`)); return; }
      resolve(JSON.parse(stdout.trim().split('\n')[0]) as Result[]);
    });
  });
}

test('no allocation per packet: encap, decode, flow hash, STT segment and reassemble run with no GC and no heap growth', async (t) => {
  const results = await runChild();
  t.true(results.length >= 13, 'every case ran');
  for (const r of results) {
    t.log(`${r.name}: ${r.packets} packets, ${r.gcs} GCs, heap ${r.heapGrowth} bytes`);
    t.is(r.gcs, 0, `${r.name}: ${r.gcs} garbage collections during ${r.packets} packets`);
    t.true(r.heapGrowth < BOOKKEEPING_BYTES, `${r.name}: heap grew ${r.heapGrowth} bytes over ${r.packets} packets`);
  }
});
