// The replica against a real standalone ovsdb-server: what it holds equals `ovsdb-client dump`, indexes,
// conditions changed at runtime, read-your-writes, verify -> wait + retry, locks, and a SIGKILL + restart of the
// server under a continuous write load (the replica resyncs with a diff, the lock is taken again).
import test from 'ava';
import { startLab, type Lab } from '../../src/lab/index.js';
import { OvsdbDatabase, type ChangeOf, type MonitorResume } from '../../src/ovsdb/database.js';
import { NamedUuid } from '../../src/ovsdb/datum.js';
import { ops } from '../../src/ovsdb/operations.js';
import { OvsdbNotOwnerError } from '../../src/ovsdb/errors.js';
import type { NorthboundTables } from '../../src/models/ovn-northbound.js';
import { dumpTable, MarkerWriter, markerCounts, replicaTable, tableDiff, waitUntil } from './helpers.js';

let lab: Lab;
test.before(async () => { lab = await startLab({ northd: false }); });
test.after.always(async () => { await lab?.stop(); });

const connect = (extra: Partial<Parameters<typeof OvsdbDatabase.connect<NorthboundTables>>[0]> = {}) => OvsdbDatabase.connect<NorthboundTables>({
  remotes: lab.nb.unix, database: 'OVN_Northbound', probeIntervalMs: 2000,
  tables: {
    Logical_Switch: {},
    Logical_Switch_Port: { indexes: { byIface: { column: 'external_ids', key: 'iface-id' }, byAddress: 'addresses', byType: 'type' } },
  },
  ...extra,
});

test.serial('initial state, update2 diffs and indexes agree with ovsdb-client dump', async (t) => {
  await lab.nbctl('ls-add', 'sw0');
  await lab.nbctl('lsp-add', 'sw0', 'p1', '--', 'lsp-set-addresses', 'p1', '00:00:00:00:00:01 10.0.0.1', '--', 'set', 'logical_switch_port', 'p1', 'external_ids:iface-id=pod1', 'tag_request=7');
  const db = connect();
  t.teardown(() => db.close());
  const changes: ChangeOf<NorthboundTables>[] = [];
  db.on('change', (c) => changes.push(...c));
  await db.synced;
  const ports = db.table('Logical_Switch_Port');
  t.is(ports.findOne('byIface', 'pod1')?.name, 'p1');
  t.is(ports.findOne('name', 'p1')?.tag_request, 7n, 'integers are bigint');
  t.is(ports.find('byAddress', '00:00:00:00:00:01 10.0.0.1').length, 1, 'a set column is indexed by element');
  // Changes of every column kind made by the real ovn-nbctl: set elements, map keys, optional and scalar values.
  await lab.nbctl('lsp-add', 'sw0', 'p2', '--', 'lsp-set-addresses', 'p2', 'dynamic', '--', 'set', 'logical_switch_port', 'p2', 'external_ids:iface-id=pod2');
  await lab.nbctl('set', 'logical_switch_port', 'p1', 'external_ids:iface-id=pod1b', 'external_ids:x=y', 'tag_request=9', 'type=localport', 'enabled=false');
  await lab.nbctl('remove', 'logical_switch_port', 'p1', 'external_ids', 'x', '--', 'clear', 'logical_switch_port', 'p1', 'tag_request', '--', 'set', 'logical_switch_port', 'p1', 'addresses=["a","b"]');
  await lab.nbctl('lsp-del', 'p2');
  await lab.nbctl('lsp-add', 'sw0', 'p3');
  const cols = ['name', 'addresses', 'external_ids', 'tag_request', 'type', 'enabled', 'options', 'port_security', 'up'];
  await waitUntil('p3', () => ports.findOne('name', 'p3') !== undefined);
  t.deepEqual(tableDiff(replicaTable(db, 'Logical_Switch_Port', cols), await dumpTable(lab.nb.unix, db.schema!, 'Logical_Switch_Port', cols)), []);
  t.deepEqual(tableDiff(replicaTable(db, 'Logical_Switch', ['name', 'ports']), await dumpTable(lab.nb.unix, db.schema!, 'Logical_Switch', ['name', 'ports'])), []);
  t.is(ports.findOne('byIface', 'pod1b')?.name, 'p1');
  t.is(ports.findOne('byIface', 'pod1'), undefined, 'the index followed the map value');
  t.is(ports.find('byType', 'localport').length, 1);
  t.deepEqual(ports.find('byAddress', 'a').map((r) => r.name), ['p1']);
  const upd = changes.find((c) => c.table === 'Logical_Switch_Port' && c.kind === 'update' && c.new.type === 'localport');
  t.truthy(upd);
  if (upd?.kind === 'update' && upd.table === 'Logical_Switch_Port') {
    t.is(upd.old.type, '');
    t.is(upd.old.tag_request, 7n);
    t.is(upd.new.tag_request, 9n);
  }
  t.true(changes.some((c) => c.table === 'Logical_Switch_Port' && c.kind === 'delete' && c.old.name === 'p2'));
});

