// Every kind of Service against the real ovsdb-server and ovn-northd: the Load_Balancer rows as ovn-kubernetes
// names, marks and attaches them (read back with ovn-nbctl), and what ovn-northd makes of them proven with
// ovn-trace on the lab's Southbound, naming the action: ct_lb_mark(backends=...) with the expected backends,
// skip_snat for externalTrafficPolicy Local, tcp_reset / reject for a VIP without backends, trigger_event for an
// idled one, commit_lb_aff for ClientIP affinity, hash_fields for a day of affinity. Health-check rows become
// Service_Monitor rows in the Southbound. Every ensure is sent once (a second identical call sends nothing), bad
// input sends nothing and leaves the rows as they were, and delete/sync leave no row behind.
import test, { type ExecutionContext } from 'ava';
import { startLab, type Lab } from '../../src/lab/index.js';
import { runCommand } from '../../src/lab/process.js';
import { byName, openNorthbound, type Northbound } from '../../src/ovn/northbound.js';
import { ClusterNetwork } from '../../src/ovn/cluster-network.js';
import type { PodNetwork } from '../../src/ovn/pods.js';
import type { ServiceEndpointSpec, ServiceSpec } from '../../src/ovn/service-spec.js';
import { OvnInvalidFieldError, OvnNotFoundError } from '../../src/ovn/errors.js';
import { serviceMonitorMac, setServiceMonitorMac } from '../../src/ovn/service-health-check.js';
import { SentTransactions } from './helpers.js';

let lab: Lab;
let db: Northbound;
const wire = new SentTransactions();
let net: ClusterNetwork;
let a: PodNetwork; let a2: PodNetwork; let b: PodNetwork;

const NS = 'default';
const node1 = { name: 'node1', subnets: ['10.244.1.0/24', 'fd00:10:244:1::/64'], chassis: 'chassis-1', nodeIp: '172.18.0.2', clusterSubnets: ['10.244.0.0/16'] };
const node2 = { name: 'node2', subnets: ['10.244.2.0/24', 'fd00:10:244:2::/64'], chassis: 'chassis-2', nodeIp: '172.18.0.3', clusterSubnets: ['10.244.0.0/16'] };
const nodes = [{ name: 'node1', addresses: ['172.18.0.2'] }, { name: 'node2', addresses: ['172.18.0.3'] }];

const v4 = (p: PodNetwork): string => p.ipAddresses[0].split('/')[0];
const v6 = (p: PodNetwork): string => p.ipAddresses[1].split('/')[0];
const ep = (p: PodNetwork, port = 8080, extra: Partial<ServiceEndpointSpec> = {}): ServiceEndpointSpec => ({ ip: v4(p), port, node: p.node, pod: { namespace: NS, name: p.name }, ...extra });

test.before(async () => {
  lab = await startLab();
  db = await openNorthbound({ remotes: lab.nb.unix, openChannel: wire.openChannel });
  net = new ClusterNetwork(db);
  await net.nodes.ensure(node1);
  await net.nodes.ensure(node2);
  a = await net.pods.ensure({ namespace: NS, name: 'a', node: 'node1' });
  a2 = await net.pods.ensure({ namespace: NS, name: 'a2', node: 'node1' });
  b = await net.pods.ensure({ namespace: NS, name: 'b', node: 'node2' });
});

test.after.always(async () => {
  await db?.close();
  await lab?.stop();
});

/** ensure twice: the first sends one transaction, the second none; the rows read back equal what plan() computes. */
async function ensureTwice(t: ExecutionContext, spec: ServiceSpec): Promise<void> {
  const before = wire.count;
  const first = await net.services.ensure(spec);
  t.is(wire.count - before, first.changed ? 1 : 0, 'one transaction');
  const second = await net.services.ensure(spec);
  t.false(second.changed);
  t.is(wire.count - before, first.changed ? 1 : 0, 'the second identical ensure sent nothing');
  t.deepEqual(second.rows, net.services.plan(spec).map((lb) => ({
    ...lb, switches: [...lb.switches].sort(), routers: [...lb.routers].sort(), groups: [...lb.groups].sort(), selectionFields: [...lb.selectionFields].sort(),
  })).sort((x, y) => (x.name < y.name ? -1 : 1)), 'stored rows = planned rows');
  await lab.nbctl('--wait=sb', 'sync');
}

