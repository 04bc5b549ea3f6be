// Multicast with real frames: the cluster with `multicast: true` (mcast_relay on ovn_cluster_router, snooping and
// querier on the node switches), denied by default (a pod's IGMP join never reaches ovn-controller: no IGMP_Group in
// the Southbound database; ovn-trace drops its multicast at the 1011 ACL; a datagram reaches no pod while a unicast
// marker sent after it does), allowed in a namespace by OvnMulticast (the join becomes an IGMP_Group ovn-controller
// writes, and a pod's multicast datagram reaches the joined pod of the namespace on the same node, and, across the
// Geneve tunnel, the pod that joined on hv2: routed by the cluster router's relay, TTL 63, from rtos-hv2's MAC; the
// same over IPv6 after the pod's MLDv2 report); a pod of another namespace stays denied; denied again once the
// namespace no longer allows it.
import test from 'ava';
import { ClusterNetwork, multicastEnabled, waitForHypervisors, MULTICAST_ENABLED_ANNOTATION } from '../../src/index.js';
import { igmpReport, mldv2Report, multicastMac, readFrame, udpDatagram } from '../../src/lab/index.js';
import { linkLocalFromMac } from '../../src/ovn/mac.js';
import { runCommand, waitFor } from '../../src/lab/process.js';
import { bindOverlayPod, gatewayMac, nodeSubnet, startOverlay, CLUSTER_SUBNET, type Overlay, type OverlayPod } from '../overlay/helpers.js';
import { waitForPortsUp } from '../../src/index.js';

const GROUP = '239.1.1.1';
/** An IPv6 group with the T flag (ff3e: transient, global scope): ovn-kubernetes' ACLs let only dynamic groups through. */
const GROUP6 = 'ff3e::4321:1234';
const CLUSTER_SUBNET6 = 'fd00:10:244::/48';
let o: Overlay;
let net: ClusterNetwork;
const pods = new Map<string, OverlayPod>();
const pod = (name: string): OverlayPod => pods.get(name)!;

async function addPod(name: string, namespace: string, hvIndex: number): Promise<void> {
  const hv = o.lab.hypervisors[hvIndex - 1];
  const uid = `uid-${name}`;
  const p = await net.pods.ensure({ namespace, name, node: hv.name, uid });
  const vif = await bindOverlayPod(o, { ...p, uid }, hv);
  pods.set(name, { ...p, hv, vif, ip: p.ipAddresses[0].split('/')[0] });
}

const join = (p: OverlayPod) => p.hv.inject(p.vif, igmpReport({ srcMac: p.mac, srcIp: p.ip, group: GROUP }));
const datagram = (p: OverlayPod, payload: string) => p.hv.inject(p.vif, udpDatagram({ srcMac: p.mac, dstMac: multicastMac(GROUP), srcIp: p.ip, dstIp: GROUP, srcPort: 5000, dstPort: 5001, payload }));
const v6 = (p: OverlayPod): string => p.ipAddresses[1].split('/')[0];
const datagram6 = (p: OverlayPod, payload: string) => p.hv.inject(p.vif, udpDatagram({ srcMac: p.mac, dstMac: multicastMac(GROUP6), srcIp: v6(p), dstIp: GROUP6, srcPort: 5000, dstPort: 5001, payload }));
/** A unicast datagram to `to` through the cluster router: the marker that frames sent before it had their chance. */
const unicast = (p: OverlayPod, to: OverlayPod, payload: string) =>
  p.hv.inject(p.vif, udpDatagram({ srcMac: p.mac, dstMac: gatewayMac(o, p.hv), srcIp: p.ip, dstIp: to.ip, srcPort: 5000, dstPort: 5002, payload }));
const groups = async (): Promise<string> => o.lab.sbctl('--bare', '--columns=address', 'list', 'IGMP_Group');
/** The IGMP_Group rows of a group (GROUP unless told) as `<datapath's name>@<chassis name>`. */
const groupRows = async (group = GROUP): Promise<string[]> => {
  const name = async (table: string, uuid: string, column: string) => (await o.lab.sbctl('--bare', `--columns=${column}`, 'list', table, uuid)).trim();
  const rows = (await o.lab.sbctl('--bare', '--columns=datapath,chassis', 'find', 'IGMP_Group', `address="${group}"`)).trim().split('\n\n').filter((r) => r !== '');
  return Promise.all(rows.map(async (r) => {
    const [datapath, chassis] = r.split('\n');
    return `${(await name('Datapath_Binding', datapath, 'external_ids')).match(/name=(\w+)/)?.[1]}@${await name('Chassis', chassis, 'name')}`;
  }));
};
const frames = async (p: OverlayPod, payload: string) => (await p.hv.transmitted(p.vif)).map(readFrame).filter((f) => f.payload === payload);
const received = async (p: OverlayPod, payload: string): Promise<boolean> => (await frames(p, payload)).length > 0;

