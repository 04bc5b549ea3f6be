// Which node hosts each egress IP (assignEgressIPs) and the EgressNode read from a Kubernetes Node: kept while
// possible, spread by load, never two IPs of one EgressIP on a node, failover when the host goes away, and
// addresses no node's network holds refused naming the field.
import test from 'ava';
import { assignEgressIPs, egressNodeOf, OvnInvalidFieldError, EGRESS_ASSIGNABLE_LABEL, L3_GATEWAY_CONFIG_ANNOTATION, type EgressNode } from '../../src/index.js';

const node = (name: string, networks: string[], { assignable = true, ready = true } = {}): EgressNode => ({ name, assignable, ready, networks });
const v4 = ['172.18.0.11/16'];

test('egressNodeOf: the label, the Ready condition, node-primary-ifaddr, else the l3-gateway-config addresses', (t) => {
  t.deepEqual(egressNodeOf({
    metadata: { name: 'n1', labels: { [EGRESS_ASSIGNABLE_LABEL]: '' }, annotations: { 'k8s.ovn.org/node-primary-ifaddr': '{"ipv4":"172.18.0.2/16","ipv6":"fc00::2/64"}' } },
    status: { conditions: [{ type: 'Ready', status: 'True' }] },
  }), { name: 'n1', assignable: true, ready: true, networks: ['172.18.0.2/16', 'fc00::2/64'] });
  t.deepEqual(egressNodeOf({
    metadata: { name: 'n2', annotations: { [L3_GATEWAY_CONFIG_ANNOTATION]: '{"default":{"ip-addresses":["172.18.0.3/16"]}}' } },
    status: { conditions: [{ type: 'Ready', status: 'Unknown' }] },
  }), { name: 'n2', assignable: false, ready: false, networks: ['172.18.0.3/16'] });
  t.deepEqual(egressNodeOf({ metadata: { name: 'n3', annotations: { 'k8s.ovn.org/node-primary-ifaddr': '{bad' } } }).networks, []);
});

test('least loaded node first; two IPs of one EgressIP never share a node; an IP no possible node can host stays unassigned', (t) => {
  const nodes = [node('a', v4), node('b', v4), node('c', v4, { assignable: false })];
  t.deepEqual(assignEgressIPs({ name: 'e', egressIPs: ['172.18.0.100'] }, nodes, [], new Map([['a', 2]])), [{ node: 'b', egressIP: '172.18.0.100' }]);
  t.deepEqual(assignEgressIPs({ name: 'e', egressIPs: ['172.18.0.100', '172.18.0.101', '172.18.0.102'] }, nodes),
    [{ node: 'a', egressIP: '172.18.0.100' }, { node: 'b', egressIP: '172.18.0.101' }]);
});

test('an assignment still possible is kept; the host going away (not ready, unlabelled, gone) moves the IP', (t) => {
  const current = [{ node: 'b', egressIP: '172.18.0.100' }];
  const eip = { name: 'e', egressIPs: ['172.18.0.100'] };
  t.deepEqual(assignEgressIPs(eip, [node('a', v4), node('b', v4)], current, new Map([['b', 5]])), current);
  for (const nodes of [[node('a', v4), node('b', v4, { ready: false })], [node('a', v4), node('b', v4, { assignable: false })], [node('a', v4)]]) {
    t.deepEqual(assignEgressIPs(eip, nodes, current), [{ node: 'a', egressIP: '172.18.0.100' }]);
  }
  t.deepEqual(assignEgressIPs(eip, [node('a', v4, { ready: false }), node('b', v4, { ready: false })], current), [], 'no possible host: unassigned');
});

test('refused naming the EgressIP and the field: not an address, outside every node\'s network; IPv6 by the node\'s v6 network', (t) => {
  const nodes = [node('a', [...v4, 'fc00:f853:ccd:e793::11/64'])];
  t.deepEqual(assignEgressIPs({ name: 'e', egressIPs: ['fc00:f853:ccd:e793::100'] }, nodes), [{ node: 'a', egressIP: 'fc00:f853:ccd:e793::100' }]);
  const bad = t.throws(() => assignEgressIPs({ name: 'e', egressIPs: ['172.18.0.100', 'nope'] }, nodes), { instanceOf: OvnInvalidFieldError });
  t.is(bad.field, 'spec.egressIPs[1]');
  const outside = t.throws(() => assignEgressIPs({ name: 'e', egressIPs: ['192.0.2.1'] }, nodes), { instanceOf: OvnInvalidFieldError });
  t.regex(outside.message, /egressip e: spec\.egressIPs\[0\].*outside every node's network/);
  // Malformed (a JavaScript caller, a decoded JSON object): typed, never a TypeError.
  t.like(t.throws(() => assignEgressIPs({ name: 'e', egressIPs: undefined as never }, nodes), { instanceOf: OvnInvalidFieldError }), { code: 'OVN_INVALID_FIELD', field: 'spec.egressIPs' });
  t.is(t.throws(() => assignEgressIPs({ name: 'e', egressIPs: [7 as never] }, nodes), { instanceOf: OvnInvalidFieldError }).field, 'spec.egressIPs[0]');
});
