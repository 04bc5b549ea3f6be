// The full fuzz run: `npm run fuzz:codecs [-- COUNT [SEED]]` (default 1,000,000 frames per decoder and through
// the STT reassembler). Exits non-zero on any failure.
import { fuzzGeneve, fuzzStt, fuzzVxlan } from './fuzz.js';

const count = Number(process.argv[2] ?? 1_000_000);
const seed = Number(process.argv[3] ?? 1);
let failed = false;
for (const run of [fuzzGeneve, fuzzVxlan, fuzzStt]) {
  const rep = run(count, seed);
  console.log(`${rep.name}: ${rep.frames} frames, ${(rep.ms / 1000).toFixed(1)} s, failures ${rep.failures.length}`);
  console.log(`  ${JSON.stringify(rep.reasons)}`);
  for (const f of rep.failures) console.log(`  FAIL ${f}`);
  if (rep.failures.length) failed = true;
}
process.exit(failed ? 1 : 0);
