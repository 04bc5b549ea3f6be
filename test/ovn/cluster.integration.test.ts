// The topology, pods, a Service and a NetworkPolicy built against the real ovn-northd, checked with ovn-nbctl,
// ovn-sbctl and ovn-trace; every call repeated to prove idempotence (nothing sent the second time).
import test, { type ExecutionContext } from 'ava';
import { startLab, type Lab } from '../../src/lab/index.js';
import { runCommand } from '../../src/lab/process.js';
import { openNorthbound, type Northbound } from '../../src/ovn/northbound.js';
import { ClusterNetwork } from '../../src/ovn/cluster-network.js';
import type { PodNetwork } from '../../src/ovn/pods.js';
import { SouthboundReader, openSouthbound, type Southbound } from '../../src/ovn/southbound.js';
import { defaultDenyPortGroupName } from '../../src/ovn/acl-match.js';
import { waitForPortsUp } from '../../src/ovn/wait-ports-up.js';
import { waitForHypervisors } from '../../src/ovn/wait-hypervisors.js';
import { ReplicaWaitTimeoutError } from '../../src/ovsdb/replica-wait.js';
import { SentTransactions } from './helpers.js';

let lab: Lab;
let db: Northbound;
let sbDb: Southbound | undefined;
const wire = new SentTransactions();
let net: ClusterNetwork;
let a: PodNetwork; let b: PodNetwork; let c: PodNetwork;

/** Runs `call` twice: the second time nothing may be sent (counted on the wire: `transact` requests). */
async function twice<T>(t: ExecutionContext, what: string, call: () => Promise<T>): Promise<T> {
  const before = wire.count;
  const first = await call();
  const afterFirst = wire.count;
  await call();
  t.is(wire.count, afterFirst, `${what}: the second identical call sent a transaction: ${JSON.stringify(wire.sent.slice(afterFirst))}`);
  t.true(afterFirst - before <= 1, `${what}: one call sent ${afterFirst - before} transactions`);
  return first;
}

const node1 = { name: 'node1', subnets: ['10.244.1.0/24', 'fd00:10:244:1::/64'], chassis: 'chassis-1', nodeIp: '172.18.0.2', clusterSubnets: ['10.244.0.0/16'] };
const node2 = { name: 'node2', subnets: ['10.244.2.0/24'], chassis: 'chassis-2', nodeIp: '172.18.0.3', clusterSubnets: ['10.244.0.0/16'], excludeIps: '10.244.2.3..10.244.2.4' };

test.before(async () => {
  lab = await startLab();
  db = await openNorthbound({ remotes: lab.nb.unix, openChannel: wire.openChannel });
  net = new ClusterNetwork(db);
});

test.after.always(async () => {
  await db?.close();
  await sbDb?.close();
  await lab?.stop();
});

function trace(datapath: string, flow: string): Promise<string> {
  return runCommand('ovn-trace', [`--db=${lab.sb.unix}`, '--summary', '--ct=new', datapath, flow]).catch((e: unknown) => { throw e; });
}

test.serial('builds the cluster topology; ovn-nbctl show lists it; a second call sends nothing', async (t) => {
  await twice(t, 'ensureCluster', () => net.ensureCluster());
  await twice(t, 'nodes.ensure node1', () => net.nodes.ensure(node1));
  await twice(t, 'nodes.ensure node2', () => net.nodes.ensure(node2));
  const show = await lab.nbctl('show');
  for (const expected of [
    'switch', '(node1)', '(node2)', '(join)', 'router', '(ovn_cluster_router)', '(GR_node1)', '(GR_node2)',
    'port rtos-node1', 'port stor-node1', 'router-port: rtos-node1', 'port k8s-node1', '"0a:58:0a:f4:01:02 10.244.1.2 fd00:10:244:1::2"',
    'networks: ["10.244.1.1/24", "fd00:10:244:1::1/64"]', 'mac: "0a:58:0a:f4:01:01"', 'port rtoj-GR_node1', 'port jtor-GR_node2',
    'networks: ["100.64.0.1/16", "fd98::1/64"]', 'external ip: "172.18.0.2"', 'logical ip: "10.244.1.0/24"',
  ]) t.true(show.includes(expected), `ovn-nbctl show lacks ${expected}`);
  t.is((await lab.nbctl('get', 'Logical_Router', 'GR_node1', 'options:chassis')).trim(), 'chassis-1');
  t.is((await lab.nbctl('get', 'Logical_Switch', 'node2', 'other_config:exclude_ips')).trim(), '"10.244.2.2 10.244.2.3..10.244.2.4"');
  const routes = await lab.nbctl('lr-route-list', 'ovn_cluster_router');
  t.regex(routes, /10\.244\.1\.0\/24\s+100\.64\.0\.\d+ src-ip/);
  t.regex(await lab.nbctl('lr-route-list', 'GR_node1'), /10\.244\.0\.0\/16\s+100\.64\.0\.1/);
  // node1 is dual-stack and its cluster subnets are IPv4 only: its own IPv6 subnet is routed back through the IPv6 join.
  t.regex(await lab.nbctl('lr-route-list', 'GR_node1'), /fd00:10:244:1::\/64\s+fd98::1 dst-ip/);
  t.regex(routes, /fd00:10:244:1::\/64\s+fd98::\d+ src-ip/);
});

