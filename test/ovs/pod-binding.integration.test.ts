// bindPod / unbindPod against the lab's real ovsdb-server and userspace ovs-vswitchd (dummy datapath).
import test from 'ava';
import { join } from 'node:path';
import type { Lab } from '../../src/lab/index.js';
import { runCommand } from '../../src/lab/process.js';
import { OvsdbClient } from '../../src/ovsdb/client.js';
import { OvsError } from '../../src/ovs/errors.js';
import { linuxHostVethName } from '../../src/ovs/linux.js';
import { bindPod, podInterfaceNames, unbindPod, type PodBindingSpec } from '../../src/ovs/pod-binding.js';
import { parseVsctlMap, recording, uuids, watcher, vswitchLab } from './helpers.js';

let lab: Lab;
let client: OvsdbClient;

vswitchLab(test, (started) => ({ lab, client } = started));

const SANDBOX = '3f1c9a7be2d04c6f8a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071';

function linuxPod(patch: Partial<PodBindingSpec> = {}): PodBindingSpec {
  return {
    namespace: 'default', pod: 'web-0', sandbox: SANDBOX, mac: '0a:58:0a:f4:01:05',
    ipAddresses: ['10.244.1.5/24', 'fd00:10:244:1::5/64'], ifaceIdVer: '6f7e1c2a-0d1b-4c3e-9f8a-7b6c5d4e3f21',
    interfaceType: 'dummy', // the lab's userspace datapath has no veths; a dummy device stands for the host end
    ...patch,
  };
}

async function snapshot(): Promise<{ ports: string[]; ifaces: string[]; brPorts: string }> {
  return {
    ports: await uuids(lab.vsctl, 'Port'),
    ifaces: await uuids(lab.vsctl, 'Interface'),
    brPorts: (await lab.vsctl('get', 'Bridge', 'br-int', 'ports')).trim(),
  };
}

test.serial('Linux: bind creates Port + Interface with the OVN external_ids; vswitchd gives it an ofport; unbind removes exactly those rows', async (t) => {
  const other = await bindPod(client, linuxPod({ pod: 'db-0', sandbox: 'aa11bb22cc33dd44ee55ff6677889900', mac: '0a:58:0a:f4:01:06', ipAddresses: ['10.244.1.6/24'] }));
  const before = await snapshot();
  const r = recording(client);
  const b = await bindPod(r.db, { ...linuxPod(), waitForOfportMs: 10_000 });
  t.true(b.changed);
  t.true(b.created);
  t.is(b.interfaceName, SANDBOX.slice(0, 15));
  t.is(b.interfaceName, linuxHostVethName(SANDBOX));
  t.is(b.ifaceId, 'default_web-0');
  t.true(b.ofport !== undefined && b.ofport >= 1n && b.ofport < 65280n, `ofport ${b.ofport}`);
  t.deepEqual(r.log[0], ['select', 'select', 'select', 'select']);
  t.deepEqual(r.log[1], ['wait', 'insert', 'insert', 'mutate'], 'one atomic transaction: guard, Interface, Port, Bridge.ports');

  const name = b.interfaceName;
  const ids = parseVsctlMap(await lab.vsctl('get', 'Interface', name, 'external_ids'));
  t.deepEqual(Object.fromEntries(ids), {
    'iface-id': 'default_web-0',
    'iface-id-ver': '6f7e1c2a-0d1b-4c3e-9f8a-7b6c5d4e3f21',
    attached_mac: '0a:58:0a:f4:01:05',
    ip_addresses: '10.244.1.5/24,fd00:10:244:1::5/64',
    sandbox: SANDBOX,
  });
  t.regex(await lab.vsctl('list', 'Interface', name), /^type\s+: dummy$/m);
  t.is((await lab.vsctl('get', 'Interface', name, 'ofport')).trim(), String(b.ofport));
  t.is((await lab.vsctl('get', 'Port', name, 'other_config:transient')).trim(), '"true"');
  t.is((await lab.vsctl('port-to-br', name)).trim(), 'br-int');
  t.is((await lab.vsctl('--bare', '--columns=name', 'find', 'Interface', 'external_ids:iface-id=default_web-0')).trim(), name);
  // OpenFlow sees the port too, under the number the database reports.
  const show = await runCommand('ovs-ofctl', ['show', `unix:${join(lab.dir, 'br-int.mgmt')}`]);
  t.regex(show, new RegExp(`^ ${b.ofport}\\(${name}\\)`, 'm'));
  const after = await snapshot();
  t.is(after.ports.length, before.ports.length + 1);
  t.true(after.ports.includes(b.portUuid));
  t.true(after.ifaces.includes(b.interfaceUuid));

  const u = await unbindPod(client, { namespace: 'default', pod: 'web-0', sandbox: SANDBOX });
  t.true(u.removed);
  t.deepEqual(await snapshot(), before, 'exactly the rows bind created are gone; the other pod and br-int are untouched');
  t.regex(await lab.vsctl('list-ports', 'br-int'), new RegExp(`^${other.interfaceName}$`, 'm'));
  const again = await unbindPod(client, { namespace: 'default', pod: 'web-0', sandbox: SANDBOX });
  t.deepEqual([again.removed, again.skipped], [false, 'absent'], 'unbind is idempotent');
  await unbindPod(client, { namespace: 'default', pod: 'db-0', sandbox: 'aa11bb22cc33dd44ee55ff6677889900' });
});