async function trace(datapath: string, flow: string): Promise<string> {
  return runCommand('ovn-trace', [`--db=${lab.sb.unix}`, '--ct=new', datapath, flow]);
}

/** A frame from a pod to a VIP as it enters the pod's switch (addressed to the cluster router). */
function fromPod(p: PodNetwork, dst: string, l4: string): [string, string] {
  const family6 = dst.includes(':');
  const gw = byName(db, 'Logical_Router_Port', `rtos-${p.node}`)?.mac ?? '';
  const ip = family6 ? `ip6.src == ${v6(p)} && ip6.dst == ${dst} && ip.ttl == 64` : `ip4.src == ${v4(p)} && ip4.dst == ${dst} && ip.ttl == 64`;
  return [p.node, `inport == "${p.portName}" && eth.src == ${p.mac} && eth.dst == ${gw} && ${ip} && ${l4}`];
}

/** A frame arriving at GR_<node> (from its join port: the lab has no external switch yet) for the node's address. */
function atGateway(node: string, dst: string, l4: string): [string, string] {
  const gr = `GR_${node}`;
  const port = byName(db, 'Logical_Router_Port', `rtoj-${gr}`);
  return [gr, `inport == "rtoj-${gr}" && eth.src == 0a:58:64:40:00:01 && eth.dst == ${port?.mac ?? ''} && ip4.src == 100.64.0.1 && ip4.dst == ${dst} && ip.ttl == 64 && ${l4}`];
}

/** Names of the load balancers attached directly to a switch or router, read with ovn-nbctl. */
async function attached(table: 'Logical_Switch' | 'Logical_Router', name: string): Promise<string[]> {
  const uuids = (await lab.nbctl('get', table, name, 'load_balancer')).replace(/[[\]\s]/g, '').split(',').filter(Boolean);
  if (uuids.length === 0) return [];
  return (await lab.nbctl('--bare', '--columns=name', 'list', 'Load_Balancer', ...uuids)).split('\n').filter(Boolean).sort();
}

const backends = (out: string): string[] => [...out.matchAll(/ct_lb_mark\(backends=([^;)]*)/g)].map((m) => m[1]);

test.serial('ClusterIP, dual-stack, TCP/UDP/SCTP: one cluster LB per protocol, marked as ovn-kubernetes marks it; ct_lb_mark on both families', async (t) => {
  const spec: ServiceSpec = {
    namespace: NS, name: 'web', clusterIPs: ['10.96.0.10', 'fd00:10:96::a'], ipFamilies: ['IPv4', 'IPv6'], ipFamilyPolicy: 'RequireDualStack',
    ports: [
      { name: 'http', port: 80, endpoints: [ep(a), ep(b), { ...ep(a), ip: v6(a) }, { ...ep(b), ip: v6(b) }] },
      { name: 'dns', protocol: 'UDP', port: 53, endpoints: [ep(b, 5353)] },
      { name: 'sig', protocol: 'SCTP', port: 36412, endpoints: [ep(a, 36412)] },
    ],
  };
  await ensureTwice(t, spec);
  const list = await lab.nbctl('--bare', '--columns=name,protocol', 'find', 'Load_Balancer', 'external_ids:k8s.ovn.org/owner="default/web"');
  t.deepEqual(list.split('\n').filter(Boolean), ['Service_default/web_SCTP_cluster', 'sctp', 'Service_default/web_TCP_cluster', 'tcp', 'Service_default/web_UDP_cluster', 'udp'].sort((x, y) => list.indexOf(x) - list.indexOf(y)));
  const ids = await lab.nbctl('get', 'Load_Balancer', 'Service_default/web_TCP_cluster', 'external_ids');
  t.regex(ids, /"k8s\.ovn\.org\/kind"=Service/);
  t.regex(ids, /"k8s\.ovn\.org\/owner"="default\/web"/);
  t.is((await lab.nbctl('get', 'Load_Balancer', 'Service_default/web_TCP_cluster', 'options')).trim(),
    '{event="false", hairpin_snat_ip="169.254.169.5 fd69::5", neighbor_responder=none, reject="true", skip_snat="false"}');
  t.regex(await lab.nbctl('get', 'Load_Balancer_Group', 'clusterLBGroup', 'load_balancer'), new RegExp((await lab.nbctl('get', 'Load_Balancer', 'Service_default/web_TCP_cluster', '_uuid')).trim()));

  t.deepEqual(backends(await trace(...fromPod(a, '10.96.0.10', 'tcp && tcp.dst == 80'))), [`${v4(a)}:8080,${v4(b)}:8080`]);
  t.deepEqual(backends(await trace(...fromPod(a, 'fd00:10:96::a', 'tcp && tcp.dst == 80'))), [`[${v6(a)}]:8080,[${v6(b)}]:8080`]);
  t.deepEqual(backends(await trace(...fromPod(a, '10.96.0.10', 'udp && udp.dst == 53'))), [`${v4(b)}:5353`]);
  t.deepEqual(backends(await trace(...fromPod(b, '10.96.0.10', 'sctp && sctp.dst == 36412'))), [`${v4(a)}:36412`]);
});

