// The Windows leg, node side: under node.exe, the node's OVN settings and the Windows pod plans (HNS endpoint,
// attach, Hyper-V ElementName, OVS port, MTU) carried out against real Open_vSwitch databases through a named pipe,
// one created from OVS 3.0's vswitch schema (what Antrea ships on Windows) and one from the installed OVS. The OVS
// steps run over OVSDB; the HNS / Hyper-V steps need PowerShell and HNS, absent here: they are checked as a plan.
import test from 'ava';
import { WindowsRuntime } from '../../src/lab/windows.js';
import {
  INSTALLED_VSWITCH_SCHEMA, OVS_30_VSWITCH_SCHEMA, startVswitchServer, startWindowsLeg, type VswitchServer, type WindowsDriver,
} from './helpers.js';

let runtime: WindowsRuntime;
let driver: WindowsDriver;
const servers: VswitchServer[] = [];

const variants = [
  // Antrea's default OVS run dir on Windows, for the OVS it ships.
  { name: 'OVS 3.0 schema', schema: OVS_30_VSWITCH_SCHEMA, version: '8.3.0', pipe: '\\\\.\\pipe\\C:openvswitchvarrunopenvswitchdb.sock', remote: 'unix:db.sock', runDir: 'C:\\openvswitch\\var\\run\\openvswitch' },
  { name: 'installed schema', schema: INSTALLED_VSWITCH_SCHEMA, version: undefined, pipe: '\\\\.\\pipe\\C:ProgramDataopenvswitchdb.sock', remote: 'unix:C:\\ProgramData\\openvswitch\\db.sock', runDir: undefined },
] as const;

const settings = { systemId: 'win-node-1', hostname: 'win-node-1', ovnRemote: 'tcp:127.0.0.1:6642', encapType: 'geneve', encapIp: '192.0.2.10' };
const common = { gateway: '10.244.1.1', hnsNetwork: 'ovn-transparent', compartmentId: 3 };
const short = { namespace: 'default', pod: 'web-0', mac: '0a:58:0a:f4:01:05', ipAddresses: ['10.244.1.5/24'], containerId: 'c0ffee01', ifaceIdVer: '6f1c1c9e-0b0d-4f9a-9d3e-7b1a2f3c4d5e', mtu: 1400, ...common };
const long = { namespace: 'team-payments-production-eu-west', pod: 'checkout-service-deployment-7f9c8d6b5-x2x9z', mac: '0a:58:0a:f4:01:06', ipAddresses: ['10.244.1.6/24'], containerId: 'c0ffee02', ...common };

/** `ovs-vsctl get`, its quoting undone (it quotes a string only when it is not a plain token). */
async function get(db: VswitchServer, ...args: string[]): Promise<string> {
  const text = (await db.vsctl('get', ...args)).trim();
  return text.startsWith('"') ? JSON.parse(text) as string : text;
}

interface StepView {
  kind: string; status: string; program: string; args: string[]; reason?: string;
  endpoint?: string; elementName?: string; port?: string; adapter?: string; mac?: string; mtu?: number; ifaceId?: string;
  result?: { created?: boolean; removed?: boolean; portName?: string; externalIds?: Map<string, string>; dropped?: unknown[]; skipped?: string };
}
interface PodView { names: { ifaceId: string; endpointName: string; interfaceName: string; elementName: string; hostAdapter: string; shortened: boolean }; steps: StepView[] }

test.before(async () => {
  const [leg, ...started] = await Promise.all([startWindowsLeg(), ...variants.map((v) => startVswitchServer(v.schema))]);
  ({ runtime, driver } = leg);
  servers.push(...started);
  for (const [i, v] of variants.entries()) await runtime.startPipeBridge({ pipeName: v.pipe, tcpPort: servers[i].port, name: `bridge-${i}` });
});

test.after.always(async () => {
  await driver?.stop();
  await runtime?.stop();
  for (const s of servers) await s.stop();
});

