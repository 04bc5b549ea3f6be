// IPv6 north-south with real frames, on the north-south lab made dual-stack: each node has an IPv4 and an IPv6 pod
// subnet, its gateway the node's IPv6 address and next hop on the outside network (fc00:f853:ccd:e793::/64) besides
// the IPv4 ones, and the outside host's kernel answers neighbour solicitations and echo requests.
//  - a pod's ICMPv6 echo to the outside host reaches it SNATed to the node's IPv6 address, after GR_<node> resolved
//    the next hop by neighbour discovery on the localnet (its NS and the host's NA are in the capture), and the
//    kernel's reply reaches the pod; a destination beyond the outside host goes by the ::/0 route;
//  - NetworkPolicy ipBlocks (IPv6, with `except`) compiled by the agent's own code (networkPolicySpecFromKubernetes):
//    egress, frames to the block are delivered, to the excepted address dropped; ingress, echoes from outside routed
//    in by GR_hv1 reach the pod from the block and never from the excepted source;
//  - an EgressFirewall with IPv6 rules: ::/0 denied except the IPv6 cluster and join subnets, an allowed IPv6 CIDR
//    and an IPv6 DNS-name address set, each checked with frames.
import test from 'ava';
import type { V1NetworkPolicy } from '@kubernetes/client-node';
import { OvnEgressFirewalls, OvnInvalidFieldError, namespacePortGroupName, waitForHypervisors } from '../../src/index.js';
import { networkPolicySpecFromKubernetes } from '../../src/k8s/controllers/network-policy-spec.js';
import { echoRequest, readFrame, solicitedNode } from '../../src/lab/index.js';
import { runCommand, waitFor } from '../../src/lab/process.js';
import { cacheOf, networkPolicy, pod as podObject } from '../k8s/cluster-objects.js';
import { addPods, gatewayMac, type OverlayPod } from '../overlay/helpers.js';
import { CLUSTER_V6, atOutside, atPod, echoFrom, ensureGateways, expectDropped, podIp, sendUntil, startNorthSouth, type NorthSouth } from './helpers.js';

let o: NorthSouth;
let pods: Map<string, OverlayPod>;
const pod = (name: string): OverlayPod => pods.get(name)!;
/** Node `i`'s (0-based) IPv6 address on the outside network. */
const nodeIp6 = (i: number): string => o.uplinks[i].addresses[1].split('/')[0];
/** A second address beyond the outside host (next to outside.remote[1], 2001:db8:100::1), for ipBlock except. */
const REMOTE6_B = '2001:db8:100::2';

test.before(async () => {
  o = await startNorthSouth(2, { dualStack: true });
  await ensureGateways(o);
  await o.lab.outside!.exec('ip', ['address', 'add', `${REMOTE6_B}/128`, 'dev', 'lo']);
  pods = await addPods(o, [{ name: 'a', hv: 1 }, { name: 'b', hv: 2 }]);
  await waitForHypervisors(o.nb, { timeoutMs: 20_000 });
});
test.after.always(async () => { await o?.close(); });

test.serial('an IPv6 pod\'s echo reaches the outside host SNATed to the node\'s IPv6 address (after ND on the localnet); the reply reaches the pod', async (t) => {
  const a = pod('a');
  const outside = o.lab.outside!;
  const seen = await sendUntil('a\'s echo at the outside host', () => a.hv.inject(a.vif, echoFrom(o, a, outside.ipv6, 'a6 to outside')),
    atOutside(o, (f) => f.payload === 'a6 to outside' && f.icmpType === 128));
  t.like(seen, { family: 6, srcIp: nodeIp6(0), dstIp: outside.ipv6, srcMac: o.uplinks[0].mac, dstMac: outside.mac, ttl: 62, checksumOk: true });
  const reply = await waitFor('the reply at pod a', atPod(a, (f) => f.payload === 'a6 to outside' && f.icmpType === 129), 10_000);
  t.like(reply, { srcIp: outside.ipv6, dstIp: podIp(a, 6), dstMac: a.mac, srcMac: gatewayMac(o, a.hv), checksumOk: true });
  // Neighbour discovery on the localnet, both ways: GR_hv1 solicits the next hop (from its link-local address, to the
  // solicited-node group) and the host answers; the host solicits the node's address and GR_hv1 answers.
  const received = (await outside.received()).map(readFrame);
  const sent = (await outside.sent()).map(readFrame);
  t.true(received.some((f) => f.icmpType === 135 && f.ndTarget === outside.ipv6 && f.srcMac === o.uplinks[0].mac
    && f.dstMac === solicitedNode(outside.ipv6).mac && f.srcIp?.startsWith('fe80:')), 'GR_hv1\'s NS for the next hop');
  t.true(sent.some((f) => f.icmpType === 136 && f.ndTarget === outside.ipv6 && f.dstMac === o.uplinks[0].mac), 'the host\'s NA to GR_hv1');
  t.true(sent.some((f) => f.icmpType === 135 && f.ndTarget === nodeIp6(0) && f.dstMac === solicitedNode(nodeIp6(0)).mac), 'the host\'s NS for the node address');
  t.true(received.some((f) => f.icmpType === 136 && f.ndTarget === nodeIp6(0) && f.srcMac === o.uplinks[0].mac && f.dstMac === outside.mac), 'GR_hv1\'s NA');
});

