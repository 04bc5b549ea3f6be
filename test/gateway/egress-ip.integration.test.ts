// EgressIP with real frames: a pod on hv1 selected by an EgressIP hosted on hv2 leaves the cluster through hv2 with
// the egress IP as its source (the outside host's capture), the kernel's reply comes back to the pod; other pods
// still leave with their node IP; pod-to-pod traffic is not rerouted. Then hv2 goes away (its daemons killed, the
// node not ready): assignEgressIPs moves the IP to hv1 and the pod leaves through hv1 with the same source. An
// egress IP no node's network holds is refused naming the field, nothing changed; a selected pod without an address
// yet is skipped (as ovn-kubernetes does), and malformed pods, lists or addresses are refused naming the field with
// the rows already in place left as they were.
import test from 'ava';
import { OvnInvalidFieldError, assignEgressIPs, egressNodeOf, waitForHypervisors, EGRESS_ASSIGNABLE_LABEL, type EgressIPSpec, type EgressNode } from '../../src/index.js';
import { readFrame } from '../../src/lab/index.js';
import { runCommand, waitFor } from '../../src/lab/process.js';
import { addPods, gatewayMac, type OverlayPod } from '../overlay/helpers.js';
import { atOutside, atPod, echoFrom, ensureGateways, sendUntil, startNorthSouth, type NorthSouth } from './helpers.js';

const EGRESS_IP = '172.18.0.100';
let o: NorthSouth;
let pods: Map<string, OverlayPod>;
const pod = (name: string): OverlayPod => pods.get(name)!;

/** The nodes as Kubernetes would show them: labelled egress-assignable (hv1 only when asked), ready unless down. */
function nodes(o: NorthSouth, { hv1Assignable, down = [] }: { hv1Assignable: boolean; down?: string[] }): EgressNode[] {
  return o.lab.hypervisors.map((hv, i) => egressNodeOf({
    metadata: {
      name: hv.name,
      labels: i === 0 && !hv1Assignable ? {} : { [EGRESS_ASSIGNABLE_LABEL]: '' },
      annotations: { 'k8s.ovn.org/node-primary-ifaddr': JSON.stringify({ ipv4: o.uplinks[i].addresses[0] }) },
    },
    status: { conditions: [{ type: 'Ready', status: down.includes(hv.name) ? 'False' : 'True' }] },
  }));
}

const egressPods = () => [{ namespace: pod('a').namespace, name: 'a', ipAddresses: pod('a').ipAddresses }];

test.before(async () => {
  o = await startNorthSouth();
  await ensureGateways(o);
  pods = await addPods(o, [{ name: 'a', hv: 1 }, { name: 'a2', hv: 1 }, { name: 'b', hv: 2 }]);
  await waitForHypervisors(o.nb, { timeoutMs: 20_000 });
});
test.after.always(async () => { await o?.close(); });

