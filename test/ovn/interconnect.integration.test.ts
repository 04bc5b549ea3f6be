// The pod API's interconnect mode, ovn-kubernetes style, on the lab's two zones (no ovn-ic: the agent writes the
// transit switch, remote ports and remote chassis itself): a frame from a pod in az1 reaches a pod in az2 through
// the real ovn-controllers of hv1 and hv2, tunnelled on the transit switch's key to the remote node's port key,
// and ovn-trace in each zone shows the transit hop.
import test from 'ava';
import { startLab, type LabHypervisor, type LabZone } from '../../src/lab/index.js';
import { readTunnelFrame, udpFrame } from '../../src/lab/frames.js';
import { runCommand } from '../../src/lab/process.js';
import { openNorthbound, byName, type Northbound } from '../../src/ovn/northbound.js';
import { openSouthbound, type Southbound } from '../../src/ovn/southbound.js';
import { ClusterNetwork } from '../../src/ovn/cluster-network.js';
import type { PodNetwork } from '../../src/ovn/pods.js';
import { OvnInvalidFieldError } from '../../src/ovn/errors.js';
import { waitForPortsUp } from '../../src/ovn/wait-ports-up.js';
import { routerToSwitchPort } from '../../src/ovn/names.js';
import { ZoneInterconnect } from '../../src/ovn/interconnect.js';
import { TRANSIT_SWITCH, TRANSIT_SWITCH_TUNNEL_KEY } from '../../src/ovn/names.js';

const CLUSTER_SUBNET = '10.244.0.0/16';
const subnetOf = (hv: LabHypervisor) => `10.244.${hv.index}.0/24`;
/** Node ids as ovn-kubernetes' cluster manager hands them out (from 2 up). */
const nodeIdOf = (hv: LabHypervisor) => hv.index + 1;

interface Zone { lab: LabZone; hv: LabHypervisor; nb: Northbound; sb: Southbound; ic: ZoneInterconnect; pod: PodNetwork & { ip: string } }

/** One zone as an ovn-kubernetes IC zone controller makes it: its node, the other node as remote, one pod. */
async function buildZone(zone: LabZone, remote: LabHypervisor): Promise<Zone> {
  const hv = zone.hypervisors[0];
  const [nb, sb] = await Promise.all([openNorthbound(zone.nb.unix), openSouthbound(zone.sb.unix)]);
  const cluster = new ClusterNetwork(nb);
  await cluster.nodes.ensure({ name: hv.name, subnets: [subnetOf(hv)], chassis: hv.name, nodeIp: hv.encapIp, clusterSubnets: [CLUSTER_SUBNET] });
  const ic = new ZoneInterconnect(nb, sb);
  await ic.ensure({ name: hv.name, nodeId: nodeIdOf(hv) });
  await ic.ensure({ name: remote.name, nodeId: nodeIdOf(remote), remote: { subnets: [subnetOf(remote)], chassis: remote.name, encapIp: remote.encapIp } });
  const net = await cluster.pods.ensure({ namespace: 'default', name: `pod-${zone.name}`, node: hv.name, uid: `uid-${zone.name}` });
  const vif = await hv.addVif(`vif-${zone.name}`, { ifaceId: net.portName, mac: net.mac });
  // The pod API asks ovn-controller to claim the port only for this pod incarnation (options:iface-id-ver).
  await hv.vsctl('set', 'Interface', vif.name, `external_ids:iface-id-ver=uid-${zone.name}`);
  await waitForPortsUp(nb, [net.portName], { timeoutMs: 15_000 });
  return { lab: zone, hv, nb, sb, ic, pod: { ...net, ip: net.ipAddresses[0].split('/')[0] } };
}

