// A schema conversion (`ovsdb-client convert`) under a live replica: the server cancels our monitors
// (monitor_canceled, since we are change-aware), the replica reads the new schema on the same connection,
// monitors again and reports the difference; transactions keep working with the new column.
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLab } from '../../src/lab/index.js';
import { runCommand } from '../../src/lab/process.js';
import { OvsdbDatabase } from '../../src/ovsdb/database.js';
import { ops } from '../../src/ovsdb/operations.js';
import type { Row } from '../../src/ovsdb/datum.js';
import { waitUntil } from './helpers.js';

test('ovsdb-client convert under a live replica: monitor_canceled -> new schema -> monitored again', async (t) => {
  const lab = await startLab({ northd: false });
  t.teardown(() => lab.stop());
  await lab.nbctl('ls-add', 'sw0');
  const db = OvsdbDatabase.connect<Record<string, Row>>({ remotes: lab.nb.unix, database: 'OVN_Northbound', tables: { Logical_Switch: {} } });
  t.teardown(() => db.close());
  await db.synced;
  const schemas: string[] = [];
  db.on('schema', (s) => schemas.push(s.version));
  const updates: string[] = [];
  db.on('change', (c) => { for (const x of c) updates.push(`${x.kind}:${String((x.new ?? x.old)?.name)}`); });

  const original = JSON.parse(readFileSync('/usr/share/ovn/ovn-nb.ovsschema', 'utf8')) as { version: string; tables: Record<string, { columns: Record<string, unknown> }> };
  original.version = '99.0.0';
  original.tables.Logical_Switch.columns.replica_note = { type: { key: 'string', min: 0, max: 1 } };
  const file = join(lab.dir, 'converted.ovsschema');
  writeFileSync(file, JSON.stringify(original));
  await runCommand('ovsdb-client', ['convert', lab.nb.unix, file]);

  await waitUntil('the new schema', () => db.schema?.version === '99.0.0' && db.state === 'connected');
  t.deepEqual(schemas, ['99.0.0']);
  t.is(db.stats.connects, 1, 'no reconnect was needed');
  const sw = db.table('Logical_Switch').all()[0];
  t.true('replica_note' in sw, 'rows carry the new column');
  t.is(sw.replica_note, undefined);
  t.deepEqual(updates, ['update:sw0'], 'the resync reported the difference (the new column) and nothing else');
  await db.transact([ops.update('Logical_Switch', [['name', '==', 'sw0']], { replica_note: 'hello' })]);
  t.is(db.table('Logical_Switch').all()[0].replica_note, 'hello');
  t.regex(await runCommand('ovsdb-client', ['dump', lab.nb.unix, 'OVN_Northbound', 'Logical_Switch', 'replica_note']), /hello/);
});
