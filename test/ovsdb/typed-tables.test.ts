// Table names tied to row types, and index names typed: compile-time checks (tsc runs over test/ in `npm test`;
// every @ts-expect-error below must be an error, or tsc fails), plus what the builders produce at run time.
import test from 'ava';
import { del, insert, mutate, ops, select, update, wait } from '../../src/ovsdb/operations.js';
import type { OvsdbDatabase, IndexNames } from '../../src/ovsdb/database.js';
import type { Row, TableOf, SchemaIndexOf } from '../../src/ovsdb/datum.js';
import type { LogicalSwitch, LogicalSwitchPort, NorthboundTables } from '../../src/models/ovn-northbound.js';
import type { PortBinding } from '../../src/models/ovn-southbound.js';

type Equal<A, B> = (<V>() => V extends A ? 1 : 2) extends (<V>() => V extends B ? 1 : 2) ? true : false;
function assertType<V extends true>(_ok: V): void {}

test('a row type names its table: a builder given another table does not compile', (t) => {
  const built = [
    select<LogicalSwitchPort>('Logical_Switch_Port', [['name', '==', 'p1']]),
    insert<LogicalSwitch>('Logical_Switch', { name: 'sw0' }),
    update<LogicalSwitch>('Logical_Switch', [['name', '==', 'sw0']], { name: 'sw1' }),
    mutate<LogicalSwitch>('Logical_Switch', [['name', '==', 'sw1']], [['ports', 'insert', []]]),
    del<LogicalSwitchPort>('Logical_Switch_Port', []),
    wait<LogicalSwitch>('Logical_Switch', [], ['name'], '==', [], 0),
    ops.select<PortBinding>('Port_Binding'),
    select('Any_Table_At_All'),
  ];
  // @ts-expect-error the row type of Logical_Switch_Port, another table's name
  select<LogicalSwitchPort>('Logical_Switch');
  // @ts-expect-error insert: the same mismatch
  insert<LogicalSwitch>('Logical_Switch_Port', { name: 'x' });
  // @ts-expect-error update: the same mismatch
  update<LogicalSwitch>('Logical_Router', [], {});
  // @ts-expect-error mutate: the same mismatch
  mutate<LogicalSwitch>('Logical_Switch_Port', [], []);
  // @ts-expect-error delete: the same mismatch
  del<LogicalSwitchPort>('Logical_Switch', []);
  // @ts-expect-error wait: the same mismatch
  wait<LogicalSwitch>('ACL', [], [], '==', [], 0);
  // @ts-expect-error a Southbound row type with a Northbound table
  ops.select<PortBinding>('Logical_Switch_Port');
  assertType<Equal<TableOf<LogicalSwitchPort>, 'Logical_Switch_Port'>>(true);
  assertType<Equal<TableOf<Row>, string>>(true);
  assertType<Equal<SchemaIndexOf<LogicalSwitchPort>, 'name'>>(true);
  t.deepEqual(built.map((o) => (o as { table?: string }).table), [
    'Logical_Switch_Port', 'Logical_Switch', 'Logical_Switch', 'Logical_Switch', 'Logical_Switch_Port', 'Logical_Switch', 'Port_Binding', 'Any_Table_At_All',
  ]);
  t.deepEqual(Object.getOwnPropertySymbols(built[1]), [], 'the table is named in the type only');
});

test('index names: the schema\'s from the row type, the declared ones from IndexNames of the tables spec', (t) => {
  // The tables spec a database was opened with (as passed to OvsdbDatabase.connect): its declared index names.
  type Tables = { Logical_Switch_Port: { indexes: { byIface: { column: 'external_ids'; key: 'iface-id' } } }; Logical_Switch: object };
  const lookups = (db: OvsdbDatabase<NorthboundTables, IndexNames<Tables>>) => [
    db.table('Logical_Switch_Port').findOne('byIface', 'pod1'),
    db.table('Logical_Switch_Port').find('name', 'p1'),
    // @ts-expect-error Logical_Switch has no schema index (switch names are not unique in OVN_Northbound)
    db.table('Logical_Switch').findOne('name', 'sw0'),
    // @ts-expect-error a typo of a declared index
    db.table('Logical_Switch_Port').findOne('byIfcae', 'pod1'),
    // @ts-expect-error declared for another table
    db.table('Logical_Switch').findOne('byIface', 'pod1'),
  ];
  // Without the declared names (the default) any index name is accepted, as before.
  const untyped = (db: OvsdbDatabase<NorthboundTables>) => db.table('Logical_Switch_Port').findOne('anything', 1);
  t.is(typeof lookups, 'function');
  t.is(typeof untyped, 'function');
});
