// Services north-south with real frames: two hypervisors with their gateways (br-ex made by the node API, GR_<node>
// with its external switch by OvnGateways) and the outside host on the underlay. A NodePort is reached from outside
// on each node's address: with externalTrafficPolicy Cluster GR_<node> balances to a pod on any node and SNATs the
// client to its own address; with Local it balances only to the node's own pods and keeps the client's address, and
// a node without one rejects (ICMP port unreachable to the client, nothing reaches a pod).
// Not proven here: the reply of a SNATed NodePort connection. On the lab's userspace datapath (OVS 3.1) the
// gateway router's egress ct_dnat + ct_commit of the DNATed request in its DNAT zone renumbers the source port
// (seen in dpctl/dump-conntrack), and the reply then leaves un-SNATed but not un-DNATed; kernel conntrack does
// not do this.
import test from 'ava';
import { waitForHypervisors } from '../../src/index.js';
import { readFrame, udpDatagram, type FrameView } from '../../src/lab/index.js';
import { waitFor } from '../../src/lab/process.js';
import type { ServiceSpec } from '../../src/ovn/service-spec.js';
import { NAMESPACE, addPods, type OverlayPod } from '../overlay/helpers.js';
import { ensureGateways, startNorthSouth, type NorthSouth } from '../gateway/helpers.js';

let o: NorthSouth;
let pods: Map<string, OverlayPod>;
const pod = (name: string): OverlayPod => pods.get(name) as OverlayPod;
const nodeIp = (i: number): string => o.uplinks[i].addresses[0].split('/')[0];

test.before(async () => {
  o = await startNorthSouth(2);
  await ensureGateways(o);
  pods = await addPods(o, [{ name: 'a', hv: 1 }, { name: 'b', hv: 2 }]);
  await waitForHypervisors(o.nb, { timeoutMs: 20_000 });
});
test.after.always(async () => { await o?.close(); });

/** Every node as a Service sees it: its address on the outside network is its NodePort address. */
const serviceNodes = (): { name: string; addresses: string[] }[] => o.lab.hypervisors.map((hv, i) => ({ name: hv.name, addresses: [nodeIp(i)] }));

async function ensure(spec: ServiceSpec): Promise<void> {
  await o.net.services.ensure(spec);
  await o.lab.nbctl('--wait=hv', 'sync');
}

const atOutside = (match: (f: FrameView) => boolean) => async () => (await o.lab.outside!.received()).map(readFrame).find(match);
const atPod = (p: OverlayPod, match: (f: FrameView) => boolean) => async () => (await p.hv.transmitted(p.vif)).map(readFrame).find(match);

/** A datagram from the outside host to node `i`'s address (to its MAC on the outside network). */
function fromOutside(i: number, dstPort: number, srcPort: number, payload: string): Uint8Array {
  const outside = o.lab.outside!;
  return udpDatagram({ srcMac: outside.mac, dstMac: o.uplinks[i].mac, srcIp: outside.ipv4, dstIp: nodeIp(i), srcPort, dstPort, payload });
}

/** Sends until `found` sees the result (a first frame may wait for ARP in OVN's buffer); 20 s at most. */
async function sendUntil<T>(what: string, send: () => Promise<void>, found: () => Promise<T | undefined>): Promise<T> {
  return waitFor(what, async () => { await send(); return waitFor(what, found, 2000).catch(() => undefined); }, 20_000);
}

const endpoint = (p: OverlayPod) => ({ ip: p.ip, port: 5353, node: p.node, pod: { namespace: NAMESPACE, name: p.name } });

test.serial('NodePort from outside, externalTrafficPolicy Cluster: node2 balances to a pod on node1, the client SNATed to GR_node2', async (t) => {
  const a = pod('a');
  const outside = o.lab.outside!;
  await ensure({ namespace: NAMESPACE, name: 'np', clusterIPs: ['10.96.0.40'], nodes: serviceNodes(), ports: [{ protocol: 'UDP', port: 53, nodePort: 30053, endpoints: [endpoint(a)] }] });
  const got = await sendUntil('the datagram at pod a', () => outside.inject(fromOutside(1, 30053, 46101, 'outside to node2')),
    atPod(a, (f) => f.payload === 'outside to node2'));
  t.like(got, { dstIp: a.ip, dstPort: 5353, dstMac: a.mac, checksumOk: true });
  t.not(got.srcIp, outside.ipv4, 'the client is SNATed (lb_force_snat_ip=router_ip)');
  t.regex(got.srcIp ?? '', /^100\.64\.0\.\d+$/, 'to GR_hv2\'s join address');
});

test.serial('NodePort from outside, externalTrafficPolicy Local: node1 balances to its own pod and keeps the client address; node2 (no local pod) rejects', async (t) => {
  const [a, b] = [pod('a'), pod('b')];
  const outside = o.lab.outside!;
  await ensure({
    namespace: NAMESPACE, name: 'np', clusterIPs: ['10.96.0.40'], externalTrafficPolicy: 'Local', nodes: serviceNodes(),
    ports: [{ protocol: 'UDP', port: 53, nodePort: 30053, endpoints: [endpoint(a)] }],
  });
  const got = await sendUntil('the datagram at pod a', () => outside.inject(fromOutside(0, 30053, 46202, 'outside to node1, local')),
    atPod(a, (f) => f.payload === 'outside to node1, local'));
  // (The source port is not checked: the userspace datapath's conntrack may renumber it, see the file comment.)
  t.like(got, { srcIp: outside.ipv4, dstIp: a.ip, dstPort: 5353, checksumOk: true }, 'skip_snat: the client\'s own address');

  const before = (await a.hv.transmitted(a.vif)).length + (await b.hv.transmitted(b.vif)).length;
  const unreachable = await sendUntil('node2\'s ICMP port unreachable', () => outside.inject(fromOutside(1, 30053, 46303, 'outside to node2, local')),
    atOutside((f) => f.protocol === 1 && f.icmpType === 3 && f.srcIp === nodeIp(1)));
  t.like(unreachable, { dstIp: outside.ipv4, icmpType: 3, icmpCode: 3 });
  const after = [...await a.hv.transmitted(a.vif), ...await b.hv.transmitted(b.vif)].map(readFrame);
  t.false(after.some((f) => f.payload === 'outside to node2, local'), 'no pod got it');
  t.true(after.length >= before);
});
