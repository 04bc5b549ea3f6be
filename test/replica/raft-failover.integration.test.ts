// The RAFT leader is killed again and again under a continuous write load (one transaction every ~10 ms).
// After each recovery the replica must equal `ovsdb-client dump` of the new leader; at the end every transaction
// reported committed is in the database exactly once, and nothing was written twice (outcome-unknown ones are
// never resent, so they are there at most once). Prints the failover gap p50/p99 next to the election time the
// servers logged for each kill, the replica's own share (gap - election), where it went (failover-timeline.ts),
// resyncs, lost and duplicated.
import test from 'ava';
import { startLab } from '../../src/lab/index.js';
import { OvsdbDatabase } from '../../src/ovsdb/database.js';
import type { NorthboundTables } from '../../src/models/ovn-northbound.js';
import { dumpTable, MarkerWriter, markerCounts, replicaTable, tableDiff, waitUntil } from './helpers.js';
import { electedAt, FailoverRecorder, logMarks } from './failover-timeline.js';

const KILLS = Number(process.env.REPLICA_FAILOVER_KILLS ?? 20);
const ELECTION_MS = 250;

test(`RAFT leader killed ${KILLS} times under continuous writes: nothing lost, nothing twice, replica == dump`, async (t) => {
  t.timeout(170_000);
  const lab = await startLab({ clustered: true, electionTimerMs: ELECTION_MS, northd: false });
  t.teardown(() => lab.stop());
  const db = OvsdbDatabase.connect<NorthboundTables>({
    remotes: lab.nb.tcp, database: 'OVN_Northbound', probeIntervalMs: 2000,
    tables: { Logical_Switch: { columns: ['name', 'external_ids'], indexes: { marker: { column: 'external_ids', key: 'marker' } } } },
  });
  t.teardown(() => db.close());
  await db.synced;
  const schema = db.schema!;
  const writer = new MarkerWriter(db, 'w', 10);
  writer.start();
  const recorder = new FailoverRecorder(db);
  try {
    for (let k = 0; k < KILLS; k++) {
      const before = writer.committed.size;
      await waitUntil('commits before the kill', () => writer.committed.size >= before + 5);
      const leader = await lab.nb.leader();
      t.is(db.remote, leader.tcp, 'leader-only: the replica is connected to the leader');
      const marks = await logMarks(lab.nb.servers);
      const killedAt = performance.now();
      const timeline = recorder.begin(Date.now());
      await leader.kill();
      await waitUntil('a commit after the kill', () => writer.firstCommitSentAfter(killedAt) !== undefined, 30_000);
      timeline.firstCommit = writer.firstCommitSentAfter(killedAt)! - killedAt;
      const survivors = lab.nb.servers.filter((s) => s !== leader);
      const survivorMarks = marks.filter((_, i) => lab.nb.servers[i] !== leader);
      let elected: number | undefined;
      await waitUntil('the election in the servers\' logs', async () => (elected = await electedAt(survivors, survivorMarks, timeline.killedAt)) !== undefined, 5000)
        .catch(() => undefined);
      if (elected !== undefined) timeline.elected = elected - timeline.killedAt;
      t.log(FailoverRecorder.line(timeline, k));
      // Quiesce, then the replica must equal the new leader's dump.
      await writer.pause();
      const next = await lab.nb.leader();
      const dump = await dumpTable(next.unix, schema, 'Logical_Switch', ['name', 'external_ids']);
      const diff = tableDiff(replicaTable(db, 'Logical_Switch', ['name', 'external_ids']), dump);
      t.deepEqual(diff, [], `after kill ${k + 1} the replica equals the leader's dump`);
      writer.resume();
      await leader.restart();
    }
  } finally {
    await writer.stop();
  }
  const leader = await lab.nb.leader();
  const counts = await markerCounts(leader.unix, schema);
  const lost = [...writer.committed].filter((n) => (counts.get(n) ?? 0) === 0);
  const duplicated = [...counts].filter(([, c]) => c > 1).map(([n]) => n);
  const unknownPresent = [...writer.unknown].filter((n) => counts.has(n)).length;
  // The replica agrees with the marker index too.
  for (const name of writer.committed) t.truthy(db.table('Logical_Switch').findOne('marker', name), `${name} in the replica`);
  const figures = {
    kills: KILLS, electionTimerMs: ELECTION_MS,
    ...recorder.summary(),
    committed: writer.committed.size, outcomeUnknown: writer.unknown.size, outcomeUnknownCommitted: unknownPresent,
    otherFailures: writer.failed, resumes: db.stats.resumes, resyncs: db.stats.resyncs, reconnects: db.stats.reconnects,
    skippedMembers: db.stats.skippedMembers, lost: lost.length, duplicated: duplicated.length,
  };
  t.log(JSON.stringify(figures));
  console.log(`replica failover figures: ${JSON.stringify(figures)}`);
  const f: Record<string, number> = figures;
  console.log(`replica failover (${KILLS} kills, ${ELECTION_MS} ms election timer): gap p50 ${f.failoverGapP50Ms} / p99 ${f.failoverGapP99Ms} ms, `
    + `election p50 ${f.electionP50Ms} / p99 ${f.electionP99Ms} ms, gap - election p50 ${f.gapMinusElectionP50Ms} / p99 ${f.gapMinusElectionP99Ms} ms; `
    + `resyncs ${f.resyncs}, lost ${f.lost}, duplicated ${f.duplicated}, outcome-unknown ${f.outcomeUnknown} (${f.outcomeUnknownCommitted} of them committed)`);
  // The target: commits resume within the election time + 0.5 s. Every kill is held to it but one (p95 of 20):
  // on a shared 2-core machine a single scheduling stall of the test process must not fail the run; the p99 is
  // printed above.
  const unmeasured = recorder.kills.filter((k) => k.elected === undefined || k.firstCommit === undefined).length;
  t.is(unmeasured, 0, 'every election was found in the servers\' logs');
  const overTarget = recorder.kills.filter((k) => k.firstCommit! - k.elected! > 500);
  t.true(overTarget.length <= Math.floor(KILLS / 20), `commits resumed later than election + 500 ms after ${overTarget.length} kills: ${overTarget.map((k) => Math.round(k.firstCommit! - k.elected!)).join(', ')} ms`);
  t.is(lost.length, 0, `lost: ${lost.slice(0, 5).join(', ')}`);
  t.is(duplicated.length, 0, `duplicated: ${duplicated.slice(0, 5).join(', ')}`);
  t.is(writer.failed, 0);
  t.true(writer.committed.size > KILLS * 5);
});
