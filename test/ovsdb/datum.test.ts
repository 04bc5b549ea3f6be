import test from 'ava';
import { readFileSync } from 'node:fs';
import { applyDiff, columnDecoder, decodeDiff, decodeValue, diffDecoder, encodeValue, isUuid, NamedUuid } from '../../src/ovsdb/datum.js';
import { OvsdbOperationError, OvsdbProtocolError, OvsdbSchemaError, OvsdbValidationError } from '../../src/ovsdb/errors.js';
import { parseJsonBig } from '../../src/ovsdb/json.js';
import { getColumn, getTable, parseColumnType, parseSchema } from '../../src/ovsdb/schema.js';
import { encodeOperations, insert, mutate, select, update, wait, del, decodeResults } from '../../src/ovsdb/operations.js';

const nb = parseSchema(parseJsonBig(readFileSync('/usr/share/ovn/ovn-nb.ovsschema', 'utf8')));
const vs = parseSchema(parseJsonBig(readFileSync('/usr/share/openvswitch/vswitch.ovsschema', 'utf8')));
const col = (table: string, column: string) => getColumn(getTable(nb, table), column).type;
const site = (table: string, column: string) => ({ table, column });

test('schema: column kinds, enums, bounds and references come from the real NB schema', (t) => {
  t.is(col('Logical_Switch', 'name').kind, 'scalar');
  t.is(col('Logical_Switch', 'ports').kind, 'set');
  t.is(col('Logical_Switch', 'ports').key.refTable, 'Logical_Switch_Port');
  t.is(col('Logical_Switch', 'ports').key.refType, 'strong');
  t.is(col('Logical_Switch', 'other_config').kind, 'map');
  t.is(col('Logical_Switch_Port', 'tag_request').kind, 'optional');
  t.is(col('Logical_Switch_Port', 'tag_request').key.maxInteger, 4095n);
  t.true(col('ACL', 'action').key.enum?.has('allow-related'));
  t.is(col('Logical_Switch', '_uuid').key.type, 'uuid');
  t.deepEqual(getTable(nb, 'Logical_Switch_Port').indexes, [['name']]);
  t.throws(() => getTable(nb, 'Nope'), { instanceOf: OvsdbSchemaError, message: /no table "Nope"/ });
  t.throws(() => parseColumnType('x', { key: 'integer', min: 2, max: 1 }), { instanceOf: OvsdbSchemaError });
  t.is(getTable(vs, 'Open_vSwitch').maxRows, 1);
});

test('encode: scalars, optional, sets, maps and uuids take their wire forms', (t) => {
  t.is(encodeValue(col('Logical_Switch', 'name'), 'ls0', site('Logical_Switch', 'name')), 'ls0');
  t.deepEqual(encodeValue(col('Logical_Switch_Port', 'tag_request'), undefined, site('LSP', 'tag_request')), ['set', []]);
  t.is(encodeValue(col('Logical_Switch_Port', 'tag_request'), 7n, site('LSP', 'tag_request')), 7);
  t.deepEqual(encodeValue(col('Logical_Switch', 'ports'), ['6b1ae7e4-0b1f-4a3c-9a59-1f1f1f1f1f1f', new NamedUuid('p1')], site('LS', 'ports')),
    ['set', [['uuid', '6b1ae7e4-0b1f-4a3c-9a59-1f1f1f1f1f1f'], ['named-uuid', 'p1']]]);
  t.deepEqual(encodeValue(col('Logical_Switch', 'other_config'), new Map([['a', 'b']]), site('LS', 'other_config')), ['map', [['a', 'b']]]);
  t.deepEqual(encodeValue(col('Logical_Switch', 'other_config'), { a: 'b' }, site('LS', 'other_config')), ['map', [['a', 'b']]]);
  t.deepEqual(encodeValue(col('NB_Global', 'nb_cfg'), 2n ** 63n - 1n, site('NB_Global', 'nb_cfg')), 9223372036854775807n);
  t.is(encodeValue(col('NB_Global', 'nb_cfg'), 2n ** 53n, site('NB_Global', 'nb_cfg')), 9007199254740992n);
  t.is(encodeValue(col('NB_Global', 'nb_cfg'), 42n, site('NB_Global', 'nb_cfg')), 42);
});

