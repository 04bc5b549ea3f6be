// OVN interconnect in the lab: two availability zones, each with its own NB, SB, ovn-northd and ovn-ic, the
// global IC databases, one hypervisor per zone. A transit switch made in OVN_IC_Northbound appears in both
// zones, and a frame routed from a pod in az1 across it reaches a pod in az2, through the real controllers.
import test from 'ava';
import { startLab, type LabZone } from '../../src/lab/index.js';
import { isProcessAlive, runCommand } from '../../src/lab/process.js';
import { readTunnelFrame, udpFrame } from '../../src/lab/frames.js';

/** Zone i's pod network 10.0.i.0/24 behind router lr<i>, whose port on the transit switch is 169.254.100.i. */
const podMac = (i: number) => `50:54:00:00:0${i}:10`;
const podIp = (i: number) => `10.0.${i}.10`;
const routerMac = (i: number) => `00:00:00:00:0${i}:01`;

/** What OVN's interconnection tutorial does in each zone: a router on the transit switch, a static route. */
async function connectZone(zone: LabZone, peer: number): Promise<void> {
  const i = zone.index;
  await zone.nbctl(
    'ls-add', `ls${i}`,
    '--', 'lsp-add', `ls${i}`, `pod${i}`, '--', 'lsp-set-addresses', `pod${i}`, `${podMac(i)} ${podIp(i)}`,
    '--', 'lr-add', `lr${i}`,
    '--', 'lrp-add', `lr${i}`, `lr${i}-ls${i}`, routerMac(i), `10.0.${i}.1/24`,
    '--', 'lsp-add', `ls${i}`, `ls${i}-lr${i}`, '--', 'lsp-set-type', `ls${i}-lr${i}`, 'router',
    '--', 'lsp-set-addresses', `ls${i}-lr${i}`, 'router', '--', 'lsp-set-options', `ls${i}-lr${i}`, `router-port=lr${i}-ls${i}`,
    '--', 'lrp-add', `lr${i}`, `lr${i}-ts1`, `aa:aa:aa:aa:aa:0${i}`, `169.254.100.${i}/24`,
    '--', 'lsp-add', 'ts1', `ts1-lr${i}`, '--', 'lsp-set-type', `ts1-lr${i}`, 'router',
    '--', 'lsp-set-addresses', `ts1-lr${i}`, 'router', '--', 'lsp-set-options', `ts1-lr${i}`, `router-port=lr${i}-ts1`,
    '--', 'lrp-set-gateway-chassis', `lr${i}-ts1`, zone.hypervisors[0].name, '1',
    '--', 'lr-route-add', `lr${i}`, `10.0.${peer}.0/24`, `169.254.100.${peer}`,
  );
}