test.serial('no ready endpoint: tcp_reset (reject=true); a terminating+serving one is used when no other is ready; idled: an empty_lb_backends event', async (t) => {
  const spec: ServiceSpec = { namespace: NS, name: 'empty', clusterIPs: ['10.96.0.11'], ports: [{ port: 80, endpoints: [ep(a, 8080, { ready: false })] }] };
  await ensureTwice(t, spec);
  const rejected = await trace(...fromPod(a, '10.96.0.11', 'tcp && tcp.dst == 80'));
  t.regex(rejected, /reject \{/);
  t.regex(rejected, /tcp_reset/);

  await ensureTwice(t, { ...spec, ports: [{ port: 80, endpoints: [ep(a, 8080, { ready: false }), ep(b, 8080, { ready: false, serving: true, terminating: true })] }] });
  t.deepEqual(backends(await trace(...fromPod(a, '10.96.0.11', 'tcp && tcp.dst == 80'))), [`${v4(b)}:8080`]);

  await ensureTwice(t, { ...spec, idled: true });
  t.regex(await trace(...fromPod(a, '10.96.0.11', 'tcp && tcp.dst == 80')), /trigger_event\(event = "empty_lb_backends", vip = "10\.96\.0\.11:80", protocol = "tcp", load_balancer = "[0-9a-f-]{36}"\)/);
});

test.serial('NodePort: per node a node_router+switch LB on GR_<node> and the node switch; the NodePort reached from a pod and at the gateway router', async (t) => {
  const spec: ServiceSpec = { namespace: NS, name: 'np', clusterIPs: ['10.96.0.12'], nodes, ports: [{ port: 80, nodePort: 30080, endpoints: [ep(a), ep(b)] }] };
  await ensureTwice(t, spec);
  const rb = 'Service_default/np_TCP_node_router+switch_node1';
  t.deepEqual(await attached('Logical_Switch', 'node1'), [rb]);
  t.deepEqual(await attached('Logical_Router', 'GR_node1'), [rb]);
  t.deepEqual(await attached('Logical_Switch', 'node2'), ['Service_default/np_TCP_node_router+switch_node2']);
  t.is((await lab.nbctl('get', 'Load_Balancer', rb, 'vips')).trim(), `{"172.18.0.2:30080"="${v4(a)}:8080,${v4(b)}:8080"}`);
  // A pod reaching its own node's NodePort: balanced on the node switch.
  t.deepEqual(backends(await trace(...fromPod(a, '172.18.0.2', 'tcp && tcp.dst == 30080'))), [`${v4(a)}:8080,${v4(b)}:8080`]);
  // Traffic arriving at the gateway router for the node's address: balanced there, SNAT not skipped.
  const gr = await trace(...atGateway('node2', '172.18.0.3', 'tcp && tcp.dst == 30080'));
  t.deepEqual(backends(gr), [`${v4(a)}:8080,${v4(b)}:8080`]);
  t.notRegex(gr, /skip_snat/);
  // node2's address is not a VIP on node1's switch.
  t.deepEqual(backends(await trace(...fromPod(a, '172.18.0.3', 'tcp && tcp.dst == 30080'))), []);
});

test.serial('externalTrafficPolicy Local: GR_<node> balances to its own endpoints with skip_snat (node_local_router), rejects without one; back to Cluster leaves no stale row', async (t) => {
  const spec: ServiceSpec = {
    namespace: NS, name: 'np', clusterIPs: ['10.96.0.12'], externalIPs: ['192.0.2.12'], externalTrafficPolicy: 'Local', nodes,
    ports: [{ port: 80, nodePort: 30080, endpoints: [ep(a), ep(a2)] }],
  };
  const clusterUuid = (await lab.nbctl('get', 'Load_Balancer', 'Service_default/np_TCP_cluster', '_uuid')).trim();
  await ensureTwice(t, spec);
  t.is((await lab.nbctl('get', 'Load_Balancer', 'Service_default/np_TCP_cluster', '_uuid')).trim(), clusterUuid, 'the cluster LB kept its UUID');
  t.deepEqual(net.services.get({ namespace: NS, name: 'np' })?.loadBalancers, [
    'Service_default/np_TCP_cluster', 'Service_default/np_TCP_node_local_router_node1', 'Service_default/np_TCP_node_router_node2',
    'Service_default/np_TCP_node_switch_node1', 'Service_default/np_TCP_node_switch_node2',
  ]);
  t.is((await lab.nbctl('get', 'Load_Balancer', 'Service_default/np_TCP_node_local_router_node1', 'options:skip_snat')).trim(), '"true"');
  const local = await trace(...atGateway('node1', '172.18.0.2', 'tcp && tcp.dst == 30080'));
  t.deepEqual(backends(local), [[v4(a), v4(a2)].sort().map((ip) => `${ip}:8080`).join(',')]);
  t.regex(local, /flags\.skip_snat_for_lb = 1;\s+ct_lb_mark\(backends=[^)]*; skip_snat\)/);
  t.deepEqual(backends(await trace(...atGateway('node1', '192.0.2.12', 'tcp && tcp.dst == 80'))), [[v4(a), v4(a2)].sort().map((ip) => `${ip}:8080`).join(',')], 'externalIP: local endpoints too');
  t.regex(await trace(...atGateway('node2', '172.18.0.3', 'tcp && tcp.dst == 30080')), /tcp_reset/, 'node2 has no local endpoint: rejected');
  // From a pod the switch keeps every endpoint for the node address, and the masquerade VIP only the local ones.
  t.is((await lab.nbctl('get', 'Load_Balancer', 'Service_default/np_TCP_node_switch_node2', 'vips')).trim(),
    `{"169.254.169.3:30080"="", "172.18.0.3:30080"="${[v4(a), v4(a2)].sort().map((ip) => `${ip}:8080`).join(',')}", "192.0.2.12:80"="${[v4(a), v4(a2)].sort().map((ip) => `${ip}:8080`).join(',')}"}`);

  await ensureTwice(t, { ...spec, externalTrafficPolicy: 'Cluster', externalIPs: [] });
  t.deepEqual(net.services.get({ namespace: NS, name: 'np' })?.loadBalancers, [
    'Service_default/np_TCP_cluster', 'Service_default/np_TCP_node_router+switch_node1', 'Service_default/np_TCP_node_router+switch_node2',
  ]);
  t.is((await lab.nbctl('--bare', '--columns=name', 'find', 'Load_Balancer', 'external_ids:k8s.ovn.org/owner="default/np"')).split('\n').filter(Boolean).length, 3, 'no stale row');
});