test.serial('adds pods with IPAM (dual-stack, exclusions), ovn-kubernetes port shape and annotation; second add sends nothing', async (t) => {
  a = await twice(t, 'pods.ensure a', () => net.pods.ensure({ namespace: 'default', name: 'a', node: 'node1', uid: 'uid-a' }));
  b = await twice(t, 'pods.ensure b', () => net.pods.ensure({ namespace: 'default', name: 'b', node: 'node2', uid: 'uid-b' }));
  c = await twice(t, 'pods.ensure c', () => net.pods.ensure({ namespace: 'other', name: 'c', node: 'node2', uid: 'uid-c' }));
  t.deepEqual(a.ipAddresses, ['10.244.1.3/24', 'fd00:10:244:1::3/64']);
  t.deepEqual(b.ipAddresses, ['10.244.2.5/24']); // .3 and .4 excluded
  t.deepEqual(c.ipAddresses, ['10.244.2.6/24']);
  t.deepEqual(b.annotation, { default: { ip_addresses: ['10.244.2.5/24'], mac_address: '0a:58:0a:f4:02:05', gateway_ips: ['10.244.2.1'], ip_address: '10.244.2.5/24', gateway_ip: '10.244.2.1', role: 'primary' } });
  const lsp = JSON.parse(await lab.nbctl('--format=json', 'list', 'Logical_Switch_Port', 'default_a')) as { headings: string[]; data: unknown[][] };
  const row = Object.fromEntries(lsp.headings.map((h, i) => [h, lsp.data[0][i]]));
  t.is(row.addresses, '0a:58:0a:f4:01:03 10.244.1.3 fd00:10:244:1::3');
  t.is(row.port_security, '0a:58:0a:f4:01:03 10.244.1.3 fd00:10:244:1::3');
  t.deepEqual(row.external_ids, ['map', [
    ['k8s.ovn.org/name', 'default:a'], ['k8s.ovn.org/owner-controller', 'ovn-overlay'], ['k8s.ovn.org/owner-type', 'Pod'], ['namespace', 'default'], ['pod', 'true'],
  ]]);
  t.deepEqual(row.options, ['map', [['iface-id-ver', 'uid-a'], ['requested-chassis', 'node1']]]);
});

test.serial('ovn-northd binds every pod port and keys every switch; tunnelMetadata matches the Southbound keys', async (t) => {
  sbDb = await openSouthbound(lab.sb.unix);
  const sb = new SouthboundReader(sbDb);
  await lab.nbctl('--wait=sb', 'sync');
  const [pa, pb, pc] = await sb.waitForPortBindings(['default_a', 'default_b', 'other_c']);
  for (const pbRow of [pa, pb, pc]) t.true(pbRow.tunnel_key > 0n);
  for (const ls of ['node1', 'node2', 'join']) {
    t.regex(await lab.sbctl('--bare', '--columns=tunnel_key', 'find', 'Datapath_Binding', `external_ids:name=${ls}`), /^\d+\s*$/);
  }
  const sameSwitch = sb.tunnelMetadata('default_b', 'other_c');
  const dpKey = Number((await lab.sbctl('--bare', '--columns=tunnel_key', 'find', 'Datapath_Binding', 'external_ids:name=node2')).trim());
  const key = async (port: string): Promise<number> => Number((await lab.sbctl('--bare', '--columns=tunnel_key', 'find', 'Port_Binding', `logical_port=${port}`)).trim());
  t.deepEqual(sameSwitch.keys, { datapath: dpKey, ingressPort: await key('default_b'), egressPort: await key('other_c') });
  const crossNode = sb.tunnelMetadata('default_a', 'default_b');
  t.is(crossNode.datapathName, 'node2');
  t.is(crossNode.ingressPortName, 'stor-node2');
  t.deepEqual(crossNode.keys, { datapath: dpKey, ingressPort: await key('stor-node2'), egressPort: await key('default_b') });
  t.is(crossNode.geneve.vni, dpKey);
  t.is(crossNode.geneve.optionValue, (crossNode.keys.ingressPort << 16) | crossNode.keys.egressPort);
  t.is(crossNode.stt, (BigInt(crossNode.keys.ingressPort) << 40n) | (BigInt(crossNode.keys.egressPort) << 24n) | BigInt(dpKey));
  t.is(crossNode.vxlanVni, (crossNode.keys.egressPort << 12) | dpKey);
});

