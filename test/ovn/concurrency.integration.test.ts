// Two agents (two connections, two replicas) adding 1,000 pods on one node at once, each with many transactions in
// flight (agent B coalescing its calls into shared transactions), with 200 pods requested by both: no address is
// handed out twice and every port exists exactly once. Run with both agents on the default address guard (the
// port UUID derived from the offset), and with agent A adding the `wait` guard on top.
import test, { type ExecutionContext } from 'ava';
import type { OvnPodsOptions } from '../../src/ovn/pods.js';
import { startLab } from '../../src/lab/index.js';
import { openNorthbound } from '../../src/ovn/northbound.js';
import { OvnNodes } from '../../src/ovn/nodes.js';
import { OvnPods, type PodNetwork } from '../../src/ovn/pods.js';
import { OvnSubnetOverlapError } from '../../src/ovn/errors.js';
import { SentTransactions } from './helpers.js';

async function inParallel<T>(items: readonly T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => { while (next < items.length) await run(items[next++]); };
  await Promise.all(Array.from({ length: limit }, worker));
}

async function twoAgents(t: ExecutionContext, guardA: OvnPodsOptions['addressGuard']): Promise<void> {
  const lab = await startLab({ northd: false });
  t.teardown(() => lab.stop());
  const [wireA, wireB] = [new SentTransactions(), new SentTransactions()];
  const [dbA, dbB] = await Promise.all([
    openNorthbound({ remotes: lab.nb.unix, openChannel: wireA.openChannel }),
    openNorthbound({ remotes: lab.nb.tcp, openChannel: wireB.openChannel }),
  ]);
  t.teardown(() => Promise.all([dbA.close(), dbB.close()]));
  await new OvnNodes(dbA).ensure({ name: 'node1', subnets: ['10.128.0.0/22', 'fd00:128::/64'] });
  await new OvnNodes(dbB).ensure({ name: 'node1', subnets: ['10.128.0.0/22', 'fd00:128::/64'] });
  const agentA = new OvnPods(dbA, { addressGuard: guardA });
  const agentB = new OvnPods(dbB, { coalesce: true }); // group commit: calls of one turn share a transaction
  const [sentBeforeA, sentBeforeB] = [wireA.count, wireB.count];
  const names = Array.from({ length: 1000 }, (_, i) => `pod-${i}`);
  const results = new Map<string, PodNetwork[]>();
  const record = (r: PodNetwork): void => { const l = results.get(r.portName) ?? []; l.push(r); results.set(r.portName, l); };
  const started = Date.now();
  await Promise.all([
    inParallel(names.slice(0, 600), 16, async (name) => record(await agentA.ensure({ namespace: 'load', name, node: 'node1', uid: name }))),
    inParallel(names.slice(400), 16, async (name) => record(await agentB.ensure({ namespace: 'load', name, node: 'node1', uid: name }))),
  ]);
  const elapsed = Date.now() - started;
  t.log(`1,000 pods (200 requested twice) in ${elapsed} ms; transactions sent: A ${wireA.count - sentBeforeA}, B ${wireB.count - sentBeforeB}`);

  // What the agents were told: both agents agree on the pods they both added.
  t.is(results.size, 1000);
  for (const [port, list] of results) {
    t.true(list.every((r) => r.ipAddresses.join() === list[0].ipAddresses.join()), `${port} got different addresses from the two agents`);
  }
  // What the database holds, read back with the real ovn-nbctl.
  const lspJson = JSON.parse(await lab.nbctl('--format=json', '--columns=name,addresses', 'list', 'Logical_Switch_Port')) as { data: [string, string | ['set', string[]]][] };
  const podPorts = lspJson.data.filter(([name]) => name.startsWith('load_'));
  t.is(podPorts.length, 1000);
  t.is(new Set(podPorts.map(([name]) => name)).size, 1000);
  const addresses = podPorts.map(([, a]) => (typeof a === 'string' ? a : a[1][0]));
  const v4 = addresses.map((a) => a.split(' ')[1]);
  const v6 = addresses.map((a) => a.split(' ')[2]);
  t.is(new Set(v4).size, 1000, 'duplicate IPv4 address');
  t.is(new Set(v6).size, 1000, 'duplicate IPv6 address');
  t.false(v4.includes('10.128.0.1') || v4.includes('10.128.0.2'), 'gateway or management address handed out');
  const switchPorts = (await lab.nbctl('--bare', '--columns=ports', 'list', 'Logical_Switch', 'node1')).trim().split(/\s+/);
  t.is(switchPorts.length, 1002); // 1,000 pods + stor-node1 + k8s-node1
  t.is(new Set(switchPorts).size, switchPorts.length);
  t.true(elapsed < 60_000);
}

test('1,000 pods from two concurrent agents on one node: no duplicate address, every port once', twoAgents, 'uuid');
test('the same with agent A adding the wait guard (agents with different guards can share a node)', twoAgents, 'wait');

