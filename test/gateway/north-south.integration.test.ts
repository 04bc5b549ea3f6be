// North-south through each node's gateway, with real frames: two hypervisors and the outside host (its kernel
// answers), the nodes' br-ex made by the node API (ensureGatewayBridge: the lab's uplink as the physical port,
// ovn-bridge-mappings physnet:br-ex), the gateways by OvnGateways from what ovn-kubernetes' l3-gateway-config says.
// Pod egress reaches the outside host SNATed to the node IP and its reply reaches the pod; a destination beyond the
// outside host goes by the default route; without SNAT (disable-snat-multiple-gws) the pod IP goes out, and per-pod
// SNAT puts the node IP back; the management port's host side (a tap: the device a userspace datapath makes for an
// internal interface) answers pods from the node's kernel.
import test from 'ava';
import {
  OvnInvalidFieldError, OvnNotFoundError, byName, ensureManagementPort, gatewaySpecFromNode, managementPortHostPlan,
  runHostPlan, waitForHypervisors, L3_GATEWAY_CONFIG_ANNOTATION,
} from '../../src/index.js';
import { runCommand, waitFor } from '../../src/lab/process.js';
import { addPods, gatewayMac, type OverlayPod } from '../overlay/helpers.js';
import { CLUSTER, annotatedNode, atOutside, atPod, echoFrom, sendUntil, startNorthSouth, type NorthSouth } from './helpers.js';

let o: NorthSouth;
let pods: Map<string, OverlayPod>;
const pod = (name: string): OverlayPod => pods.get(name)!;

test.before(async () => { o = await startNorthSouth(); });
test.after.always(async () => { await o?.close(); });

test.serial('the gateways from the nodes\' l3-gateway-config: ext_<node>, localnet br-ex_<node>, rtoe/etor, routes, SNAT, GR options', async (t) => {
  for (let i = 0; i < 2; i++) {
    const spec = gatewaySpecFromNode(annotatedNode(o, i), { clusterSubnets: [CLUSTER] })!;
    const hv = o.lab.hypervisors[i];
    const first = await o.net.gateways.ensure(spec);
    t.true(first.changed);
    t.like(first, {
      name: hv.name, gatewayRouter: `GR_${hv.name}`, externalSwitch: `ext_${hv.name}`, interfaceId: `br-ex_${hv.name}`, physicalNetwork: 'physnet',
      macAddress: o.uplinks[i].mac, ipAddresses: [o.uplinks[i].addresses[0]], nextHops: ['172.18.0.1'], snatSubnets: [CLUSTER],
    });
    t.false((await o.net.gateways.ensure(spec)).changed, 'ensured again: nothing sent');
  }
  const show = await o.lab.nbctl('show', 'ext_hv1');
  t.regex(show, /port br-ex_hv1\s+type: localnet\s+addresses: \["unknown"\]/);
  t.regex(show, /port etor-GR_hv1\s+type: router\s+addresses: \["02:00:ac:12:00:0b"\]\s+router-port: rtoe-GR_hv1/);
  t.regex(await o.lab.nbctl('lr-route-list', 'GR_hv1'), /0\.0\.0\.0\/0\s+172\.18\.0\.1 dst-ip rtoe-GR_hv1/);
  t.regex(await o.lab.nbctl('lr-nat-list', 'GR_hv1'), new RegExp(`snat\\s+172\\.18\\.0\\.11\\s+${CLUSTER.replace(/[./]/g, '\\$&')}`));
  t.is((await o.lab.nbctl('get', 'Logical_Router', 'GR_hv1', 'options:lb_force_snat_ip')).trim(), 'router_ip');
  t.is((await o.lab.nbctl('get', 'Logical_Router', 'GR_hv1', 'options:chassis')).trim(), 'hv1', 'the node\'s chassis option stays');
  t.is((await o.lab.hypervisors[0].vsctl('get', 'Open_vSwitch', '.', 'external_ids:ovn-bridge-mappings')).trim(), '"physnet:br-ex"');
  // nodes.ensure again leaves the gateway's router options alone.
  t.false((await o.net.nodes.ensure({ name: 'hv1', subnets: ['10.244.1.0/24'], chassis: 'hv1', clusterSubnets: [CLUSTER] })).changed);
  pods = await addPods(o, [{ name: 'a', hv: 1 }, { name: 'b', hv: 2 }]);
  await waitForHypervisors(o.nb, { timeoutMs: 20_000 });
});

