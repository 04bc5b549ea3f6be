// Dual-stack end to end against the real ovsdb-server and ovn-northd: two dual-stack nodes with their gateway
// routers on an IPv4 + IPv6 join switch (100.64.0.0/16 and ovn-kubernetes' fd98::/64), gateways with an IPv6
// address and next hop; ovn-trace shows an IPv6 pod's egress routed through GR_<node> with ct_snat to the node's
// IPv6 address, and IPv6 pod to pod across nodes. Nothing of either family is left out of routes or SNAT.
import test from 'ava';
import { startLab, type Lab } from '../../src/lab/index.js';
import { runCommand } from '../../src/lab/process.js';
import { openNorthbound, type Northbound } from '../../src/ovn/northbound.js';
import { ClusterNetwork } from '../../src/ovn/cluster-network.js';
import { OvnNodes } from '../../src/ovn/nodes.js';
import { OvnInvalidFieldError } from '../../src/ovn/errors.js';
import type { PodNetwork } from '../../src/ovn/pods.js';

const CLUSTER = ['10.244.0.0/16', 'fd00:10:244::/48'];
const node = (i: number) => ({ name: `node${i}`, subnets: [`10.244.${i}.0/24`, `fd00:10:244:${i}::/64`], chassis: `chassis-${i}`, clusterSubnets: CLUSTER, nodeId: i + 1 });
const gateway = (i: number) => ({
  name: `node${i}`, interfaceId: `br-ex_node${i}`, macAddress: `02:00:ac:12:00:0${i}`,
  ipAddresses: [`172.18.0.1${i}/16`, `fc00:f853:ccd:e793::1${i}/64`], nextHops: ['172.18.0.1', 'fc00:f853:ccd:e793::1'], clusterSubnets: CLUSTER,
});
const ROUTER_MAC = '0a:58:0a:f4:01:01';

let lab: Lab;
let db: Northbound;
let net: ClusterNetwork;
let a: PodNetwork; let b: PodNetwork;

test.before(async () => {
  lab = await startLab();
  db = await openNorthbound({ remotes: lab.nb.unix });
  net = new ClusterNetwork(db, { clusterSubnets: CLUSTER });
});

test.after.always(async () => {
  await db?.close();
  await lab?.stop();
});

const v6Of = (p: PodNetwork): string => p.ipAddresses.map((c) => c.split('/')[0]).find((ip) => ip.includes(':'))!;
const trace = (datapath: string, flow: string): Promise<string> => runCommand('ovn-trace', [`--db=${lab.sb.unix}`, '--ct=new', datapath, flow]);
const v6Flow = (from: PodNetwork, dst: string): string =>
  `inport == "${from.portName}" && eth.src == ${from.mac} && eth.dst == ${ROUTER_MAC} && ip6.src == ${v6Of(from)} && ip6.dst == ${dst} && ip.ttl == 64 && tcp && tcp.dst == 80`;

test.serial('dual-stack nodes: join addresses of both families, cluster routes of both families on GR and cluster router; idempotent', async (t) => {
  for (const i of [1, 2]) {
    t.true((await net.nodes.ensure(node(i))).changed);
    t.false((await net.nodes.ensure(node(i))).changed, 'ensured again: nothing sent');
  }
  t.is((await lab.nbctl('get', 'Logical_Router_Port', 'rtoj-ovn_cluster_router', 'networks')).trim(), '["100.64.0.1/16", "fd98::1/64"]');
  t.is((await lab.nbctl('get', 'Logical_Router_Port', 'rtoj-GR_node1', 'networks')).trim(), '["100.64.0.2/16", "fd98::2/64"]');
  t.is((await lab.nbctl('get', 'Logical_Router_Port', 'rtoj-GR_node2', 'networks')).trim(), '["100.64.0.3/16", "fd98::3/64"]');
  const gr = await lab.nbctl('lr-route-list', 'GR_node1');
  t.regex(gr, /10\.244\.0\.0\/16\s+100\.64\.0\.1 dst-ip/);
  t.regex(gr, /fd00:10:244::\/48\s+fd98::1 dst-ip/);
  const cr = await lab.nbctl('lr-route-list', 'ovn_cluster_router');
  t.regex(cr, /10\.244\.1\.0\/24\s+100\.64\.0\.2 src-ip/);
  t.regex(cr, /fd00:10:244:1::\/64\s+fd98::2 src-ip/);
  t.regex(cr, /fd00:10:244:2::\/64\s+fd98::3 src-ip/);
});

