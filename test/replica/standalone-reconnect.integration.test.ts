// A standalone ovsdb-server after a dropped connection, and a server that does not serve the database at all.
//
// Resume vs resync: ovsdb-server keeps a transaction history (what monitor_cond_since resumes from) only for
// clustered and relay databases; on a standalone one every last-txn-id it sends is all zeros, so a reconnect can
// only resync. The first test pins that fact of the installed server (docs/replica.md relies on it: when a newer
// OVS gives standalone databases txn ids, it fails and the docs must change), the second what the replica does
// about it: one resync per drop, diffed, so nothing that did not change is reported as changed.
import test from 'ava';
import { startLab, type Lab } from '../../src/lab/index.js';
import { OvsdbClient } from '../../src/ovsdb/client.js';
import { ZERO_UUID } from '../../src/ovsdb/datum.js';
import { OvsdbDatabase, type ChangeOf, type MonitorResume } from '../../src/ovsdb/database.js';
import { ops } from '../../src/ovsdb/operations.js';
import { OvsdbConnectionClosedError, OvsdbOutcomeUnknownError, OvsdbUnknownDatabaseError } from '../../src/ovsdb/errors.js';
import { openRpcChannel, type RpcChannel } from '../../src/ovsdb/rpc-channel.js';
import { openNorthbound } from '../../src/ovn/northbound.js';
import type { NorthboundTables } from '../../src/models/ovn-northbound.js';
import { waitUntil } from './helpers.js';

let lab: Lab;
test.before(async () => { lab = await startLab({ northd: false }); });
test.after.always(async () => { await lab?.stop(); });

test.serial('OVS 3.1 standalone: monitor_cond_since sends all-zero txn ids, so a reconnect cannot resume', async (t) => {
  const first = await OvsdbClient.connect(lab.nb.unix);
  t.teardown(() => first.close());
  const m = await first.monitorCondSince('OVN_Northbound', { Logical_Switch: { columns: ['name'] } });
  const ids: (string | undefined)[] = [m.lastTxnId];
  m.on('update', (_u, id) => ids.push(id));
  await first.transact('OVN_Northbound', [ops.insert('Logical_Switch', { name: 'history-probe' })]);
  await waitUntil('the update3', () => ids.length > 1);
  t.deepEqual(ids, [ZERO_UUID, ZERO_UUID], 'the reply and the update3 carry the zero txn id');
  const again = await OvsdbClient.connect(lab.nb.unix);
  t.teardown(() => again.close());
  const resumed = await again.monitorCondSince('OVN_Northbound', { Logical_Switch: { columns: ['name'] } }, { lastTxnId: ids.at(-1) });
  t.false(resumed.found, 'not found: the full state comes again');
});

test.serial('the replica after a drop on a standalone server: reconnect counted, one diffed resync, no spurious change', async (t) => {
  let current: RpcChannel | undefined;
  const db = OvsdbDatabase.connect<NorthboundTables>({
    remotes: lab.nb.unix, database: 'OVN_Northbound', probeIntervalMs: 2000,
    tables: { Logical_Switch: { columns: ['name'] } },
    openChannel: async (remote) => (current = await openRpcChannel(remote)),
  });
  t.teardown(() => db.close());
  await db.synced;
  const changes: ChangeOf<NorthboundTables>[] = [];
  const resyncs: MonitorResume[] = [];
  db.on('change', (c) => changes.push(...c));
  db.on('resync', (info) => resyncs.push(info));
  current!.close(new Error('dropped by the test'));
  await waitUntil('reconnected', () => db.stats.reconnects === 1 && db.state === 'connected');
  t.like(db.stats, { connects: 2, reconnects: 1, disconnects: 1, resumes: 0, resyncs: 1 });
  t.deepEqual(resyncs, [{ monitor: 'm1', method: 'monitor_cond_since', found: false, reconnect: true }]);
  t.deepEqual(changes, [], 'the resync is a diff: nothing changed, nothing reported');
});

test.serial('a drop with transactions pending: a read fails with the plain connection-closed error, a write as outcome unknown', async (t) => {
  let current: RpcChannel | undefined;
  const db = OvsdbDatabase.connect<NorthboundTables>({
    remotes: lab.nb.unix, database: 'OVN_Northbound', tables: { Logical_Switch: { columns: ['name'] } },
    openChannel: async (remote) => (current = await openRpcChannel(remote)),
  });
  t.teardown(() => db.close());
  await db.synced;
  // Both wait on the server (a wait that never holds), so both are pending when the connection drops.
  const never = ops.wait<NorthboundTables['Logical_Switch']>('Logical_Switch', [['name', '==', 'never']], ['name'], '==', [{ name: 'never' }], 60_000);
  const read = db.transact([never, ops.select<NorthboundTables['Logical_Switch']>('Logical_Switch', [])]);
  const write = db.transact([never, ops.insert('Logical_Switch', { name: 'maybe' })]);
  await new Promise((r) => setTimeout(r, 100));
  current!.close(new Error('dropped by the test'));
  const readError = await t.throwsAsync(read, { instanceOf: OvsdbConnectionClosedError });
  t.false(readError instanceof OvsdbOutcomeUnknownError, readError?.message);
  await t.throwsAsync(write, { instanceOf: OvsdbOutcomeUnknownError });
  t.is(db.stats.outcomeUnknown, 1, 'only the write is counted');
});

test.serial('a server that does not serve the database: fails at once with OvsdbUnknownDatabaseError, not at a timeout', async (t) => {
  const started = Date.now();
  const db = OvsdbDatabase.connect<NorthboundTables>({ remotes: lab.sb.unix, database: 'OVN_Northbound', tables: { Logical_Switch: {} } });
  const states: string[] = [];
  db.on('state', (s) => states.push(s));
  const err = await t.throwsAsync(db.synced, { instanceOf: OvsdbUnknownDatabaseError });
  t.is(err?.code, 'OVSDB_UNKNOWN_DATABASE');
  t.regex(err!.message, /no server serves database OVN_Northbound: unix:.*sb.* serves OVN_Southbound/);
  t.is(db.state, 'closed');
  t.is(states.at(-1), 'closed');
  // openNorthbound (30 s sync timeout by default) reports the same at once.
  const nb = await t.throwsAsync(openNorthbound(lab.ovs.tcp), { instanceOf: OvsdbUnknownDatabaseError });
  t.regex(nb!.message, /serves Open_vSwitch/);
  const elapsed = Date.now() - started;
  t.true(elapsed < 10_000, `failed after ${elapsed} ms`);
});

test.serial('a list with one member that serves the database and one that does not: the one that does is used', async (t) => {
  const db = OvsdbDatabase.connect<NorthboundTables>({ remotes: [lab.sb.unix, lab.nb.unix], database: 'OVN_Northbound', tables: { Logical_Switch: {} } });
  t.teardown(() => db.close());
  await db.synced;
  t.is(db.remote, lab.nb.unix);
});