test.serial('internalTrafficPolicy Local: a pod reaches only the endpoints of its own node through the cluster IP; the router LBs merge', async (t) => {
  const spec: ServiceSpec = { namespace: NS, name: 'itp', clusterIPs: ['10.96.0.13'], internalTrafficPolicy: 'Local', nodes, ports: [{ port: 80, endpoints: [ep(a), ep(b)] }] };
  await ensureTwice(t, spec);
  t.deepEqual(backends(await trace(...fromPod(a, '10.96.0.13', 'tcp && tcp.dst == 80'))), [`${v4(a)}:8080`]);
  t.deepEqual(backends(await trace(...fromPod(b, '10.96.0.13', 'tcp && tcp.dst == 80'))), [`${v4(b)}:8080`]);
  const merged = 'Service_default/itp_TCP_node_router_node1_merged';
  t.true(net.services.get(spec)?.loadBalancers.includes(merged));
  const itp = (names: string[]): string[] => names.filter((n) => n.startsWith('Service_default/itp_'));
  t.deepEqual(itp(await attached('Logical_Router', 'GR_node1')), [merged]);
  t.deepEqual(itp(await attached('Logical_Router', 'GR_node2')), [merged]);
  t.deepEqual(itp(await attached('Logical_Switch', 'node2')), ['Service_default/itp_TCP_node_switch_node2']);
  // Without a local endpoint on node2, its pods get a reset, not a remote endpoint.
  await ensureTwice(t, { ...spec, ports: [{ port: 80, endpoints: [ep(a)] }] });
  t.regex(await trace(...fromPod(b, '10.96.0.13', 'tcp && tcp.dst == 80')), /tcp_reset/);
});

