// The byte-level fake-server fuzz (hostile-fuzz.ts) in memory: a few thousand streams in seconds; `npm run
// fuzz:ovsdb` runs 100,000 over unix sockets. Every kind of fault is met, every stream ends typed or clean, the
// pending transact is "outcome unknown", and the heap does not grow with the number of streams.
import test from 'ava';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { FUZZ_LIMITS, KINDS, fuzzOvsdbClient, makeScenario, seeded } from './hostile-fuzz.js';
import { memoryPair } from './memory-pair.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const N = Number(process.env.OVSDB_FUZZ_COUNT ?? 3000);

test(`${N} hostile streams from a fake server: 0 failures, every kind met, memory flat`, async (t) => {
  const report = await fuzzOvsdbClient(N, 1212, async () => memoryPair(), { gc });
  t.log(`${report.streams} streams in ${report.ms.toFixed(0)} ms; endings ${JSON.stringify(report.endings)}; rss ${report.rssStartMb} -> max ${report.rssMaxMb} MB; heap growth ${report.heapGrowthMb} MB`);
  t.deepEqual(report.failures, []);
  t.is(report.streams, N);
  t.deepEqual(Object.keys(report.byKind).sort(), [...KINDS].sort());
  for (const code of ['clean', 'OVSDB_PROTOCOL', 'OVSDB_MESSAGE_TOO_LARGE', 'OVSDB_MESSAGE_TOO_DEEP', 'OVSDB_MESSAGE_TOO_MANY_VALUES', 'OVSDB_NUMBER_TOO_LONG', 'OVSDB_NUMBER_OUT_OF_RANGE', 'OVSDB_INVALID_UTF8']) {
    t.true((report.endings[code] ?? 0) > 0, `some stream ended ${code}`);
  }
  // Each stream holds at most one message under FUZZ_LIMITS (256 KiB); nothing may pile up across streams.
  t.true(report.heapGrowthMb < 16, `heap grew ${report.heapGrowthMb} MB over ${N} streams`);
});

test('scenarios are reproducible from the seed and cut at many places', (t) => {
  const a = makeScenario(seeded(5), FUZZ_LIMITS, 'mutated');
  const b = makeScenario(seeded(5), FUZZ_LIMITS, 'mutated');
  t.deepEqual(a.bytes, b.bytes);
  t.deepEqual(a.cuts, b.cuts);
  const endless = makeScenario(seeded(6), FUZZ_LIMITS, 'endless');
  t.true(endless.bytes.length > FUZZ_LIMITS.maxMessageBytes);
});
