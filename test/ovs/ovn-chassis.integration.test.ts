// End to end with the real OVN: the lab's simulated hypervisors get their OVN settings through configureNode
// (the lab's `configureNode` hook), ovn-controller registers each as a Chassis with those settings, and a pod
// bound with bindPod on hv1 is claimed by hv1's ovn-controller (Port_Binding.chassis, ovn-installed).
import test from 'ava';
import { startLab, type Lab } from '../../src/lab/index.js';
import { OvsdbClient } from '../../src/ovsdb/client.js';
import { configureNodeAt, type ConfigureNodeResult } from '../../src/ovs/node-config.js';
import { bindPod, unbindPod } from '../../src/ovs/pod-binding.js';
import { parseVsctlMap } from './helpers.js';

let lab: Lab;
const results: ConfigureNodeResult[] = [];

test.before(async () => {
  lab = await startLab({
    hypervisors: {
      count: 2,
      configureNode: async (node, settings) => { results.push(await configureNodeAt(node.ovsdb, settings)); },
    },
  });
});
test.after.always(() => lab?.stop());

test('ovn-controller registers each hypervisor as configured by configureNode', async (t) => {
  t.is(results.length, 2);
  for (const r of results) {
    t.true(r.changed);
    t.deepEqual(r.bridge, { name: 'br-int', created: false, changes: [] }, 'the lab made br-int right already');
  }
  for (const hv of lab.hypervisors) {
    const ids = parseVsctlMap(await hv.vsctl('get', 'Open_vSwitch', '.', 'external_ids'));
    t.is(ids.get('system-id'), hv.name);
    t.is(ids.get('ovn-encap-ip'), hv.encapIp);
    const chassis = await lab.sbctl('--bare', '--columns=hostname', 'find', 'Chassis', `name=${hv.name}`);
    t.is(chassis.trim(), hv.name);
    const encap = await lab.sbctl('--bare', '--columns=type,ip', 'find', 'Encap', `chassis_name=${hv.name}`);
    t.deepEqual(encap.trim().split(/\s+/), ['geneve', hv.encapIp]);
  }
});

test('a pod bound with bindPod is claimed by its hypervisor\'s ovn-controller', async (t) => {
  await lab.nbctl('ls-add', 'node1', '--', 'lsp-add', 'node1', 'default_web-0',
    '--', 'lsp-set-addresses', 'default_web-0', '0a:58:0a:f4:01:05 10.244.1.5');
  const hv1 = lab.hypervisors[0];
  const client = await OvsdbClient.connect(hv1.ovsdb);
  t.teardown(() => client.close());
  const b = await bindPod(client, {
    namespace: 'default', pod: 'web-0', sandbox: 'a0b1c2d3e4f5a6b7c8d9', mac: '0a:58:0a:f4:01:05',
    ipAddresses: ['10.244.1.5/24'], interfaceType: 'dummy', waitForOfportMs: 10_000,
  });
  await lab.nbctl('--wait=hv', 'sync');
  const chassisUuid = (await lab.sbctl('--bare', '--columns=_uuid', 'find', 'Chassis', `name=${hv1.name}`)).trim();
  await lab.sbctl('--timeout=20', 'wait-until', 'Port_Binding', 'default_web-0', `chassis=${chassisUuid}`);
  t.is((await lab.sbctl('--bare', '--columns=chassis', 'find', 'Port_Binding', 'logical_port=default_web-0')).trim(), chassisUuid);
  // ovn-controller marks the interface once its flows are installed; bindPod's rebind keeps that mark.
  await hv1.vsctl('--timeout=20', 'wait-until', 'Interface', b.interfaceName, 'external_ids:ovn-installed="true"');
  t.false((await bindPod(client, {
    namespace: 'default', pod: 'web-0', sandbox: 'a0b1c2d3e4f5a6b7c8d9', mac: '0a:58:0a:f4:01:05', ipAddresses: ['10.244.1.5/24'], interfaceType: 'dummy',
  })).changed);
  t.is(parseVsctlMap(await hv1.vsctl('get', 'Interface', b.interfaceName, 'external_ids')).get('ovn-installed'), 'true');

  t.true((await unbindPod(client, { namespace: 'default', pod: 'web-0', sandbox: 'a0b1c2d3e4f5a6b7c8d9' })).removed);
  await lab.sbctl('--timeout=20', 'wait-until', 'Port_Binding', 'default_web-0', 'chassis=[]');
  t.is((await lab.sbctl('--bare', '--columns=chassis', 'find', 'Port_Binding', 'logical_port=default_web-0')).trim(), '');
});
