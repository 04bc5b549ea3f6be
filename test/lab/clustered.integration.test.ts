import test from 'ava';
import { startLab } from '../../src/lab/index.js';
import { runCommand } from '../../src/lab/process.js';

test('a clustered lab elects a new leader after the leader is killed, and the member rejoins', async (t) => {
  const lab = await startLab({ clustered: true, electionTimerMs: 250 });
  t.teardown(() => lab.stop());
  t.is(lab.nb.servers.length, 3);
  t.is(lab.sb.servers.length, 3);
  t.is(lab.nb.tcp.split(',').length, 3);
  t.regex(await runCommand('ovsdb-client', ['list-dbs', lab.nb.servers[2].tcp]), /OVN_Northbound/);
  await lab.nbctl('ls-add', 'before');

  const leader = await lab.nb.leader();
  t.regex(await leader.appctl('cluster/status', 'OVN_Northbound'), /Election timer: 250/);
  await leader.kill();
  t.false(leader.running);
  const next = await lab.nb.leader();
  t.not(next.member, leader.member);
  await lab.nbctl('ls-add', 'after');

  await leader.restart();
  t.true(leader.running);
  t.regex(await leader.appctl('cluster/status', 'OVN_Northbound'), /Status: cluster member/);
  // The restarted member caught up with what was written while it was down.
  const rows = await runCommand('ovsdb-client', ['--no-leader-only', 'dump', leader.unix, 'OVN_Northbound', 'Logical_Switch', 'name']);
  t.regex(rows, /after/);
  t.regex(rows, /before/);
});