test('two zones: ovn-ic joins them, a transit switch spans both, a routed frame crosses from az1 to az2', async (t) => {
  const started = performance.now();
  const lab = await startLab({ zones: 2, hypervisors: 2, relays: { sb: 1 } });
  t.teardown(() => lab.stop());
  t.log(`2 zones with a hypervisor and an SB relay each started in ${Math.round(performance.now() - started)} ms`);
  const [az1, az2] = lab.zones;
  const [hv1, hv2] = lab.hypervisors;
  t.deepEqual(lab.zones.map((z) => [z.name, z.hypervisors.map((hv) => hv.name)]), [['az1', ['hv1']], ['az2', ['hv2']]]);
  t.deepEqual([hv1.zone, hv2.zone], ['az1', 'az2']);
  t.is(lab.nb, az1.nb, 'the lab\'s own NB is az1\'s');
  t.not(az1.sb.unix, az2.sb.unix);
  // Each zone has its own SB relay, and its hypervisor binds through it.
  for (const [zone, hv] of [[az1, hv1], [az2, hv2]] as const) {
    t.is((await hv.vsctl('get', 'Open_vSwitch', '.', 'external_ids:ovn-remote')).trim(), `"${zone.sb.relays!.unix}"`);
  }
  for (const zone of lab.zones) {
    t.is((await zone.nbctl('get', 'NB_Global', '.', 'name')).trim(), zone.name);
    t.true(zone.northd.running && zone.ic!.running);
  }
  const ic = lab.interconnect!;
  t.is(ic.nb.name, 'OVN_IC_Northbound');
  t.is(ic.sb.name, 'OVN_IC_Southbound');
  // ovn-ic registered both zones and their gateways, and made each zone's gateway a remote chassis in the other.
  t.regex(await ic.sbctl('--bare', '--columns=name', 'list', 'Availability_Zone'), /az1\s+az2|az2\s+az1/);
  await ic.sbctl('wait-until', 'Gateway', 'hv1');
  await ic.sbctl('wait-until', 'Gateway', 'hv2');
  await az1.sbctl('wait-until', 'Chassis', 'hv2', 'other_config:is-remote=true');
  await az2.sbctl('wait-until', 'Chassis', 'hv1', 'other_config:is-remote=true');

  await ic.nbctl('ts-add', 'ts1');
  for (const zone of lab.zones) await zone.nbctl('wait-until', 'Logical_Switch', 'ts1', 'other_config:interconn-ts=ts1');
  await connectZone(az1, 2);
  await connectZone(az2, 1);
  await hv1.addVif('vif-pod1', { ifaceId: 'pod1', mac: podMac(1) });
  await hv2.addVif('vif-pod2', { ifaceId: 'pod2', mac: podMac(2) });
  // ovn-ic adds the other zone's router port to each zone's transit switch as a remote port on its gateway.
  await az1.nbctl('wait-until', 'Logical_Switch_Port', 'ts1-lr2', 'type=remote');
  await az2.nbctl('wait-until', 'Logical_Switch_Port', 'ts1-lr1', 'type=remote');
  await az1.nbctl('wait-until', 'Logical_Switch_Port', 'pod1', 'up=true');
  await az2.nbctl('wait-until', 'Logical_Switch_Port', 'pod2', 'up=true');
  // Ready to forward once, in each zone, ovn-ic has bound the remote port to the other zone's gateway and the
  // zone's own gateway has claimed its router's transit port (cr-), and every controller has caught up.
  for (const [zone, i, peer] of [[az1, 1, 2], [az2, 2, 1]] as const) {
    await zone.sbctl('wait-until', 'Port_Binding', `ts1-lr${peer}`, 'chassis!=[]');
    await zone.sbctl('wait-until', 'Port_Binding', `cr-lr${i}-ts1`, 'chassis!=[]');
  }
  await Promise.all(lab.zones.map((z) => z.nbctl('--wait=hv', 'sync')));

  // pod1 -> its router -> transit switch -> (Geneve, hv1 to hv2) -> lr2 -> pod2: two routed hops.
  const frame = udpFrame({ srcMac: podMac(1), dstMac: routerMac(1), srcIp: podIp(1), dstIp: podIp(2), payload: 'across zones' });
  const isOurs = (f: Uint8Array) => f.length === frame.length && f[12] === 0x08 && f[14 + 8] === 62 &&
    Buffer.from(f.subarray(42)).toString() === 'across zones';
  const deadline = Date.now() + 20_000;
  let delivered: Uint8Array | undefined;
  // Flows can still be on their way into vswitchd after --wait=hv on a loaded machine: resend until delivered.
  while (!delivered && Date.now() < deadline) {
    await hv1.inject('vif-pod1', frame);
    delivered = await hv2.waitTransmitted('vif-pod2', isOurs, 300).catch(() => undefined);
  }
  t.truthy(delivered, 'the frame reached pod2 in az2');
  t.is(Buffer.from(delivered!.subarray(0, 6)).toString('hex'), podMac(2).replaceAll(':', ''));
  t.is(Buffer.from(delivered!.subarray(6, 12)).toString('hex'), routerMac(2).replaceAll(':', ''), 'lr2 routed it last');
  const onWire = (await hv1.transmitted(hv1.wirePort)).map(readTunnelFrame).find((f) => f?.inner.length === frame.length);
  t.is(onWire?.dstIp, hv2.encapIp, 'crossed the underlay from hv1 to hv2 in Geneve');
  const tsKey = Number((await az1.sbctl('--bare', '--columns=tunnel_key', 'find', 'Datapath_Binding', 'external_ids:name=ts1')).trim());
  t.is(onWire?.vni, tsKey, 'on the transit switch\'s datapath, whose key ovn-ic gave both zones');

  // ovn-ic killed and restarted: the zone is served again (a second transit switch reaches it).
  const oldIc = az2.ic!.pid;
  await az2.ic!.kill();
  t.false(isProcessAlive(oldIc));
  await az2.ic!.restart();
  t.not(az2.ic!.pid, oldIc);
  await ic.nbctl('ts-add', 'ts2');
  await az2.nbctl('wait-until', 'Logical_Switch', 'ts2', 'other_config:interconn-ts=ts2');

  const pids = lab.zones.flatMap((z) => [z.northd.pid, z.ic!.pid]);
  await lab.stop();
  t.false(pids.some(isProcessAlive), 'stop() ends every northd and ovn-ic');
});

test('zones without ovn-ic, and zone options refused before anything starts', async (t) => {
  await t.throwsAsync(startLab({ zones: 0 }), { instanceOf: RangeError, message: /zones/ });
  await t.throwsAsync(startLab({ zones: 2, northd: false }), { instanceOf: RangeError, message: /northd/ });
  const lab = await startLab({ zones: { count: 2, ovnIc: false } });
  t.teardown(() => lab.stop());
  t.deepEqual(lab.zones.map((z) => z.ic), [undefined, undefined]);
  t.deepEqual(lab.hypervisors, []);
  // The IC databases still run, empty: nothing registered a zone.
  t.is((await lab.interconnect!.sbctl('--bare', '--columns=name', 'list', 'Availability_Zone')).trim(), '');
  t.regex(await runCommand('ovsdb-client', ['list-dbs', lab.interconnect!.nb.unix]), /OVN_IC_Northbound/);
});