test.serial('a transaction resolves after the replica applied its own changes (read-your-writes)', async (t) => {
  const db = connect();
  t.teardown(() => db.close());
  await db.synced;
  for (let i = 0; i < 20; i++) {
    const [ins] = await db.transact([
      ops.insert('Logical_Switch_Port', { name: `ryw${i}`, external_ids: { 'iface-id': `ryw${i}` } }, { uuidName: 'p' }),
      ops.mutate('Logical_Switch', [['name', '==', 'sw0']], [['ports', 'insert', [new NamedUuid('p')]]]),
    ]);
    const row = db.table('Logical_Switch_Port').get(ins.uuid);
    t.is(row?.name, `ryw${i}`);
    t.true(db.table('Logical_Switch').filter((s) => s.name === 'sw0')[0].ports.includes(ins.uuid));
  }
});

test.serial('conditions: where at connect and changed at runtime with monitor_cond_change', async (t) => {
  const db = OvsdbDatabase.connect<NorthboundTables>({
    remotes: lab.nb.unix, database: 'OVN_Northbound',
    tables: { Logical_Switch_Port: { where: [['name', '==', 'p1']] } },
  });
  t.teardown(() => db.close());
  await db.synced;
  t.deepEqual(db.table('Logical_Switch_Port').all().map((r) => r.name), ['p1']);
  await db.setConditions('Logical_Switch_Port', [['name', '==', 'p3']]);
  await waitUntil('p3 in, p1 out', () => db.table('Logical_Switch_Port').all().map((r) => r.name).join() === 'p3');
  await db.setConditions('Logical_Switch_Port', undefined);
  await waitUntil('every port', () => db.table('Logical_Switch_Port').size > 20);
});

test.serial('addMonitor at runtime: a second monitor syncs, follows changes, and both resume after the server drops every connection', async (t) => {
  const db = OvsdbDatabase.connect<NorthboundTables>({ remotes: lab.nb.unix, database: 'OVN_Northbound', tables: { Logical_Switch: { columns: ['name', 'ports'] } } });
  t.teardown(() => db.close());
  await db.synced;
  t.throws(() => db.table('Logical_Switch_Port').size, undefined, 'not replicated before addMonitor');
  const resyncs: MonitorResume[] = [];
  db.on('resync', (r) => resyncs.push(r));
  await db.addMonitor({ Logical_Switch_Port: { columns: ['name', 'external_ids'], indexes: { byIface: { column: 'external_ids', key: 'iface-id' } } } });
  const cols = ['name', 'external_ids'];
  t.deepEqual(tableDiff(replicaTable(db, 'Logical_Switch_Port', cols), await dumpTable(lab.nb.unix, db.schema!, 'Logical_Switch_Port', cols)), [],
    'the added monitor holds the full initial state once addMonitor resolves');
  await t.throwsAsync(db.addMonitor({ Logical_Switch: {} }), { message: /already in a monitor/ });
  await lab.nbctl('lsp-add', 'sw0', 'added1', '--', 'set', 'logical_switch_port', 'added1', 'external_ids:iface-id=pod-added1');
  await waitUntil('the new port in the added monitor', () => db.table('Logical_Switch_Port').findOne('byIface', 'pod-added1') !== undefined);
  // The server drops every client; both monitors come back.
  const before = db.stats.connects;
  await lab.nb.servers[0].appctl('ovsdb-server/reconnect');
  await waitUntil('reconnected', () => db.stats.connects > before && db.state === 'connected');
  await lab.nbctl('lsp-add', 'sw0', 'added2');
  await waitUntil('a change after the reconnect', () => db.table('Logical_Switch_Port').findOne('name', 'added2') !== undefined);
  // A standalone ovsdb-server keeps no transaction history (only clustered ones do), so both resync with a diff.
  t.deepEqual(resyncs.map((r) => `${r.monitor} ${r.method}`).sort(), ['m1 monitor_cond_since', 'm2 monitor_cond_since'], 'both monitors came back');
  t.deepEqual(tableDiff(replicaTable(db, 'Logical_Switch', ['name', 'ports']), await dumpTable(lab.nb.unix, db.schema!, 'Logical_Switch', ['name', 'ports'])), []);
});

