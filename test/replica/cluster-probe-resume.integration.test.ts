// Clustered faults other than a kill: a SIGSTOPped leader keeps its socket open and never answers, so without the
// member watch only the inactivity probe notices it, and with it the replica leaves as soon as another member is
// elected (issue 12 item 5); and two monitors on one database both resume after a leader change with only the
// missed changes (monitor_cond_since found = true), with no full resync.
import test from 'ava';
import { startLab, type Lab } from '../../src/lab/index.js';
import { OvsdbDatabase } from '../../src/ovsdb/database.js';
import { ops } from '../../src/ovsdb/operations.js';
import type { NorthboundTables } from '../../src/models/ovn-northbound.js';
import { NamedUuid } from '../../src/ovsdb/datum.js';
import { dumpTable, replicaTable, tableDiff, waitUntil } from './helpers.js';

let lab: Lab;
test.before(async () => { lab = await startLab({ clustered: true, electionTimerMs: 250, northd: false }); });
test.after.always(async () => { await lab?.stop(); });

test.serial('two monitors on one clustered database resume after a leader change without a full resync', async (t) => {
  const db = OvsdbDatabase.connect<NorthboundTables>({
    remotes: lab.nb.tcp, database: 'OVN_Northbound', probeIntervalMs: 2000,
    tables: { Logical_Switch: {} },
    monitors: [{ Logical_Switch_Port: { indexes: { byIface: { column: 'external_ids', key: 'iface-id' } } } }],
  });
  t.teardown(() => db.close());
  const resyncs: { monitor: string; found: boolean }[] = [];
  db.on('resync', (r) => resyncs.push(r));
  let changeEvents = 0;
  db.on('change', (c) => { changeEvents += c.length; });
  await db.synced;
  await db.transact([ops.insert('Logical_Switch', { name: 'sw-a' })]);
  for (let i = 0; i < 3; i++) await lab.nbctl('lsp-add', 'sw-a', `a${i}`, '--', 'set', 'logical_switch_port', `a${i}`, `external_ids:iface-id=pod-a${i}`);
  await waitUntil('ports replicated', () => db.table('Logical_Switch_Port').size === 3);

  const leader = await lab.nb.leader();
  t.is(db.remote, leader.tcp);
  const before = changeEvents;
  await leader.kill();
  t.teardown(() => (leader.running ? undefined : leader.restart()));
  // Written by another client through the surviving members while our client moves to the new leader.
  const survivors = lab.nb.servers.filter((s) => s !== leader).map((s) => s.tcp);
  const other = OvsdbDatabase.connect<NorthboundTables>({ remotes: survivors, database: 'OVN_Northbound', tables: { NB_Global: { columns: ['name'] } } });
  t.teardown(() => other.close());
  await other.transact([
    ops.insert('Logical_Switch_Port', { name: 'b0', external_ids: { 'iface-id': 'pod-b0' } }, { uuidName: 'b0' }),
    ops.mutate('Logical_Switch', [['name', '==', 'sw-a']], [['ports', 'insert', [new NamedUuid('b0')]]]),
  ], { waitMs: 15_000 });
  await waitUntil('both monitors back', () => resyncs.length >= 2);
  await waitUntil('the missed port', () => db.table('Logical_Switch_Port').findOne('byIface', 'pod-b0') !== undefined);
  t.deepEqual(resyncs.map((r) => r.found), [true, true], 'both monitors resumed with found = true');
  t.is(db.stats.resyncs, 0, 'no full resync');
  t.is(db.stats.resumes, 2);
  // Only the missed changes made events (one port inserted, the switch's ports updated), not a reload.
  t.true(changeEvents - before <= 3, `${changeEvents - before} change events after the resume`);
  const next = await lab.nb.leader();
  const schema = db.schema!;
  t.deepEqual(tableDiff(replicaTable(db, 'Logical_Switch_Port', ['name', 'external_ids']),
    await dumpTable(next.unix, schema, 'Logical_Switch_Port', ['name', 'external_ids'])), []);
  t.deepEqual(tableDiff(replicaTable(db, 'Logical_Switch', ['name', 'ports']),
    await dumpTable(next.unix, schema, 'Logical_Switch', ['name', 'ports'])), []);
  await leader.restart();
});

test.serial('a SIGSTOPped leader is detected by the inactivity probe and the client moves to another member', async (t) => {
  const probeIntervalMs = 1000;
  const db = OvsdbDatabase.connect<NorthboundTables>({
    remotes: lab.nb.tcp, database: 'OVN_Northbound', probeIntervalMs, watchMembers: false, tables: { Logical_Switch: { columns: ['name'] } },
  });
  t.teardown(() => db.close());
  await db.synced;
  const leader = await lab.nb.leader();
  t.is(db.remote, leader.tcp);
  let reason: Error | undefined;
  let droppedAt = 0;
  db.on('disconnected', (d) => { reason ??= d.reason; droppedAt ||= performance.now(); });
  const stoppedAt = performance.now();
  leader.pause();
  try {
    await waitUntil('the probe to drop the stopped leader', () => reason !== undefined, 10_000);
    const detectMs = droppedAt - stoppedAt;
    t.regex(reason!.message, /inactivity probe/);
    t.true(detectMs <= probeIntervalMs + 300, `detected after ${Math.round(detectMs)} ms`);
    // While the old leader sleeps the others elect a new one; the replica moves there and writes flow again.
    await db.transact([ops.insert('Logical_Switch', { name: 'after-stop' })], { waitMs: 15_000 });
    t.not(db.remote, leader.tcp);
    t.truthy(db.table('Logical_Switch').filter((r) => r.name === 'after-stop')[0]);
    t.log(`probe detected the stopped leader after ${Math.round(detectMs)} ms; moved to ${db.remote} after ${Math.round(performance.now() - stoppedAt)} ms`);
  } finally {
    leader.resume();
  }
});

test.serial('a SIGSTOPped leader is left as soon as another member reports itself elected, not when the probe gives up', async (t) => {
  // A probe too slow to be what moves the replica: only the member watch can.
  const db = OvsdbDatabase.connect<NorthboundTables>({
    remotes: lab.nb.tcp, database: 'OVN_Northbound', probeIntervalMs: 60_000, tables: { Logical_Switch: { columns: ['name'] } },
  });
  t.teardown(() => db.close());
  await db.synced;
  const leader = await lab.nb.leader();
  await waitUntil('the replica on the leader', () => db.remote === leader.tcp);
  const reasons: Error[] = [];
  db.on('disconnected', (d) => reasons.push(d.reason));
  const stoppedAt = performance.now();
  leader.pause();
  try {
    await waitUntil('the replica to leave the frozen leader', () => reasons.length > 0, 30_000);
    const movedMs = performance.now() - stoppedAt;
    await db.transact([ops.insert('Logical_Switch', { name: 'after-freeze' })], { waitMs: 30_000 });
    t.not(db.remote, leader.tcp);
    t.is(reasons.length, 1, reasons.map((r) => r.message).join('; '));
    t.regex(reasons[0].message, /was elected leader of a newer term; leaving tcp:/);
    t.truthy(db.table('Logical_Switch').filter((r) => r.name === 'after-freeze')[0]);
    t.log(`left the frozen leader ${Math.round(movedMs)} ms after the freeze (probe interval 60 s); wrote on ${db.remote}`);
  } finally {
    leader.resume();
  }
});
