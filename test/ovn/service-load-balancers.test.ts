// The load balancers of every kind of Service, computed without a database and compared with what ovn-kubernetes'
// services controller builds for the same Service (names, rules, where attached, options), including the cases of
// its own lb_config tests: NodePort coalesced on router+switch, externalTrafficPolicy Local (node_local_router with
// skip_snat, the masquerade switch VIP), internalTrafficPolicy Local (switch-only filtering, router LBs merged),
// endpoint conditions, affinity, idling, health checks and dual-stack.
import test from 'ava';
import { buildServiceLoadBalancers, type LoadBalancerNode, type ServiceLoadBalancer } from '../../src/ovn/service-load-balancers.js';
import { eligibleEndpoints } from '../../src/ovn/service-endpoints.js';
import type { ServiceEndpointSpec, ServiceSpec } from '../../src/ovn/service-spec.js';
import { validateServiceSpec } from '../../src/ovn/service-spec.js';
import { OvnInvalidFieldError, OvnInvalidNameError } from '../../src/ovn/errors.js';

const nodes: LoadBalancerNode[] = [
  { name: 'node-a', switchName: 'node-a', gatewayRouter: 'GR_node-a', addresses: ['10.0.0.1', '10.0.0.111'] },
  { name: 'node-b', switchName: 'node-b', gatewayRouter: 'GR_node-b', addresses: ['10.0.0.2'] },
];
const specNodes = nodes.map((n) => ({ name: n.name, addresses: n.addresses }));
const epA: ServiceEndpointSpec = { ip: '10.128.0.2', port: 8080, node: 'node-a' };
const epB: ServiceEndpointSpec = { ip: '10.128.1.2', port: 8080, node: 'node-b' };
const base: ServiceSpec = { namespace: 'testns', name: 'foo', clusterIPs: ['192.168.0.1'], ports: [{ port: 80, endpoints: [epA, epB] }] };

/** name -> vips as an object, options and attachments, for readable comparisons. */
function summary(lbs: readonly ServiceLoadBalancer[]): Record<string, { vips: Record<string, string>; switches: readonly string[]; routers: readonly string[]; groups: readonly string[]; skipSnat: string | undefined }> {
  return Object.fromEntries(lbs.map((lb) => [lb.name, {
    vips: Object.fromEntries(lb.vips), switches: lb.switches, routers: lb.routers, groups: lb.groups, skipSnat: lb.options.get('skip_snat'),
  }]));
}

function build(spec: ServiceSpec, over: readonly LoadBalancerNode[] = nodes): ServiceLoadBalancer[] {
  validateServiceSpec(spec);
  return buildServiceLoadBalancers(spec, over);
}

test('ClusterIP: one cluster-wide load balancer per protocol in clusterLBGroup, with ovn-kubernetes\' options', (t) => {
  const lbs = build({ ...base, ports: [{ port: 80, endpoints: [epA, epB] }, { port: 53, protocol: 'UDP', endpoints: [{ ...epA, port: 5353 }] }, { port: 36412, protocol: 'SCTP', endpoints: [] }] });
  t.deepEqual(summary(lbs), {
    'Service_testns/foo_TCP_cluster': { vips: { '192.168.0.1:80': '10.128.0.2:8080,10.128.1.2:8080' }, switches: [], routers: [], groups: ['clusterLBGroup'], skipSnat: 'false' },
    'Service_testns/foo_UDP_cluster': { vips: { '192.168.0.1:53': '10.128.0.2:5353' }, switches: [], routers: [], groups: ['clusterLBGroup'], skipSnat: 'false' },
    'Service_testns/foo_SCTP_cluster': { vips: { '192.168.0.1:36412': '' }, switches: [], routers: [], groups: ['clusterLBGroup'], skipSnat: 'false' },
  });
  t.deepEqual(Object.fromEntries(lbs[0].options), {
    reject: 'true', event: 'false', skip_snat: 'false', neighbor_responder: 'none', hairpin_snat_ip: '169.254.169.5 fd69::5',
  });
  t.deepEqual(lbs.map((l) => l.protocol), ['tcp', 'udp', 'sctp']);
  t.deepEqual(lbs[0].selectionFields, []);
});

