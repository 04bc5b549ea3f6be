// The outside host: its own sandbox on the hub with a real Linux stack behind it. A node's uplink (a dummy port in
// a bridge of the hypervisor, as br-ex will hold it) reaches it; the kernel answers ARP, neighbour solicitations and
// echo requests for its addresses and its remote ones; what it got and sent is in its wire's captures.
import test from 'ava';
import { existsSync } from 'node:fs';
import {
  arpRequest, echoRequest, neighborSolicitation, readFrame, startLab, udpDatagram, type Lab, type LabHypervisor, type LabUplink,
} from '../../src/lab/index.js';
import { isProcessAlive, runCommand, waitFor } from '../../src/lab/process.js';
import type { FrameView } from '../../src/lab/index.js';

let lab: Lab;
let hv1: LabHypervisor;
let uplink: LabUplink;
const NODE_MAC = '02:00:ac:12:00:0b';

test.before(async () => {
  lab = await startLab({ hypervisors: 2, outside: true });
  hv1 = lab.hypervisors[0];
  uplink = await lab.outside!.uplink(hv1);
  // A bridge standing for the node's br-ex: its own port sends what the node sends, the uplink leads to the hub.
  await hv1.vsctl('--', 'add-br', 'br-ex', '--', 'set', 'Bridge', 'br-ex', 'datapath_type=dummy', `other-config:hwaddr="${NODE_MAC}"`,
    '--', 'add-port', 'br-ex', uplink.name, '--', 'set', 'Interface', uplink.name, `type=${uplink.type}`,
    ...Object.entries(uplink.options).map(([k, v]) => `options:${k}="${v}"`));
});
test.after.always(async () => { await lab?.stop(); });

/** What the node's uplink took in from the hub (rx): replies from the outside host. */
const fromOutside = async () => (await hv1.received(uplink.name)).map(readFrame);
const waitFromOutside = (match: (f: FrameView) => boolean) => waitFor('a frame from the outside host at the uplink', async () => (await fromOutside()).find(match), 10_000);

test.serial('the lab gives the outside host, a hub (with two hypervisors) and node addresses on its network', (t) => {
  const outside = lab.outside!;
  t.truthy(lab.hub, 'two hypervisors are joined through the hub when there is an outside host');
  t.deepEqual(outside.addresses, ['172.18.0.1/16', 'fc00:f853:ccd:e793::1/64']);
  t.is(outside.mac, '02:00:ac:12:00:01');
  t.deepEqual(uplink.addresses, ['172.18.0.11/16', 'fc00:f853:ccd:e793::b/64']);
  t.deepEqual(uplink.gateways, ['172.18.0.1', 'fc00:f853:ccd:e793::1']);
  t.is(uplink.mac, NODE_MAC);
  t.is(outside.nodeAddress(2, 4), '172.18.0.12/16');
});

test.serial('its kernel answers ARP and echo requests for its own and its remote addresses; the captures show both ways', async (t) => {
  const outside = lab.outside!;
  await hv1.inject('br-ex', arpRequest({ srcMac: NODE_MAC, senderIp: '172.18.0.11', targetIp: outside.ipv4 }));
  const reply = await waitFromOutside((f) => f.arp?.op === 2);
  t.deepEqual(reply.arp, { op: 2, senderMac: outside.mac, senderIp: outside.ipv4, targetIp: '172.18.0.11' });
  t.true((await outside.received()).map(readFrame).some((f) => f.arp?.op === 1 && f.arp.targetIp === outside.ipv4), 'the request is in the host\'s rx capture');

  for (const [dst, marker] of [[outside.ipv4, 'to the host'], [outside.remote[0], 'beyond the host']] as const) {
    await hv1.inject('br-ex', echoRequest({ srcMac: NODE_MAC, dstMac: outside.mac, srcIp: '172.18.0.11', dstIp: dst, payload: marker }));
    const echoed = readFrame(await outside.waitSent((f) => readFrame(f).payload === marker && readFrame(f).icmpType === 0, 10_000));
    t.like(echoed, { srcIp: dst, dstIp: '172.18.0.11', dstMac: NODE_MAC, srcMac: outside.mac, icmpType: 0, checksumOk: true }, marker);
  }
});

test.serial('IPv6: a neighbour solicitation gets an advertisement, an echo request its reply', async (t) => {
  const outside = lab.outside!;
  const nodeIp = 'fc00:f853:ccd:e793::b';
  await hv1.inject('br-ex', neighborSolicitation({ srcMac: NODE_MAC, srcIp: nodeIp, targetIp: outside.ipv6 }));
  const na = readFrame(await outside.waitSent((f) => readFrame(f).icmpType === 136, 10_000));
  t.like(na, { family: 6, srcIp: outside.ipv6, dstIp: nodeIp, ndTarget: outside.ipv6, checksumOk: true });
  await hv1.inject('br-ex', echoRequest({ srcMac: NODE_MAC, dstMac: outside.mac, srcIp: nodeIp, dstIp: outside.remote[1], payload: 'v6 beyond' }));
  const reply = readFrame(await outside.waitSent((f) => readFrame(f).payload === 'v6 beyond' && readFrame(f).icmpType === 129, 10_000));
  t.like(reply, { srcIp: outside.remote[1], dstIp: nodeIp, checksumOk: true });
});

test.serial('a frame injected on the outside host goes out on its wire and reaches the node\'s uplink', async (t) => {
  const outside = lab.outside!;
  const frame = udpDatagram({ srcMac: outside.mac, dstMac: NODE_MAC, srcIp: outside.ipv4, dstIp: '172.18.0.11', srcPort: 5000, dstPort: 30080, payload: 'from outside' });
  await outside.inject(frame);
  t.like(await waitFromOutside((f) => f.payload === 'from outside'), { srcIp: outside.ipv4, dstPort: 30080, checksumOk: true });
  t.true((await outside.sent()).some((f) => readFrame(f).payload === 'from outside'), 'in the host\'s tx capture');
  t.regex(await outside.exec('ip', ['-brief', 'address', 'show', 'eth0']), /172\.18\.0\.1\/16/);
});

test.serial('stop() ends the outside host\'s daemons and deletes its namespace', async (t) => {
  const outside = lab.outside!;
  const pids = [...outside.pids];
  t.true((await runCommand('ip', ['netns', 'list'])).includes(outside.netns));
  await lab.stop();
  for (const pid of pids) t.false(isProcessAlive(pid));
  t.false((await runCommand('ip', ['netns', 'list'])).includes(outside.netns));
  t.false(existsSync(lab.dir));
});

test('an outside host needs hypervisors joined through a hub: refused before anything starts', async (t) => {
  await t.throwsAsync(startLab({ outside: true }), { instanceOf: RangeError, message: /needs hypervisors/ });
  await t.throwsAsync(startLab({ hypervisors: { count: 2, wire: 'direct' }, outside: true }), { instanceOf: RangeError, message: /hub/ });
  await t.throwsAsync(startLab({ hypervisors: 2, outside: { ipv4: '172.18.0.1' } }), { instanceOf: RangeError, message: /prefix length/ });
});