test('validation errors name the table, column and value', (t) => {
  const e = t.throws(() => encodeValue(col('Logical_Switch_Port', 'tag_request'), 5000, site('Logical_Switch_Port', 'tag_request')), { instanceOf: OvsdbValidationError });
  t.is(e.code, 'OVSDB_VALIDATION');
  t.is(e.table, 'Logical_Switch_Port');
  t.is(e.column, 'tag_request');
  t.regex(e.message, /Logical_Switch_Port\.tag_request: integer above the maximum 4095 \(value: 5000\)/);
  t.throws(() => encodeValue(col('ACL', 'action'), 'permit', site('ACL', 'action')), { message: /ACL\.action: not one of .*"allow-related"/ });
  t.throws(() => encodeValue(col('NB_Global', 'nb_cfg'), 2 ** 60, site('NB_Global', 'nb_cfg')), { message: /not a safe integer/ });
  t.throws(() => encodeValue(col('NB_Global', 'nb_cfg'), 2n ** 63n, site('NB_Global', 'nb_cfg')), { message: /64-bit range/ });
  t.throws(() => encodeValue(col('NB_Global', 'nb_cfg'), '1', site('NB_Global', 'nb_cfg')), { message: /expected an integer/ });
  t.throws(() => encodeValue(col('Logical_Switch', 'name'), new NamedUuid('x'), site('Logical_Switch', 'name')), { message: /named-uuid in a string column/ });
  t.throws(() => encodeValue(col('Logical_Switch', 'ports'), ['not-a-uuid'], site('Logical_Switch', 'ports')), { message: /expected a UUID/ });
  t.throws(() => encodeValue(col('Logical_Switch', 'ports'), 'x', site('Logical_Switch', 'ports')), { message: /expected an array/ });
  t.throws(() => encodeValue(col('Logical_Switch', 'name'), undefined, site('Logical_Switch', 'name')), { message: /a value is required/ });
  t.throws(() => encodeValue(col('Logical_Switch', 'other_config'), new Map([['a', 1]]), site('LS', 'other_config')), { message: /expected a string/ });
  // set size and duplicates (ACL.label is 0..1? use a bounded set: Logical_Router_Port.networks min 1)
  t.throws(() => encodeValue(col('Logical_Router_Port', 'networks'), [], site('Logical_Router_Port', 'networks')), { message: /at least 1/ });
  t.throws(() => encodeValue(col('Logical_Router_Port', 'networks'), ['a', 'a'], site('Logical_Router_Port', 'networks')), { message: /duplicate element a/ });
  // string length (vswitch Interface.name has no limit; NB Meter.name none; use a synthetic type)
  const short = parseColumnType('t', { key: { type: 'string', minLength: 2, maxLength: 3 } });
  t.throws(() => encodeValue(short, 'a', site('T', 'c')), { message: /shorter than 2/ });
  t.is(encodeValue(short, '🚀🚀🚀', site('T', 'c')), '🚀🚀🚀', 'length counts characters, not UTF-16 units');
  t.throws(() => encodeValue(short, 'abcd', site('T', 'c')), { message: /longer than 3/ });
  const real = parseColumnType('t', { key: { type: 'real', minReal: 0, maxReal: 1 } });
  t.throws(() => encodeValue(real, 1.5, site('T', 'r')), { message: /above the maximum 1/ });
  t.throws(() => encodeValue(real, Number.NaN, site('T', 'r')), { message: /finite/ });
});