test('externalIPs and ingress IPs join the cluster IPs (externalTrafficPolicy Cluster); dual-stack VIPs take endpoints of their family', (t) => {
  const lbs = build({
    ...base, clusterIPs: ['192.168.0.1', 'fd92::1'], ipFamilies: ['IPv4', 'IPv6'], ipFamilyPolicy: 'RequireDualStack',
    externalIPs: ['4.2.2.2'], loadBalancerIPs: ['5.5.5.5', '2001:db8::5'],
    ports: [{ port: 80, endpoints: [epA, { ip: 'fe00::0:1:0:0:2', port: 8080, node: 'node-a' }] }],
  });
  t.deepEqual(summary(lbs)['Service_testns/foo_TCP_cluster'].vips, {
    '192.168.0.1:80': '10.128.0.2:8080', '[fd92::1]:80': '[fe00::1:0:0:2]:8080', '4.2.2.2:80': '10.128.0.2:8080',
    '5.5.5.5:80': '10.128.0.2:8080', '[2001:db8::5]:80': '[fe00::1:0:0:2]:8080',
  });
});

test('NodePort: cluster LB for the cluster IP, and per node one node_router+switch LB on the node\'s host addresses', (t) => {
  const lbs = build({ ...base, ports: [{ port: 80, nodePort: 30080, endpoints: [epA] }], nodes: specNodes });
  t.deepEqual(summary(lbs), {
    'Service_testns/foo_TCP_cluster': { vips: { '192.168.0.1:80': '10.128.0.2:8080' }, switches: [], routers: [], groups: ['clusterLBGroup'], skipSnat: 'false' },
    'Service_testns/foo_TCP_node_router+switch_node-a': { vips: { '10.0.0.1:30080': '10.128.0.2:8080', '10.0.0.111:30080': '10.128.0.2:8080' }, switches: ['node-a'], routers: ['GR_node-a'], groups: [], skipSnat: 'false' },
    'Service_testns/foo_TCP_node_router+switch_node-b': { vips: { '10.0.0.2:30080': '10.128.0.2:8080' }, switches: ['node-b'], routers: ['GR_node-b'], groups: [], skipSnat: 'false' },
  });
});

test('NodePort on a node without a gateway router: a node_switch LB only', (t) => {
  const lbs = build({ ...base, ports: [{ port: 80, nodePort: 30080, endpoints: [epA] }], nodes: [specNodes[1]] }, [{ name: 'node-b', switchName: 'node-b', addresses: ['10.0.0.2'] }]);
  t.deepEqual(lbs.map((l) => l.name), ['Service_testns/foo_TCP_cluster', 'Service_testns/foo_TCP_node_switch_node-b']);
});

test('externalTrafficPolicy Local: GR gets only local endpoints unSNATed (node_local_router, skip_snat), the switch all, plus the masquerade VIP', (t) => {
  // ovn-kubernetes' lb_config_test "LB service with NodePort, standard pods on different nodes, ExternalTrafficPolicy=local".
  const lbs = build({
    ...base, externalIPs: ['4.2.2.2'], loadBalancerIPs: ['5.5.5.5'], externalTrafficPolicy: 'Local', nodes: specNodes,
    ports: [{ port: 80, nodePort: 5, endpoints: [epA, epB] }],
  });
  const all = '10.128.0.2:8080,10.128.1.2:8080';
  t.deepEqual(summary(lbs), {
    'Service_testns/foo_TCP_cluster': { vips: { '192.168.0.1:80': all }, switches: [], routers: [], groups: ['clusterLBGroup'], skipSnat: 'false' },
    'Service_testns/foo_TCP_node_local_router_node-a': {
      vips: { '10.0.0.1:5': '10.128.0.2:8080', '10.0.0.111:5': '10.128.0.2:8080', '4.2.2.2:80': '10.128.0.2:8080', '5.5.5.5:80': '10.128.0.2:8080' },
      switches: [], routers: ['GR_node-a'], groups: [], skipSnat: 'true',
    },
    'Service_testns/foo_TCP_node_switch_node-a': {
      vips: { '169.254.169.3:5': '10.128.0.2:8080', '10.0.0.1:5': all, '10.0.0.111:5': all, '4.2.2.2:80': all, '5.5.5.5:80': all },
      switches: ['node-a'], routers: [], groups: [], skipSnat: 'false',
    },
    'Service_testns/foo_TCP_node_local_router_node-b': {
      vips: { '10.0.0.2:5': '10.128.1.2:8080', '4.2.2.2:80': '10.128.1.2:8080', '5.5.5.5:80': '10.128.1.2:8080' },
      switches: [], routers: ['GR_node-b'], groups: [], skipSnat: 'true',
    },
    'Service_testns/foo_TCP_node_switch_node-b': {
      vips: { '169.254.169.3:5': '10.128.1.2:8080', '10.0.0.2:5': all, '4.2.2.2:80': all, '5.5.5.5:80': all },
      switches: ['node-b'], routers: [], groups: [], skipSnat: 'false',
    },
  });
});

