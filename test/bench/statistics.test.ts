import test from 'ava';
import { figure, latencyMeasurements, median, percentile, rate, roundsComparison, roundsMeasurement, timedInFlight } from '../../bench/statistics.js';

test('percentile: the higher index floor(p/100 n), any order in, input untouched; median = p50', (t) => {
  const xs = [5, 1, 4, 2, 3];
  t.is(percentile(xs, 0), 1);
  t.is(percentile(xs, 50), 3);
  t.is(percentile(xs, 99), 5);
  t.is(percentile(xs, 100), 5);
  t.deepEqual(xs, [5, 1, 4, 2, 3]);
  t.is(median([4, 1, 3, 2]), 3, 'the upper median of an even sample');
  t.true(Number.isNaN(percentile([], 50)));
  const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);
  t.is(percentile(hundred, 99), 100);
  t.is(percentile(hundred, 50), 51);
});

test('latencyMeasurements: rate, total, p50, p99 of a run', (t) => {
  const run = { subject: 'ours', count: 4, totalMs: 200, latencies: [40, 10, 30, 20] };
  t.is(rate(run), 20);
  t.deepEqual(latencyMeasurements('s', 'c', run, 'pods/s').map((m) => [m.metric, m.value, m.unit]), [
    ['pods/s', 20, 'pods/s'], ['total', 200, 'ms'], ['p50', 30, 'ms'], ['p99', 40, 'ms'],
  ]);
});

test('figure: notes get rounded figures', (t) => {
  t.is(figure(7156.197021484375), '7156');
  t.is(figure(12.345), '12.3');
  t.is(figure(0.123456), '0.12');
  t.is(figure(-250.6), '-251');
});

test('timedInFlight: every index once, never more than inFlight at a time, one latency each', async (t) => {
  const seen: number[] = [];
  let running = 0;
  let most = 0;
  const run = await timedInFlight('s', 10, 3, async (i) => {
    running++; most = Math.max(most, running);
    await new Promise((r) => setTimeout(r, 2));
    seen.push(i); running--;
  });
  t.deepEqual([...seen].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  t.is(most, 3);
  t.is(run.latencies.length, 10);
  t.true(run.totalMs > 0);
});

test('roundsComparison: the median of per-round ratios decides the target, not one noisy round', (t) => {
  // times (lower is better): rounds 2 and 3 are the loaded ones, round 3 a spike on our side alone
  const ours = [90, 200, 400];
  const floor = [100, 180, 100];
  const c = roundsComparison('s', 'c', 'time', 'floor', ours, floor, false, { text: '>= 0.9x the floor', minAdvantage: 0.9 }, 'ms');
  t.is(c.advantage, 0.9, 'per-round theirs/ours: 1.11, 0.9, 0.25 -> median 0.9');
  t.is(c.advantageMin, 0.25);
  t.is(c.advantageMax, 100 / 90);
  t.true(c.met);
  t.is(c.ours, 200);
  t.is(c.theirs, 100);
  const rates = roundsComparison('s', 'c', 'Mpps', 'peer', [10, 10, 10], [20, 5, 8], true, { text: '>= 1x', minAdvantage: 1 }, 'Mpps');
  t.is(rates.advantage, 1.25, 'rates: ours/theirs per round 0.5, 2, 1.25');
  t.true(rates.met);
  t.throws(() => roundsComparison('s', 'c', 'time', 'floor', [1, 2], [1], false, undefined, 'ms'));
  t.deepEqual(roundsMeasurement('s', 'c', 'ours', 'time', [3, 1, 2], 'ms'), { suite: 's', case: 'c', subject: 'ours', metric: 'time', value: 2, unit: 'ms', min: 1, max: 3, runs: 3 });
});