test.serial('sessionAffinity ClientIP: commit_lb_aff with the timeout; a day: hash on ip_src,ip_dst', async (t) => {
  const spec: ServiceSpec = { namespace: NS, name: 'sticky', clusterIPs: ['10.96.0.14'], sessionAffinity: 'ClientIP', sessionAffinityTimeoutSeconds: 30, ports: [{ port: 80, endpoints: [ep(a), ep(b)] }] };
  await ensureTwice(t, spec);
  const sticky = await trace(...fromPod(a, '10.96.0.14', 'tcp && tcp.dst == 80'));
  t.regex(sticky, /chk_lb_aff\(\)/);
  t.regex(sticky, /commit_lb_aff\(vip = "10\.96\.0\.14:80", backend = "10\.244\.\d+\.\d+:8080", proto = tcp, timeout = 30\)/);
  await ensureTwice(t, { ...spec, sessionAffinityTimeoutSeconds: 86400 });
  const hashed = await trace(...fromPod(a, '10.96.0.14', 'tcp && tcp.dst == 80'));
  t.regex(hashed, /ct_lb_mark\(backends=[^;]*; hash_fields="ip_dst,ip_src"\)/);
  t.notRegex(hashed, /commit_lb_aff/);
});

test.serial('health checks: a Load_Balancer_Health_Check per VIP and ip_port_mappings; ovn-northd makes a Service_Monitor per backend from svc_monitor_mac', async (t) => {
  await setServiceMonitorMac(db, '0A:58:A9:FE:A9:FE');
  t.is(await serviceMonitorMac(db), '0a:58:a9:fe:a9:fe');
  await t.throwsAsync(setServiceMonitorMac(db, '01:00:5e:00:00:01'), { instanceOf: OvnInvalidFieldError });
  const spec: ServiceSpec = {
    namespace: NS, name: 'checked', clusterIPs: ['10.96.0.15'], ports: [{ port: 80, endpoints: [ep(a), ep(b)] }],
    healthCheck: { sourceIps: { node1: ['10.244.1.250'], node2: ['10.244.2.250'] }, intervalSeconds: 2, timeoutSeconds: 1, failureCount: 2, successCount: 1 },
  };
  await ensureTwice(t, spec);
  const lb = 'Service_default/checked_TCP_cluster';
  t.is((await lab.nbctl('get', 'Load_Balancer', lb, 'ip_port_mappings')).trim(), `{"${v4(a)}"="default_a:10.244.1.250", "${v4(b)}"="default_b:10.244.2.250"}`);
  const hc = (await lab.nbctl('get', 'Load_Balancer', lb, 'health_check')).trim().replace(/[[\]]/g, '');
  t.is((await lab.nbctl('get', 'Load_Balancer_Health_Check', hc, 'vip')).trim(), '"10.96.0.15:80"');
  t.is((await lab.nbctl('get', 'Load_Balancer_Health_Check', hc, 'options')).trim(), '{failure_count="2", interval="2", success_count="1", timeout="1"}');
  const monitors = await lab.sbctl('--bare', '--columns=ip,port,protocol,logical_port,src_ip,src_mac', 'find', 'Service_Monitor', 'logical_port=default_a');
  t.deepEqual(monitors.split('\n').filter(Boolean), [v4(a), '8080', 'tcp', 'default_a', '10.244.1.250', '0a:58:a9:fe:a9:fe']);
  // ovn-northd's ARP responder for the probe source, on the backend's switch only.
  t.regex(await lab.sbctl('lflow-list', 'node1'), /arp\.tpa == 10\.244\.1\.250 && arp\.op == 1.*eth\.src = 0a:58:a9:fe:a9:fe/);

  // Changing the options updates the health check row in place; dropping the health check removes it.
  await ensureTwice(t, { ...spec, healthCheck: { ...spec.healthCheck!, intervalSeconds: 5 } });
  t.is((await lab.nbctl('get', 'Load_Balancer', lb, 'health_check')).trim().replace(/[[\]]/g, ''), hc, 'same row');
  await ensureTwice(t, { ...spec, healthCheck: undefined });
  t.is((await lab.nbctl('get', 'Load_Balancer', lb, 'health_check')).trim(), '[]');
  t.is((await lab.nbctl('--bare', '--columns=_uuid', 'list', 'Load_Balancer_Health_Check')).trim(), '', 'the unreferenced row is gone');
});

