import test from 'ava';
import { drawComparisonChart } from '../../bench/chart.js';
import { compare } from '../../bench/result.js';

test('compare() turns times and throughputs into an advantage where > 1 means we are better', (t) => {
  const time = compare('s', 'c', 'ms', 'peer', 50, 200, false, { text: '>= 3x', minAdvantage: 3 });
  t.is(time.advantage, 4);
  t.true(time.met);
  const rate = compare('s', 'c', 'Mpps', 'peer', 10, 20, true, { text: '>= 1x', minAdvantage: 1 });
  t.is(rate.advantage, 0.5);
  t.false(rate.met);
});

test('the chart draws one bar per comparison, coloured by whether its target was met', (t) => {
  const svg = drawComparisonChart([
    compare('codecs', 'encap', 'Mpps', 'alloc', 30, 1, true, { text: '>= 25x', minAdvantage: 25 }),
    compare('ovsdb', 'transact <10k>', 'ms', 'python', 100, 150, false, { text: '>= 3x', minAdvantage: 3 }),
  ], 'title & more');
  t.is((svg.match(/<rect /g) ?? []).length, 3); // background + two bars
  t.true(svg.includes('#2e9e4f'));
  t.true(svg.includes('#c8413b'));
  t.true(svg.includes('transact &lt;10k&gt;'));
  t.true(svg.includes('title &amp; more'));
});
