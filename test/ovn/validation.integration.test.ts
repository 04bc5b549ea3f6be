// Bad input is refused where it enters (issue 12), against a real ovsdb-server: overlapping node subnets, names
// Kubernetes would not accept, and fields OVN cannot express each get a typed error naming the object and the
// field, and nothing is sent; a pod a NetworkPolicy selects without a port is reported, not skipped silently.
import test from 'ava';
import { startLab, type Lab } from '../../src/lab/index.js';
import { openNorthbound, type Northbound } from '../../src/ovn/northbound.js';
import { ClusterNetwork } from '../../src/ovn/cluster-network.js';
import { OvnInvalidFieldError, OvnInvalidNameError, OvnNotFoundError, OvnSubnetOverlapError } from '../../src/ovn/errors.js';
import { SentTransactions } from './helpers.js';

let lab: Lab;
let db: Northbound;
let net: ClusterNetwork;
const wire = new SentTransactions();

test.before(async () => {
  lab = await startLab({ northd: false });
  db = await openNorthbound({ remotes: lab.nb.unix, openChannel: wire.openChannel });
  net = new ClusterNetwork(db);
  await net.nodes.ensure({ name: 'node1', subnets: ['10.244.1.0/24', 'fd00:10:244:1::/64'] });
});

test.after.always(async () => {
  await db?.close();
  await lab?.stop();
});

/** Asserts that `call` rejects with `type` and sent no transaction; returns the error. */
async function refused<E extends Error>(t: import('ava').ExecutionContext, call: () => Promise<unknown>, type: abstract new (...args: never[]) => E): Promise<E> {
  const before = wire.count;
  const e = await t.throwsAsync(call(), { instanceOf: type as never }) as unknown as E;
  t.is(wire.count, before, `a refused call sent a transaction: ${JSON.stringify(wire.sent.slice(before))}`);
  return e;
}

test.serial('a second node whose subnet overlaps the first is refused, naming both nodes and subnets', async (t) => {
  const e = await refused(t, () => net.nodes.ensure({ name: 'node2', subnets: ['10.244.1.0/25'] }), OvnSubnetOverlapError);
  t.is(e.code, 'OVN_SUBNET_OVERLAP');
  t.is(e.message, 'node node2: subnet 10.244.1.0/25 overlaps 10.244.1.0/24 of node node1');
  t.like(e, { node: 'node2', subnet: '10.244.1.0/25', otherNode: 'node node1', otherSubnet: '10.244.1.0/24' });
  const wider = await refused(t, () => net.nodes.ensure({ name: 'node2', subnets: ['10.244.0.0/16'] }), OvnSubnetOverlapError);
  t.regex(wider.message, /10\.244\.0\.0\/16 overlaps 10\.244\.1\.0\/24 of node node1/);
  const v6 = await refused(t, () => net.nodes.ensure({ name: 'node2', subnets: ['10.244.2.0/24', 'fd00:10:244:1::/64'] }), OvnSubnetOverlapError);
  t.regex(v6.message, /fd00:10:244:1::\/64 overlaps fd00:10:244:1::\/64 of node node1/);
  const join = await refused(t, () => net.nodes.ensure({ name: 'node2', subnets: ['100.64.0.0/24'] }), OvnSubnetOverlapError);
  t.regex(join.message, /100\.64\.0\.0\/24 overlaps 100\.64\.0\.0\/16 of the join switch/);
  // The node itself may be ensured again, and a node beside it is fine.
  t.false((await net.nodes.ensure({ name: 'node1', subnets: ['10.244.1.0/24', 'fd00:10:244:1::/64'] })).changed);
  t.true((await net.nodes.ensure({ name: 'node2', subnets: ['10.244.2.0/24'] })).changed);
  // Two pods on the two nodes can no longer get the same address (the defect: both got 10.244.1.3).
  const [a, b] = await Promise.all([net.pods.ensure({ namespace: 'ns', name: 'a', node: 'node1' }), net.pods.ensure({ namespace: 'ns', name: 'b', node: 'node2' })]);
  t.not(a.ipAddresses[0], b.ipAddresses[0]);
});

test.serial('names Kubernetes would refuse are refused for every kind, before anything is sent', async (t) => {
  const pod = await refused(t, () => net.pods.ensure({ namespace: 'ns', name: 'bad name!', node: 'node1' }), OvnInvalidNameError);
  t.like(pod, { code: 'OVN_INVALID_NAME', kind: 'pod', value: 'bad name!', rule: 'dns-1123-subdomain' });
  t.is(db.table('Logical_Switch_Port').findOne('name', 'ns_bad name!'), undefined);
  t.like(await refused(t, () => net.pods.ensure({ namespace: 'Default', name: 'web', node: 'node1' }), OvnInvalidNameError), { kind: 'namespace', rule: 'dns-1123-label' });
  t.like(await refused(t, () => net.pods.ensure({ namespace: 'ns', name: 'web', node: 'Node_1' }), OvnInvalidNameError), { kind: 'node' });
  t.like(await refused(t, () => net.pods.delete({ namespace: 'ns', name: 'web_0' }), OvnInvalidNameError), { kind: 'pod' });
  t.like(await refused(t, () => net.nodes.ensure({ name: 'node 3', subnets: ['10.244.3.0/24'] }), OvnInvalidNameError), { kind: 'node', rule: 'dns-1123-subdomain' });
  const svc = { namespace: 'ns', name: '1web', vips: [] };
  t.like(await refused(t, () => net.services.ensure(svc), OvnInvalidNameError), { kind: 'service', rule: 'dns-1035-label' });
  t.like(await refused(t, () => net.networkPolicies.ensure({ namespace: 'ns', name: 'Allow', pods: [] }), OvnInvalidNameError), { kind: 'network policy' });
  // A pod name with dots (a subdomain) and a node name with dots are fine.
  t.is((await net.pods.ensure({ namespace: 'ns', name: 'web.v1', node: 'node1' })).portName, 'ns_web.v1');
});

