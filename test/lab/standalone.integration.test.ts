import test from 'ava';
import { existsSync } from 'node:fs';
import { startLab } from '../../src/lab/index.js';
import { isProcessAlive, runCommand } from '../../src/lab/process.js';

test('a standalone lab with vswitchd answers the real clients and leaves nothing behind', async (t) => {
  const lab = await startLab({ vswitchd: true });
  let stopped = false;
  t.teardown(() => (stopped ? undefined : lab.stop()));

  for (const db of [lab.ovs, lab.nb, lab.sb]) {
    t.is(db.servers.length, 1);
    for (const remote of [db.unix, db.tcp]) {
      const dbs = (await runCommand('ovsdb-client', ['list-dbs', remote])).trim().split('\n');
      t.deepEqual(dbs.sort(), [db.name, '_Server'].sort(), `${db.name} over ${remote}`);
    }
    t.regex(db.tcp, /^tcp:127\.0\.0\.1:\d+$/);
  }
  await lab.nbctl('ls-add', 'sw0');
  t.regex(await lab.nbctl('show'), /switch [0-9a-f-]+ \(sw0\)/);
  // northd carried the switch into the Southbound database.
  await lab.nbctl('--wait=sb', 'sync');
  t.regex(await lab.sbctl('--columns=external_ids', 'list', 'Datapath_Binding'), /name=sw0/);
  const show = await lab.vsctl('show');
  t.regex(show, /Bridge br-int[\s\S]*datapath_type: dummy/);
  t.truthy(lab.netns);
  t.truthy(lab.vswitchdPid);
  // The vswitchd runs inside the lab's own network namespace.
  const nsPids = (await runCommand('ip', ['netns', 'pids', lab.netns!])).trim().split('\n').map(Number);
  t.true(nsPids.includes(lab.vswitchdPid!));

  const pids = [...lab.ovs.servers, ...lab.nb.servers, ...lab.sb.servers].map((s) => s.pid);
  pids.push(lab.vswitchdPid!);
  await lab.stop();
  stopped = true;
  for (const pid of pids) t.false(isProcessAlive(pid), `pid ${pid} still alive`);
  t.false(existsSync(lab.dir));
  const namespaces = await runCommand('ip', ['netns', 'list']);
  t.false(namespaces.includes(lab.netns!));
  await t.notThrowsAsync(lab.stop(), 'stop() twice is harmless');
});

test('a restarted standalone server keeps its data and its port', async (t) => {
  const lab = await startLab({ northd: false });
  t.teardown(() => lab.stop());
  await lab.nbctl('ls-add', 'kept');
  const server = lab.nb.servers[0];
  const tcp = server.tcp;
  await server.kill();
  t.false(server.running);
  await server.restart();
  t.true(server.running);
  t.is(server.tcp, tcp);
  t.regex(await runCommand('ovn-nbctl', [`--db=${tcp}`, 'ls-list']), /\(kept\)/);
});