test.serial('from hv2, an IPv6 destination beyond the outside host goes by the ::/0 route, SNATed to hv2\'s IPv6 address; ovn-trace names ct_snat', async (t) => {
  const b = pod('b');
  const outside = o.lab.outside!;
  const remote = outside.remote[1];
  const seen = await sendUntil('b\'s echo to the remote address', () => b.hv.inject(b.vif, echoFrom(o, b, remote, 'b6 to remote')),
    atOutside(o, (f) => f.payload === 'b6 to remote' && f.icmpType === 128));
  t.like(seen, { srcIp: nodeIp6(1), dstIp: remote, dstMac: outside.mac, srcMac: o.uplinks[1].mac });
  t.like(await waitFor('the reply at pod b', atPod(b, (f) => f.payload === 'b6 to remote' && f.icmpType === 129), 10_000), { srcIp: remote, dstIp: podIp(b, 6) });
  const trace = await runCommand('ovn-trace', [`--db=${o.lab.sb.unix}`, '--ct=new', 'hv2',
    `inport == "${b.portName}" && eth.src == ${b.mac} && eth.dst == ${gatewayMac(o, b.hv)} && ip6.src == ${podIp(b, 6)} && ip6.dst == ${remote} && ip.ttl == 64 && icmp6.type == 128`]);
  t.true(trace.includes(`ct_snat(${nodeIp6(1)})`), 'GR_hv2 SNATs b\'s IPv6 egress to the node\'s IPv6 address');
});

test.serial('a NetworkPolicy egress ipBlock (IPv6, with except) as the agent compiles it: the block delivered, the excepted address and the rest dropped', async (t) => {
  const a = pod('a');
  const outside = o.lab.outside!;
  const excepted = outside.remote[1];
  const policy = networkPolicy('default', 'v6-egress', {
    podSelector: { matchLabels: { app: 'a' } }, policyTypes: ['Egress'],
    egress: [{ to: [{ ipBlock: { cidr: '2001:db8:100::/64', except: [`${excepted}/128`] } }] }],
  });
  const cache = cacheOf(podObject('default', 'a', { node: 'hv1', labels: { app: 'a' } }), podObject('default', 'b', { node: 'hv2' }), policy);
  const addressesOf = (k: { namespace: string; name: string }): string[] => {
    const p = pods.get(k.name);
    return p && p.namespace === k.namespace ? p.ipAddresses.map((c) => c.split('/')[0]) : [];
  };
  // The agent's NetworkPolicy controller: networkPolicySpecFromKubernetes, then networkPolicies.ensure.
  const spec = networkPolicySpecFromKubernetes(cache.get('NetworkPolicy', 'default/v6-egress') as V1NetworkPolicy, cache, addressesOf);
  t.deepEqual(spec.egress, [{ ipBlocks: [{ cidr: '2001:db8:100::/64', except: [`${excepted}/128`] }] }]);
  t.deepEqual(spec.pods, [{ namespace: 'default', name: 'a' }]);
  t.true((await o.net.networkPolicies.ensure(spec)).changed);
  const matches = (await o.lab.nbctl('--bare', '--columns=match', 'find', 'ACL', 'priority=1010')).split('\n').filter((l) => l.trim());
  t.true(matches.some((m) => m.includes(`ip6.dst == 2001:db8:100::/64 && ip6.dst != {${excepted}/128}`)), matches.join('\n'));

  const send = (marker: string): Promise<void> => a.hv.inject(a.vif, echoFrom(o, a, marker.includes('denied') ? excepted : REMOTE6_B, marker));
  await expectDropped(o, t, send, 'a6 to the excepted address denied', 'a6 to the block allowed');
  t.like(await waitFor('the reply from the block', atPod(a, (f) => f.payload === 'a6 to the block allowed' && f.icmpType === 129), 10_000), { srcIp: REMOTE6_B });
  await expectDropped(o, t, (m) => a.hv.inject(a.vif, echoFrom(o, a, m.includes('denied') ? outside.ipv6 : REMOTE6_B, m)), 'a6 outside the block denied', 'a6 to the block again');
  const b = pod('b');
  t.like(await sendUntil('b (not selected) to the excepted address', () => b.hv.inject(b.vif, echoFrom(o, b, excepted, 'b6 unselected')),
    atOutside(o, (f) => f.payload === 'b6 unselected')), { srcIp: nodeIp6(1) }, 'the policy selects a only');

  const mixed = await t.throwsAsync(o.net.networkPolicies.ensure({ ...spec, egress: [{ ipBlocks: [{ cidr: '2001:db8:100::/64', except: ['198.51.100.0/24'] }] }] }), { instanceOf: OvnInvalidFieldError });
  t.like(mixed, { object: 'network policy default/v6-egress', field: 'egress[0].ipBlocks[0].except[0]', value: '198.51.100.0/24' });
  t.true(await o.net.networkPolicies.delete({ namespace: 'default', name: 'v6-egress' }));
  await waitForHypervisors(o.nb, { timeoutMs: 20_000 });
  await sendUntil('a to the excepted address after delete', () => a.hv.inject(a.vif, echoFrom(o, a, excepted, 'a6 after delete')), atOutside(o, (f) => f.payload === 'a6 after delete'));
});

