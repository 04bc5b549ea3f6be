// Index lookups after a modify that leaves the indexed columns alone return the new row object, not the one it
// replaced (unique schema index, declared non-unique index, set-element index).
import test from 'ava';
import { readFileSync } from 'node:fs';
import { Replica } from '../../src/ovsdb/replica.js';
import { parseSchema } from '../../src/ovsdb/schema.js';

const nb = parseSchema(JSON.parse(readFileSync('/usr/share/ovn/ovn-nb.ovsschema', 'utf8')));
const P1 = 'aaaaaaaa-0000-0000-0000-000000000001';
const S1 = 'bbbbbbbb-0000-0000-0000-000000000001';

test('a modify of other columns: every index returns the current row', (t) => {
  const r = new Replica(nb);
  r.addTable('Logical_Switch_Port', {});
  r.addTable('Logical_Switch', { indexes: { name: 'name', byPort: 'ports' } });
  r.applyUpdates(2, {
    Logical_Switch_Port: { [P1]: { insert: { name: 'p1' } } },
    Logical_Switch: { [S1]: { insert: { name: 's1', ports: ['uuid', P1] } } },
  }, undefined);
  r.applyUpdates(2, {
    Logical_Switch_Port: { [P1]: { modify: { addresses: ['set', ['0a:58:0a:00:00:03 10.0.0.3']] } } },
    Logical_Switch: { [S1]: { modify: { other_config: ['map', [['subnet', '10.0.0.0/24']]] } } },
  }, undefined);
  const lsp = r.table('Logical_Switch_Port');
  t.is(lsp.indexes.get('name')!.lookupOne('p1'), lsp.rows.get(P1));
  t.deepEqual(lsp.indexes.get('name')!.lookupOne('p1')!.addresses, ['0a:58:0a:00:00:03 10.0.0.3']);
  const ls = r.table('Logical_Switch');
  t.is(ls.indexes.get('name')!.lookupOne('s1'), ls.rows.get(S1));
  t.is(ls.indexes.get('byPort')!.lookupOne(P1), ls.rows.get(S1));
  t.deepEqual(ls.indexes.get('byPort')!.lookup(P1), [ls.rows.get(S1)]);
});

test('set and map modifies move only the changed keys: appended, removed in the middle, several at once', (t) => {
  const r = new Replica(nb);
  r.addTable('Logical_Switch', { indexes: { byPort: 'ports', byConfig: { column: 'other_config' } } });
  const port = (i: number) => `aaaaaaaa-0000-0000-0000-${String(i).padStart(12, '0')}`;
  const S2 = 'bbbbbbbb-0000-0000-0000-000000000002';
  r.applyUpdates(2, {
    Logical_Switch: {
      [S1]: { insert: { name: 's1', ports: ['set', [1, 2, 3, 4].map((i) => ['uuid', port(i)])], other_config: ['map', [['a', '1'], ['b', '2']]] } },
      [S2]: { insert: { name: 's2', ports: ['uuid', port(9)] } },
    },
  }, undefined);
  const ls = r.table('Logical_Switch');
  const byPort = ls.indexes.get('byPort')!;
  const byConfig = ls.indexes.get('byConfig')!;
  const holders = (i: number) => byPort.lookup(port(i)).map((row) => row.name);
  // One appended (5), one removed from the middle (2), then several toggled at once (1 and 4 out, 6 and 7 in).
  for (const diff of [[5], [2], [1, 4, 6, 7]]) {
    r.applyUpdates(2, { Logical_Switch: { [S1]: { modify: { ports: ['set', diff.map((i) => ['uuid', port(i)])] } } } }, undefined);
  }
  t.deepEqual([...ls.rows.get(S1)!.ports as string[]].sort(), [3, 5, 6, 7].map(port).sort());
  for (const i of [3, 5, 6, 7]) t.deepEqual(holders(i), ['s1'], `port ${i} is on s1`);
  for (const i of [1, 2, 4]) t.deepEqual(holders(i), [], `port ${i} left s1`);
  t.deepEqual(holders(9), ['s2']);
  t.is(byPort.lookupOne(port(3)), ls.rows.get(S1), 'the current row object');
  r.applyUpdates(2, { Logical_Switch: { [S1]: { modify: { other_config: ['map', [['a', '1'], ['c', '3']]] } } } }, undefined);
  t.deepEqual(byConfig.lookup('a'), [], 'a removed');
  t.deepEqual(byConfig.lookup('b').map((row) => row.name), ['s1']);
  t.deepEqual(byConfig.lookup('c').map((row) => row.name), ['s1']);
  r.applyUpdates(2, { Logical_Switch: { [S1]: { delete: null } } }, undefined);
  for (const i of [3, 5, 6, 7]) t.deepEqual(holders(i), [], 'nothing left of a deleted row');
  t.is(byConfig.keyCount, 0);
});

