// The replica checks every update against what it holds and against the schema before it changes anything
// (issue 12 item 6): an impossible update throws OvsdbImpossibleUpdateError naming the table, the row and the
// reason, and leaves every row, index and the change counter as they were, even when the impossible row comes
// after rows that would have applied.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { OvsdbImpossibleUpdateError } from '../../src/ovsdb/errors.js';
import type { Json } from '../../src/ovsdb/json.js';
import { Replica, type RowChange } from '../../src/ovsdb/replica.js';
import { parseSchema } from '../../src/ovsdb/schema.js';

const nb = parseSchema(JSON.parse(readFileSync('/usr/share/ovn/ovn-nb.ovsschema', 'utf8')));
const S1 = 'bbbbbbbb-0000-4000-8000-000000000001';
const S2 = 'bbbbbbbb-0000-4000-8000-000000000002';
const GHOST = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';

function replica(): Replica {
  const r = new Replica(nb);
  r.addTable('Logical_Switch', { columns: ['name', 'ports', 'other_config'], indexes: { name: 'name' } });
  r.addTable('Logical_Switch_Port', { columns: ['name', 'tag_request'] });
  r.applyUpdates(2, { Logical_Switch: { [S1]: { insert: { name: 's1', other_config: ['map', [['k', 'v']]] } } } }, undefined);
  return r;
}

/** What the replica holds, as comparable data. */
function snapshot(r: Replica) {
  const ls = r.table('Logical_Switch');
  return {
    rows: [...ls.rows.values()].map((row) => ({ ...row, other_config: [...(row.other_config as Map<string, string>)] })),
    byName: [...ls.rows.values()].map((row) => ls.indexes.get('name')!.lookupOne(row.name) === row),
    ports: r.table('Logical_Switch_Port').rows.size,
  };
}

// Each comes after an update of S2 that would apply on its own: nothing of the batch may land.
const fine = { [S2]: { insert: { name: 's2' } } };
const impossible: [string, Json, RegExp][] = [
  ['an insert of a uuid the replica has', { Logical_Switch: { ...fine, [S1]: { insert: { name: 'impostor' } } } }, /insert of a row the replica has/],
  ['a modify of a row it lacks', { Logical_Switch: { ...fine, [GHOST]: { modify: { name: 'x' } } } }, /modify of a row the replica does not have/],
  ['a delete of a row it lacks', { Logical_Switch: { ...fine, [GHOST]: { delete: null } } }, /delete of a row the replica does not have/],
  ['a column the schema lacks', { Logical_Switch: { ...fine, [S1]: { modify: { no_such_column: 'x' } } } }, /"no_such_column" is not monitored \(not in the schema\)/],
  ['a column not monitored', { Logical_Switch: { ...fine, [S1]: { modify: { acls: ['set', []] } } } }, /"acls" is not monitored$/],
  ['a row key that is no UUID', { Logical_Switch: { ...fine, 'not-a-uuid': { insert: { name: 'bad-key' } } } }, /row key is not a UUID/],
  ['a uuid value that is no UUID', { Logical_Switch: { ...fine, [S1]: { modify: { ports: ['uuid', 'not-a-uuid'] } } } }, /expected \["uuid", <a UUID>\]/],
  ['a string where an integer goes', { Logical_Switch_Port: { [GHOST]: { insert: { name: 'p', tag_request: 'x' } } }, Logical_Switch: fine }, /expected an integer/],
  ['a real where an integer goes', { Logical_Switch: fine, Logical_Switch_Port: { [GHOST]: { insert: { tag_request: 1.5 } } } }, /expected an integer/],
  ['an integer beyond 64 bits', { Logical_Switch: fine, Logical_Switch_Port: { [GHOST]: { insert: { tag_request: 2n ** 70n } } } }, /a 64-bit integer/],
  ['a table not replicated', { Logical_Switch: fine, ACL: { [GHOST]: { insert: {} } } }, /of ACL: the table is not monitored/],
  ['a table the schema lacks', { Logical_Switch: fine, No_Such_Table: {} }, /of No_Such_Table: the table is not monitored/],
  ['two verbs for one row', { Logical_Switch: { ...fine, [S1]: { modify: { name: 'x' }, delete: null } } }, /exactly one of initial\/insert\/modify\/delete/],
  ['an unknown verb', { Logical_Switch: { ...fine, [S1]: { rename: 'x' } } }, /"rename" is not initial\/insert\/modify\/delete/],
  ['row updates that are not an object', { Logical_Switch: [] }, /its row updates are not an object/],
  ['table-updates that are not an object', 'x', /table-updates is not an object/],
];