test.before(async () => {
  o = await startOverlay(2);
  // Dual-stack, so the namespace ACLs match MLD and IPv6 groups too and the node switches get mcast_ip6_src.
  net = new ClusterNetwork(o.nb, { multicast: true, clusterSubnets: [CLUSTER_SUBNET, CLUSTER_SUBNET6] });
  await net.ensureCluster();
  for (const hv of o.lab.hypervisors) {
    await net.nodes.ensure({ name: hv.name, subnets: [nodeSubnet(hv), `fd00:10:244:${hv.index}::/64`], chassis: hv.name, clusterSubnets: [CLUSTER_SUBNET, CLUSTER_SUBNET6] });
  }
  await addPod('sender', 'mc', 1);
  await addPod('receiver', 'mc', 1);
  await addPod('outsider', 'other', 1);
  await addPod('remote', 'mc', 2);
  await waitForPortsUp(o.nb, [...pods.values()].map((p) => p.portName), { timeoutMs: 15_000 });
});
test.after.always(async () => { await o?.close(); });

test.serial('multicast: true sets mcast_relay on the cluster router and snooping/querier on the node switches, as ovn-kubernetes', async (t) => {
  t.is((await o.lab.nbctl('get', 'Logical_Router', 'ovn_cluster_router', 'options:mcast_relay')).trim(), '"true"');
  const cfg = await o.lab.nbctl('get', 'Logical_Switch', 'hv1', 'other_config');
  for (const expected of ['mcast_snoop="true"', 'mcast_querier="true"', 'mcast_ip4_src="10.244.1.1"', 'mcast_eth_src="0a:58:0a:f4:01:01"', `mcast_ip6_src="${linkLocalFromMac('0a:58:0a:f4:01:01')}"`]) t.true(cfg.includes(expected), expected);
  t.true(multicastEnabled({ metadata: { annotations: { [MULTICAST_ENABLED_ANNOTATION]: 'true' } } }));
  t.false(multicastEnabled({ metadata: {} }));
});

test.serial('denied by default: a join never becomes an IGMP_Group; ovn-trace drops the datagram at the 1011 ACL', async (t) => {
  t.true((await net.multicast.ensureCluster()).changed);
  t.false((await net.multicast.ensureCluster()).changed, 'ensured again: nothing sent');
  await waitForHypervisors(o.nb, { timeoutMs: 20_000 });
  for (let i = 0; i < 3; i++) { await join(pod('receiver')); await join(pod('remote')); }
  // Frames: the datagram reaches neither member; the unicast marker sent after it crosses to hv2.
  await datagram(pod('sender'), 'denied by default');
  await waitFor('the marker at remote', async () => { await unicast(pod('sender'), pod('remote'), 'marker denied'); return (await received(pod('remote'), 'marker denied')) || undefined; }, 20_000);
  t.false(await received(pod('remote'), 'denied by default'), 'no multicast reached the pod on hv2');
  t.false(await received(pod('receiver'), 'denied by default'), 'no multicast reached the pod on hv1');
  t.false((await groups()).includes(GROUP), 'no IGMP_Group for the group (only the relay\'s mrouters entries): the report was dropped before ovn-controller');
  const s = pod('sender');
  const trace = await runCommand('ovn-trace', [`--db=${o.lab.sb.unix}`, 'hv1',
    `inport == "${s.portName}" && eth.src == ${s.mac} && eth.dst == ${multicastMac(GROUP)} && ip4.src == ${s.ip} && ip4.dst == ${GROUP} && ip.ttl == 64 && udp && udp.dst == 5001`]);
  t.regex(trace, /ls_in_acl[^\n]*priority 2011[\s\S]*?drop;/, 'the default deny (1011, +1000 in the SB) drops it');
});

test.serial('allowed in namespace mc: the join becomes an IGMP_Group and the datagram reaches the receiver; the other namespace stays denied', async (t) => {
  const info = await net.multicast.ensure({ name: 'mc' });
  t.like(info, { changed: true, name: 'mc', ports: 3 });
  t.false((await net.multicast.ensure({ name: 'mc' })).changed);
  await waitForHypervisors(o.nb, { timeoutMs: 20_000 });
  await waitFor('the IGMP_Group of the receiver\'s join', async () => { await join(pod('receiver')); return (await groups()).includes(GROUP) || undefined; }, 20_000);
  await join(pod('outsider'));
  await waitFor('the datagram at the receiver', async () => { await datagram(pod('sender'), 'to the group'); return (await received(pod('receiver'), 'to the group')) || undefined; }, 20_000);
  t.false(await received(pod('outsider'), 'to the group'), 'the other namespace\'s pod (its join dropped) got nothing');
  await datagram(pod('outsider'), 'from outside the namespace');
  await datagram(pod('sender'), 'marker after');
  await waitFor('the marker', async () => (await received(pod('receiver'), 'marker after')) || undefined, 10_000);
  t.false(await received(pod('receiver'), 'from outside the namespace'), 'multicast from another namespace is not let in');
});

