// RAFT leadership moved again and again under a continuous write load (one transaction every ~10 ms), the ways
// OVSDB moves it on its own, nothing killed:
//
//   snapshot   the leader hands leadership over to write a snapshot (`cluster/failure-test transfer-leadership`
//              runs the very path an automatic compaction takes on a leader: "Transferring leadership to write
//              a snapshot."), then that member compacts its log (`ovsdb-server/compact`) as a follower;
//   leave      `cluster/leave` on the leader (it hands leadership over, leaves, drops the database) and the
//              member joins again with a fresh copy (`ovsdb-tool join-cluster`);
//   shutdown   the leader told to exit (`ovs-appctl exit`: it hands leadership over before exiting; a SIGTERM
//              does not) and started again.
//
// libovsdb-based agents lose their cache on it (a field report). The replica must keep its cache: 0 full
// resyncs (every reconnect resumes with monitor_cond_since), the replica equal to `ovsdb-client dump` of the new
// leader after each transfer, and at the end every transaction reported committed in the database exactly once
// and nothing written twice (outcome-unknown ones are never resent).
import test from 'ava';
import { startLab, type LabServer } from '../../src/lab/index.js';
import { OvsdbDatabase } from '../../src/ovsdb/database.js';
import type { NorthboundTables } from '../../src/models/ovn-northbound.js';
import { dumpTable, MarkerWriter, markerCounts, replicaTable, tableDiff, waitUntil } from './helpers.js';
import { electedAt, FailoverRecorder, logMarks } from './failover-timeline.js';

const ROUNDS = Number(process.env.REPLICA_TRANSFER_ROUNDS ?? 9);
const ELECTION_MS = 250;
const DATABASE = 'OVN_Northbound';
type Way = 'snapshot' | 'leave' | 'shutdown';
const WAYS: readonly Way[] = ['snapshot', 'leave', 'shutdown'];

/** Moves leadership away from `leader` one way; resolves once the member is back in the cluster. */
async function transfer(way: Way, leader: LabServer): Promise<void> {
  if (way === 'snapshot') {
    await leader.appctl('cluster/failure-test', 'transfer-leadership');
    await waitUntil('the leader to step down', async () => !/^Role: leader$/m.test(await leader.appctl('cluster/status', DATABASE)), 10_000);
    await leader.appctl('ovsdb-server/compact');
  } else if (way === 'leave') {
    await leader.appctl('cluster/leave', DATABASE);
    // The member is gone from the cluster once its server dropped the database.
    await waitUntil('the member to leave', async () => !(await leader.appctl('ovsdb-server/list-dbs')).includes(DATABASE), 10_000);
    await leader.rejoin();
  } else {
    await leader.appctl('exit');
    await waitUntil('the member to exit', () => !leader.running, 10_000);
    await leader.restart();
  }
}

test(`RAFT leadership transferred ${ROUNDS} times (snapshot, leave + rejoin, shutdown) under continuous writes: 0 resyncs, nothing lost, nothing twice`, async (t) => {
  t.timeout(170_000);
  const lab = await startLab({ clustered: true, electionTimerMs: ELECTION_MS, northd: false });
  t.teardown(() => lab.stop());
  const db = OvsdbDatabase.connect<NorthboundTables>({
    remotes: lab.nb.tcp, database: DATABASE, probeIntervalMs: 2000,
    tables: { Logical_Switch: { columns: ['name', 'external_ids'], indexes: { marker: { column: 'external_ids', key: 'marker' } } } },
  });
  t.teardown(() => db.close());
  await db.synced;
  const schema = db.schema!;
  const writer = new MarkerWriter(db, 'w', 10);
  writer.start();
  const recorder = new FailoverRecorder(db);
  const ways: Way[] = [];
  try {
    for (let k = 0; k < ROUNDS; k++) {
      const way = WAYS[k % WAYS.length];
      ways.push(way);
      const before = writer.committed.size;
      await waitUntil('commits before the transfer', () => writer.committed.size >= before + 5);
      const leader = await lab.nb.leader();
      t.is(db.remote, leader.tcp, 'leader-only: the replica is connected to the leader');
      const marks = await logMarks(lab.nb.servers);
      const startedAt = performance.now();
      const timeline = recorder.begin(Date.now());
      await transfer(way, leader);
      await waitUntil('a commit after the transfer', () => writer.firstCommitSentAfter(startedAt) !== undefined, 30_000);
      timeline.firstCommit = writer.firstCommitSentAfter(startedAt)! - startedAt;
      const elected = await electedAt(lab.nb.servers, marks, timeline.killedAt);
      if (elected !== undefined) timeline.elected = elected - timeline.killedAt;
      t.log(`${way}: ${FailoverRecorder.line(timeline, k).replace(/^kill/, 'transfer')}`);
      // Quiesce, then the replica must equal the new leader's dump.
      await writer.pause();
      const next = await lab.nb.leader();
      t.not(next, leader, `${way}: leadership moved`);
      const diff = tableDiff(replicaTable(db, 'Logical_Switch', ['name', 'external_ids']), await dumpTable(next.unix, schema, 'Logical_Switch', ['name', 'external_ids']));
      t.deepEqual(diff, [], `after transfer ${k + 1} (${way}) the replica equals the leader's dump`);
      writer.resume();
    }
  } finally {
    await writer.stop();
  }
  const counts = await markerCounts((await lab.nb.leader()).unix, schema);
  const lost = [...writer.committed].filter((n) => (counts.get(n) ?? 0) === 0);
  const duplicated = [...counts].filter(([, c]) => c > 1).map(([n]) => n);
  for (const name of writer.committed) t.truthy(db.table('Logical_Switch').findOne('marker', name), `${name} in the replica`);
  const figures = {
    rounds: ROUNDS, ways: ways.join(','), electionTimerMs: ELECTION_MS, ...recorder.summary(),
    committed: writer.committed.size, outcomeUnknown: writer.unknown.size, outcomeUnknownCommitted: [...writer.unknown].filter((n) => counts.has(n)).length,
    otherFailures: writer.failed, otherFailuresCommitted: writer.failures.filter((f) => counts.has(f.slice(0, f.indexOf(':')))).length, resumes: db.stats.resumes, resyncs: db.stats.resyncs, reconnects: db.stats.reconnects,
    lost: lost.length, duplicated: duplicated.length,
  };
  t.log(JSON.stringify(figures));
  console.log(`replica leadership transfer figures: ${JSON.stringify(figures)}`);
  t.is(db.stats.resyncs, 0, 'every reconnect resumed (the cache was kept)');
  t.true(db.stats.resumes >= ROUNDS, `resumed ${db.stats.resumes} times for ${ROUNDS} transfers`);
  t.is(lost.length, 0, `lost: ${lost.slice(0, 5).join(', ')}`);
  t.is(duplicated.length, 0, `duplicated: ${duplicated.slice(0, 5).join(', ')}`);
  t.is(writer.failed, 0, `every transaction committed or was reported outcome-unknown; failed: ${writer.failures.slice(0, 5).join('; ')}`);
  t.true(writer.committed.size > ROUNDS * 5);
});
