// PodNetworking against a real ovsdb-server (no ovn-northd): the allocator's low-water mark (a freed address is
// handed out again, exclusions skipped), group commit (batches, several in flight, each pod all-or-nothing, a
// second identical round sends nothing) and read-your-writes.
import test from 'ava';
import { startLab, type Lab } from '../../src/lab/index.js';
import { openNorthbound, type Northbound } from '../../src/ovn/northbound.js';
import { OvnNodes } from '../../src/ovn/nodes.js';
import { OvnPods, podPortUuid } from '../../src/ovn/pods.js';
import { SentTransactions } from './helpers.js';

let lab: Lab;
let db: Northbound;
const wire = new SentTransactions();

test.before(async () => {
  lab = await startLab({ northd: false });
  db = await openNorthbound({ remotes: lab.nb.unix, openChannel: wire.openChannel });
});

test.after.always(async () => {
  await db?.close();
  await lab?.stop();
});

const v4 = (n: { ipAddresses: readonly string[] }): string => n.ipAddresses[0];

test.serial('one at a time: lowest free address; a deleted pod\'s address is handed out again; exclusions skipped', async (t) => {
  await new OvnNodes(db).ensure({ name: 'low', subnets: ['10.50.0.0/24'], excludeIps: '10.50.0.6..10.50.0.7' });
  const pods = new OvnPods(db);
  const got: string[] = [];
  for (let i = 0; i < 6; i++) got.push(v4(await pods.ensure({ namespace: 'ns', name: `p${i}`, node: 'low' })));
  t.deepEqual(got, ['10.50.0.3/24', '10.50.0.4/24', '10.50.0.5/24', '10.50.0.8/24', '10.50.0.9/24', '10.50.0.10/24']);
  t.true(await pods.delete({ namespace: 'ns', name: 'p1' }));
  t.true(await pods.delete({ namespace: 'ns', name: 'p4' }));
  t.is(v4(await pods.ensure({ namespace: 'ns', name: 'q0', node: 'low' })), '10.50.0.4/24');
  t.is(v4(await pods.ensure({ namespace: 'ns', name: 'q1', node: 'low' })), '10.50.0.9/24');
  t.is(v4(await pods.ensure({ namespace: 'ns', name: 'q2', node: 'low' })), '10.50.0.11/24');
  // Read-your-writes: the port is in the replica, on the switch, under its derived UUID, when addPod resolves.
  const ls = db.table('Logical_Switch').findOne('name', 'low');
  const lsp = db.table('Logical_Switch_Port').findOne('name', 'ns_q2');
  t.truthy(ls && lsp);
  t.true(ls!.ports.includes(lsp!._uuid));
  t.is(lsp!._uuid, podPortUuid(ls!._uuid, 11n));
});

test.serial('coalesced: batches of maxBatch, several in flight; distinct addresses; each pod once; idempotent', async (t) => {
  await new OvnNodes(db).ensure({ name: 'batch', subnets: ['10.51.0.0/22', 'fd00:51::/64'] });
  const pods = new OvnPods(db, { coalesce: true, maxBatch: 16 });
  const names = Array.from({ length: 200 }, (_, i) => `p${i}`);
  const before = wire.count;
  const results = await Promise.all(names.map((name) => pods.ensure({ namespace: 'nb', name, node: 'batch', uid: name })));
  const sent = wire.sent.slice(before);
  t.is(sent.length, Math.ceil(names.length / 16));
  t.deepEqual(pods.stats, { transactions: sent.length, conflicts: 0 });
  for (const params of sent) t.true(params.length - 1 <= 16 + 1, 'more than maxBatch pods in one transaction'); // inserts + one ports mutation
  t.is(new Set(results.map(v4)).size, names.length);
  t.is(new Set(results.map((r) => r.ipAddresses[1])).size, names.length);
  const ls = db.table('Logical_Switch').findOne('name', 'batch')!;
  for (const [i, r] of results.entries()) {
    const lsp = db.table('Logical_Switch_Port').findOne('name', `nb_${names[i]}`);
    t.truthy(lsp, `ns_${names[i]} not in the replica when addPod resolved`);
    t.true(ls.ports.includes(lsp!._uuid));
    t.is(lsp!.addresses[0].split(' ').slice(1).join(), `${r.ipAddresses[0].split('/')[0]},${r.ipAddresses[1].split('/')[0]}`);
  }
  const again = wire.count;
  const second = await Promise.all(names.map((name) => pods.ensure({ namespace: 'nb', name, node: 'batch', uid: name })));
  t.is(wire.count, again, 'the second identical round sent a transaction');
  t.deepEqual(second.map(v4), results.map(v4));
});

test.serial('coalesced: the same pod twice in one batch gets one port; a missing node fails only its own call', async (t) => {
  await new OvnNodes(db).ensure({ name: 'dup', subnets: ['10.52.0.0/24'] });
  const pods = new OvnPods(db, { coalesce: true });
  const calls = [
    pods.ensure({ namespace: 'nd', name: 'x', node: 'dup' }),
    pods.ensure({ namespace: 'nd', name: 'x', node: 'dup' }),
    pods.ensure({ namespace: 'nd', name: 'y', node: 'nowhere' }),
    pods.ensure({ namespace: 'nd', name: 'z', node: 'dup' }),
  ];
  const settled = await Promise.allSettled(calls);
  t.is(settled[2].status, 'rejected');
  const [x1, x2, , z] = settled.map((s) => (s.status === 'fulfilled' ? s.value : undefined));
  t.deepEqual(x1?.ipAddresses, x2?.ipAddresses);
  t.notDeepEqual(x1?.ipAddresses, z?.ipAddresses);
  t.is(db.table('Logical_Switch_Port').filter((p) => p.name === 'nd_x').length, 1);
});