test('externalTrafficPolicy Local on a node without local endpoints: the GR VIP has no backend (rejected), SNAT kept', (t) => {
  const lbs = build({ ...base, externalTrafficPolicy: 'Local', nodes: specNodes, ports: [{ port: 80, nodePort: 30080, endpoints: [epA] }] });
  const b = summary(lbs);
  t.deepEqual(b['Service_testns/foo_TCP_node_router_node-b'], { vips: { '10.0.0.2:30080': '' }, switches: [], routers: ['GR_node-b'], groups: [], skipSnat: 'false' });
  t.is(b['Service_testns/foo_TCP_node_local_router_node-a'].skipSnat, 'true');
});

test('internalTrafficPolicy Local: switches get the node\'s endpoints for the cluster IP (externalIPs keep all), the router LBs merge', (t) => {
  // ovn-kubernetes' lb_config_test "clusterIP + externalIP service, standard pods, InternalTrafficPolicy=local".
  const lbs = build({ ...base, externalIPs: ['1.2.3.4'], internalTrafficPolicy: 'Local', nodes: specNodes });
  const all = '10.128.0.2:8080,10.128.1.2:8080';
  t.deepEqual(summary(lbs), {
    'Service_testns/foo_TCP_node_router_node-a_merged': { vips: { '192.168.0.1:80': all, '1.2.3.4:80': all }, switches: [], routers: ['GR_node-a', 'GR_node-b'], groups: [], skipSnat: 'false' },
    'Service_testns/foo_TCP_node_switch_node-a': { vips: { '192.168.0.1:80': '10.128.0.2:8080', '1.2.3.4:80': all }, switches: ['node-a'], routers: [], groups: [], skipSnat: 'false' },
    'Service_testns/foo_TCP_node_switch_node-b': { vips: { '192.168.0.1:80': '10.128.1.2:8080', '1.2.3.4:80': all }, switches: ['node-b'], routers: [], groups: [], skipSnat: 'false' },
  });
});

test('identical per-node load balancers merge across kinds (node_switch + node_router+switch), as mergeLBs does', (t) => {
  // internalTrafficPolicy Local with every endpoint on node-a: node-b's switch rule is empty, node-a's switch equals its router.
  const lbs = build({ ...base, internalTrafficPolicy: 'Local', nodes: specNodes, ports: [{ port: 80, endpoints: [epA] }] });
  t.deepEqual(summary(lbs), {
    'Service_testns/foo_TCP_node_router+switch_node-a_merged': { vips: { '192.168.0.1:80': '10.128.0.2:8080' }, switches: ['node-a'], routers: ['GR_node-a', 'GR_node-b'], groups: [], skipSnat: 'false' },
    'Service_testns/foo_TCP_node_switch_node-b': { vips: { '192.168.0.1:80': '' }, switches: ['node-b'], routers: [], groups: [], skipSnat: 'false' },
  });
});

test('endpoint conditions: ready ones; serving+terminating only when none is ready; per node for the Local policies', (t) => {
  const ready = { ...epA };
  const draining = { ...epB, ready: false, serving: true, terminating: true };
  const gone = { ip: '10.128.1.3', port: 8080, node: 'node-b', ready: false, serving: false, terminating: true };
  t.deepEqual(eligibleEndpoints([ready, draining, gone], false).map((e) => e.ip), ['10.128.0.2']);
  t.deepEqual(eligibleEndpoints([draining, gone], false).map((e) => e.ip), ['10.128.1.2']);
  t.deepEqual(eligibleEndpoints([{ ...gone, terminating: false }], false), [], 'not ready, not terminating: never');
  t.deepEqual(eligibleEndpoints([gone], true).map((e) => e.ip), ['10.128.1.3'], 'publishNotReadyAddresses takes all');
  t.deepEqual(eligibleEndpoints([ready, draining], false, 'node-b').map((e) => e.ip), ['10.128.1.2'], 'node-b falls back to its own draining pod');
  t.deepEqual(eligibleEndpoints([{ ip: '10.128.0.9', port: 80 }], false).map((e) => e.ip), ['10.128.0.9'], 'conditions unknown: ready');

  const lbs = build({ ...base, externalTrafficPolicy: 'Local', nodes: specNodes, ports: [{ port: 80, nodePort: 30080, endpoints: [ready, draining] }] });
  const s = summary(lbs);
  t.is(s['Service_testns/foo_TCP_cluster'].vips['192.168.0.1:80'], '10.128.0.2:8080', 'cluster-wide: the ready one only');
  t.is(s['Service_testns/foo_TCP_node_local_router_node-b'].vips['10.0.0.2:30080'], '10.128.1.2:8080', 'node-b: its serving+terminating pod');
});