for (const [i, v] of variants.entries()) {
  test.serial(`${v.name}: the schema skew the node API sees from node.exe`, async (t) => {
    const skew = await driver.call<{ serverVersion: string; compatible: boolean; missingColumns: unknown[]; missingTables: unknown[]; typeMismatches: unknown[] }>(
      'nodeSkew', { remote: v.remote, runDir: v.runDir });
    if (v.version) t.is(skew.serverVersion, v.version);
    t.true(skew.compatible);
    t.deepEqual([skew.missingTables, skew.missingColumns, skew.typeMismatches], [[], [], []]);
  });

  test.serial(`${v.name}: node settings and Windows pods bound from node.exe, as Windows agents name them`, async (t) => {
    const db = servers[i];
    // An Antrea-style pod port already on br-int: Antrea names the port after its HNS endpoint (pod name prefix +
    // hash, 15 characters) and keeps its keys in the Port's external_ids. It must survive our binds and unbinds.
    await db.vsctl('--may-exist', 'add-br', 'br-int', '--', 'add-port', 'br-int', 'web-1-3f2a9c', '--', 'set', 'Interface', 'web-1-3f2a9c', 'type=internal',
      '--', 'set', 'Port', 'web-1-3f2a9c', 'external_ids:antrea-type=container', 'external_ids:pod-name=web-1', 'external_ids:pod-namespace=default',
      'external_ids:container-id=abc123', 'external_ids:ip-address=10.244.1.9', 'external_ids:attached-mac=0a:58:0a:f4:01:09');

    const r = await driver.call<{ configured: { set: string[]; dropped: unknown[] }; pods: PodView[] }>('nodeBind', {
      remote: v.remote, runDir: v.runDir, settings, pods: [short, long],
    });
    t.deepEqual(r.configured.dropped, []);
    t.is(await get(db, 'Open_vSwitch', '.', 'external_ids:system-id'), 'win-node-1');
    t.is(await get(db, 'Open_vSwitch', '.', 'external_ids:ovn-encap-type'), 'geneve');

    const [a, b] = r.pods;
    t.deepEqual(a.names, { ifaceId: 'default_web-0', endpointName: 'default_web-0', interfaceName: 'default_web-0', elementName: 'default_web-0', hostAdapter: 'vEthernet (default_web-0)', shortened: false });
    t.true(b.names.shortened);
    t.is(b.names.interfaceName.length, 48);
    t.is(b.names.ifaceId, `${long.namespace}_${long.pod}`);

    // The plan: the HNS endpoint, its attach, the Hyper-V ElementName and the OVS port all use one name.
    t.deepEqual(a.steps.map((s) => [s.kind, s.status]), [
      ['hns-endpoint', 'not-executed'], ['hns-attach', 'not-executed'], ['hyperv-port-name', 'not-executed'], ['ovs-port', 'done'], ['adapter-mtu', 'not-executed'],
    ]);
    t.deepEqual(b.steps.map((s) => s.kind), ['hns-endpoint', 'hns-attach', 'hyperv-port-name', 'ovs-port']);
    for (const p of [a, b]) {
      const n = p.names.interfaceName;
      const [endpoint, attach, portName, ovs] = p.steps;
      t.is(endpoint.endpoint, n);
      t.is(attach.endpoint, n);
      t.is(attach.adapter, `vEthernet (${n})`);
      t.is(portName.elementName, n);
      t.is(ovs.port, n);
      t.is(ovs.ifaceId, p.names.ifaceId);
      t.is(endpoint.program, 'powershell.exe');
      t.true(endpoint.args.at(-1)!.includes(`New-HnsEndpoint -NetworkId (Get-HnsNetwork | Where-Object { $_.Name -eq 'ovn-transparent' }`));
      t.true(portName.args.at(-1)!.includes(`Set-VMNetworkAdapterOVSPort -OVSPortName '${n}'`));
      for (const s of p.steps.filter((x) => x.status === 'not-executed')) t.regex(s.reason ?? '', /runs on the Windows host/);
      t.deepEqual(ovs.result?.dropped, []);
      t.true(ovs.result?.created);
    }
    t.is(a.steps[0].mac, '0A-58-0A-F4-01-05', 'HNS takes the MAC with dashes');
    t.is(a.steps[2].mac, '0A580AF40105', 'Hyper-V takes it bare');
    t.is(a.steps[4].adapter, 'vEthernet (default_web-0)');
    t.is(a.steps[4].mtu, 1400);

    // What ovsdb-server holds, read back with ovs-vsctl on Linux.
    const ports = (await db.vsctl('list-ports', 'br-int')).trim().split('\n').sort();
    t.deepEqual(ports, [a.names.interfaceName, b.names.interfaceName, 'web-1-3f2a9c'].sort());
    for (const [p, spec] of [[a, short], [b, long]] as const) {
      const n = p.names.interfaceName;
      t.is(await get(db, 'Interface', n, 'type'), 'internal');
      t.is(await get(db, 'Interface', n, 'external_ids:iface-id'), p.names.ifaceId);
      t.is(await get(db, 'Interface', n, 'external_ids:attached_mac'), spec.mac);
      t.is(await get(db, 'Interface', n, 'external_ids:ip_addresses'), spec.ipAddresses[0]);
      t.is(await get(db, 'Interface', n, 'external_ids:sandbox'), spec.containerId);
      t.is(await get(db, 'Port', n, 'other_config:transient'), 'true');
    }
    t.is(await get(db, 'Interface', a.names.interfaceName, 'external_ids:iface-id-ver'), short.ifaceIdVer);
    t.is(await get(db, 'Interface', a.names.interfaceName, 'mtu_request'), '1400');

    // Binding again changes nothing (CNI ADD comes more than once on Windows).
    const again = await driver.call<{ pods: PodView[] }>('nodeBind', { remote: v.remote, runDir: v.runDir, settings, pods: [short] });
    t.false(again.pods[0].steps[3].result?.created);

    // Unbind: the OVS port goes over OVSDB, the HNS endpoint deletion is planned; Antrea's port stays.
    const un = await driver.call<StepView[][]>('nodeUnbind', { remote: v.remote, runDir: v.runDir, pods: [short, long] });
    for (const steps of un) {
      t.deepEqual(steps.map((s) => [s.kind, s.status]), [['ovs-del-port', 'done'], ['hns-endpoint-delete', 'not-executed']]);
      t.true(steps[0].result?.removed);
    }
    t.deepEqual((await db.vsctl('list-ports', 'br-int')).trim().split('\n'), ['web-1-3f2a9c']);
    t.is(await get(db, 'Port', 'web-1-3f2a9c', 'external_ids:antrea-type'), 'container');
  });
}
