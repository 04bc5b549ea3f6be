// monitor_cond_since against a RAFT-clustered database, where transaction ids exist: a second monitor resumes
// from the first one's last-txn-id (found = true) and receives only the changes it missed.
import test from 'ava';
import { startLab, type Lab } from '../../src/lab/index.js';
import { OvsdbClient, insert, OvsdbConnectError, ZERO_UUID } from '../../src/ovsdb/index.js';

let lab: Lab;
const NB = 'OVN_Northbound';
test.before(async () => { lab = await startLab({ clustered: true, northd: false }); });
test.after.always(async () => { await lab?.stop(); });

test('monitor_cond_since resumes after a known txn id with only the missed changes', async (t) => {
  const leader = await lab.nb.leader();
  const client = await OvsdbClient.connect(leader.unix);
  t.teardown(() => client.close());
  await client.transact(NB, [insert('Logical_Switch', { name: 'before' })]);
  const first = await client.monitorCondSince(NB, { Logical_Switch: { columns: ['name'] } });
  t.is(first.found, false, 'no txn id given: a full initial copy');
  t.deepEqual([...first.initial.get('Logical_Switch')!.values()].map((u) => u.type === 'initial' && u.row.name), ['before']);
  const lastSeen = first.lastTxnId!;
  t.not(lastSeen, ZERO_UUID);
  await first.cancel();

  await client.transact(NB, [insert('Logical_Switch', { name: 'missed' })]);
  const resumed = await client.monitorCondSince(NB, { Logical_Switch: { columns: ['name'] } }, { lastTxnId: lastSeen });
  t.true(resumed.found);
  const rows = [...resumed.initial.get('Logical_Switch')!.values()];
  t.deepEqual(rows, [{ type: 'insert', row: { name: 'missed' } }], 'only the change after the last seen transaction');
  t.not(resumed.lastTxnId, lastSeen);

  const next = new Promise<string | undefined>((resolve) => resumed.once('update', (_u, txn) => resolve(txn)));
  await client.transact(NB, [insert('Logical_Switch', { name: 'live' })]);
  const txn = await next;
  t.is(resumed.lastTxnId, txn);

  // An unknown txn id: found = false and a full copy.
  const unknown = await client.monitorCondSince(NB, { Logical_Switch: { columns: ['name'] } }, { lastTxnId: '01234567-89ab-4def-8123-456789abcdef', id: 'unknown' });
  t.false(unknown.found);
  t.is(unknown.initial.get('Logical_Switch')!.size, 3);
});

test('a remote list is tried in order: an unreachable member is skipped', async (t) => {
  const client = await OvsdbClient.connect(`tcp:127.0.0.1:1,${lab.nb.tcp}`);
  t.teardown(() => client.close());
  t.not(client.remote, 'tcp:127.0.0.1:1');
  t.true((await client.listDbs()).includes(NB));
  const e = await t.throwsAsync(OvsdbClient.connect('tcp:127.0.0.1:1,tcp:127.0.0.1:2'), { instanceOf: OvsdbConnectError });
  t.regex(e.message, /127\.0\.0\.1:1.*127\.0\.0\.1:2|ECONNREFUSED/);
});
