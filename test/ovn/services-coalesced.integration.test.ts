// OvnServices with `coalesce` (group commit) against the real ovsdb-server: the ensure() calls of one event-loop
// turn share transactions of at most maxBatch Services, a second identical round sends nothing, a Service whose
// build fails (a row of its name made by ovn-nbctl, a missing node switch) is refused alone while its batch-mates
// commit, and when the shared transaction itself fails (another agent made the same rows first) every Service of
// it is made again alone and answers for itself.
import test from 'ava';
import { startLab, type Lab } from '../../src/lab/index.js';
import { openNorthbound, type Northbound } from '../../src/ovn/northbound.js';
import { ClusterNetwork } from '../../src/ovn/cluster-network.js';
import { OvnServices } from '../../src/ovn/services.js';
import type { ServiceSpec } from '../../src/ovn/service-spec.js';
import { OvnNotFoundError, OvnNotOwnedError } from '../../src/ovn/errors.js';
import { SentTransactions } from './helpers.js';

let lab: Lab;
let db: Northbound;
const wire = new SentTransactions();

test.before(async () => {
  lab = await startLab();
  db = await openNorthbound({ remotes: lab.nb.unix, openChannel: wire.openChannel });
  await new ClusterNetwork(db).nodes.ensure({ name: 'node1', subnets: ['10.244.1.0/24'], chassis: 'chassis-1', nodeIp: '172.18.0.2', clusterSubnets: ['10.244.0.0/16'] });
});

test.after.always(async () => {
  await db?.close();
  await lab?.stop();
});

const clusterIp = (namespace: string, name: string, i: number): ServiceSpec => ({
  namespace, name, clusterIPs: [`10.96.${namespace.length}.${i + 1}`], ports: [{ port: 80, endpoints: [{ ip: `10.244.1.${i + 3}`, port: 8080 }] }],
});
/** Names of the namespace's Service load balancers, read with ovn-nbctl. */
const lbNames = async (namespace: string): Promise<string[]> =>
  (await lab.nbctl('--bare', '--columns=name', 'list', 'Load_Balancer')).split('\n').filter((n) => n.startsWith(`Service_${namespace}/`)).sort();
const rowsOf = (owner: string): number => db.table('Load_Balancer').filter((lb) => lb.external_ids.get('k8s.ovn.org/owner') === owner).length;

test.serial('one turn of calls: transactions of at most maxBatch Services; the same round again sends nothing; a key twice is made once', async (t) => {
  const services = new OvnServices(db, { coalesce: true, maxBatch: 4 });
  const specs = Array.from({ length: 10 }, (_, i) => clusterIp('batch', `s${i}`, i));
  const before = wire.count;
  const first = await Promise.all([...specs.map((s) => services.ensure(s)), services.ensure(specs[0])]);
  t.is(wire.count - before, 3, '10 Services (+ one twice) in batches of 4: 3 transactions');
  t.true(first.slice(0, 10).every((r) => r.changed));
  t.false(first[10].changed, 'the second call of s0 went after and found it done');
  t.deepEqual(first.map((r) => r.loadBalancers), [...specs, specs[0]].map((s) => [`Service_batch/${s.name}_TCP_cluster`]));
  for (const s of specs) t.is(rowsOf(`batch/${s.name}`), 1);
  const again = await Promise.all(specs.map((s) => services.ensure(s)));
  t.is(wire.count - before, 3, 'nothing sent when nothing changes');
  t.true(again.every((r) => !r.changed));
  t.deepEqual(again.map((r) => r.vips), first.slice(0, 10).map((r) => r.vips));
});

test.serial('a Service whose build fails is refused alone; its batch-mates commit in one transaction', async (t) => {
  await lab.nbctl('lb-add', 'Service_mixed/theirs_TCP_cluster', '10.96.9.9:80', '10.244.1.9:8080', 'tcp');
  await db.transact([]); // a round trip: the replica has the row
  const services = new OvnServices(db, { coalesce: true });
  const good = [clusterIp('mixed', 'g0', 0), clusterIp('mixed', 'g1', 1), clusterIp('mixed', 'g2', 2)];
  const before = wire.count;
  const settled = await Promise.allSettled([
    services.ensure(good[0]),
    services.ensure(clusterIp('mixed', 'theirs', 3)),
    services.ensure(good[1]),
    services.ensure({ ...clusterIp('mixed', 'far', 4), ports: [{ port: 80, nodePort: 30080, endpoints: [] }], nodes: [{ name: 'node9', addresses: ['172.18.0.9'] }] }),
    services.ensure(good[2]),
  ]);
  t.is(wire.count - before, 1, 'the three good ones in one transaction');
  t.deepEqual(settled.map((s) => s.status), ['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
  t.true((settled[1] as PromiseRejectedResult).reason instanceof OvnNotOwnedError);
  t.true((settled[3] as PromiseRejectedResult).reason instanceof OvnNotFoundError);
  t.deepEqual(await lbNames('mixed'), ['Service_mixed/g0_TCP_cluster', 'Service_mixed/g1_TCP_cluster', 'Service_mixed/g2_TCP_cluster', 'Service_mixed/theirs_TCP_cluster']);
  t.is((await lab.nbctl('get', 'Load_Balancer', 'Service_mixed/theirs_TCP_cluster', 'vips')).trim(), '{"10.96.9.9:80"="10.244.1.9:8080"}', 'the row of ovn-nbctl untouched');
  t.is(rowsOf('mixed/far'), 0, 'nothing of the refused one');
});

test.serial('the shared transaction fails (another agent made the rows first): each Service is made again alone and resolves', async (t) => {
  const other = await openNorthbound({ remotes: lab.nb.unix });
  try {
    const ours = new OvnServices(db, { coalesce: true });
    const theirs = new OvnServices(other, { coalesce: true });
    const specs = Array.from({ length: 6 }, (_, i) => clusterIp('race', `r${i}`, i));
    const before = wire.count;
    // Both build from replicas without the rows, in the same turn: the later transaction's name guards fail.
    const settled = await Promise.allSettled([...specs.map((s) => ours.ensure(s)), ...specs.map((s) => theirs.ensure(s))]);
    t.true(settled.every((s) => s.status === 'fulfilled'), 'no call failed for its batch-mates');
    t.true(wire.count - before >= 1);
    for (const s of specs) t.is(rowsOf(`race/${s.name}`), 1, `one row for ${s.name}`);
    t.is((await lbNames('race')).length, 6);
  } finally {
    await other.close();
  }
});