test('sessionAffinity ClientIP: affinity_timeout (clamped to OVN\'s 65535); at a day, selection_fields ip_src,ip_dst instead', (t) => {
  const opts = (spec: Partial<ServiceSpec>): ServiceLoadBalancer => build({ ...base, ...spec })[0];
  t.is(opts({ sessionAffinity: 'ClientIP' }).options.get('affinity_timeout'), '10800');
  t.is(opts({ sessionAffinity: 'ClientIP', sessionAffinityTimeoutSeconds: 30 }).options.get('affinity_timeout'), '30');
  t.is(opts({ sessionAffinity: 'ClientIP', sessionAffinityTimeoutSeconds: 70000 }).options.get('affinity_timeout'), '65535');
  const day = opts({ sessionAffinity: 'ClientIP', sessionAffinityTimeoutSeconds: 86400 });
  t.false(day.options.has('affinity_timeout'));
  t.deepEqual(day.selectionFields, ['ip_src', 'ip_dst']);
  t.false(opts({ sessionAffinity: 'None', sessionAffinityTimeoutSeconds: 30 }).options.has('affinity_timeout'));
});

test('idled: event=true, reject=false (ovn-kubernetes\' unidling)', (t) => {
  const lb = build({ ...base, idled: true })[0];
  t.is(lb.options.get('reject'), 'false');
  t.is(lb.options.get('event'), 'true');
});

test('health checks: a Load_Balancer_Health_Check per VIP and ip_port_mappings "<pod port>:<source>" (IPv6 bracketed)', (t) => {
  const pod = (name: string) => ({ namespace: 'testns', name });
  const lbs = build({
    ...base, clusterIPs: ['192.168.0.1', 'fd92::1'],
    ports: [{ port: 80, endpoints: [{ ...epA, pod: pod('a') }, { ip: 'fe00::2', port: 8080, node: 'node-b', pod: pod('b6') }, { ip: '10.0.0.50', port: 8080 }] }],
    healthCheck: { sourceIps: { 'node-a': ['10.128.0.250'], 'node-b': ['10.128.1.250', 'fe00::fa'] }, intervalSeconds: 1, failureCount: 2 },
  });
  // 10.0.0.50 has no pod to probe through: ovn-northd would leave it out of a checked VIP, so the IPv4 VIP stays unchecked.
  t.deepEqual(lbs[0].healthChecks, [{ vip: '[fd92::1]:80', options: new Map([['failure_count', '2'], ['interval', '1']]) }]);
  t.deepEqual(Object.fromEntries(lbs[0].ipPortMappings), { '[fe00::2]': 'testns_b6:[fe00::fa]' });
  const v4Pods = { ...base, clusterIPs: ['192.168.0.1'], ports: [{ port: 80, endpoints: [{ ...epA, pod: pod('a') }, { ip: '10.128.0.3', port: 8080, node: 'node-a', pod: pod('hostnet') }] }],
    healthCheck: { sourceIps: { 'node-a': ['10.128.0.250'] } } };
  t.deepEqual(buildServiceLoadBalancers(v4Pods, nodes)[0].healthChecks, [{ vip: '192.168.0.1:80', options: new Map() }]);
  t.deepEqual(Object.fromEntries(buildServiceLoadBalancers(v4Pods, nodes)[0].ipPortMappings), { '10.128.0.2': 'testns_a:10.128.0.250', '10.128.0.3': 'testns_hostnet:10.128.0.250' });
  t.deepEqual(buildServiceLoadBalancers(v4Pods, nodes, (port) => port !== 'testns_hostnet')[0].healthChecks, [], 'a pod without a logical port (host network): unchecked');
});