test.serial('gateways with an IPv6 address: ::/0 out of rtoe, SNAT of the IPv6 cluster subnet and join address to the node\'s IPv6 address', async (t) => {
  for (const i of [1, 2]) {
    const ensured = await net.gateways.ensure(gateway(i));
    t.deepEqual(ensured.snatSubnets, CLUSTER);
    t.deepEqual(ensured.nextHops, ['172.18.0.1', 'fc00:f853:ccd:e793::1']);
    t.false((await net.gateways.ensure(gateway(i))).changed);
  }
  t.regex(await lab.nbctl('lr-route-list', 'GR_node1'), /::\/0\s+fc00:f853:ccd:e793::1 dst-ip rtoe-GR_node1/);
  // (lr-nat-list cuts long IPv6 addresses: read the rows.)
  const snatted = async (external: string): Promise<string[]> =>
    (await lab.nbctl('--bare', '--columns=logical_ip', 'find', 'NAT', 'type=snat', `external_ip="${external}"`)).split('\n').filter((l) => l.trim()).sort();
  t.deepEqual(await snatted('fc00:f853:ccd:e793::11'), ['fd00:10:244::/48', 'fd98::2']);
  t.deepEqual(await snatted('172.18.0.11'), ['10.244.0.0/16', '100.64.0.2']);
  a = await net.pods.ensure({ namespace: 'default', name: 'a', node: 'node1', uid: 'uid-a' });
  b = await net.pods.ensure({ namespace: 'default', name: 'b', node: 'node2', uid: 'uid-b' });
  t.regex(v6Of(a), /^fd00:10:244:1::/);
  await lab.nbctl('--wait=sb', 'sync');
});

test.serial('ovn-trace: an IPv6 pod to an address outside goes through GR_node1 with ct_snat to the node\'s IPv6 address, out of rtoe', async (t) => {
  const out = await trace('node1', v6Flow(a, '2001:db8::5'));
  t.regex(out, /ingress\(dp="ovn_cluster_router", inport="rtos-node1"\)/);
  t.regex(out, /ingress\(dp="GR_node1", inport="rtoj-GR_node1"\)/);
  t.regex(out, /ct_snat\(fc00:f853:ccd:e793::11\)/);
  t.regex(out, /egress\(dp="GR_node1", inport="rtoj-GR_node1", outport="rtoe-GR_node1"\)/);
});

test.serial('ovn-trace: IPv6 pod to pod across nodes through the cluster router', async (t) => {
  const out = await trace('node1', v6Flow(a, v6Of(b)));
  t.regex(out, /ingress\(dp="ovn_cluster_router", inport="rtos-node1"\)/);
  t.regex(out, /egress\(dp="node2", inport="stor-node2", outport="default_b"\)/);
  t.regex(out, /output\("default_b"\)|output to "default_b"/);
  t.notRegex(out, /ct_snat/);
});

test.serial('an IPv4-only node keeps the cluster\'s IPv6 join; a bad IPv6 join subnet or node IP is refused naming the field', async (t) => {
  await net.nodes.ensure({ name: 'node3', subnets: ['10.244.3.0/24'], chassis: 'chassis-3', nodeId: 4 });
  t.is((await lab.nbctl('get', 'Logical_Router_Port', 'rtoj-ovn_cluster_router', 'networks')).trim(), '["100.64.0.1/16", "fd98::1/64"]');
  t.is((await lab.nbctl('get', 'Logical_Router_Port', 'rtoj-GR_node3', 'networks')).trim(), '["100.64.0.4/16", "fd98::4/64"]');
  const bad = new OvnNodes(db, { joinSubnetV6: '10.0.0.0/8' });
  const e = await t.throwsAsync(bad.ensure(node(4)), { instanceOf: OvnInvalidFieldError });
  t.is(e?.field, 'joinSubnetV6');
  const e2 = await t.throwsAsync(net.nodes.ensure({ ...node(5), nodeIp: ['172.18.0.15', 'fc00:f853:ccd:e793::15', 'fc00:f853:ccd:e793::16'] }), { instanceOf: OvnInvalidFieldError });
  t.is(e2?.field, 'nodeIp');
  t.is((await lab.nbctl('--bare', '--columns=name', 'find', 'Logical_Switch', 'name=node4')).trim(), '', 'nothing written');
});

test.serial('an IPv6 egress IP: the no-reroute policies cover pod to pod and pod to join of both families (fd98::/64 too)', async (t) => {
  const egressIP = 'fc00:f853:ccd:e793::100';
  const eip = await net.egressIPs.ensure({ name: 'eip6', egressIPs: [egressIP], assignments: [{ node: 'node2', egressIP }], pods: [{ namespace: 'default', name: 'a', ipAddresses: a.ipAddresses }] });
  t.like(eip, { changed: true, assignments: [{ node: 'node2', egressIP }] });
  const policies = await lab.nbctl('lr-policy-list', 'ovn_cluster_router');
  t.true(policies.includes('ip6.src == fd00:10:244::/48 && ip6.dst == fd98::/64'), policies);
  t.true(policies.includes('ip4.src == 10.244.0.0/16 && ip4.dst == 100.64.0.0/16'), policies);
  t.true(policies.includes('ip6.src == fd00:10:244::/48 && ip6.dst == fd00:10:244::/48'), policies);
});