for (const [name, updates, reason] of impossible) {
  test(`update2: ${name} is refused whole`, (t) => {
    const r = replica();
    const before = snapshot(r);
    const generation = r.generation;
    const changes: RowChange[] = [];
    const e = t.throws(() => r.applyUpdates(2, updates, changes), { instanceOf: OvsdbImpossibleUpdateError });
    t.is(e.code, 'OVSDB_IMPOSSIBLE_UPDATE');
    t.regex(e.message, reason);
    t.deepEqual(snapshot(r), before, 'nothing applied');
    t.is(r.generation, generation);
    t.deepEqual(changes, []);
  });
}

test('a table outside the monitor is refused when the monitor names its tables', (t) => {
  const r = replica();
  const e = t.throws(() => r.applyUpdates(2, { Logical_Switch_Port: { [GHOST]: { insert: { name: 'p' } } } }, undefined, ['Logical_Switch']), { instanceOf: OvsdbImpossibleUpdateError });
  t.is(e.table, 'Logical_Switch_Port');
  t.is(r.table('Logical_Switch_Port').rows.size, 0);
});

test('possible updates still apply: insert, modify, delete, each with its change', (t) => {
  const r = replica();
  const changes: RowChange[] = [];
  r.applyUpdates(2, { Logical_Switch: { [S2]: { insert: { name: 's2' } }, [S1]: { modify: { name: 'one' } } } }, changes);
  r.applyUpdates(2, { Logical_Switch: { [S2]: { delete: null } } }, changes);
  t.deepEqual(changes.map((c) => `${c.kind} ${c.uuid}`), [`insert ${S2}`, `update ${S1}`, `delete ${S2}`]);
  t.is(r.table('Logical_Switch').indexes.get('name')!.lookupOne('one')?._uuid, S1);
});

test('update (RFC 7047): new alone inserts, old+new modifies, old alone deletes; the impossible ones are refused whole', (t) => {
  const r = replica();
  r.applyUpdates(1, { Logical_Switch: { [S2]: { new: { name: 's2' } }, [S1]: { old: { name: 's1' }, new: { name: 'one' } } } }, undefined);
  t.is(r.table('Logical_Switch').rows.get(S1)?.name, 'one');
  const cases: [Json, RegExp][] = [
    [{ Logical_Switch: { [S1]: { new: { name: 'again' } } } }, /insert of a row the replica has/],
    [{ Logical_Switch: { [GHOST]: { old: { name: 'x' }, new: { name: 'y' } } } }, /modify of a row the replica does not have/],
    [{ Logical_Switch: { [GHOST]: { old: {} } } }, /delete of a row the replica does not have/],
    [{ Logical_Switch: { [S1]: {} } }, /needs old or new/],
    [{ Logical_Switch: { [S1]: { old: { name: 'one' }, new: { name: 5 } } } }, /expected a string/],
  ];
  for (const [updates, reason] of cases) {
    const before = snapshot(r);
    const e = t.throws(() => r.applyUpdates(1, { Logical_Switch: { [S2]: { old: { name: 's2' }, new: { name: 'two' } } }, ...(updates as object) }, undefined), { instanceOf: OvsdbImpossibleUpdateError });
    t.regex(e.reason, reason);
    t.deepEqual(snapshot(r), before);
  }
  r.applyUpdates(1, { Logical_Switch: { [S2]: { old: { name: 's2' } } } }, undefined);
  t.false(r.table('Logical_Switch').rows.has(S2));
});

test('a full state (replaceTables) is checked before it replaces anything', (t) => {
  const r = replica();
  const before = snapshot(r);
  const bad: Json[] = [
    { Logical_Switch: { [S2]: { initial: { name: 's2' } }, 'not-a-uuid': { initial: {} } } },
    { Logical_Switch: { [S2]: { initial: { name: 's2' } }, [GHOST]: { modify: {} } } },
    { Logical_Switch: { [S2]: { initial: { name: 's2', other_config: ['map', [['k']]] } } } },
    { Logical_Switch: { [S2]: { initial: { name: 's2' } } }, Logical_Switch_Port: {} },
  ];
  for (const updates of bad) {
    t.throws(() => r.replaceTables(2, updates, ['Logical_Switch'], undefined), { instanceOf: OvsdbImpossibleUpdateError });
    t.deepEqual(snapshot(r), before);
  }
  const changes: RowChange[] = [];
  r.replaceTables(2, { Logical_Switch: { [S2]: { initial: { name: 's2' } } } }, ['Logical_Switch'], changes);
  t.deepEqual(changes.map((c) => `${c.kind} ${c.uuid}`), [`insert ${S2}`, `delete ${S1}`]);
});