test.serial('bind twice sends no second write; a changed address is one mutate; the server sees nothing for the repeat', async (t) => {
  await bindPod(client, linuxPod());
  const w = await watcher(lab.ovs.unix, { Interface: { columns: ['name', 'type', 'external_ids', 'mtu_request'] }, Port: { columns: ['name', 'interfaces', 'other_config'] }, Bridge: { columns: ['ports', 'external_ids'] } });
  t.teardown(() => w.close());
  const r = recording(client);
  const before = w.count();
  const again = await bindPod(r.db, linuxPod());
  await w.settle(() => lab.vsctl('set', 'Bridge', 'br-int', 'external_ids:sentinel=2'));
  t.false(again.changed);
  t.false(again.created);
  t.is(r.writes(), 0, JSON.stringify(r.log));
  t.is(w.count() - before, 1, 'only the sentinel reached the monitor');

  r.reset();
  const moved = await bindPod(r.db, linuxPod({ ipAddresses: ['10.244.1.7/24'], ifaceIdVer: undefined }));
  t.true(moved.changed);
  t.deepEqual(r.log.slice(1), [['mutate']]);
  const ids = parseVsctlMap(await lab.vsctl('get', 'Interface', moved.interfaceName, 'external_ids'));
  t.is(ids.get('ip_addresses'), '10.244.1.7/24');
  t.false(ids.has('iface-id-ver'), 'a rebind without iface-id-ver drops the old pod UID');

  // Keys written by others (ovn-controller's ovn-installed) survive a rebind.
  await lab.vsctl('set', 'Interface', moved.interfaceName, 'external_ids:ovn-installed=true');
  await bindPod(client, linuxPod());
  t.is(parseVsctlMap(await lab.vsctl('get', 'Interface', moved.interfaceName, 'external_ids')).get('ovn-installed'), 'true');
  await unbindPod(client, { namespace: 'default', pod: 'web-0', sandbox: SANDBOX });
  await lab.vsctl('remove', 'Bridge', 'br-int', 'external_ids', 'sentinel');
});

test.serial('a new sandbox of the same pod takes over the iface-id; unbind leaves a port that is not this pod\'s alone', async (t) => {
  const first = await bindPod(client, linuxPod());
  const second = await bindPod(client, linuxPod({ sandbox: 'ffeeddccbbaa99887766554433221100' }));
  t.deepEqual(second.staleCleared, [first.interfaceName]);
  t.is((await lab.vsctl('--bare', '--columns=name', 'find', 'Interface', 'external_ids:iface-id=default_web-0')).trim(), second.interfaceName);
  // The old sandbox's port is no longer the pod's: unbinding by the old sandbox removes nothing.
  const u = await unbindPod(client, { namespace: 'default', pod: 'web-0', sandbox: SANDBOX });
  t.deepEqual([u.removed, u.skipped], [false, 'not-this-pod']);
  t.regex(await lab.vsctl('list-ports', 'br-int'), new RegExp(`^${first.interfaceName}$`, 'm'));
  t.true((await unbindPod(client, { namespace: 'default', pod: 'web-0', sandbox: 'ffeeddccbbaa99887766554433221100' })).removed);
  await lab.vsctl('del-port', 'br-int', first.interfaceName);
});

