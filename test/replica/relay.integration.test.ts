// The replica through real OVSDB relays (`startLab({ relays: { nb: 2 } })`: two `ovsdb-server
// relay:OVN_Northbound:<every member>` in front of a 3-member cluster). Member choice: leader-only never uses a
// relay (its `_Server` row says model "relay") and finds the leader among the members instead; without
// leader-only the replica runs over a relay, equals the dump, and its transactions (forwarded by the relay to
// the leader) resolve after the replica applied them. Resume: after the relay restarts, and after the cluster
// leader restarts, under a writer whose every transaction is checked against the database at the end.
//
// What OVS 3.1 allows (measured here): a restarted relay starts its transaction history at the copy it fetched,
// so a replica resumes through it (monitor_cond_since finds its last txn id) when nothing committed while the
// relay was down, and must resync when something did. A leader restart never reaches the relay's clients: the
// relay moves to another member and keeps their sessions and monitors (no reconnect at all).
import test from 'ava';
import { startLab, type Lab, type LabServer } from '../../src/lab/index.js';
import { OvsdbServerProcess } from '../../src/lab/database-server.js';
import { OvsdbDatabase } from '../../src/ovsdb/database.js';
import { OvsdbRelayNotConnectedError } from '../../src/ovsdb/errors.js';
import { ops } from '../../src/ovsdb/operations.js';
import type { NorthboundTables } from '../../src/models/ovn-northbound.js';
import { dumpTable, MarkerWriter, markerCounts, replicaTable, tableDiff, waitUntil } from './helpers.js';

const DATABASE = 'OVN_Northbound';
const COLUMNS = ['name', 'external_ids'] as const;
const tables = { Logical_Switch: { columns: COLUMNS, indexes: { marker: { column: 'external_ids', key: 'marker' } } } } as const;

let lab: Lab;
let relay1: LabServer;

test.before(async () => {
  lab = await startLab({ clustered: true, electionTimerMs: 250, northd: false, relays: { nb: 2 } });
  relay1 = lab.nb.relays!.servers[0];
});

test.after.always(async () => {
  await lab?.stop();
});

function overRelay(remotes: string | readonly string[]): OvsdbDatabase<NorthboundTables> {
  return OvsdbDatabase.connect<NorthboundTables>({ remotes, database: DATABASE, tables, leaderOnly: false, backoff: { initialMs: 20, maxMs: 200 } });
}

/** The replica equals the leader's `ovsdb-client dump`. */
async function equalsLeader(db: OvsdbDatabase<NorthboundTables>): Promise<string[]> {
  return tableDiff(replicaTable(db, 'Logical_Switch', COLUMNS), await dumpTable((await lab.nb.leader()).unix, db.schema!, 'Logical_Switch', COLUMNS));
}

/** Every committed marker is in the database exactly once, and nothing was written twice. */
async function checkLedger(t: import('ava').ExecutionContext, db: OvsdbDatabase<NorthboundTables>, writer: MarkerWriter): Promise<void> {
  const counts = await markerCounts((await lab.nb.leader()).unix, db.schema!);
  const lost = [...writer.committed].filter((n) => (counts.get(n) ?? 0) === 0);
  const duplicated = [...counts].filter(([, c]) => c > 1).map(([n]) => n);
  t.deepEqual(lost, [], 'nothing reported committed is missing');
  t.deepEqual(duplicated, [], 'nothing written twice');
  t.is(writer.failed, 0, `every transaction committed or was reported outcome-unknown: ${writer.failures.slice(0, 3).join('; ')}`);
  for (const name of writer.committed) t.truthy(db.table('Logical_Switch').findOne('marker', name), `${name} in the replica`);
}