test('bad input: refused with the service and the field named', (t) => {
  const refused = (spec: ServiceSpec, field: string): void => {
    const e = t.throws(() => build(spec), { instanceOf: OvnInvalidFieldError });
    t.is(e?.field, field);
    t.is(e?.object, 'service testns/foo');
  };
  refused({ ...base, ports: [{ port: 80, protocol: 'ICMP' as 'TCP', endpoints: [] }] }, 'ports[0].protocol');
  refused({ ...base, ports: [{ port: 0, endpoints: [] }] }, 'ports[0].port');
  refused({ ...base, ports: [{ port: 80, nodePort: 70000, endpoints: [] }] }, 'ports[0].nodePort');
  refused({ ...base, ports: [{ port: 80, endpoints: [] }, { port: 80, endpoints: [] }] }, 'ports[1].port');
  refused({ ...base, ports: [{ port: 80, endpoints: [{ ip: '10.1.1.1', port: 80.5 }] }] }, 'ports[0].endpoints[0].port');
  refused({ ...base, clusterIPs: ['192.168.0.1', '192.168.0.2'] }, 'clusterIPs');
  refused({ ...base, clusterIPs: ['not-an-ip'] }, 'clusterIPs[0]');
  refused({ ...base, clusterIPs: ['192.168.0.1'], ipFamilies: ['IPv6'] }, 'clusterIPs[0]');
  refused({ ...base, clusterIPs: ['192.168.0.1', 'fd92::1'], ipFamilyPolicy: 'SingleStack' }, 'ipFamilyPolicy');
  refused({ ...base, ipFamilyPolicy: 'RequireDualStack' }, 'clusterIPs');
  refused({ ...base, externalTrafficPolicy: 'local' as 'Local' }, 'externalTrafficPolicy');
  refused({ ...base, sessionAffinity: 'ClientIP', sessionAffinityTimeoutSeconds: 86401 }, 'sessionAffinityTimeoutSeconds');
  refused({ ...base, ports: [{ port: 80, nodePort: 30080, endpoints: [] }] }, 'nodes');
  refused({ ...base, ports: [{ port: 80, protocol: 'SCTP', endpoints: [] }], healthCheck: { sourceIps: {} } }, 'ports[0].protocol');
  refused({ ...base, ports: [{ port: 80, endpoints: [{ ...epA, pod: { namespace: 'testns', name: 'a' } }] }], healthCheck: { sourceIps: { 'node-a': ['fe00::1'] } } }, 'healthCheck.sourceIps.node-a');
  refused({ ...base, healthCheck: { sourceIps: {}, intervalSeconds: 0 } }, 'healthCheck.intervalSeconds');
  // Missing or malformed lists and entries (a JavaScript caller, a decoded JSON spec): refused, never a TypeError.
  const malformed = (over: Record<string, unknown>): ServiceSpec => ({ ...base, ...over }) as ServiceSpec;
  refused(malformed({ ports: [{ port: 80 }] }), 'ports[0].endpoints');
  refused(malformed({ ports: [{ port: 80 }], healthCheck: { sourceIps: {} } }), 'ports[0].endpoints');
  refused(malformed({ ports: [null] }), 'ports[0]');
  refused(malformed({ ports: [{ port: 80, endpoints: [null] }] }), 'ports[0].endpoints[0]');
  refused(malformed({ ports: 'http' }), 'ports');
  refused(malformed({ nodes: [null] }), 'nodes[0]');
  refused(malformed({ vips: [{ ip: '192.168.0.9', port: 80 }] }), 'vips[0].endpoints');
  refused(malformed({ vips: [{ ip: '192.168.0.9', port: 80, endpoints: ['10.128.0.2:8080'] }] }), 'vips[0].endpoints[0]');
  t.throws(() => build({ ...base, name: 'Foo' }), { instanceOf: OvnInvalidNameError });
  t.throws(() => build({ ...base, ports: [{ port: 80, endpoints: [{ ...epA, node: 'bad node' }] }] }), { instanceOf: OvnInvalidNameError });
});

test('raw vips are balanced exactly as listed on the cluster load balancer of their protocol', (t) => {
  const lbs = build({ namespace: 'testns', name: 'foo', vips: [{ ip: '10.96.0.10', port: 53, protocol: 'udp', endpoints: [{ ip: '10.244.1.3', port: 5353 }] }] });
  t.deepEqual(summary(lbs), { 'Service_testns/foo_UDP_cluster': { vips: { '10.96.0.10:53': '10.244.1.3:5353' }, switches: [], routers: [], groups: ['clusterLBGroup'], skipSnat: 'false' } });
});

test('a headless Service (no cluster IPs) has no load balancer', (t) => {
  t.deepEqual(build({ ...base, clusterIPs: [] }), []);
});