test.serial('Interface options are written with the binding (one transaction); a rebind sets only the named keys that differ', async (t) => {
  const dir = lab.dir;
  t.teardown(() => unbindPod(client, { namespace: 'default', pod: 'web-0', sandbox: SANDBOX }).then(() => undefined));
  const r = recording(client);
  const b = await bindPod(r.db, linuxPod({ options: { tx_pcap: join(dir, 'web-0-tx.pcap'), rxq_pcap: join(dir, 'web-0-rx.pcap') } }));
  t.true(b.created);
  t.is(r.writes(), 1, JSON.stringify(r.log));
  const options = () => lab.vsctl('get', 'Interface', b.interfaceName, 'options').then(parseVsctlMap);
  t.is((await options()).get('tx_pcap'), join(dir, 'web-0-tx.pcap'));
  t.is((await options()).get('rxq_pcap'), join(dir, 'web-0-rx.pcap'));

  r.reset();
  t.false((await bindPod(r.db, linuxPod({ options: new Map([['tx_pcap', join(dir, 'web-0-tx.pcap')]]) }))).changed, 'same value: nothing written');
  const again = await bindPod(r.db, linuxPod({ options: new Map([['tx_pcap', join(dir, 'web-0-tx2.pcap')]]) }));
  t.true(again.changed);
  t.deepEqual(r.log.slice(-1), [['mutate']]);
  t.is((await options()).get('tx_pcap'), join(dir, 'web-0-tx2.pcap'));
  t.is((await options()).get('rxq_pcap'), join(dir, 'web-0-rx.pcap'), 'keys not named are left alone');
});

test.serial('Windows: internal interface named as the HNS endpoint (shortened to 48), PowerShell steps returned, ofport assigned', async (t) => {
  const namespace = 'team-payments-production-eu-west';
  const pod = 'checkout-service-deployment-7f9c8d6b5-x2x9q';
  const before = await snapshot();
  const b = await bindPod(client, {
    namespace, pod, platform: 'windows', sandbox: 'c0ffee00c0ffee00c0ffee00c0ffee00', mac: '0a:58:0a:f4:02:09',
    ipAddresses: ['10.244.2.9/24'], ifaceIdVer: 'b1d7', mtu: 1400,
    windows: { gateway: '10.244.2.1', hnsNetwork: 'OVNNet', compartmentId: 3 },
    waitForOfportMs: 10_000,
  });
  const names = podInterfaceNames({ namespace, pod, platform: 'windows' });
  t.is(b.interfaceName, names.interfaceName);
  t.is(b.interfaceName.length, 48);
  t.true(b.windows?.names.shortened);
  t.is(b.windows?.names.elementName, b.interfaceName);
  t.is(b.ifaceId, `${namespace}_${pod}`, 'iface-id keeps the full logical port name');
  t.is(b.interfaceType, 'internal');
  t.true(b.ofport !== undefined && b.ofport >= 1n);
  t.is((await lab.vsctl('get', 'Interface', b.interfaceName, 'type')).trim(), 'internal');
  t.is((await lab.vsctl('get', 'Interface', b.interfaceName, 'mtu_request')).trim(), '1400');
  t.is(parseVsctlMap(await lab.vsctl('get', 'Interface', b.interfaceName, 'external_ids')).get('iface-id'), `${namespace}_${pod}`);
  const commands = b.windows?.commands ?? [];
  t.deepEqual(commands.map((c) => c.program), ['powershell.exe', 'powershell.exe', 'powershell.exe', 'powershell.exe']);
  t.regex(commands[0].text, /New-HnsEndpoint .*-Name '[^']{48}'/);
  t.regex(commands[2].text, new RegExp(`Set-VMNetworkAdapterOVSPort -OVSPortName '${b.interfaceName}'`));
  t.regex(commands[3].text, /-NlMtuBytes 1400/);
  t.false(commands.some((c) => c.text.includes('ovs-vsctl')), 'the OVS step was this transaction, not a command');

  const u = await unbindPod(client, { namespace, pod, platform: 'windows' });
  t.true(u.removed);
  t.regex(u.windowsCommands?.[0].text ?? '', /Remove-HnsEndpoint/);
  t.deepEqual(await snapshot(), before);
});