test.serial('pod egress reaches the outside host SNATed to its node IP (capture), and the kernel\'s reply reaches the pod', async (t) => {
  const a = pod('a');
  const outside = o.lab.outside!;
  const seen = await sendUntil('a\'s echo at the outside host', () => a.hv.inject(a.vif, echoFrom(o, a, outside.ipv4, 'a to outside')),
    atOutside(o, (f) => f.payload === 'a to outside' && f.icmpType === 8));
  t.like(seen, { srcIp: '172.18.0.11', dstIp: outside.ipv4, srcMac: o.uplinks[0].mac, dstMac: outside.mac, ttl: 62, checksumOk: true });
  const reply = await waitFor('the reply at pod a', atPod(a, (f) => f.payload === 'a to outside' && f.icmpType === 0), 10_000);
  t.like(reply, { srcIp: outside.ipv4, dstIp: a.ip, dstMac: a.mac, srcMac: gatewayMac(o, a.hv), checksumOk: true });
});

test.serial('a destination beyond the outside host goes by the default route (its MAC), from hv2 SNATed to hv2\'s IP; ovn-trace names ct_snat', async (t) => {
  const b = pod('b');
  const outside = o.lab.outside!;
  const remote = outside.remote[0];
  const seen = await sendUntil('b\'s echo to the remote address', () => b.hv.inject(b.vif, echoFrom(o, b, remote, 'b to remote')),
    atOutside(o, (f) => f.payload === 'b to remote' && f.icmpType === 8));
  t.like(seen, { srcIp: '172.18.0.12', dstIp: remote, dstMac: outside.mac, srcMac: o.uplinks[1].mac });
  t.like(await waitFor('the reply at pod b', atPod(b, (f) => f.payload === 'b to remote' && f.icmpType === 0), 10_000), { srcIp: remote, dstIp: b.ip });
  const a = pod('a');
  const trace = await runCommand('ovn-trace', [`--db=${o.lab.sb.unix}`, '--ct=new', 'hv1',
    `inport == "${a.portName}" && eth.src == ${a.mac} && eth.dst == ${gatewayMac(o, a.hv)} && ip4.src == ${a.ip} && ip4.dst == ${remote} && ip.ttl == 64 && icmp4.type == 8`]);
  t.regex(trace, /ct_snat\(172\.18\.0\.11\)/, 'GR_hv1 SNATs a\'s egress to the node IP');
  t.regex(trace, /output to "br-ex_hv1"|outport = "br-ex_hv1"/, 'out of the localnet port');
});

test.serial('disable-snat-multiple-gws: the pod IP goes out (and comes back through a route on the outside host); per-pod SNAT restores the node IP', async (t) => {
  const b = pod('b');
  const outside = o.lab.outside!;
  await o.net.gateways.ensure({ ...gatewaySpecFromNode(annotatedNode(o, 1), { clusterSubnets: [CLUSTER], disableSnatMultipleGws: true })! });
  t.deepEqual(o.net.gateways.get({ name: 'hv2' })?.snatSubnets, []);
  await outside.addRoute(CLUSTER, '172.18.0.12');
  await waitForHypervisors(o.nb, { timeoutMs: 20_000 });
  const raw = await sendUntil('b\'s echo unSNATed', () => b.hv.inject(b.vif, echoFrom(o, b, outside.ipv4, 'b unsnatted')),
    atOutside(o, (f) => f.payload === 'b unsnatted' && f.icmpType === 8));
  t.is(raw.srcIp, b.ip, 'the outside host sees the pod IP');
  t.like(await waitFor('the reply at b', atPod(b, (f) => f.payload === 'b unsnatted' && f.icmpType === 0), 10_000), { dstIp: b.ip });

  const snat = await o.net.podSnats.ensure({ namespace: b.namespace, name: b.name, node: 'hv2', ipAddresses: b.ipAddresses });
  t.deepEqual(snat.snat, [{ logicalIp: b.ip, externalIp: '172.18.0.12' }]);
  t.false((await o.net.podSnats.ensure({ namespace: b.namespace, name: b.name, node: 'hv2', ipAddresses: b.ipAddresses })).changed);
  await waitForHypervisors(o.nb, { timeoutMs: 20_000 });
  const natted = await sendUntil('b\'s echo per-pod SNATed', () => b.hv.inject(b.vif, echoFrom(o, b, outside.ipv4, 'b per-pod snat')),
    atOutside(o, (f) => f.payload === 'b per-pod snat' && f.icmpType === 8));
  t.is(natted.srcIp, '172.18.0.12');
  t.deepEqual(o.net.podSnats.list().map((p) => p.name), ['b']);
  t.true(await o.net.podSnats.delete({ namespace: b.namespace, name: b.name }));
  t.deepEqual(await o.net.podSnats.sync([]), []);
});