test.serial('readiness through the replica: waitForHypervisors bumps nb_cfg and sees hv_cfg reach it (no chassis: at once); waitForPortsUp names the ports still down', async (t) => {
  const first = await waitForHypervisors(db, { timeoutMs: 10_000 });
  const second = await waitForHypervisors(db, { timeoutMs: 10_000 });
  t.is(second, first + 1n);
  t.is(BigInt((await lab.nbctl('get', 'NB_Global', '.', 'nb_cfg')).trim()), second);
  t.true(BigInt((await lab.nbctl('get', 'NB_Global', '.', 'hv_cfg')).trim()) >= second);
  const [x, y] = await Promise.all([waitForHypervisors(db), waitForHypervisors(db)]);
  t.not(x, y, 'concurrent calls each wait for their own increment');

  await waitForPortsUp(db, []);
  // No chassis in this lab: nothing claims the ports, so they stay down.
  const e = await t.throwsAsync(waitForPortsUp(db, ['default_a', 'no-such-port'], { timeoutMs: 200 }), { instanceOf: ReplicaWaitTimeoutError });
  t.regex(e?.message ?? '', /timed out after 200 ms waiting for up=true on default_a, no-such-port/);
  const aborted = new AbortController();
  const pending = waitForPortsUp(db, ['default_a'], { signal: aborted.signal });
  aborted.abort(new Error('stop'));
  await t.throwsAsync(pending, { message: 'stop' });
});

function podFlow(from: PodNetwork, toIp: string, dstMac: string, l4 = 'tcp && tcp.dst == 80'): string {
  const src = from.ipAddresses[0].split('/')[0];
  return `inport == "${from.portName}" && eth.src == ${from.mac} && eth.dst == ${dstMac} && ip4.src == ${src} && ip4.dst == ${toIp} && ip.ttl == 64 && ${l4}`;
}

test.serial('ovn-trace: a pod on node1 reaches a pod on node2 through the cluster router', async (t) => {
  const out = await trace('node1', podFlow(a, '10.244.2.5', '0a:58:0a:f4:01:01'));
  t.regex(out, /ingress\(dp="ovn_cluster_router", inport="rtos-node1"\)/);
  t.regex(out, /egress\(dp="node2", inport="stor-node2", outport="default_b"\)/);
  t.regex(out, /output\("default_b"\)|output to "default_b"/);
  t.regex(out, /ip\.ttl--/);
});

test.serial('Services: a VIP load-balances (ct_lb); endpoint changes update the row in place; idempotent', async (t) => {
  const service = { namespace: 'default', name: 'web', vips: [{ ip: '10.96.0.10', port: 80, protocol: 'tcp' as const, endpoints: [{ ip: '10.244.2.5', port: 8080 }] }] };
  const ensured = await twice(t, 'services.ensure', () => net.services.ensure(service));
  t.deepEqual(ensured.loadBalancers, ['Service_default/web_TCP_cluster']);
  const name = ensured.loadBalancers[0];
  const uuid = (await lab.nbctl('--bare', '--columns=_uuid', 'find', 'Load_Balancer', `name="${name}"`)).trim();
  t.regex((await lab.nbctl('get', 'Logical_Switch', 'node1', 'load_balancer_group')).trim(), /^\[[0-9a-f-]{36}\]$/);
  await lab.nbctl('--wait=sb', 'sync');
  const out = await trace('node1', podFlow(a, '10.96.0.10', '0a:58:0a:f4:01:01'));
  t.regex(out, /ct_lb/);
  await twice(t, 'services.ensure (new endpoints)', () => net.services.ensure({ ...service, vips: [{ ...service.vips[0], endpoints: [{ ip: '10.244.2.5', port: 8080 }, { ip: '10.244.2.6', port: 8080 }] }] }));
  t.is((await lab.nbctl('--bare', '--columns=_uuid', 'find', 'Load_Balancer', `name="${name}"`)).trim(), uuid);
  t.is((await lab.nbctl('get', 'Load_Balancer', uuid, 'vips')).trim(), '{"10.96.0.10:80"="10.244.2.5:8080,10.244.2.6:8080"}');
  t.true(await net.services.delete({ namespace: 'default', name: 'web' }));
  t.false(await net.services.delete({ namespace: 'default', name: 'web' }));
  t.is((await lab.nbctl('--bare', '--columns=_uuid', 'find', 'Load_Balancer', `name="${name}"`)).trim(), '');
});

