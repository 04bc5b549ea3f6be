// The node side of a gateway against a real ovs-vswitchd: br-ex with the physical port and the bridge mapping
// (other mappings kept, one transaction, nothing written the second time), refusals before anything is sent, and
// the management port's OVS side.
import test from 'ava';
import { ensureGatewayBridge, ensureManagementPort, removeManagementPort, OvsError } from '../../src/index.js';
import type { Lab } from '../../src/lab/index.js';
import type { OvsdbClient } from '../../src/ovsdb/client.js';
import { recording, vswitchLab } from './helpers.js';

let lab: Lab;
let client: OvsdbClient;
vswitchLab(test, (s) => { ({ lab, client } = s); });

test.serial('ensureGatewayBridge: br-ex (standalone, hwaddr, bridge-id/bridge-uplink) with the uplink, physnet:br-ex beside the other mappings', async (t) => {
  await lab.vsctl('set', 'Open_vSwitch', '.', 'external_ids:ovn-bridge-mappings="storage:br-storage"');
  const rec = recording(client);
  const spec = { node: 'node1', uplink: { name: 'eth1', type: 'dummy' }, mac: '02:00:AC:12:00:0B', datapathType: 'dummy' };
  const made = await ensureGatewayBridge(rec.db, spec);
  t.like(made, { bridge: 'br-ex', uplink: 'eth1', physicalNetwork: 'physnet', interfaceId: 'br-ex_node1', bridgeMappings: 'storage:br-storage,physnet:br-ex', created: true, changed: true });
  t.is(rec.writes(), 1, 'one write transaction');
  t.is((await lab.vsctl('get', 'Bridge', 'br-ex', 'fail_mode')).trim(), 'standalone');
  t.is((await lab.vsctl('get', 'Bridge', 'br-ex', 'other_config:hwaddr')).trim(), '"02:00:ac:12:00:0b"');
  t.is((await lab.vsctl('br-get-external-id', 'br-ex', 'bridge-uplink')).trim(), 'eth1');
  t.is((await lab.vsctl('get', 'Port', 'eth1', 'other_config:transient')).trim(), '"true"');
  t.deepEqual((await lab.vsctl('list-ports', 'br-ex')).trim().split('\n'), ['eth1']);
  rec.reset();
  t.false((await ensureGatewayBridge(rec.db, spec)).changed);
  t.is(rec.writes(), 0, 'as asked already: only the read');
  // Another physical network name maps to the same bridge, the old entry of that name replaced.
  const again = await ensureGatewayBridge(client, { ...spec, physicalNetwork: 'storage' });
  t.is(again.bridgeMappings, 'storage:br-ex,physnet:br-ex');
});

test.serial('ensureGatewayBridge refuses a bad uplink, a port of another bridge, a bad MAC; nothing is written', async (t) => {
  await lab.vsctl('add-br', 'br-other', '--', 'set', 'Bridge', 'br-other', 'datapath_type=dummy', '--', 'add-port', 'br-other', 'eth9', '--', 'set', 'Interface', 'eth9', 'type=dummy');
  const rec = recording(client);
  const conflict = await t.throwsAsync(ensureGatewayBridge(rec.db, { node: 'node1', bridge: 'br-ex2', uplink: 'eth9', datapathType: 'dummy' }), { instanceOf: OvsError });
  t.is(conflict.code, 'OVS_PORT_CONFLICT');
  t.is((await t.throwsAsync(ensureGatewayBridge(rec.db, { node: 'node1', uplink: 'a/b' }), { instanceOf: OvsError })).code, 'OVS_BAD_INTERFACE_NAME');
  t.is((await t.throwsAsync(ensureGatewayBridge(rec.db, { node: 'node1', uplink: 'eth1', mac: 'nope' }), { instanceOf: OvsError })).code, 'OVS_BAD_MAC');
  t.is((await t.throwsAsync(ensureGatewayBridge(rec.db, { node: 'Node_1', uplink: 'eth1' }), { instanceOf: OvsError })).code, 'OVS_BAD_OPTION');
  // A Windows adapter name may have spaces; a Linux interface name may not.
  t.is((await t.throwsAsync(ensureGatewayBridge(rec.db, { node: 'node1', uplink: 'Ethernet 2' }), { instanceOf: OvsError })).code, 'OVS_BAD_INTERFACE_NAME');
  t.is(rec.writes(), 0);
  t.false((await lab.vsctl('list-br')).includes('br-ex2'));
  const win = await ensureGatewayBridge(client, { node: 'win1', bridge: 'br-win', uplink: { name: 'Ethernet 2', type: 'dummy' }, platform: 'windows', datapathType: 'dummy' });
  t.is(win.interfaceId, 'br-win_win1');
  t.deepEqual((await lab.vsctl('list-ports', 'br-win')).trim().split('\n'), ['Ethernet 2']);
});

test.serial('ensureManagementPort: ovn-k8s-mp0 on br-int, internal, MAC and MTU, iface-id k8s-<node>; removeManagementPort removes only it', async (t) => {
  const made = await ensureManagementPort(client, { node: 'node1', mac: '0a:58:0a:f4:01:02', mtu: 1400 });
  t.like(made, { created: true, changed: true, ifaceId: 'k8s-node1', interfaceName: 'ovn-k8s-mp0' });
  t.is((await lab.vsctl('get', 'Interface', 'ovn-k8s-mp0', 'type')).trim(), 'internal');
  t.is((await lab.vsctl('get', 'Interface', 'ovn-k8s-mp0', 'mac')).trim(), '"0a:58:0a:f4:01:02"');
  t.is((await lab.vsctl('get', 'Interface', 'ovn-k8s-mp0', 'mtu_request')).trim(), '1400');
  t.is((await lab.vsctl('get', 'Interface', 'ovn-k8s-mp0', 'external_ids:iface-id')).trim(), 'k8s-node1');
  t.false((await ensureManagementPort(client, { node: 'node1', mac: '0a:58:0a:f4:01:02', mtu: 1400 })).changed);
  t.like(await ensureManagementPort(client, { node: 'node1', mac: '0a:58:0a:f4:01:02', mtu: 1500 }), { changed: true, changes: ['mtu_request=1500'] });
  t.false(await removeManagementPort(client, { node: 'node2' }), 'bound to another node: left alone');
  t.true(await removeManagementPort(client, { node: 'node1' }));
  t.false((await lab.vsctl('list-ports', 'br-int')).includes('ovn-k8s-mp0'));
  t.is((await t.throwsAsync(ensureManagementPort(client, { node: 'node1', mac: '0a:58:0a:f4:01:02', mtu: 99 }), { instanceOf: OvsError })).code, 'OVS_BAD_MTU');
});