test('decode: bare atoms for one-element sets, empty sets, maps, integers always bigint', (t) => {
  t.deepEqual(decodeValue(col('Logical_Switch', 'ports'), ['uuid', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa']), ['aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa']);
  t.deepEqual(decodeValue(col('Logical_Switch', 'ports'), ['set', []]), []);
  t.is(decodeValue(col('Logical_Switch_Port', 'tag_request'), ['set', []]), undefined);
  t.is(decodeValue(col('Logical_Switch_Port', 'tag_request'), 7), 7n);
  t.is(decodeValue(col('Logical_Switch_Port', 'tag_request'), ['set', [7]]), 7n);
  t.is(decodeValue(col('NB_Global', 'nb_cfg'), -9223372036854775808n), -9223372036854775808n);
  t.deepEqual(decodeValue(col('Logical_Switch', 'other_config'), ['map', [['k', 'v']]]), new Map([['k', 'v']]));
  t.throws(() => decodeValue(col('Logical_Switch', 'name'), 5, 'Logical_Switch.name'), { instanceOf: OvsdbProtocolError, message: /Logical_Switch\.name/ });
  t.throws(() => decodeValue(col('Logical_Switch_Port', 'tag_request'), ['set', [1, 2]]), { instanceOf: OvsdbProtocolError });
});

test('columnDecoder decodes as decodeValue does, and refuses what it refuses with the same error', (t) => {
  const cases: [string, string, unknown][] = [
    ['Logical_Switch_Port', 'name', 'p1'],
    ['Logical_Switch_Port', 'addresses', '0a:58:0a:00:00:01 10.0.0.1'],
    ['Logical_Switch_Port', 'addresses', ['set', ['a', 'b']]],
    ['Logical_Switch_Port', 'addresses', ['set', []]],
    ['Logical_Switch_Port', 'external_ids', ['map', [['pod', 'a'], ['namespace', 'ns']]]],
    ['Logical_Switch_Port', 'external_ids', ['map', []]],
    ['Logical_Switch_Port', 'tag_request', ['set', [4095]]],
    ['Logical_Switch', 'ports', ['set', [['uuid', '6f0b7a4e-0c36-4f7e-9d4c-0e8f4d6f2f10']]]],
    ['Logical_Switch', 'ports', ['uuid', '6f0b7a4e-0c36-4f7e-9d4c-0e8f4d6f2f10']],
    ['Logical_Switch', 'ports', ['set', [['uuid', '6f0b7a4e-0c36-4f7e-9d4c-0e8f4d6f2f10'], ['uuid', '7f0b7a4e-0c36-4f7e-9d4c-0e8f4d6f2f10']]]],
    ['Logical_Switch', 'ports', ['set', []]],
    ['Logical_Switch', 'copp', ['uuid', '6f0b7a4e-0c36-4f7e-9d4c-0e8f4d6f2f10']],
    ['Logical_Switch', 'copp', ['set', []]],
    ['Logical_Switch', 'copp', ['set', [['uuid', '6f0b7a4e-0c36-4f7e-9d4c-0e8f4d6f2f10']]]],
    ['Logical_Switch', 'other_config', ['map', [['subnet', '10.0.0.0/24']]]],
  ];
  for (const [table, column, json] of cases) {
    t.deepEqual(columnDecoder(col(table, column))(json as never, `${table}.${column}`), decodeValue(col(table, column), json as never, `${table}.${column}`), `${table}.${column}`);
  }
  const bad: [string, string, unknown][] = [
    ['Logical_Switch_Port', 'name', 7],
    ['Logical_Switch_Port', 'addresses', ['set', ['a', 5]]],
    ['Logical_Switch_Port', 'addresses', ['map', []]],
    ['Logical_Switch_Port', 'external_ids', ['map', [['pod', 5]]]],
    ['Logical_Switch_Port', 'external_ids', ['map', [['pod']]]],
    ['Logical_Switch_Port', 'external_ids', ['set', []]],
    ['Logical_Switch', 'ports', ['uuid', 'not-a-uuid']],
    ['Logical_Switch', 'ports', ['set', [['uuid', '6f0b7a4e-0c36-4f7e-9d4c-0e8f4d6f2f10'], ['named-uuid', 'x']]]],
    ['Logical_Switch', 'ports', ['set', ['6f0b7a4e-0c36-4f7e-9d4c-0e8f4d6f2f10']]],
    ['Logical_Switch', 'ports', ['uuid', '6f0b7a4e-0c36-4f7e-9d4c-0e8f4d6f2f10', 'extra']],
    ['Logical_Switch', 'copp', ['uuid', '6f0b7a4e-0c36-4f7e-9d4c-0e8f4d6f2f1']],
    ['Logical_Switch', 'copp', ['set', [['uuid', '6f0b7a4e-0c36-4f7e-9d4c-0e8f4d6f2f10'], ['uuid', '7f0b7a4e-0c36-4f7e-9d4c-0e8f4d6f2f10']]]],
    ['Logical_Switch', 'copp', '6f0b7a4e-0c36-4f7e-9d4c-0e8f4d6f2f10'],
  ];
  for (const [table, column, json] of bad) {
    const expected = t.throws(() => decodeValue(col(table, column), json as never, `${table}.${column}`), { instanceOf: OvsdbProtocolError });
    t.throws(() => columnDecoder(col(table, column))(json as never, `${table}.${column}`), { instanceOf: OvsdbProtocolError, message: expected?.message }, JSON.stringify(json));
  }
});

test('diffDecoder decodes a modify diff as decodeDiff does (a set column: any number of elements to toggle)', (t) => {
  const u = (i: number) => `6f0b7a4e-0c36-4f7e-9d4c-${String(i).padStart(12, '0')}`;
  const cases: [string, string, unknown][] = [
    ['Logical_Switch', 'ports', ['uuid', u(1)]],
    ['Logical_Switch', 'ports', ['set', [['uuid', u(1)], ['uuid', u(2)]]]],
    ['Logical_Switch', 'copp', ['set', []]],
    ['Logical_Switch', 'name', 'sw0'],
    ['Logical_Switch_Port', 'addresses', ['set', ['a', 'b', 'c']]],
    ['Logical_Switch_Port', 'external_ids', ['map', [['pod', 'a']]]],
    ['Logical_Switch_Port', 'tag_request', ['set', [7]]],
  ];
  for (const [table, column, json] of cases) {
    const type = col(table, column);
    t.deepEqual(diffDecoder(type)(json as never, column), decodeDiff(type, json as never, column), `${table}.${column}`);
  }
  const type = col('Logical_Switch', 'ports');
  const bad = ['set', [['uuid', u(1)], ['uuid', 'nope']]];
  const expected = t.throws(() => decodeDiff(type, bad as never, 'ports'), { instanceOf: OvsdbProtocolError });
  t.throws(() => diffDecoder(type)(bad as never, 'ports'), { instanceOf: OvsdbProtocolError, message: expected?.message });
});

test('update2 diffs apply as ovsdb-server means them', (t) => {
  const ports = col('Logical_Switch', 'ports');
  t.deepEqual(applyDiff(ports, ['aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb'], decodeDiff(ports, ['set', [['uuid', 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb'], ['uuid', 'cccccccc-cccc-4ccc-8ccc-cccccccccccc']]])), ['aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'cccccccc-cccc-4ccc-8ccc-cccccccccccc']);
  const oc = col('Logical_Switch', 'other_config');
  const after = applyDiff(oc, new Map([['keep', '1'], ['change', 'x'], ['drop', 'y']]),
    decodeDiff(oc, ['map', [['change', 'z'], ['drop', 'y'], ['add', 'n']]]));
  t.deepEqual(after, new Map([['keep', '1'], ['change', 'z'], ['add', 'n']]));
  const tag = col('Logical_Switch_Port', 'tag_request');
  // Optional (min 0, max 1) columns carry the new value, as ovsdb-server sends them (see update2-diff.integration.test.ts).
  t.is(applyDiff(tag, 1n, decodeDiff(tag, 2)), 2n);
  t.is(applyDiff(tag, 1n, decodeDiff(tag, ['set', [2]])), 2n);
  t.is(applyDiff(tag, 1n, decodeDiff(tag, ['set', []])), undefined);
  t.is(applyDiff(tag, undefined, decodeDiff(tag, 5)), 5n);
  t.is(applyDiff(col('Logical_Switch', 'name'), 'a', 'b'), 'b');
});

test('operations: a transaction encodes with named-uuids checked and conditions/mutations validated', (t) => {
  const lsp = new NamedUuid('lsp0');
  const params = encodeOperations(nb, [
    insert('Logical_Switch_Port', { name: 'p0', addresses: ['00:00:00:00:00:01 10.0.0.1'] }, { uuidName: 'lsp0' }),
    insert('Logical_Switch', { name: 'ls0', ports: [lsp] }),
    mutate('Logical_Switch', [['name', '==', 'ls0']], [['ports', 'insert', [lsp]], ['other_config', 'delete', ['a', 'b']], ['external_ids', 'delete', new Map([['k', 'v']])]]),
    update('Logical_Switch_Port', [['tag_request', '<', 10]], { tag_request: 3n }),
    select('Logical_Switch', [['ports', 'includes', lsp], true], ['name']),
    wait('Logical_Switch', [['name', '==', 'ls0']], ['name'], '==', [{ name: 'ls0' }], 0),
    del('ACL', [['priority', '>=', 100]]),
  ]);
  t.deepEqual(params[2], {
    op: 'mutate', table: 'Logical_Switch', where: [['name', '==', 'ls0']],
    mutations: [['ports', 'insert', ['set', [['named-uuid', 'lsp0']]]], ['other_config', 'delete', ['set', ['a', 'b']]], ['external_ids', 'delete', ['map', [['k', 'v']]]]],
  });
  t.deepEqual(params[5], { op: 'wait', table: 'Logical_Switch', where: [['name', '==', 'ls0']], columns: ['name'], until: '==', rows: [{ name: 'ls0' }], timeout: 0 });
  t.deepEqual((params[4] as { where: unknown }).where, [['ports', 'includes', ['set', [['named-uuid', 'lsp0']]]], true]);

  t.throws(() => encodeOperations(nb, [insert('Logical_Switch', { name: 'x', ports: [new NamedUuid('nope')] })]),
    { instanceOf: OvsdbValidationError, message: /Logical_Switch\.ports: .*named-uuid "nope" is not the uuid-name/ });
  t.throws(() => encodeOperations(nb, [insert('Logical_Switch', { name: 'a' }, { uuidName: 'x' }), insert('Logical_Switch', { name: 'b' }, { uuidName: 'x' })]),
    { message: /duplicate uuid-name/ });
  t.throws(() => encodeOperations(nb, [insert('Logical_Switch', { nme: 'x' })]), { message: /no column "nme"/ });
  t.throws(() => encodeOperations(nb, [select('Logical_Switch', [['name', '<', 'a']])]), { message: /"<" needs an integer or real column/ });
  t.throws(() => encodeOperations(nb, [mutate('Logical_Switch', [], [['name', '+=', 'a']])]), { message: /"\+=" needs an integer or real/ });
  t.throws(() => encodeOperations(nb, [mutate('ACL', [], [['priority', '%=', 1.5]])]), { message: /not a safe integer/ });
  t.throws(() => encodeOperations(nb, [update('Logical_Switch', [], { _uuid: 'x' })]), { message: /cannot be written/ });
  t.throws(() => encodeOperations(nb, [select('Logical_Switch', [['name', 'like', 'a'] as never])]), { message: /unknown condition function/ });
  t.throws(() => encodeOperations(nb, [wait('Logical_Switch', [], ['name'], '==', [{ ports: [] }])]), { message: /only hold the listed columns/ });
});

test('results: typed values, the first failing operation, and a commit failure', (t) => {
  const ops = [insert('Logical_Switch', { name: 'a' }), select('Logical_Switch', [], ['name', 'ports'])];
  const ok = decodeResults(nb, ops, [{ uuid: ['uuid', '11111111-1111-4111-8111-111111111111'] }, { rows: [{ name: 'a', ports: ['uuid', 'ffffffff-ffff-4fff-8fff-ffffffffffff'] }] }]);
  t.deepEqual(ok, [{ uuid: '11111111-1111-4111-8111-111111111111' }, { rows: [{ name: 'a', ports: ['ffffffff-ffff-4fff-8fff-ffffffffffff'] }] }]);
  const failing = t.throws(() => decodeResults(nb, ops, [{ uuid: ['uuid', '11111111-1111-4111-8111-111111111111'] }, { error: 'constraint violation', details: 'dup' }]), { instanceOf: OvsdbOperationError });
  t.is(failing.code, 'OVSDB_CONSTRAINT_VIOLATION');
  t.like(failing, { index: 1, op: 'select', details: 'dup' });
  const commit = t.throws(() => decodeResults(nb, ops, [{ uuid: ['uuid', '11111111-1111-4111-8111-111111111111'] }, { rows: [] }, { error: 'referential integrity violation', details: 'x' }]), { instanceOf: OvsdbOperationError });
  t.like(commit, { code: 'OVSDB_REFERENTIAL_INTEGRITY', index: 2, op: undefined });
  t.regex(commit.message, /failed at commit: referential integrity violation: x/);
});

test('applyDiff on a large set: one element toggled at a time, also from a value the next diff already left behind', (t) => {
  const lbs = col('Load_Balancer_Group', 'load_balancer');
  const u = (i: number) => `aaaaaaaa-aaaa-4aaa-8aaa-${String(i).padStart(12, '0')}`;
  let value = Array.from({ length: 100 }, (_, i) => u(i));
  const start = value;
  const toggle = (from: string[], i: number) => applyDiff(lbs, from, decodeDiff(lbs, ['uuid', u(i)])) as string[];
  value = toggle(value, 100); // added
  t.deepEqual(toggle(start, 100), [...start, u(100)], 'the value before it still lacks it');
  value = toggle(value, 5); // removed
  value = toggle(value, 100); // removed again
  value = toggle(value, 5); // back, at the end
  t.deepEqual(value, [...start.filter((x) => x !== u(5)), u(5)]);
  // The value before those diffs, used again: its elements, not the ones of the values made from it.
  t.deepEqual(toggle(start, 100), [...start, u(100)]);
  t.deepEqual(toggle(start, 7), start.filter((x) => x !== u(7)));
  t.is(start.length, 100, 'a value is never changed in place');
});

test('isUuid: 8-4-4-4-12 hexadecimal digits, either case, nothing else', (t) => {
  for (const ok of ['00000000-0000-0000-0000-000000000000', '0aF9b8c7-d6E5-4f43-a210-ABCDEFabcdef']) t.true(isUuid(ok), ok);
  const good = '0123abcd-4567-89ef-ABCD-0123456789ab';
  const at = (i: number, c: string) => good.slice(0, i) + c + good.slice(i + 1);
  const refused = [
    good.slice(1), `${good}0`, // 35 and 37 characters
    at(8, '0'), at(7, '-'), at(23, ':'), // a dash missing or out of place
    at(0, 'g'), at(35, 'G'), at(2, ' '), at(3, '\u00e1'), at(4, '\u0661'), at(5, '\uff10'), // not a hex digit (fullwidth 0 too)
    ['uuid', good], 7, undefined,
  ];
  for (const bad of refused) t.false(isUuid(bad), JSON.stringify(bad));
});

test('applyDiff on a large set: many elements at once, appended in order; one listed twice toggles as before', (t) => {
  const lbs = col('Load_Balancer_Group', 'load_balancer');
  const u = (i: number) => `bbbbbbbb-aaaa-4aaa-8aaa-${String(i).padStart(12, '0')}`;
  const start = Array.from({ length: 100 }, (_, i) => u(i));
  const diff = (...ids: number[]) => decodeDiff(lbs, ['set', ids.map((i) => ['uuid', u(i)])]);
  const note = { appended: false };
  const grown = applyDiff(lbs, start, diff(100, 101, 102, 103, 104, 105), note) as string[];
  t.deepEqual(grown, [...start, u(100), u(101), u(102), u(103), u(104), u(105)]);
  t.true(note.appended);
  t.is(start.length, 100, 'a value is never changed in place');
  // The next diffs see the grown value's elements (its membership moved with it).
  t.deepEqual(applyDiff(lbs, grown, diff(105)), grown.slice(0, -1));
  t.deepEqual(applyDiff(lbs, grown, diff(106)), [...grown, u(106)]);
  // A removal among many: toggled, not appended.
  const mixed = { appended: false };
  t.deepEqual(applyDiff(lbs, grown, diff(0, 200, 201, 202, 203), mixed), [...grown.slice(1), u(200), u(201), u(202), u(203)]);
  t.false(mixed.appended);
  // An element listed twice among many toggles twice (no change for it), as the general path always did.
  const twice = { appended: false };
  t.deepEqual(applyDiff(lbs, grown, diff(300, 301, 300, 302, 303), twice), [...grown, u(301), u(302), u(303)]);
  t.false(twice.appended);
  // The values before stay usable: their elements, not the ones of the values made from them.
  t.deepEqual(applyDiff(lbs, grown, diff(106)), [...grown, u(106)]);
  t.deepEqual(applyDiff(lbs, start, diff(7)), start.filter((x) => x !== u(7)));
});
