// Rows for logs: what the replica and the client hand out (bigint, Map, arrays, absent optional columns) goes
// through JSON.stringify once passed through rowToJson, exactly and readably.
import test from 'ava';
import { NamedUuid } from '../../src/ovsdb/datum.js';
import { rowToJson } from '../../src/ovsdb/row-json.js';

const row = {
  _uuid: '6b1a9ba6-8a31-4d1c-a4b2-2a8a6e3a4a55',
  name: 'default_web-0',
  tag_request: 7n,
  tunnel_key: 2n ** 63n - 1n,
  addresses: ['0a:58:0a:f4:01:05 10.244.1.5'],
  external_ids: new Map([['iface-id', 'default_web-0'], ['k8s.ovn.org/pod', 'web-0']]),
  options: new Map([[1n, 2.5]]),
  parent_name: undefined,
  up: true,
};

test('JSON.stringify throws on a row as read, and takes it through rowToJson', (t) => {
  t.throws(() => JSON.stringify(row), { instanceOf: TypeError });
  t.deepEqual(JSON.parse(JSON.stringify(rowToJson(row))), {
    _uuid: '6b1a9ba6-8a31-4d1c-a4b2-2a8a6e3a4a55',
    name: 'default_web-0',
    tag_request: 7,
    tunnel_key: '9223372036854775807',
    addresses: ['0a:58:0a:f4:01:05 10.244.1.5'],
    external_ids: { 'iface-id': 'default_web-0', 'k8s.ovn.org/pod': 'web-0' },
    options: { 1: 2.5 },
    up: true,
  });
});

test('change events, sets, named uuids, undefined and odd numbers', (t) => {
  const change = { table: 'Logical_Switch_Port', kind: 'update', uuid: row._uuid, old: { ...row, tag_request: 6n }, new: row };
  const json = rowToJson(change) as { old: { tag_request: number }; new: { tag_request: number } };
  t.is(json.old.tag_request, 6);
  t.is(json.new.tag_request, 7);
  t.deepEqual(rowToJson(new Set([1n, -(2n ** 60n)])), [1, '-1152921504606846976']);
  t.deepEqual(rowToJson([undefined, new NamedUuid('p0'), Number.POSITIVE_INFINITY]), [null, ['named-uuid', 'p0'], 'Infinity']);
  t.is(rowToJson(undefined), null);
  const circular: Record<string, unknown> = { a: 1 };
  circular.self = circular;
  t.deepEqual(rowToJson(circular), { a: 1, self: '[circular]' });
});
