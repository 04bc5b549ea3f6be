// Unit tests of the desired-state diff (src/ovn/desired-state.ts): which stored column values count as already
// what is desired. Every ensure() of every kind decides from these whether it sends anything at all.
import test from 'ava';
import { NamedUuid } from '../../src/ovsdb/datum.js';
import { changedColumns, sameValue } from '../../src/ovn/desired-state.js';

const U1 = '6f1c2a4e-0000-4000-8000-000000000001';
const U2 = '6f1c2a4e-0000-4000-8000-000000000002';

test('sets: order does not matter, size does; a Set is a set; a scalar stored is a set of one', (t) => {
  t.true(sameValue(['a', 'b'], ['b', 'a']));
  t.true(sameValue(['a', 'b'], new Set(['b', 'a'])));
  t.true(sameValue(['a'], ['a']));
  t.false(sameValue(['a'], ['b']));
  t.false(sameValue(['a', 'b'], ['a']));
  t.false(sameValue(['a'], ['a', 'b']));
  t.true(sameValue('a', ['a']), 'an optional column read as its value');
  t.false(sameValue('a', ['b']));
  t.true(sameValue(undefined, []));
  t.false(sameValue(undefined, ['a']));
  t.true(sameValue([], []));
  t.true(sameValue([U1, U2], [U2, U1]));
});

test('sets: integers compare by value, whether number or bigint; a named-uuid is never the same', (t) => {
  t.true(sameValue([1n, 2n], [2, 1]));
  t.true(sameValue([5n], [5n]));
  t.false(sameValue([5n], [6]));
  t.false(sameValue([U1], [new NamedUuid('row0')]));
  t.false(sameValue([], [new NamedUuid('row0')]));
  t.false(sameValue(['1'], [1]), 'the string "1" is not the integer 1');
});

test('maps: pairs compare, order does not; a plain object is a map; a missing map is empty', (t) => {
  const stored = new Map([['a', '1'], ['b', '2']]);
  t.true(sameValue(stored, new Map([['b', '2'], ['a', '1']])));
  t.true(sameValue(stored, { a: '1', b: '2' }));
  t.false(sameValue(stored, new Map([['a', '1']])));
  t.false(sameValue(stored, new Map([['a', '1'], ['b', '3']])));
  t.false(sameValue(stored, new Map([['a', '1'], ['c', '2']])));
  t.false(sameValue(stored, new Map([['a', '1'], ['b', '2'], ['c', '3']])));
  t.true(sameValue(undefined, new Map()));
  t.true(sameValue(undefined, {}));
  t.false(sameValue(undefined, new Map([['a', '1']])));
  t.true(sameValue(new Map([['k', 5n]]), new Map([['k', 5]])), 'integer values by value');
  t.false(sameValue(new Map([['k', U1]]), new Map([['k', new NamedUuid('row0')]])));
});

test('scalars: by value (integers as bigint); an absent desired value matches nothing stored or an empty set', (t) => {
  t.true(sameValue('tcp', 'tcp'));
  t.false(sameValue('tcp', 'udp'));
  t.true(sameValue(7n, 7));
  t.true(sameValue(true, true));
  t.false(sameValue(U1, new NamedUuid('row0')));
  t.true(sameValue(undefined, undefined));
  t.true(sameValue([], undefined));
  t.false(sameValue('x', undefined));
});

test('changedColumns keeps exactly the columns whose stored value differs', (t) => {
  const stored = { _uuid: U1, name: 'lb', protocol: 'tcp', vips: new Map([['10.0.0.1:80', '10.1.0.5:8080']]), selection_fields: [] as string[], external_ids: new Map([['a', '1']]) };
  t.deepEqual(changedColumns(stored, { protocol: 'tcp', vips: new Map([['10.0.0.1:80', '10.1.0.5:8080']]), selection_fields: [], external_ids: { a: '1' } }), {});
  const vips = new Map([['10.0.0.1:80', '10.1.0.6:8080']]);
  t.deepEqual(changedColumns(stored, { protocol: 'tcp', vips, selection_fields: ['ip_src'] }), { vips, selection_fields: ['ip_src'] });
});