test('nodes ensured at once: with node ids one transaction each, GR_<node> on the join subnet + its id; without, distinct join addresses (reserved in one agent, after retries between two)', async (t) => {
  const lab = await startLab({ northd: false });
  t.teardown(() => lab.stop());
  const wire = new SentTransactions();
  const db = await openNorthbound({ remotes: lab.nb.unix, openChannel: wire.openChannel });
  t.teardown(() => db.close());
  const nodes = new OvnNodes(db);
  const spec = (i: number, nodeId?: number) => ({ name: `node-${i}`, subnets: [`10.128.${i}.0/24`], chassis: `chassis-${i}`, ...(nodeId === undefined ? {} : { nodeId }) });
  await nodes.ensure(spec(0, 2));
  const before = wire.count;
  // The cluster router's ports and routes are mutated, never written whole, and nothing else is shared: no retry.
  await Promise.all(Array.from({ length: 16 }, (_, i) => nodes.ensure(spec(i + 1, i + 3))));
  t.is(wire.count - before, 16);
  const joinNetworks = async (i: number) => (await lab.nbctl('get', 'Logical_Router_Port', `rtoj-GR_node-${i}`, 'networks')).trim();
  for (let i = 0; i <= 16; i++) t.is(await joinNetworks(i), `["100.64.0.${i + 2}/16"]`);
  t.is((await lab.nbctl('--bare', '--columns=ports', 'list', 'Logical_Router', 'ovn_cluster_router')).trim().split(/\s+/).length, 18); // rtoj + 17 rtos

  // Without node ids, one agent's ensures of the same instant reserve the join addresses they pick: no retry.
  const beforeOne = wire.count;
  await Promise.all(Array.from({ length: 4 }, (_, i) => nodes.ensure(spec(20 + i))));
  t.is(wire.count - beforeOne, 4, 'one transaction per node: no ensure lost the join address race');
  // Two agents (their own reservations) pick the same lowest free address; the guard makes the losers pick again.
  const other = new OvnNodes(db);
  await Promise.all(Array.from({ length: 4 }, (_, i) => (i % 2 === 0 ? nodes : other).ensure(spec(30 + i))));
  t.true(wire.count - beforeOne > 8, 'the second agent lost races and retried');
  const picked = await Promise.all([20, 21, 22, 23, 30, 31, 32, 33].map(joinNetworks));
  t.is(new Set(picked).size, 8);
  for (const p of picked) t.false(/^\["100\.64\.0\.([2-9]|1[0-8])\/16"\]$/.test(p), `${p} is a node id's address`);
});

test('nodes with coalesce: the cluster rows first, then the ensures of one turn in shared transactions with distinct join addresses; a node overlapping a batch-mate is refused alone', async (t) => {
  const lab = await startLab({ northd: false });
  t.teardown(() => lab.stop());
  const wire = new SentTransactions();
  const db = await openNorthbound({ remotes: lab.nb.unix, openChannel: wire.openChannel });
  t.teardown(() => db.close());
  const nodes = new OvnNodes(db, { coalesce: true, maxBatch: 8 });
  const spec = (i: number, subnet = `10.128.${i}.0/24`) => ({ name: `node-${i}`, subnets: [subnet], chassis: `chassis-${i}`, nodeIp: `172.18.0.${i + 2}` });
  const first = await Promise.all(Array.from({ length: 20 }, (_, i) => nodes.ensure(spec(i))));
  t.is(wire.count, 1 + 3, 'the cluster rows, then 20 nodes in batches of 8');
  t.true(first.every((r) => r.changed));
  t.deepEqual(first.map((r) => r.gatewayRouter), Array.from({ length: 20 }, (_, i) => `GR_node-${i}`));
  const joins = await Promise.all(Array.from({ length: 20 }, async (_, i) => (await lab.nbctl('get', 'Logical_Router_Port', `rtoj-GR_node-${i}`, 'networks')).trim()));
  t.is(new Set(joins).size, 20, 'every gateway router has its own join address');
  t.is((await lab.nbctl('--bare', '--columns=ports', 'list', 'Logical_Router', 'ovn_cluster_router')).trim().split(/\s+/).length, 21); // rtoj + 20 rtos
  t.is((await lab.nbctl('--bare', '--columns=static_routes', 'list', 'Logical_Router', 'ovn_cluster_router')).trim().split(/\s+/).length, 20);

  const again = await Promise.all(Array.from({ length: 20 }, (_, i) => nodes.ensure(spec(i))));
  t.is(wire.count, 4, 'nothing sent when nothing changes');
  t.true(again.every((r) => !r.changed));

  // node-31 overlaps node-30 of the same turn: built after it into the same transaction, it is refused; the others commit together.
  const before = wire.count;
  const settled = await Promise.allSettled([nodes.ensure(spec(30)), nodes.ensure(spec(31, '10.128.30.128/25')), nodes.ensure(spec(32))]);
  t.is(wire.count - before, 1);
  t.is(settled[0].status, 'fulfilled');
  t.is(settled[2].status, 'fulfilled');
  t.true(settled[1].status === 'rejected' && settled[1].reason instanceof OvnSubnetOverlapError);
  t.is(nodes.get({ name: 'node-31' }), undefined);
});
