// Per-pod interface statistics: frames injected into a bound pod's interface of the real userspace vswitchd show
// up in Interface:statistics, read through the monitor and a select, and become CRI PodSandboxStats.
import test from 'ava';
import { join } from 'node:path';
import type { Lab } from '../../src/lab/index.js';
import { runCommand } from '../../src/lab/process.js';
import { OvsdbClient } from '../../src/ovsdb/client.js';
import { OvsdbDatabase } from '../../src/ovsdb/database.js';
import type { VSwitchTables } from '../../src/models/open-vswitch.js';
import { nodeDatabaseOf } from '../../src/ovs/node-db.js';
import { InterfaceStatsMonitor, criPodStats, podInterfaceStats, selectInterfaceStats } from '../../src/ovs/interface-stats.js';
import { bindPod } from '../../src/ovs/pod-binding.js';
import { waitForReplica } from '../../src/ovsdb/replica-wait.js';
import { vswitchLab } from './helpers.js';
import { CriStatsError, decodePodSandboxStats, encodePodSandboxStats } from '../../src/stats/cri.js';

let lab: Lab;
let client: OvsdbClient;

vswitchLab(test, (started) => ({ lab, client } = started));

/** A 60-byte broadcast ARP request from the pod's MAC, as hex. */
function arpFrame(mac: string): string {
  const m = mac.replace(/:/g, '');
  return `ffffffffffff${m}0806` + `0001080006040001${m}0af40105` + `0000000000000af40101` + '00'.repeat(18);
}

test('injected frames are counted per pod: monitor, select and CRI stats agree', async (t) => {
  const mac = '0a:58:0a:f4:01:05';
  const b = await bindPod(client, {
    namespace: 'default', pod: 'web-0', sandbox: '0123456789abcdef0123', mac, ipAddresses: ['10.244.1.5/24'],
    interfaceType: 'dummy', waitForOfportMs: 10_000,
  });
  const monitor = await InterfaceStatsMonitor.start(lab.ovs.unix);
  t.teardown(() => monitor.close());
  t.truthy(monitor.byName(b.interfaceName), 'the monitor has the bound interface from its initial rows');

  const frame = arpFrame(mac);
  t.is(frame.length, 120);
  for (let i = 0; i < 3; i++) {
    await runCommand('ovs-appctl', ['-t', join(lab.dir, 'vswitchd.ctl'), 'netdev-dummy/receive', b.interfaceName, frame]);
  }
  // vswitchd writes counters every stats-update-interval (5 s by default); the monitor sees the update.
  const row = await monitor.waitFor((r) => r.name === b.interfaceName && (r.statistics.get('rx_packets') ?? 0n) >= 3n, 15_000);
  t.is(row.statistics.get('rx_packets'), 3n);
  t.is(row.statistics.get('rx_bytes'), 180n);

  const [view] = monitor.pod('default', 'web-0');
  t.is(view.interfaceName, b.interfaceName);
  t.is(view.ifaceId, 'default_web-0');
  t.is(view.rxPackets, 3n);
  t.is(view.rxBytes, 180n);
  t.is(view.txPackets, 0n, 'fail-mode secure and no flows: nothing sent to the pod');
  // The dummy netdev counts bytes and packets only: drops and errors are "not reported", not 0.
  t.is(view.rxDropped, undefined);
  t.is(view.txErrors, undefined);
  t.is(view.ofport, b.ofport);

  const selected = await selectInterfaceStats(client, ['default_web-0']);
  t.is(selected.length, 1);
  t.deepEqual(podInterfaceStats(selected, 'default', 'web-0')[0].rxBytes, 180n);
  t.deepEqual(podInterfaceStats(selected, 'default', 'other'), []);

  // CRI: from the pod's side what the switch received is what the pod transmitted.
  const stats = monitor.cri({ namespace: 'default', name: 'web-0', uid: 'u-1', sandboxId: '0123456789abcdef0123', platform: 'linux', reportedName: 'eth0' }, { timestamp: 1n });
  t.deepEqual(stats.linux?.network?.defaultInterface, { name: 'eth0', rxBytes: 0n, txBytes: 180n });
  t.deepEqual(decodePodSandboxStats(encodePodSandboxStats(stats)), stats);
  const win = criPodStats(selected, { namespace: 'default', name: 'web-0', uid: 'u-1', sandboxId: 's', platform: 'windows' }, { timestamp: 1n, perspective: 'switch' });
  t.is(win.windows?.network?.defaultInterface?.rxBytes, 180n);
  t.is(win.windows?.network?.defaultInterface?.name, b.interfaceName);
  t.throws(() => criPodStats(selected, { namespace: 'default', name: 'nope', uid: 'u', sandboxId: 's', platform: 'linux' }), { instanceOf: CriStatsError });
});