test('a non-unique key held by one row, then by several, then by one again and by none', (t) => {
  const r = new Replica(nb);
  r.addTable('Logical_Switch_Port', { indexes: { byType: { column: 'external_ids', key: 'owner-type' } } });
  const lsp = r.table('Logical_Switch_Port');
  const byType = lsp.indexes.get('byType')!;
  const port = (i: number) => `aaaaaaaa-0000-0000-0000-${String(i).padStart(12, '0')}`;
  const names = (key: string) => byType.lookup(key).map((row) => row.name).sort();
  const insert = (i: number, type: string) => r.applyUpdates(2, {
    Logical_Switch_Port: { [port(i)]: { insert: { name: `p${i}`, external_ids: ['map', [['owner-type', type]]] } } },
  }, undefined);
  insert(1, 'Pod');
  t.deepEqual(names('Pod'), ['p1']);
  t.is(byType.lookupOne('Pod'), lsp.rows.get(port(1)));
  insert(2, 'Pod');
  insert(3, 'Pod');
  t.deepEqual(names('Pod'), ['p1', 'p2', 'p3']);
  r.applyUpdates(2, { Logical_Switch_Port: { [port(1)]: { delete: null }, [port(3)]: { delete: null } } }, undefined);
  t.deepEqual(names('Pod'), ['p2']);
  t.is(byType.lookupOne('Pod'), lsp.rows.get(port(2)));
  // The key moves: p2 leaves "Pod" (now held by nobody) for "Node".
  r.applyUpdates(2, { Logical_Switch_Port: { [port(2)]: { modify: { external_ids: ['map', [['owner-type', 'Node']]] } } } }, undefined);
  t.deepEqual(names('Pod'), []);
  t.is(byType.lookupOne('Pod'), undefined);
  t.deepEqual(names('Node'), ['p2']);
  t.is(byType.keyCount, 1);
  r.applyUpdates(2, { Logical_Switch_Port: { [port(2)]: { delete: null } } }, undefined);
  t.is(byType.keyCount, 0);
  t.deepEqual(names('Node'), []);
});

test('an index of a large set column follows appends, a removal and several toggles at once', (t) => {
  const r = new Replica(nb);
  r.addTable('Load_Balancer_Group', { indexes: { byLb: { column: 'load_balancer' } } });
  const lbs = r.table('Load_Balancer_Group');
  const byLb = lbs.indexes.get('byLb')!;
  const lb = (i: number) => `cccccccc-0000-0000-0000-${String(i).padStart(12, '0')}`;
  const G = 'dddddddd-0000-0000-0000-000000000001';
  const modify = (...toggled: number[]) => r.applyUpdates(2, {
    Load_Balancer_Group: { [G]: { modify: { load_balancer: ['set', toggled.map((i) => ['uuid', lb(i)])] } } },
  }, undefined);
  r.applyUpdates(2, { Load_Balancer_Group: { [G]: { insert: { name: 'cluster', load_balancer: ['set', Array.from({ length: 70 }, (_, i) => ['uuid', lb(i)])] } } } }, undefined);
  for (let i = 70; i < 80; i++) modify(i); // appended one by one to a set of 70 and more
  modify(80, 81); // two at once
  const held = (i: number) => byLb.lookup(lb(i)).length;
  for (let i = 0; i < 82; i++) t.is(held(i), 1, `load balancer ${i} is in the group`);
  t.is(held(82), 0);
  modify(40); // removed from the middle
  modify(3, 82, 81, 90, 91); // out and in at once (more than 4: the Set path)
  const expected = new Set(Array.from({ length: 81 }, (_, i) => i).filter((i) => i !== 40 && i !== 3));
  for (const i of [82, 90, 91]) expected.add(i);
  for (let i = 0; i < 95; i++) t.is(held(i), expected.has(i) ? 1 : 0, `load balancer ${i}`);
  t.deepEqual([...(lbs.rows.get(G)!.load_balancer as string[])].sort(), [...expected].map(lb).sort());
  t.is(byLb.keyCount, expected.size);
  t.is(lbs.appendedSets.length, 0, 'nothing held once the update is applied');
  // An update that does not fit (its second row) changes nothing and holds nothing.
  const before = lbs.rows.get(G);
  t.throws(() => r.applyUpdates(2, {
    Load_Balancer_Group: { [G]: { modify: { load_balancer: ['uuid', lb(99)] } }, [lb(98)]: { modify: { name: 'ghost' } } },
  }, undefined));
  t.is(lbs.rows.get(G), before);
  t.is(held(99), 0);
  t.is(lbs.appendedSets.length, 0);
});
