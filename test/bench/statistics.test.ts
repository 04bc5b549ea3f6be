import test from 'ava';
import { figure, latencyMeasurements, median, percentile, rate, timedInFlight } from '../../bench/statistics.js';

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