test.serial('fields OVN cannot express are refused naming the object and the field', async (t) => {
  const vip = { ip: '10.96.0.10', port: 80, endpoints: [{ ip: '10.244.1.3', port: 8080 }] };
  const port = await refused(t, () => net.services.ensure({ namespace: 'ns', name: 'web', vips: [{ ...vip, port: 0 }] }), OvnInvalidFieldError);
  t.like(port, { code: 'OVN_INVALID_FIELD', object: 'service ns/web', field: 'vips[0].port', value: 0 });
  const proto = await refused(t, () => net.services.ensure({ namespace: 'ns', name: 'web', vips: [{ ...vip, protocol: 'icmp' as 'tcp' }] }), OvnInvalidFieldError);
  t.like(proto, { field: 'vips[0].protocol' });
  const family = await refused(t, () => net.services.ensure({ namespace: 'ns', name: 'web', vips: [{ ...vip, endpoints: [{ ip: 'fd00::3', port: 80 }] }] }), OvnInvalidFieldError);
  t.like(family, { field: 'vips[0].endpoints[0].ip' });
  t.like(await refused(t, () => net.services.ensure({ namespace: 'ns', name: 'web', vips: [vip], groups: ['no-such-group'] }), OvnNotFoundError), { code: 'OVN_NOT_FOUND' });
  const cidr = await refused(t, () => net.networkPolicies.ensure({ namespace: 'ns', name: 'p', pods: [], ingress: [{ ipBlocks: [{ cidr: '10.0.0.0/33' }] }] }), OvnInvalidFieldError);
  t.like(cidr, { object: 'network policy ns/p', field: 'ingress[0].ipBlocks[0].cidr', value: '10.0.0.0/33' });
  const range = await refused(t, () => net.networkPolicies.ensure({ namespace: 'ns', name: 'p', pods: [], egress: [{ ports: [{ protocol: 'tcp', port: 90, endPort: 80 }] }] }), OvnInvalidFieldError);
  t.like(range, { field: 'egress[0].ports[0].endPort' });
  const other = await refused(t, () => net.networkPolicies.ensure({ namespace: 'ns', name: 'p', pods: [{ namespace: 'other', name: 'a' }], ingress: [] }), OvnInvalidFieldError);
  t.like(other, { field: 'pods[0].namespace' });
  t.like(await refused(t, () => net.nodes.ensure({ name: 'node3', subnets: ['10.244.3.0/30'] }), OvnInvalidFieldError), { object: 'node node3', field: 'subnets' });
  t.like(await refused(t, () => net.nodes.ensure({ name: 'node3', subnets: ['10.244.3.1/24'] }), OvnInvalidFieldError), { field: 'subnets[0]' });
  t.like(await refused(t, () => net.nodes.ensure({ name: 'node3', subnets: ['10.244.3.0/24'], chassis: 'c3', nodeId: 1 }), OvnInvalidFieldError), { field: 'nodeId', value: 1 });
  t.like(await refused(t, () => net.nodes.ensure({ name: 'node3', subnets: ['10.244.3.0/24'], chassis: 'c3', nodeId: 65_535 }), OvnInvalidFieldError), { field: 'nodeId' });
  t.like(await refused(t, () => net.pods.ensure({ namespace: 'ns', name: 'x', node: 'nowhere' }), OvnNotFoundError), { table: 'Logical_Switch', rowName: 'nowhere' });
});

test.serial('a pod a NetworkPolicy selects that has no port is reported in podsWithoutPort, and joins once it has one', async (t) => {
  const spec = { namespace: 'ns', name: 'deny-all', pods: [{ namespace: 'ns', name: 'a' }, { namespace: 'ns', name: 'later' }], ingress: [] };
  const first = await net.networkPolicies.ensure(spec);
  t.deepEqual(first.podsWithoutPort, [{ namespace: 'ns', name: 'later' }]);
  t.deepEqual(first.pods, [{ namespace: 'ns', name: 'a' }]);
  await net.pods.ensure({ namespace: 'ns', name: 'later', node: 'node2' });
  const second = await net.networkPolicies.ensure(spec);
  t.deepEqual(second.podsWithoutPort, []);
  t.true(second.changed);
  t.deepEqual(second.pods.map((p) => p.name).sort(), ['a', 'later']);
});