test.serial('across nodes: a datagram from hv1 reaches the pod that joined on hv2, routed by the cluster router\'s relay through the tunnel', async (t) => {
  const [sender, remote] = [pod('sender'), pod('remote')];
  await waitFor('the IGMP_Group hv2\'s ovn-controller writes for the remote pod\'s join', async () => {
    await join(remote);
    return (await groupRows()).includes('hv2@hv2') || undefined;
  }, 20_000);
  const [seen] = await waitFor('the datagram at remote', async () => {
    await datagram(sender, 'to hv2');
    const got = await frames(remote, 'to hv2');
    return got.length > 0 ? got : undefined;
  }, 20_000);
  t.like(seen, { srcIp: sender.ip, dstIp: GROUP, dstMac: multicastMac(GROUP), dstPort: 5001, checksumOk: true });
  t.is(seen.srcMac, gatewayMac(o, remote.hv), 'sent by the cluster router\'s port on hv2 (routed, not switched)');
  t.is(seen.ttl, 63, 'one routing hop: ip.ttl--');
  const trace = await runCommand('ovn-trace', [`--db=${o.lab.sb.unix}`, 'hv1',
    `inport == "${sender.portName}" && eth.src == ${sender.mac} && eth.dst == ${multicastMac(GROUP)} && ip4.src == ${sender.ip} && ip4.dst == ${GROUP} && ip.ttl == 64 && udp && udp.dst == 5001`]);
  t.regex(trace, /outport = "_MC_mrouter_flood"/, 'hv1\'s switch floods the group to its multicast router port (the relay)');
  t.regex(trace, new RegExp(`lr_in_ip_routing[^\\n]*ip4\\.dst == ${GROUP.replace(/\./g, '\\.')}[^\\n]*\\n\\s*outport = "${GROUP.replace(/\./g, '\\.')}";\\s*ip\\.ttl--;`), 'the cluster router routes it to the group\'s ports');
  t.regex(trace, new RegExp(`output to "${remote.portName}"`), 'hv2\'s switch delivers it to the joined pod');
});

test.serial('IPv6 across nodes: an MLDv2 report of a pod on hv2 becomes an IGMP_Group, and a datagram from hv1 to the group reaches it, routed by the relay', async (t) => {
  const [sender, remote] = [pod('sender'), pod('remote')];
  // MLD comes from the link-local address (what OVN's mldv1/mldv2 predicates and port security expect).
  await waitFor('the IGMP_Group hv2\'s ovn-controller writes for the remote pod\'s MLDv2 report', async () => {
    await remote.hv.inject(remote.vif, mldv2Report({ srcMac: remote.mac, srcIp: linkLocalFromMac(remote.mac), group: GROUP6 }));
    return (await groupRows(GROUP6)).includes('hv2@hv2') || undefined;
  }, 20_000);
  const [seen] = await waitFor('the IPv6 datagram at remote', async () => {
    await datagram6(sender, 'to hv2 over IPv6');
    const got = await frames(remote, 'to hv2 over IPv6');
    return got.length > 0 ? got : undefined;
  }, 20_000);
  t.like(seen, { family: 6, srcIp: v6(sender), dstIp: GROUP6, dstMac: multicastMac(GROUP6), dstPort: 5001, checksumOk: true });
  t.is(seen.srcMac, gatewayMac(o, remote.hv), 'sent by the cluster router\'s port on hv2 (routed, not switched)');
  t.is(seen.ttl, 63, 'one routing hop: the hop limit decremented');
});

test.serial('disallowed again: the datagram to hv2 is dropped while a unicast marker after it arrives; then every multicast row goes', async (t) => {
  const [sender, remote] = [pod('sender'), pod('remote')];
  t.deepEqual(net.multicast.list().map((m) => m.name), ['mc']);
  t.true(await net.multicast.delete({ name: 'mc' }));
  await waitForHypervisors(o.nb, { timeoutMs: 20_000 });
  await datagram(sender, 'after delete');
  await datagram6(sender, 'after delete over IPv6');
  await waitFor('the marker at remote', async () => { await unicast(sender, remote, 'marker after delete'); return (await received(remote, 'marker after delete')) || undefined; }, 20_000);
  t.false(await received(remote, 'after delete'), 'the default deny drops it again at the sender\'s port');
  t.false(await received(remote, 'after delete over IPv6'), 'and the IPv6 one to the group remote joined by MLD');
  t.deepEqual(net.multicast.list(), []);
  t.true(await net.multicast.disable());
  t.is((await o.lab.nbctl('--bare', '--columns=name', 'find', 'Port_Group', 'name=clusterPortGroup')).trim(), '');
});