test.serial('verify -> wait: a concurrent change makes the transaction run again on the fresh replica', async (t) => {
  const a = connect();
  const b = connect();
  t.teardown(() => Promise.all([a.close(), b.close()]));
  await Promise.all([a.synced, b.synced]);
  let runs = 0;
  const { attempts } = await a.transactWithRetry(async (tx) => {
    runs++;
    const sw = a.table('Logical_Switch').filter((s) => s.name === 'sw0')[0];
    tx.verify(sw, ['ports']);
    if (runs === 1) {
      // Another client changes the switch's ports between our read and our commit.
      await b.transact([ops.insert('Logical_Switch_Port', { name: 'racer' }, { uuidName: 'r' }),
        ops.mutate('Logical_Switch', [['name', '==', 'sw0']], [['ports', 'insert', [new NamedUuid('r')]]])]);
    }
    tx.add(ops.insert('Logical_Switch_Port', { name: 'careful' }, { uuidName: 'c' }));
    tx.add(ops.update('Logical_Switch', [['_uuid', '==', sw._uuid]], { ports: [...sw.ports, new NamedUuid('c')] }));
  });
  t.is(attempts, 2);
  const names = a.table('Logical_Switch').filter((s) => s.name === 'sw0')[0].ports.map((u) => a.table('Logical_Switch_Port').get(u)?.name);
  t.true(names.includes('racer') && names.includes('careful'), 'neither change was lost');
});

test.serial('locks: contention, assert, and release hands the lock over', async (t) => {
  const a = connect();
  const b = connect();
  t.teardown(() => Promise.all([a.close(), b.close()]));
  await Promise.all([a.synced, b.synced]);
  const la = a.lock('agent');
  await la.acquired();
  const lb = b.lock('agent');
  await new Promise((r) => setTimeout(r, 100));
  t.false(lb.held);
  await t.throwsAsync(b.transact([ops.assert('agent'), ops.comment('b')]), { instanceOf: OvsdbNotOwnerError });
  await a.transact([ops.assert('agent'), ops.comment('a holds it')]);
  await la.release();
  await lb.acquired();
  t.true(lb.held);
  await lb.release();
});

test.serial('standalone server SIGKILLed and restarted under writes: resync with diff, nothing lost or twice, lock re-acquired', async (t) => {
  const db = connect({ backoff: { initialMs: 20, maxMs: 200 } });
  t.teardown(() => db.close());
  await db.synced;
  const lock = db.lock('writer');
  await lock.acquired();
  const writer = new MarkerWriter(db, 'kill', 10);
  writer.start();
  try {
    for (let k = 0; k < 3; k++) {
      const n = writer.committed.size;
      await waitUntil('commits', () => writer.committed.size >= n + 10);
      await lab.nb.servers[0].kill();
      await new Promise((r) => setTimeout(r, 200));
      const killedAt = performance.now();
      await lab.nb.servers[0].restart();
      await waitUntil('a commit after the restart', () => writer.firstCommitAfter(killedAt) !== undefined);
      await lock.acquired();
      t.true(lock.held, 'the lock was taken again');
    }
  } finally {
    await writer.stop();
  }
  const counts = await markerCounts(lab.nb.unix, db.schema!);
  const lost = [...writer.committed].filter((n) => !counts.has(n));
  const duplicated = [...counts].filter(([, c]) => c > 1);
  t.deepEqual(lost, []);
  t.deepEqual(duplicated, []);
  t.true(db.stats.resyncs >= 3, `${db.stats.resyncs} resyncs`);
  t.deepEqual(tableDiff(replicaTable(db, 'Logical_Switch', ['name', 'external_ids', 'ports']),
    await dumpTable(lab.nb.unix, db.schema!, 'Logical_Switch', ['name', 'external_ids', 'ports'])), []);
  t.log(`standalone kill x3: committed ${writer.committed.size}, outcome unknown ${writer.unknown.size}, resyncs ${db.stats.resyncs}`);
});
