// A real OVSDB relay (`ovsdb-server relay:OVN_Northbound:<cluster>`) in front of a 3-member cluster: leader-only
// never uses it (its `_Server` row says model "relay") and finds the leader among the members instead; without
// leader-only the replica runs over the relay, equals the dump, and its transactions (forwarded by the relay to
// the leader) resolve after the replica applied them.
import test from 'ava';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startLab, type Lab } from '../../src/lab/index.js';
import { readPidFile, runCommand, terminate, waitFor } from '../../src/lab/process.js';
import { OvsdbDatabase } from '../../src/ovsdb/database.js';
import { ops } from '../../src/ovsdb/operations.js';
import type { NorthboundTables } from '../../src/models/ovn-northbound.js';
import { dumpTable, replicaTable, tableDiff, waitUntil } from './helpers.js';

let lab: Lab;
let relay: string;
let relayPid = 0;

test.before(async () => {
  lab = await startLab({ clustered: true, electionTimerMs: 250, northd: false });
  // In the lab directory, so the lab's sweeper kills it too should this process die first.
  const log = join(lab.dir, 'nb-relay.log');
  const pidFile = join(lab.dir, 'nb-relay.pid');
  await runCommand('ovsdb-server', ['--detach', '--no-chdir', `--pidfile=${pidFile}`, `--log-file=${log}`,
    `--unixctl=${join(lab.dir, 'nb-relay.ctl')}`, '--remote=ptcp:0:127.0.0.1', `relay:OVN_Northbound:${lab.nb.tcp}`]);
  relayPid = await readPidFile(pidFile);
  const port = await waitFor('the relay to listen', async () => /listening on port (\d+)/.exec(await readFile(log, 'utf8'))?.[1], 10_000);
  relay = `tcp:127.0.0.1:${port}`;
});

test.after.always(async () => {
  if (relayPid) await terminate(relayPid, 'SIGTERM');
  await lab?.stop();
});

const tables = { Logical_Switch: { columns: ['name', 'external_ids'] } } as const;

test.serial('leader-only skips a relay: alone it is never used, among the members the leader is chosen', async (t) => {
  const skips: string[] = [];
  const alone = OvsdbDatabase.connect<NorthboundTables>({ remotes: relay, database: 'OVN_Northbound', tables, backoff: { initialMs: 20, maxMs: 100 } });
  t.teardown(() => alone.close());
  alone.on('skipped', ({ reason }) => skips.push(reason));
  // A relay that is still connecting to its source may reset a first attempt or report itself disconnected from
  // its cluster; what counts is that, once judged, it is refused as a relay and never used.
  const relayReason = 'a relay cannot be the leader';
  await waitUntil('the relay judged', () => skips.includes(relayReason), 10_000);
  await new Promise((r) => setTimeout(r, 300));
  t.not(alone.state, 'connected');
  t.is(alone.stats.connects, 0);
  t.true(skips.every((s) => s === relayReason || /connection closed|ECONNRESET|ECONNREFUSED|relay is disconnected from its cluster/.test(s)), skips.join('; '));

  const mixed = OvsdbDatabase.connect<NorthboundTables>({ remotes: [relay, ...lab.nb.servers.map((s) => s.tcp)], database: 'OVN_Northbound', tables });
  t.teardown(() => mixed.close());
  await mixed.synced;
  t.is(mixed.remote, (await lab.nb.leader()).tcp);
});

test.serial('without leader-only the replica runs over the relay: equals the dump, transactions forwarded, read-your-writes', async (t) => {
  const db = OvsdbDatabase.connect<NorthboundTables>({ remotes: relay, database: 'OVN_Northbound', tables, leaderOnly: false });
  t.teardown(() => db.close());
  await db.synced;
  t.is(db.remote, relay);
  for (let i = 0; i < 5; i++) {
    const [ins] = await db.transact([ops.insert('Logical_Switch', { name: `via-relay${i}`, external_ids: { n: String(i) } })]);
    t.is(db.table('Logical_Switch').get(ins.uuid)?.name, `via-relay${i}`, 'applied before the transaction resolved');
  }
  const leader = await lab.nb.leader();
  const cols = ['name', 'external_ids'];
  t.deepEqual(tableDiff(replicaTable(db, 'Logical_Switch', cols), await dumpTable(leader.unix, db.schema!, 'Logical_Switch', cols)), [],
    'the replica over the relay equals the leader');
});
