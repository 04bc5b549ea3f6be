// configureNode / ensureBridge against the lab's real ovsdb-server and userspace ovs-vswitchd.
import test from 'ava';
import type { Lab } from '../../src/lab/index.js';
import { OvsdbClient } from '../../src/ovsdb/client.js';
import { ensureBridge } from '../../src/ovs/bridge.js';
import { OvsError } from '../../src/ovs/errors.js';
import { configureNode, configureNodeAt, formatBridgeMappings, nodeExternalIds, type NodeSettings } from '../../src/ovs/node-config.js';
import { parseVsctlMap, recording, watcher, vswitchLab } from './helpers.js';

let lab: Lab;
let client: OvsdbClient;

vswitchLab(test, (started) => ({ lab, client } = started));

const settings = (): NodeSettings => ({
  systemId: 'node-1',
  hostname: 'node-1.cluster.local',
  ovnRemote: [lab.sb.tcp, 'tcp:127.0.0.1:6642'],
  encapType: 'geneve',
  encapIp: '192.168.10.11',
  bridgeMappings: { physnet1: 'br-ex' },
  encapCsum: true,
  bridgeDatapathType: 'dummy',
});

async function externalIds(): Promise<Map<string, string>> {
  return sorted(parseVsctlMap(await lab.vsctl('get', 'Open_vSwitch', '.', 'external_ids')));
}