test('the monitor follows inserts and deletes', async (t) => {
  const monitor = await InterfaceStatsMonitor.start(lab.ovs.unix);
  t.teardown(() => monitor.close());
  const added = monitor.waitFor((r) => r.external_ids.get('iface-id') === 'default_late-1', 10_000);
  const b = await bindPod(client, {
    namespace: 'default', pod: 'late-1', sandbox: 'fedcba9876543210fedc', mac: '0a:58:0a:f4:01:09', ipAddresses: ['10.244.1.9/24'], interfaceType: 'dummy',
  });
  t.is((await added).name, b.interfaceName);
  let deleted: string[] = [];
  monitor.on('update', (_rows, gone) => { deleted = deleted.concat(gone.map((r) => r.name)); });
  await lab.vsctl('del-port', 'br-int', b.interfaceName);
  await monitor.until(() => monitor.byName(b.interfaceName) === undefined, 10_000);
  t.deepEqual(deleted, [b.interfaceName]);
  t.deepEqual(monitor.pod('default', 'late-1'), []);
});

test('drops and errors map to their CRI fields (kernel-style counters)', (t) => {
  const row = {
    name: 'a1b2c3d4e5f6a7b', external_ids: new Map([['iface-id', 'ns1_p1']]),
    statistics: new Map([['rx_bytes', 10n], ['tx_bytes', 20n], ['rx_dropped', 1n], ['tx_dropped', 2n], ['rx_errors', 3n], ['tx_errors', 4n], ['rx_packets', 5n], ['tx_packets', 6n]]),
  };
  const [v] = podInterfaceStats([row], 'ns1', 'p1');
  t.deepEqual([v.rxBytes, v.txBytes, v.rxDropped, v.txDropped, v.rxErrors, v.txErrors, v.rxPackets, v.txPackets], [10n, 20n, 1n, 2n, 3n, 4n, 5n, 6n]);
  const pod = { namespace: 'ns1', name: 'p1', uid: 'u', sandboxId: 's' };
  t.deepEqual(criPodStats([row], { ...pod, platform: 'linux' }, { timestamp: 1n }).linux?.network?.defaultInterface,
    { name: 'a1b2c3d4e5f6a7b', rxBytes: 20n, rxErrors: 4n, txBytes: 10n, txErrors: 3n });
  t.deepEqual(criPodStats([row], { ...pod, platform: 'windows' }, { timestamp: 1n }).windows?.network?.defaultInterface,
    { name: 'a1b2c3d4e5f6a7b', rxBytes: 20n, rxPacketsDropped: 2n, txBytes: 10n, txPacketsDropped: 1n });
});

test('the replica (OvsdbDatabase) carries the node API and its Interface rows feed the statistics', async (t) => {
  const db = OvsdbDatabase.connect<VSwitchTables>({
    remotes: lab.ovs.unix, database: 'Open_vSwitch',
    tables: { Interface: { columns: ['name', 'external_ids', 'statistics', 'ofport'] } },
  });
  t.teardown(() => db.close());
  await db.synced;
  const b = await bindPod(nodeDatabaseOf(db), {
    namespace: 'kube-system', pod: 'dns-1', sandbox: 'beefbeefbeefbeefbeef', mac: '0a:58:0a:f4:01:0a', ipAddresses: ['10.244.1.10/24'],
    interfaceType: 'dummy', waitForOfportMs: 10_000,
  });
  const frame = arpFrame('0a:58:0a:f4:01:0a');
  await runCommand('ovs-appctl', ['-t', join(lab.dir, 'vswitchd.ctl'), 'netdev-dummy/receive', b.interfaceName, frame]);
  const interfaces = db.table('Interface');
  // Counters arrive with vswitchd's next statistics write, as a replica change.
  await waitForReplica(db, 'statistics', () => ((podInterfaceStats(interfaces, 'kube-system', 'dns-1')[0]?.rxPackets ?? 0n) >= 1n ? true : undefined), { timeoutMs: 15_000 });
  const [view] = podInterfaceStats(interfaces, 'kube-system', 'dns-1');
  t.is(view?.interfaceName, b.interfaceName);
  t.is(view?.rxPackets, 1n);
  t.is(view?.rxBytes, 60n);
  t.is(criPodStats(interfaces, { namespace: 'kube-system', name: 'dns-1', uid: 'u', sandboxId: 's', platform: 'linux' }, { timestamp: 1n })
    .linux?.network?.defaultInterface?.txBytes, 60n);

  // The monitor is a view of that same replica when given it, and leaves it open when closed.
  const monitor = await InterfaceStatsMonitor.start(db);
  t.deepEqual(monitor.pod('kube-system', 'dns-1'), podInterfaceStats(interfaces, 'kube-system', 'dns-1'));
  t.is(monitor.byName(b.interfaceName)?.name, b.interfaceName);
  await monitor.close();
  t.false(monitor.active);
  t.not(db.state, 'closed');
});