test.serial('NetworkPolicy: default deny drops, the rule allows, ARP allowed; idempotent; delete removes it all', async (t) => {
  const policy = {
    namespace: 'default', name: 'allow-a', pods: [{ namespace: 'default', name: 'b' }],
    ingress: [{ peerAddresses: ['10.244.1.3'], ports: [{ protocol: 'tcp' as const, port: 80 }] }, { ipBlocks: [{ cidr: '10.0.0.0/8', except: ['10.244.2.0/24'] }], ports: [{ protocol: 'udp' as const, port: 53 }] }],
  };
  await twice(t, 'networkPolicies.ensure', () => net.networkPolicies.ensure(policy));
  const pg = defaultDenyPortGroupName('default', 'ingress');
  const acls = await lab.nbctl('acl-list', pg);
  t.regex(acls, /to-lport\s+1000 \(outport == @a16982411286042166782_ingressDefaultDeny\) drop/);
  t.regex(acls, /to-lport\s+1001 \(outport == @a16982411286042166782_ingressDefaultDeny && \(arp \|\| nd\)\) allow/);
  const policyAcls = await lab.nbctl('--bare', '--columns=priority,match,action', 'list', 'ACL');
  t.regex(policyAcls, /1010\s+outport == @\w+ && ip4\.src == 10\.0\.0\.0\/8 && ip4\.src != \{10\.244\.2\.0\/24\} && udp && udp\.dst == 53\s+allow-related/);
  await lab.nbctl('--wait=sb', 'sync');
  const allowed = await trace('node1', podFlow(a, '10.244.2.5', '0a:58:0a:f4:01:01'));
  t.regex(allowed, /output\("default_b"\)|output to "default_b"/);
  const denied = await trace('node1', podFlow(a, '10.244.2.5', '0a:58:0a:f4:01:01', 'tcp && tcp.dst == 81'));
  t.regex(denied, /drop;/);
  t.notRegex(denied, /output\("default_b"\)|output to "default_b"/);
  await twice(t, 'networkPolicies.delete', () => net.networkPolicies.delete({ namespace: 'default', name: 'allow-a' }));
  t.is((await lab.nbctl('--bare', '--columns=name', 'list', 'Port_Group')).trim(), '');
  t.is((await lab.nbctl('--bare', '--columns=name', 'list', 'Address_Set')).trim(), '');
  t.is((await lab.nbctl('--bare', '--columns=_uuid', 'list', 'ACL')).trim(), '');
});

test.serial('pods.delete and pods.sync remove ports (and their addresses from address sets); nodes.delete removes everything the node owned', async (t) => {
  await net.networkPolicies.ensure({ namespace: 'default', name: 'from-c', pods: [{ namespace: 'default', name: 'a' }], ingress: [{ peerAddresses: ['10.244.2.6', '10.244.2.5'] }] });
  t.true(await net.pods.delete({ namespace: 'default', name: 'b' }));
  t.false(await net.pods.delete({ namespace: 'default', name: 'b' }));
  t.regex(await lab.nbctl('--bare', '--columns=addresses', 'list', 'Address_Set'), /^10\.244\.2\.6\s*$/m);
  t.deepEqual(await net.pods.sync([{ namespace: 'default', name: 'a' }]), [{ namespace: 'other', name: 'c' }]);
  t.deepEqual(await net.pods.sync([{ namespace: 'default', name: 'a' }]), []);
  t.is((await lab.nbctl('--bare', '--columns=addresses', 'list', 'Address_Set')).trim(), '');
  await net.pods.ensure({ namespace: 'default', name: 'd', node: 'node2' });
  await net.networkPolicies.ensure({ namespace: 'default', name: 'from-c', pods: [{ namespace: 'default', name: 'a' }], ingress: [{ peerAddresses: ['10.244.2.5'] }] });
  await twice(t, 'nodes.delete', () => net.nodes.delete({ name: 'node2' }));
  const show = await lab.nbctl('show');
  for (const gone of ['node2', 'GR_node2', 'rtos-node2', 'jtor-GR_node2', 'default_d']) t.false(show.includes(gone), `${gone} left behind`);
  t.true(show.includes('(node1)'));
  t.notRegex(await lab.nbctl('lr-route-list', 'ovn_cluster_router'), /10\.244\.2\.0/);
  t.is((await lab.nbctl('--bare', '--columns=addresses', 'list', 'Address_Set')).trim(), '');
  t.is((await lab.nbctl('--bare', '--columns=_uuid', 'find', 'Logical_Router_Static_Route', 'nexthop=100.64.0.3')).trim(), '');
  t.is((await lab.nbctl('--bare', '--columns=_uuid', 'list', 'NAT')).split('\n').filter(Boolean).length, 1);
});