test.serial('leader-only skips a relay: alone it is never used, among the members the leader is chosen', async (t) => {
  const skips: string[] = [];
  const alone = OvsdbDatabase.connect<NorthboundTables>({ remotes: relay1.tcp, database: DATABASE, tables, backoff: { initialMs: 20, maxMs: 100 } });
  t.teardown(() => alone.close());
  alone.on('skipped', ({ reason }) => skips.push(reason));
  const relayReason = 'a relay cannot be the leader';
  await waitUntil('the relay judged', () => skips.includes(relayReason), 10_000);
  await new Promise((r) => setTimeout(r, 300));
  t.not(alone.state, 'connected');
  t.is(alone.stats.connects, 0);
  t.true(skips.every((s) => s === relayReason || /connection closed|ECONNRESET|ECONNREFUSED|relay is disconnected from its cluster/.test(s)), skips.join('; '));

  const mixed = OvsdbDatabase.connect<NorthboundTables>({ remotes: [lab.nb.relays!.tcp, lab.nb.tcp].join(','), database: DATABASE, tables });
  t.teardown(() => mixed.close());
  await mixed.synced;
  t.is(mixed.remote, (await lab.nb.leader()).tcp);
});

test.serial('without leader-only the replica runs over the relay: equals the dump, transactions forwarded, read-your-writes', async (t) => {
  const db = overRelay(relay1.tcp);
  t.teardown(() => db.close());
  await db.synced;
  t.is(db.remote, relay1.tcp);
  for (let i = 0; i < 5; i++) {
    const [ins] = await db.transact([ops.insert('Logical_Switch', { name: `via-relay${i}`, external_ids: { n: String(i) } })]);
    t.is(db.table('Logical_Switch').get(ins.uuid)?.name, `via-relay${i}`, 'applied before the transaction resolved');
  }
  t.deepEqual(await equalsLeader(db), [], 'the replica over the relay equals the leader');
});

test.serial('through a relay that restarts: resumed when nothing committed meanwhile, resynced (OVS 3.1) when something did; the leader restarting is not seen', async (t) => {
  t.timeout(90_000);
  const db = overRelay(relay1.tcp);
  t.teardown(() => db.close());
  await db.synced;
  const direct = OvsdbDatabase.connect<NorthboundTables>({ remotes: lab.nb.tcp, database: DATABASE, tables });
  t.teardown(() => direct.close());
  await direct.synced;
  const writer = new MarkerWriter(db, 'relay-w', 10);
  writer.start();
  const commitsAfter = async (what: string, n = 5): Promise<void> => {
    const before = writer.committed.size;
    await waitUntil(`${n} commits ${what}`, () => writer.committed.size >= before + n, 30_000);
  };
  const reconnected = (count: number) => waitUntil('the replica back on the relay', () => db.stats.connects >= count && db.state === 'connected', 30_000);
  const figures: Record<string, unknown> = {};
  try {
    await commitsAfter('through the relay');

    // 1. The relay restarts (SIGTERM) while the writer waits: nothing commits meanwhile, monitor_cond_since
    // finds the replica's last txn id in the restarted relay's history.
    await writer.pause();
    let { connects, resumes, resyncs } = db.stats;
    await relay1.restart();
    await reconnected(connects + 1);
    figures.restartQuiet = { resumes: db.stats.resumes - resumes, resyncs: db.stats.resyncs - resyncs };
    t.is(db.stats.resumes, resumes + 1, 'resumed through the restarted relay');
    t.is(db.stats.resyncs, resyncs, 'no resync');
    t.deepEqual(await equalsLeader(db), []);
    writer.resume();
    await commitsAfter('after the relay restart');

    // 2. The relay is killed and other writers commit while it is down: the restarted relay's history begins
    // after those commits, so the server cannot resume the replica; it resyncs (a diff) and equals the dump.
    await writer.pause();
    ({ connects, resumes, resyncs } = db.stats);
    await relay1.kill();
    for (let i = 0; i < 3; i++) await direct.transact([ops.insert('Logical_Switch', { name: `while-relay-down${i}`, external_ids: { marker: `while-relay-down${i}` } })]);
    await relay1.restart();
    await reconnected(connects + 1);
    figures.restartMissed = { resumes: db.stats.resumes - resumes, resyncs: db.stats.resyncs - resyncs };
    t.is(db.stats.resumes + db.stats.resyncs, resumes + resyncs + 1, 'one reconnect, resumed or resynced');
    t.deepEqual(await equalsLeader(db), [], 'the commits made while the relay was down are in the replica');
    writer.resume();
    await commitsAfter('after the relay came back');

    // 3. The cluster leader is killed and restarted under the writer: the relay moves to another member and
    // keeps forwarding; the replica's session with the relay never ends.
    ({ connects, resumes, resyncs } = db.stats);
    const leader = await lab.nb.leader();
    const killedAt = performance.now();
    await leader.kill();
    await waitUntil('a commit sent after the leader was killed', () => writer.firstCommitSentAfter(killedAt) !== undefined, 30_000);
    figures.firstCommitAfterLeaderKillMs = Math.round(writer.firstCommitSentAfter(killedAt)! - killedAt);
    await leader.restart();
    await commitsAfter('after the old leader rejoined');
    figures.leaderRestart = { reconnects: db.stats.connects - connects, resumes: db.stats.resumes - resumes, resyncs: db.stats.resyncs - resyncs };
    t.is(db.stats.connects, connects, 'the replica stayed connected to the relay');
    t.is(db.stats.resyncs, resyncs, 'no resync');
  } finally {
    await writer.stop();
  }
  t.deepEqual(await equalsLeader(db), [], 'the replica equals the leader at the end');
  await checkLedger(t, db, writer);
  Object.assign(figures, { committed: writer.committed.size, outcomeUnknown: writer.unknown.size, stats: db.stats });
  t.log(JSON.stringify(figures));
  console.log(`replica through a relay figures: ${JSON.stringify(figures)}`);
});