test.serial('a NetworkPolicy ingress ipBlock (IPv6, with except) from outside: echoes from the block reach the pod through GR_hv1, from the excepted source never', async (t) => {
  const a = pod('a');
  const outside = o.lab.outside!;
  const [excepted, allowed] = [outside.remote[1], REMOTE6_B];
  const policy = networkPolicy('default', 'v6-ingress', {
    podSelector: { matchLabels: { app: 'a' } }, ingress: [{ from: [{ ipBlock: { cidr: '2001:db8:100::/64', except: [`${excepted}/128`] } }] }],
  });
  const cache = cacheOf(podObject('default', 'a', { node: 'hv1', labels: { app: 'a' } }), policy);
  const spec = networkPolicySpecFromKubernetes(cache.get('NetworkPolicy', 'default/v6-ingress') as V1NetworkPolicy, cache, () => []);
  t.deepEqual(spec.ingress, [{ ipBlocks: [{ cidr: '2001:db8:100::/64', except: [`${excepted}/128`] }] }]);
  await o.net.networkPolicies.ensure(spec);
  await waitForHypervisors(o.nb, { timeoutMs: 20_000 });
  // From the outside host's raw port, as if routed from beyond it: to hv1's MAC on the outside network, GR_hv1 routes
  // it into the cluster (no SNAT on the way in).
  const fromOutside = (src: string, marker: string): Promise<void> =>
    outside.inject(echoRequest({ srcMac: outside.mac, dstMac: o.uplinks[0].mac, srcIp: src, dstIp: podIp(a, 6), payload: marker }));
  for (let i = 0; i < 3; i++) await fromOutside(excepted, 'from the excepted source');
  t.like(await sendUntil('an echo from the block at pod a', () => fromOutside(allowed, 'from the block'), atPod(a, (f) => f.payload === 'from the block')),
    { srcIp: allowed, dstIp: podIp(a, 6), dstMac: a.mac, ttl: 62 });
  t.false((await a.hv.transmitted(a.vif)).map(readFrame).some((f) => f.payload === 'from the excepted source'), 'the excepted source never reached a');
  t.true(await o.net.networkPolicies.delete({ namespace: 'default', name: 'v6-ingress' }));
  await waitForHypervisors(o.nb, { timeoutMs: 20_000 });
  await sendUntil('the excepted source after delete', () => fromOutside(excepted, 'excepted after delete'), atPod(a, (f) => f.payload === 'excepted after delete'));
});