test('interconnect mode: a pod in az1 reaches a pod in az2 across the transit switch; ovn-trace shows the hop in each zone', async (t) => {
  const lab = await startLab({ zones: { count: 2, ovnIc: false }, hypervisors: 2 });
  const closers: { close(): Promise<void> }[] = [];
  t.teardown(async () => { for (const c of closers) await c.close().catch(() => undefined); await lab.stop(); });
  const [hv1, hv2] = lab.hypervisors;
  const z1 = await buildZone(lab.zones[0], hv2);
  closers.push(z1.nb, z1.sb);
  const z2 = await buildZone(lab.zones[1], hv1);
  closers.push(z2.nb, z2.sb);
  await Promise.all(lab.zones.map((z) => z.nbctl('--wait=hv', 'sync')));

  // What each zone holds: its own node's router port on the transit switch, the other node as a remote port.
  t.deepEqual(z1.ic.list(), [
    { name: 'hv1', nodeId: 2, remote: false, transitAddress: '100.88.0.2/16' },
    { name: 'hv2', nodeId: 3, remote: true, transitAddress: '100.88.0.3/16' },
  ]);
  t.regex(await lab.zones[0].sbctl('--bare', '--columns=other_config', 'find', 'Chassis', 'name=hv2'), /is-remote=true/);
  // Idempotent: ensuring the same again sends nothing.
  t.false((await z1.ic.ensure({ name: 'hv1', nodeId: 2 })).changed);
  t.false((await z1.ic.ensure({ name: 'hv2', nodeId: 3, remote: { subnets: [subnetOf(hv2)], chassis: 'hv2', encapIp: hv2.encapIp } })).changed);
  t.deepEqual(z1.ic.get({ name: 'hv2' }), { name: 'hv2', nodeId: 3, remote: true, transitAddress: '100.88.0.3/16' });

  const gatewayMac = (z: Zone) => byName(z.nb, 'Logical_Router_Port', routerToSwitchPort(z.hv.name))!.mac;
  const frame = udpFrame({ srcMac: z1.pod.mac, dstMac: gatewayMac(z1), srcIp: z1.pod.ip, dstIp: z2.pod.ip, payload: 'az1 to az2' });
  const isOurs = (f: Uint8Array) => f.length === frame.length && Buffer.from(f.subarray(42)).toString() === 'az1 to az2';
  let delivered: Uint8Array | undefined;
  const deadline = Date.now() + 20_000;
  while (!delivered && Date.now() < deadline) {
    await hv1.inject(`vif-${z1.lab.name}`, frame);
    delivered = await hv2.waitTransmitted(`vif-${z2.lab.name}`, isOurs, 300).catch(() => undefined);
  }
  t.truthy(delivered, 'hv2 delivered the frame to the pod in az2');
  const hex = (mac: string) => mac.replaceAll(':', '');
  t.is(Buffer.from(delivered!.subarray(0, 6)).toString('hex'), hex(z2.pod.mac));
  t.is(Buffer.from(delivered!.subarray(6, 12)).toString('hex'), hex(gatewayMac(z2)), 'az2\'s cluster router sent it last');
  t.is(delivered![22], 62, 'routed twice: az1\'s cluster router, then az2\'s');

  // On the wire: Geneve from hv1 to hv2 on the transit switch's key, to the egress port key of tstor-hv2 (its node id).
  const tunnel = (await hv1.transmitted(hv1.wirePort)).map(readTunnelFrame)
    .find((f) => f !== undefined && Buffer.from(f.inner.subarray(42)).toString() === 'az1 to az2');
  t.truthy(tunnel);
  t.is(tunnel!.dstIp, hv2.encapIp);
  t.is(tunnel!.vni, TRANSIT_SWITCH_TUNNEL_KEY);
  const o = tunnel!.options;
  t.is((o[6] << 8) | o[7], nodeIdOf(hv2), 'egress port: tstor-hv2, keyed by hv2\'s node id in both zones');

  // ovn-trace in az1: from the pod through the cluster router onto the transit switch, out of the remote port.
  const trace1 = await runCommand('ovn-trace', [`--db=${lab.zones[0].sb.unix}`, '--no-leader-only', hv1.name,
    `inport == "${z1.pod.portName}" && eth.src == ${z1.pod.mac} && eth.dst == ${gatewayMac(z1)} && ip4.src == ${z1.pod.ip} && ip4.dst == ${z2.pod.ip} && ip.ttl == 64 && udp`]);
  t.regex(trace1, new RegExp(`ingress\\(dp="${TRANSIT_SWITCH}"`));
  t.regex(trace1, /output to "tstor-hv2"/);
  // ovn-trace in az2: arriving from hv1's remote port on the transit switch, on to the pod.
  // Addressed as az1's rtots-hv1 (0a:58 + 100.88.0.2) sends it to az2's rtots-hv2 (0a:58 + 100.88.0.3).
  const trace2 = await runCommand('ovn-trace', [`--db=${lab.zones[1].sb.unix}`, '--no-leader-only', TRANSIT_SWITCH,
    `inport == "tstor-hv1" && eth.src == 0a:58:64:58:00:02 && eth.dst == 0a:58:64:58:00:03 && ip4.src == ${z1.pod.ip} && ip4.dst == ${z2.pod.ip} && ip.ttl == 63 && udp`]);
  t.regex(trace2, new RegExp(`ingress\\(dp="${TRANSIT_SWITCH}", inport="tstor-hv1"\\)`));
  t.regex(trace2, new RegExp(`output to "${z2.pod.portName}"`));
  t.log(trace2.split('\n').filter((l) => /^(ingress|egress)|output to/.test(l.trim())).join('\n'));

  // Bad input is refused before anything is sent.
  await t.throwsAsync(z1.ic.ensure({ name: 'hv9', nodeId: 0 }), { instanceOf: OvnInvalidFieldError, message: /nodeId/ });
  await t.throwsAsync(z1.ic.ensure({ name: 'hv9', nodeId: 9, remote: { subnets: [], chassis: 'hv9', encapIp: 'nowhere' } }), { instanceOf: OvnInvalidFieldError, message: /encapIp/ });
  t.is(z1.ic.get({ name: 'hv9' }), undefined, 'nothing was written');

  // sync with only the local node left removes the remote one: its port, routes and remote chassis.
  t.deepEqual(await z1.ic.sync([{ name: 'hv1' }]), [{ name: 'hv2' }]);
  t.deepEqual(z1.ic.list().map((n) => n.name), ['hv1']);
  t.is((await lab.zones[0].sbctl('--bare', '--columns=name', 'find', 'Chassis', 'name=hv2')).trim(), '');
  t.false(await z1.ic.delete({ name: 'hv2' }), 'nothing left to delete');
});