test.serial('a port of the pod\'s name on another bridge is a conflict, not a takeover', async (t) => {
  await lab.vsctl('add-br', 'br-other', '--', 'set', 'Bridge', 'br-other', 'datapath_type=dummy');
  await lab.vsctl('add-port', 'br-other', SANDBOX.slice(0, 15), '--', 'set', 'Interface', SANDBOX.slice(0, 15), 'type=dummy');
  const e = await t.throwsAsync(bindPod(client, linuxPod()), { instanceOf: OvsError });
  t.is(e?.code, 'OVS_PORT_CONFLICT');
  const u = await unbindPod(client, { namespace: 'default', pod: 'web-0', sandbox: SANDBOX });
  t.deepEqual([u.removed, u.skipped], [false, 'absent']);
  t.regex(await lab.vsctl('list-ports', 'br-other'), new RegExp(SANDBOX.slice(0, 15)));
  await lab.vsctl('del-br', 'br-other');
});

test.serial('two agents binding the same pod at once end with one Port and one Interface', async (t) => {
  const second = await OvsdbClient.connect(lab.ovs.unix);
  t.teardown(() => second.close());
  const before = await snapshot();
  const results = await Promise.all([bindPod(client, linuxPod()), bindPod(second, linuxPod()), bindPod(client, linuxPod()), bindPod(second, linuxPod())]);
  t.is(results.filter((r) => r.created).length, 1, 'exactly one call created the rows; the others found them');
  t.is(new Set(results.map((r) => r.portUuid)).size, 1);
  const after = await snapshot();
  t.is(after.ports.length, before.ports.length + 1);
  t.is(after.ifaces.length, before.ifaces.length + 1);
  t.true((await unbindPod(second, { namespace: 'default', pod: 'web-0', sandbox: SANDBOX })).removed);
  t.deepEqual(await snapshot(), before);
});

test.serial('an interface vswitchd cannot open is reported with its error', async (t) => {
  const e = await t.throwsAsync(bindPod(client, linuxPod({ interfaceType: 'no-such-type', waitForOfportMs: 300 })), { instanceOf: OvsError });
  t.is(e?.code, 'OVS_NO_OFPORT');
  t.regex(e?.message ?? '', /got no OpenFlow port within 300 ms/);
  await unbindPod(client, { namespace: 'default', pod: 'web-0', sandbox: SANDBOX });
});

test('arguments are validated before anything is sent', async (t) => {
  const r = recording(client);
  const code = async (p: Partial<PodBindingSpec>) => (await t.throwsAsync(bindPod(r.db, linuxPod(p)), { instanceOf: OvsError }))?.code;
  t.is(await code({ mac: '0a:58:0a:f4:01' }), 'OVS_BAD_MAC');
  t.is(await code({ ipAddresses: ['10.244.1.5'] }), 'OVS_BAD_IP');
  t.is(await code({ ipAddresses: ['10.244.1.5/33'] }), 'OVS_BAD_IP');
  t.is(await code({ sandbox: 'bad/sandbox' }), 'OVS_BAD_SANDBOX');
  t.is(await code({ interfaceName: 'much-too-long-name' }), 'OVS_BAD_INTERFACE_NAME');
  t.is(await code({ mtu: 10 }), 'OVS_BAD_MTU');
  t.is(await code({ namespace: 'Default' }), 'OVS_BAD_NAMESPACE');
  t.is(await code({ pod: 'bad name!' }), 'OVS_BAD_POD_NAME');
  t.deepEqual(r.log, []);
});