/** A relay of OVN_Northbound pointed at the SB server (no OVN_Northbound there): its row says `connected: false` forever. */
async function startWrongRelay(): Promise<OvsdbServerProcess> {
  const env = { ...process.env, ...Object.fromEntries(['RUNDIR', 'LOGDIR', 'DBDIR', 'SYSCONFDIR'].map((k) => [`OVS_${k}`, lab.dir])) };
  return OvsdbServerProcess.start({
    database: DATABASE, model: 'relay', member: 9, dir: lab.dir, stem: 'nb-wrong-relay', dbFile: `relay:${DATABASE}:${lab.sb.unix}`, source: lab.sb.unix, env,
  });
}

test.serial('a relay pointed at a wrong source: alone, synced rejects with one OvsdbRelayNotConnectedError; among good servers, a warning', async (t) => {
  const wrong = await startWrongRelay();
  t.teardown(() => wrong.stop());
  const setupTimeoutMs = 1000;

  const alone = OvsdbDatabase.connect<NorthboundTables>({ remotes: [wrong.tcp, wrong.unix], database: DATABASE, tables, leaderOnly: false, setupTimeoutMs });
  t.teardown(() => alone.close());
  const started = performance.now();
  const error = await t.throwsAsync(alone.synced, { instanceOf: OvsdbRelayNotConnectedError });
  const waited = performance.now() - started;
  t.log(`refused after ${Math.round(waited)} ms: ${error?.message}`);
  t.is(error?.code, 'OVSDB_RELAY_NOT_CONNECTED');
  t.deepEqual([...(error?.relays ?? [])].sort(), [wrong.tcp, wrong.unix].sort());
  t.is(error?.database, DATABASE);
  t.true(waited >= setupTimeoutMs - 20, 'not before the relay had its time to connect');
  t.is(alone.state, 'closed', 'the replica stopped');
  t.is(alone.stats.connects, 0);

  const warnings: Error[] = [];
  const mixed = OvsdbDatabase.connect<NorthboundTables>({ remotes: [wrong.tcp, relay1.tcp], database: DATABASE, tables, leaderOnly: false, setupTimeoutMs, shuffleRemotes: false });
  t.teardown(() => mixed.close());
  mixed.on('warning', (e) => warnings.push(e));
  await mixed.synced;
  t.is(mixed.remote, relay1.tcp, 'the good relay serves');
  await waitUntil('the wrong relay reported', () => warnings.length > 0, 10_000);
  await new Promise((r) => setTimeout(r, 2 * setupTimeoutMs));
  t.is(warnings.length, 1, 'reported once');
  t.true(warnings[0] instanceof OvsdbRelayNotConnectedError);
  t.deepEqual((warnings[0] as OvsdbRelayNotConnectedError).relays, [wrong.tcp]);
  t.is(mixed.state, 'connected', 'the replica keeps running');
});