test.serial('EgressFirewall with IPv6 rules: ::/0 denied but the IPv6 cluster and join subnets, an allowed IPv6 CIDR, a DNS name\'s IPv6 set; IPv4 untouched', async (t) => {
  const a = pod('a');
  const b = pod('b');
  const outside = o.lab.outside!;
  const resolved = new Map<string, string[]>();
  const firewalls = new OvnEgressFirewalls(o.nb, { clusterSubnets: o.clusterSubnets, resolver: async (name) => resolved.get(name) ?? [] });
  const pg = namespacePortGroupName('ovn-overlay', a.namespace);
  const ensured = await firewalls.ensure({ namespace: a.namespace, name: 'default', egress: [
    { type: 'Allow', to: { cidrSelector: '2001:db8:100::/64' } }, { type: 'Deny', to: { cidrSelector: '::/0' } },
  ] });
  t.like(ensured, { changed: true, rules: [
    { index: 0, action: 'allow', match: `(ip6.dst == 2001:db8:100::/64) && inport == @${pg}` },
    { index: 1, action: 'drop', match: `(ip6.dst == ::/0 && ip6.dst != {${CLUSTER_V6}, fd98::/64}) && inport == @${pg}` },
  ] });
  await expectDropped(o, t, (m) => a.hv.inject(a.vif, echoFrom(o, a, m.includes('denied') ? outside.ipv6 : outside.remote[1], m)), 'a6 firewalled denied', 'a6 firewall allowed');
  await a.hv.inject(a.vif, echoFrom(o, a, podIp(b, 6), 'a6 to b'));
  t.like(await waitFor('a to b at b', atPod(b, (f) => f.payload === 'a6 to b'), 10_000), { srcIp: podIp(a, 6), dstIp: podIp(b, 6) }, 'the IPv6 cluster subnet is excluded');
  await sendUntil('a\'s IPv4 echo to the outside host', () => a.hv.inject(a.vif, echoFrom(o, a, outside.ipv4, 'a4 untouched')), atOutside(o, (f) => f.payload === 'a4 untouched'));

  // The join subnet is excluded too: a pod's reply to a NodePort client, which GR_<node> SNATs to its join address,
  // passes the ::/0 deny (no conntrack towards the router port: a reply meets the ACLs as a new packet would). Real
  // frames: an echo to GR_hv1's join address is answered; ovn-trace of a TCP reply to it reaches the router port.
  const grJoin = 'fd98::2';
  t.like(await sendUntil('GR_hv1\'s echo reply from its join address', () => a.hv.inject(a.vif, echoFrom(o, a, grJoin, 'a6 to the join address')),
    atPod(a, (f) => f.payload === 'a6 to the join address' && f.icmpType === 129)), { srcIp: grJoin, dstIp: podIp(a, 6) });
  const reply = await runCommand('ovn-trace', [`--db=${o.lab.sb.unix}`, '--ct=est,rpl', 'hv1',
    `inport == "${a.portName}" && eth.src == ${a.mac} && eth.dst == ${gatewayMac(o, a.hv)} && ip6.src == ${podIp(a, 6)} && ip6.dst == ${grJoin} && ip.ttl == 64 && tcp && tcp.src == 8080 && tcp.dst == 40000`]);
  t.notRegex(reply, /drop;/, reply);
  t.regex(reply, /egress\(dp="hv1", inport="default_a", outport="stor-hv1"\)[\s\S]*output;/);

  resolved.set('remote6.example.com', [REMOTE6_B]);
  const dns = await firewalls.ensure({ namespace: a.namespace, name: 'default', egress: [{ type: 'Deny', to: { dnsName: 'remote6.example.com' } }] });
  const [set4, set6] = [firewalls.dnsAddressSetName('remote6.example.com', 4), firewalls.dnsAddressSetName('remote6.example.com', 6)];
  t.is(dns.rules[0].match, `(ip4.dst == $${set4} || ip6.dst == $${set6}) && inport == @${pg}`, 'a set per cluster family');
  t.is((await o.lab.nbctl('--bare', '--columns=addresses', 'list', 'Address_Set', set6)).trim(), REMOTE6_B);
  t.is((await o.lab.nbctl('--bare', '--columns=addresses', 'list', 'Address_Set', set4)).trim(), '');
  await expectDropped(o, t, (m) => a.hv.inject(a.vif, echoFrom(o, a, m.includes('denied') ? REMOTE6_B : outside.ipv6, m)), 'a6 to the name denied', 'a6 outside allowed again');
  t.true(await firewalls.delete({ namespace: a.namespace, name: 'default' }));
  t.deepEqual(firewalls.list(), []);
});