test.serial('bad input sends nothing and leaves the rows as they were; a missing node switch is named', async (t) => {
  const before = await lab.nbctl('lb-list');
  const sent = wire.count;
  const good: ServiceSpec = { namespace: NS, name: 'np', clusterIPs: ['10.96.0.12'], nodes, ports: [{ port: 80, nodePort: 30080, endpoints: [ep(a), ep(b)] }] };
  for (const [spec, field] of [
    [{ ...good, ports: [{ port: 80, protocol: 'ICMP' as 'TCP', endpoints: [] }] }, 'ports[0].protocol'],
    [{ ...good, ports: [{ port: 80, nodePort: 0, endpoints: [] }] }, 'ports[0].nodePort'],
    [{ ...good, clusterIPs: ['10.96.0.12/32'] }, 'clusterIPs[0]'],
    [{ ...good, nodes: undefined }, 'nodes'],
    [{ ...good, healthCheck: { sourceIps: { node1: ['10.244.1.250'] } } }, 'healthCheck.sourceIps.node2'],
  ] as const) {
    const e = await t.throwsAsync(net.services.ensure(spec as ServiceSpec), { instanceOf: OvnInvalidFieldError });
    t.is(e?.field, field);
    t.regex(e?.message ?? '', /^service default\/np: /);
  }
  await t.throwsAsync(net.services.ensure({ ...good, nodes: [...nodes, { name: 'node3', addresses: ['172.18.0.4'] }] }), { instanceOf: OvnNotFoundError, message: /no Logical_Switch node3/ });
  t.is(wire.count, sent, 'nothing sent');
  t.is(await lab.nbctl('lb-list'), before, 'rows untouched');
});

test.serial('delete removes every row of a service (per node, merged, health checks); sync removes the services that are gone', async (t) => {
  t.true(await net.services.delete({ namespace: NS, name: 'np' }));
  t.is((await lab.nbctl('--bare', '--columns=name', 'find', 'Load_Balancer', 'external_ids:k8s.ovn.org/owner="default/np"')).trim(), '');
  t.false((await attached('Logical_Router', 'GR_node1')).some((n) => n.startsWith('Service_default/np_')));
  t.deepEqual(await net.services.sync([{ namespace: NS, name: 'web' }]), [
    { namespace: NS, name: 'checked' }, { namespace: NS, name: 'empty' }, { namespace: NS, name: 'itp' }, { namespace: NS, name: 'sticky' },
  ]);
  t.deepEqual(net.services.list().map((s) => s.name), ['web']);
  for (const [table, name] of [['Logical_Router', 'GR_node1'], ['Logical_Router', 'GR_node2'], ['Logical_Switch', 'node1'], ['Logical_Switch', 'node2']] as const) {
    t.deepEqual(await attached(table, name), [], `nothing left on ${name}`);
  }
  t.deepEqual((await lab.nbctl('--bare', '--columns=name', 'list', 'Load_Balancer')).split('\n').filter(Boolean).sort(),
    ['Service_default/web_SCTP_cluster', 'Service_default/web_TCP_cluster', 'Service_default/web_UDP_cluster']);
});
