import test from 'ava';
import { figure, latencyMeasurements, median, percentile, rate } from '../../bench/statistics.js';

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