test.serial('an egress IP outside every node\'s network is refused naming the field; nothing is written', async (t) => {
  const before = await o.lab.nbctl('show');
  const err = t.throws(() => assignEgressIPs({ name: 'eip-bad', egressIPs: ['192.0.2.10'] }, nodes(o, { hv1Assignable: true })), { instanceOf: OvnInvalidFieldError });
  t.is(err.field, 'spec.egressIPs[0]');
  t.regex(err.message, /egressip eip-bad: spec\.egressIPs\[0\]: outside every node's network/);
  const wrongNode = await t.throwsAsync(o.cluster.egressIPs.ensure({ name: 'eip-bad', egressIPs: ['10.1.1.1'], assignments: [{ node: 'hv2', egressIP: '10.1.1.1' }], pods: egressPods() }),
    { instanceOf: OvnInvalidFieldError });
  t.is(wrongNode.field, 'assignments[0].egressIP');
  t.is(await o.lab.nbctl('show'), before);
});

test.serial('hosted on hv2: pod a (hv1) leaves through hv2 with the egress IP; the reply comes back; ovn-trace shows the reroute', async (t) => {
  const a = pod('a');
  const outside = o.lab.outside!;
  const assignments = assignEgressIPs({ name: 'eip1', egressIPs: [EGRESS_IP] }, nodes(o, { hv1Assignable: false }));
  t.deepEqual(assignments, [{ node: 'hv2', egressIP: EGRESS_IP }]);
  const eip = await o.cluster.egressIPs.ensure({ name: 'eip1', egressIPs: [EGRESS_IP], assignments, pods: egressPods() });
  t.like(eip, { changed: true, assignments: [{ node: 'hv2', egressIP: EGRESS_IP }], pods: [{ namespace: a.namespace, name: 'a' }] });
  t.false((await o.cluster.egressIPs.ensure({ name: 'eip1', egressIPs: [EGRESS_IP], assignments, pods: egressPods() })).changed);
  t.regex(await o.lab.nbctl('lr-policy-list', 'ovn_cluster_router'), new RegExp(`100\\s+ip4\\.src == ${a.ip.replace(/\./g, '\\.')}\\s+reroute\\s+100\\.64\\.0\\.\\d+`));
  t.regex(await o.lab.nbctl('lr-nat-list', 'GR_hv2'), new RegExp(`snat\\s+${EGRESS_IP.replace(/\./g, '\\.')}\\s+${a.ip.replace(/\./g, '\\.')}`));
  await waitForHypervisors(o.nb, { timeoutMs: 20_000 });

  const seen = await sendUntil('a\'s echo with the egress IP', () => a.hv.inject(a.vif, echoFrom(o, a, outside.ipv4, 'a via eip')),
    atOutside(o, (f) => f.payload === 'a via eip' && f.icmpType === 8));
  t.like(seen, { srcIp: EGRESS_IP, dstIp: outside.ipv4, srcMac: o.uplinks[1].mac }, 'from hv2\'s gateway, with the egress IP');
  t.like(await waitFor('the reply at a', atPod(a, (f) => f.payload === 'a via eip' && f.icmpType === 0), 10_000), { srcIp: outside.ipv4, dstIp: a.ip });

  // a2 (same node, not selected) still leaves with hv1's node IP; a to b (pod to pod) is not rerouted.
  const a2 = pod('a2');
  const plain = await sendUntil('a2\'s echo', () => a2.hv.inject(a2.vif, echoFrom(o, a2, outside.ipv4, 'a2 plain')),
    atOutside(o, (f) => f.payload === 'a2 plain' && f.icmpType === 8));
  t.is(plain.srcIp, '172.18.0.11');
  const b = pod('b');
  await a.hv.inject(a.vif, echoFrom(o, a, b.ip, 'a to b'));
  t.like(await waitFor('a to b at b', atPod(b, (f) => f.payload === 'a to b'), 10_000), { srcIp: a.ip, dstIp: b.ip });

  const trace = await runCommand('ovn-trace', [`--db=${o.lab.sb.unix}`, '--ct=new', 'hv1',
    `inport == "${a.portName}" && eth.src == ${a.mac} && eth.dst == ${gatewayMac(o, a.hv)} && ip4.src == ${a.ip} && ip4.dst == ${outside.ipv4} && ip.ttl == 64 && icmp4.type == 8`]);
  t.log(trace.split('\n').filter((l) => /policy|reroute|ct_snat/.test(l)).join('\n'));
  t.regex(trace, new RegExp(`lr_in_policy[\\s\\S]*ip4\\.src == ${a.ip.replace(/\./g, '\\.')}`), 'the reroute policy matches a');
  t.regex(trace, new RegExp(`ct_snat\\(${EGRESS_IP.replace(/\./g, '\\.')}\\)`), 'GR_hv2 SNATs to the egress IP');
});

test.serial('a selected pod without an address yet is skipped; malformed pods, lists and addresses are refused naming the field, rows left as they were', async (t) => {
  const a = pod('a');
  const spec = (over: Record<string, unknown>): EgressIPSpec => ({ name: 'eip1', egressIPs: [EGRESS_IP], assignments: [{ node: 'hv2', egressIP: EGRESS_IP }], pods: egressPods(), ...over }) as EgressIPSpec;
  const rows = async () => [await o.lab.nbctl('lr-policy-list', 'ovn_cluster_router'), await o.lab.nbctl('lr-nat-list', 'GR_hv2'), await o.lab.nbctl('show')].join('\n');
  const before = await rows();
  t.regex(before, new RegExp(`ip4\\.src == ${a.ip.replace(/\./g, '\\.')}\\s+reroute`), 'eip1 reroutes a');
  // A pod the selectors pick before it has an address (absent or empty): skipped, as ovn-kubernetes skips it.
  const pending = { namespace: a.namespace, name: 'pending' };
  t.like(await o.cluster.egressIPs.ensure(spec({ pods: [...egressPods(), pending] })), { changed: false, pods: [{ name: 'a' }] });
  t.false((await o.cluster.egressIPs.ensure(spec({ pods: [...egressPods(), { ...pending, ipAddresses: [] }] }))).changed);
  const malformed: [string, Record<string, unknown>][] = [
    ['pods[1].ipAddresses', { pods: [...egressPods(), { ...pending, ipAddresses: '10.244.1.9/24' }] }],
    ['pods[1].ipAddresses[0]', { pods: [...egressPods(), { ...pending, ipAddresses: [42] }] }],
    ['pods[1].ipAddresses[0]', { pods: [...egressPods(), { ...pending, ipAddresses: ['10.244.1.999/24'] }] }],
    ['pods[0]', { pods: [null] }],
    ['pods', { pods: undefined }],
    ['assignments', { assignments: { node: 'hv2', egressIP: EGRESS_IP } }],
    ['assignments[0].egressIP', { assignments: [{ node: 'hv2' }] }],
    ['egressIPs[0]', { egressIPs: [null] }],
  ];
  for (const [field, over] of malformed) {
    const err = await t.throwsAsync(o.cluster.egressIPs.ensure(spec(over)), { instanceOf: OvnInvalidFieldError }, field);
    t.like(err, { code: 'OVN_INVALID_FIELD', object: 'egressip eip1', field }, field);
  }
  t.is(await rows(), before, 'eip1\'s reroute, SNAT and every other row as they were');
});

test.serial('failover: hv2 goes away, the egress IP moves to hv1; pod a leaves through hv1 with the same egress IP, the reply comes back', async (t) => {
  const a = pod('a');
  const outside = o.lab.outside!;
  await o.lab.hypervisors[1].kill('ovn-controller');
  await o.lab.hypervisors[1].kill('ovs-vswitchd');
  const current = o.cluster.egressIPs.get({ name: 'eip1' })!.assignments;
  t.deepEqual(assignEgressIPs({ name: 'eip1', egressIPs: [EGRESS_IP] }, nodes(o, { hv1Assignable: true }), current), current, 'kept while hv2 is up');
  const moved = assignEgressIPs({ name: 'eip1', egressIPs: [EGRESS_IP] }, nodes(o, { hv1Assignable: true, down: ['hv2'] }), current);
  t.deepEqual(moved, [{ node: 'hv1', egressIP: EGRESS_IP }]);
  await o.cluster.egressIPs.ensure({ name: 'eip1', egressIPs: [EGRESS_IP], assignments: moved, pods: egressPods() });
  t.is((await o.lab.nbctl('lr-nat-list', 'GR_hv2')).includes(EGRESS_IP), false, 'no longer SNATed on hv2');
  const seen = await sendUntil('a\'s echo through hv1', () => a.hv.inject(a.vif, echoFrom(o, a, outside.ipv4, 'a after failover')),
    atOutside(o, (f) => f.payload === 'a after failover' && f.icmpType === 8 && f.srcMac === o.uplinks[0].mac), 30_000);
  t.is(seen.srcIp, EGRESS_IP);
  // The outside host's neighbour entry for the egress IP follows (hv1's GARP for its NAT address, or a new ARP).
  const reply = await sendUntil('the reply at a after failover', () => a.hv.inject(a.vif, echoFrom(o, a, outside.ipv4, 'a after failover')),
    atPod(a, (f) => f.payload === 'a after failover' && f.icmpType === 0), 30_000);
  t.like(reply, { srcIp: outside.ipv4, dstIp: a.ip });
  t.log((await outside.exec('ip', ['neigh', 'show', EGRESS_IP])).trim());
  t.true((await outside.received()).map(readFrame).some((f) => f.arp?.senderIp === EGRESS_IP && f.arp.senderMac === o.uplinks[0].mac), 'hv1 announced or answered for the egress IP');

  t.true(await o.cluster.egressIPs.delete({ name: 'eip1' }));
  t.is((await o.lab.nbctl('lr-policy-list', 'ovn_cluster_router')).trim(), '', 'the last EgressIP took the no-reroute policies with it');
  t.deepEqual(o.cluster.egressIPs.list(), []);
});