test.serial('the management port: OVS side bound to k8s-hv1, host side (address, routes, neighbour) in hv1\'s kernel answers pods', async (t) => {
  const hv1 = o.lab.hypervisors[0];
  const mac = byName(o.nb, 'Logical_Switch_Port', 'k8s-hv1')!.addresses[0].split(' ')[0];
  const port = await ensureManagementPort(o.ovs[0], { node: 'hv1', mac, interfaceType: 'tap', mtu: 1400 });
  t.like(port, { ifaceId: 'k8s-hv1', interfaceName: 'ovn-k8s-mp0', created: true });
  t.false((await ensureManagementPort(o.ovs[0], { node: 'hv1', mac, interfaceType: 'tap', mtu: 1400 })).changed);
  const plan = managementPortHostPlan({ mac, mtu: 1400, subnets: ['10.244.1.0/24'], routes: [CLUSTER] });
  await runHostPlan(plan, (program, args) => runCommand('ip', ['netns', 'exec', hv1.netns, program, ...args]));
  t.regex(await runCommand('ip', ['netns', 'exec', hv1.netns, 'ip', 'route', 'show', 'dev', 'ovn-k8s-mp0']), /10\.244\.0\.0\/16 via 10\.244\.1\.1/);
  await o.lab.nbctl('--timeout=20', 'wait-until', 'Logical_Switch_Port', 'k8s-hv1', 'up=true');
  for (const p of [pod('a'), pod('b')]) {
    const marker = `${p.name} to the node`;
    const reply = await sendUntil(`the node's reply to ${p.name}`, () => p.hv.inject(p.vif, echoFrom(o, p, '10.244.1.2', marker)),
      atPod(p, (f) => f.payload === marker && f.icmpType === 0));
    t.like(reply, { srcIp: '10.244.1.2', dstIp: p.ip, checksumOk: true }, `${p.name} on ${p.hv.name}`);
  }
});

test.serial('bad input is refused naming the field, nothing changed; delete and sync remove the gateway rows', async (t) => {
  const spec = gatewaySpecFromNode(annotatedNode(o, 0), { clusterSubnets: [CLUSTER] })!;
  const before = await o.lab.nbctl('show');
  const offLink = await t.throwsAsync(o.net.gateways.ensure({ ...spec, nextHops: ['10.0.0.1'] }), { instanceOf: OvnInvalidFieldError });
  t.is(offLink.field, 'nextHops[0]');
  t.regex(offLink.message, /gateway hv1: nextHops\[0\]: not in the node's network 172\.18\.0\.0\/16/);
  const v6Snat = await t.throwsAsync(o.net.gateways.ensure({ ...spec, clusterSubnets: [CLUSTER, 'fd00:10:244::/48'] }), { instanceOf: OvnInvalidFieldError });
  t.is(v6Snat.field, 'clusterSubnets[1]');
  await t.throwsAsync(o.net.gateways.ensure({ ...spec, name: 'nowhere' }), { instanceOf: OvnNotFoundError, message: /GR_nowhere/ });
  t.throws(() => gatewaySpecFromNode({ metadata: { name: 'hv1', annotations: { [L3_GATEWAY_CONFIG_ANNOTATION]: '{"default":{"mode":"local"}}' } } }, { clusterSubnets: [CLUSTER] }),
    { instanceOf: OvnInvalidFieldError, message: /\.default\.mode: local gateway mode/ });
  t.is(await o.lab.nbctl('show'), before, 'nothing changed');

  t.true(await o.net.gateways.delete({ name: 'hv1' }));
  t.is(byName(o.nb, 'Logical_Switch', 'ext_hv1'), undefined);
  t.is(byName(o.nb, 'Logical_Router_Port', 'rtoe-GR_hv1'), undefined);
  t.is((await o.lab.nbctl('lr-nat-list', 'GR_hv1')).trim(), '');
  t.is((await o.lab.nbctl('get', 'Logical_Router', 'GR_hv1', 'options:chassis')).trim(), 'hv1', 'the node\'s router stays');
  t.false(await o.net.gateways.delete({ name: 'hv1' }));
  t.deepEqual(await o.net.gateways.sync([]), [{ name: 'hv2' }]);
  t.deepEqual(o.net.gateways.list(), []);
});