function sorted(m: Map<string, string>): Map<string, string> {
  return new Map([...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

test.serial('configureNode writes exactly the OVN keys; br-int is left as the lab made it (already right)', async (t) => {
  t.deepEqual(await externalIds(), new Map(), 'the lab starts with no external_ids');
  const r = recording(client);
  const res = await configureNode(r.db, settings());
  t.true(res.changed);
  t.deepEqual(await externalIds(), sorted(new Map([
    ['system-id', 'node-1'],
    ['hostname', 'node-1.cluster.local'],
    ['ovn-remote', `${lab.sb.tcp},tcp:127.0.0.1:6642`],
    ['ovn-encap-type', 'geneve'],
    ['ovn-encap-ip', '192.168.10.11'],
    ['ovn-bridge-mappings', 'physnet1:br-ex'],
    ['ovn-encap-csum', 'true'],
    ['ovn-bridge-datapath-type', 'dummy'],
  ])));
  t.deepEqual([...res.set].sort(), [...(await externalIds()).keys()].sort());
  t.deepEqual(res.bridge, { name: 'br-int', created: false, changes: [] });
  t.deepEqual(res.dropped, []);
  t.deepEqual(r.log, [['select', 'select'], ['mutate']], 'one read, then one transaction with a single mutate');
  t.is(await lab.vsctl('get', 'Bridge', 'br-int', 'fail_mode'), 'secure\n');
  t.is(await lab.vsctl('get', 'Bridge', 'br-int', 'other_config:disable-in-band'), '"true"\n');
});

test.serial('a second identical configureNode sends no write and the server sees no change', async (t) => {
  await configureNode(client, settings());
  const w = await watcher(lab.ovs.unix, { Open_vSwitch: { columns: ['external_ids'] }, Bridge: { columns: ['fail_mode', 'datapath_type', 'other_config', 'external_ids'] } });
  t.teardown(() => w.close());
  const r = recording(client);
  const before = w.count();
  const res = await configureNode(r.db, settings());
  await w.settle(() => lab.vsctl('set', 'Bridge', 'br-int', 'external_ids:sentinel=1'));
  t.false(res.changed);
  t.deepEqual(res.set, []);
  t.is(r.writes(), 0, `transactions sent: ${JSON.stringify(r.log)}`);
  t.deepEqual(r.log, [['select', 'select']]);
  t.is(w.count() - before, 1, 'the only update the monitor saw is the sentinel');
  await lab.vsctl('remove', 'Bridge', 'br-int', 'external_ids', 'sentinel');
});

test.serial('one changed setting is one key changed; keys of others survive; null removes a key', async (t) => {
  await configureNode(client, settings());
  await lab.vsctl('set', 'Open_vSwitch', '.', 'external_ids:operator-note=keep-me');
  const r = recording(client);
  const res = await configureNode(r.db, { ...settings(), encapType: ['geneve', 'vxlan'], encapCsum: null });
  t.true(res.changed);
  t.deepEqual(res.set, ['ovn-encap-type']);
  t.deepEqual(res.removed, ['ovn-encap-csum']);
  const ids = await externalIds();
  t.is(ids.get('ovn-encap-type'), 'geneve,vxlan');
  t.false(ids.has('ovn-encap-csum'));
  t.is(ids.get('operator-note'), 'keep-me', 'a key configureNode does not manage is untouched');
  t.is(ids.get('system-id'), 'node-1');
  t.is(r.writes(), 1);
});

test.serial('configureNode repairs br-int (fail_mode, in-band) and ensureBridge creates a bridge vswitchd opens', async (t) => {
  await configureNode(client, settings());
  await lab.vsctl('set', 'Bridge', 'br-int', 'fail_mode=standalone', 'other_config:disable-in-band=false');
  const res = await configureNode(client, settings());
  t.true(res.changed);
  t.deepEqual(res.set, []);
  t.deepEqual(res.bridge?.changes, ['fail_mode=secure', 'other_config:disable-in-band=true']);
  t.is(await lab.vsctl('get', 'Bridge', 'br-int', 'fail_mode'), 'secure\n');
  t.is(await lab.vsctl('get', 'Bridge', 'br-int', 'other_config:disable-in-band'), '"true"\n');

  const created = await ensureBridge(client, { name: 'br-test', datapathType: 'dummy' });
  t.true(created.created);
  t.truthy(created.uuid);
  t.regex(await lab.vsctl('list-br'), /^br-test$/m);
  t.is(await lab.vsctl('get', 'Bridge', 'br-test', 'datapath_type'), 'dummy\n');
  t.is(await lab.vsctl('get', 'Interface', 'br-test', 'type'), 'internal\n');
  // ovs-vswitchd opened the bridge: its internal interface has the local OpenFlow port.
  await lab.vsctl('--timeout=10', 'wait-until', 'Interface', 'br-test', 'ofport=65534');
  t.is(await lab.vsctl('get', 'Interface', 'br-test', 'ofport'), '65534\n');
  const again = await ensureBridge(client, { name: 'br-test', datapathType: 'dummy' });
  t.false(again.changed);
  t.is(again.uuid, created.uuid);
  await lab.vsctl('del-br', 'br-test');
});

test('settings are validated before anything is sent', (t) => {
  const bad = (patch: Partial<NodeSettings>) => t.throws(() => nodeExternalIds({ ...settings(), ...patch } as NodeSettings), { instanceOf: OvsError })?.code;
  t.is(bad({ encapType: 'gre' as 'geneve' }), 'OVS_BAD_ENCAP_TYPE');
  t.is(bad({ encapType: [] }), 'OVS_BAD_ENCAP_TYPE');
  t.is(bad({ encapType: ['geneve', 'geneve'] }), 'OVS_BAD_ENCAP_TYPE');
  t.is(bad({ encapIp: '192.168.10.300' }), 'OVS_BAD_ENCAP_IP');
  t.is(bad({ ovnRemote: 'ptcp:6642' }), 'OVS_BAD_REMOTE');
  t.is(bad({ ovnRemote: 'http://sb:6642' }), 'OVS_BAD_REMOTE');
  t.is(bad({ systemId: '' }), 'OVS_BAD_SYSTEM_ID');
  t.is(bad({ hostname: 'under_score' }), 'OVS_BAD_HOSTNAME');
  t.is(bad({ bridgeMappings: 'physnet1' }), 'OVS_BAD_BRIDGE_MAPPINGS');
  t.is(bad({ bridgeMappings: 'a:br-ex,a:br-eth1' }), 'OVS_BAD_BRIDGE_MAPPINGS');
  t.is(bad({ bridgeDatapathType: 'Net Dev' }), 'OVS_BAD_DATAPATH_TYPE');
  t.is(formatBridgeMappings('physnet1:br-ex,physnet2:br-eth1'), 'physnet1:br-ex,physnet2:br-eth1');
  t.deepEqual(nodeExternalIds({ ...settings(), ovnRemote: 'ssl:10.0.0.1:6642,ssl:10.0.0.2:6642', encapType: ['stt'], encapIp: ['10.1.0.5', 'fd00::5'], integrationBridge: 'br-ovn' }).get('ovn-remote'),
    'ssl:10.0.0.1:6642,ssl:10.0.0.2:6642');
});

test.serial('an invalid setting leaves the database untouched', async (t) => {
  const before = await externalIds();
  const r = recording(client);
  await t.throwsAsync(configureNode(r.db, { ...settings(), encapType: 'gre' as 'geneve' }), { instanceOf: OvsError });
  t.deepEqual(r.log, []);
  t.deepEqual(await externalIds(), before);
});

test.serial('configureNodeAt: connect, configure, close (what a lab hypervisor calls)', async (t) => {
  const res = await configureNodeAt(lab.ovs.unix, { ...settings(), systemId: 'node-2', encapType: 'stt' });
  t.true(res.changed);
  t.deepEqual(res.set.slice().sort(), ['ovn-encap-type', 'system-id']);
  const ids = await externalIds();
  t.is(ids.get('system-id'), 'node-2');
  t.is(ids.get('ovn-encap-type'), 'stt');
});
