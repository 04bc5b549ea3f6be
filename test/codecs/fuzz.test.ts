import test from 'ava';
import { fuzzGeneve, fuzzStt, fuzzVxlan, type FuzzReport } from './fuzz.js';

// npm test runs a smaller count; `npm run fuzz:codecs` runs 1,000,000+ per decoder.
const N = Number(process.env.CODECS_FUZZ_COUNT ?? 100000);

function check(t: { log: (...a: unknown[]) => void; deepEqual: (a: unknown, b: unknown, m?: string) => void; true: (v: boolean, m?: string) => void }, rep: FuzzReport): void {
  t.log(`${rep.name}: ${rep.frames} frames in ${rep.ms.toFixed(0)} ms`, rep.reasons);
  t.deepEqual(rep.failures, []);
  t.true(rep.frames >= N);
  // the corpus exercises both verdicts
  t.true((rep.reasons.Ok ?? 0) > rep.frames / 20, 'enough frames decode Ok');
  t.true(Object.keys(rep.reasons).length >= 5, 'several distinct reasons are hit');
}

test('fuzz the Geneve decoder', (t) => { check(t, fuzzGeneve(N, 11)); });
test('fuzz the VXLAN decoder', (t) => { check(t, fuzzVxlan(N, 12)); });
test('fuzz the STT reassembler', (t) => { check(t, fuzzStt(N, 13)); });
