// Bench: pods per second from "the pod is scheduled" to "ovn-controller reports it up" on a real two-hypervisor
// OVN lab (src/lab: ovn-northd, and per hypervisor an ovsdb-server, userspace ovs-vswitchd and ovn-controller).
// Per pod: pods.ensure (Northbound logical port with IPAM), bindPod on the pod's hypervisor (Open_vSwitch Port and
// Interface, a dummy interface standing for the veth), then wait until Logical_Switch_Port.up is true
// (waitForPortsUp: the Northbound replica's change events). Pods alternate between the two hypervisors. The peer
// does the same with the CLIs a script would use: ovn-nbctl lsp-add (addresses precomputed: it has no IPAM),
// ovs-vsctl add-port, and ovn-nbctl wait-until up=true, one process each.
//
//   node --import tsx bench/overlay.ts [--quick]
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { startLab, type Lab } from '../src/lab/index.js';
import {
  ClusterNetwork, OvnPods, OvsdbClient, bindPod, configureNodeAt, macFromAddress, openNorthbound, podPortName,
  waitForHypervisors, waitForPortsUp, type Northbound,
} from '../src/index.js';
import { compare, type BenchComparison, type BenchOptions, type BenchSuite, type BenchSuiteResult } from './result.js';
import { latencyMeasurements, percentile, rate, timedInFlight, type LatencyRun } from './statistics.js';

const SUITE = 'overlay';
const WINDOW = 32;

const nodeSubnet = (hv: number): string => `10.${hv}.0.0/16`;
const sandboxOf = (name: string): string => createHash('sha256').update(name).digest('hex');

/** Removes a run's pods (not measured) with one ovn-nbctl and one ovs-vsctl per hypervisor, then waits for every chassis. */
async function cleanup(lab: Lab, nb: Northbound, ports: { port: string; iface: string; hv: number }[]): Promise<void> {
  if (ports.length === 0) return;
  await lab.nbctl(...ports.flatMap((p) => ['--', '--if-exists', 'lsp-del', p.port]));
  for (const hv of lab.hypervisors) {
    const mine = ports.filter((p) => p.hv === hv.index);
    if (mine.length > 0) await hv.vsctl(...mine.flatMap((p) => ['--', '--if-exists', 'del-port', 'br-int', p.iface]));
  }
  await waitForHypervisors(nb, { timeoutMs: 60_000 });
}

export const runOverlayBench: BenchSuite = async (options: BenchOptions): Promise<BenchSuiteResult> => {
  const count = options.quick ? 40 : 200;
  const runs = new Map<string, LatencyRun>();
  const steps = 4;
  let step = 0;
  const progress = (label: string): void => options.progress?.(step++, steps, label);
  const startedLab = performance.now();
  const lab = await startLab({
    hypervisors: { count: 2, configureNode: async (node, settings) => { await configureNodeAt(node.ovsdb, settings); } },
  });
  const labMs = performance.now() - startedLab;
  const closers: { close(): Promise<void> }[] = [];
  try {
    const ovs = await Promise.all(lab.hypervisors.map((hv) => OvsdbClient.connect(hv.ovsdb)));
    closers.push(...ovs);
    const nb = await openNorthbound(lab.nb.unix);
    closers.push(nb);
    const net = new ClusterNetwork(nb);
    await net.ensureCluster();
    for (const hv of lab.hypervisors) {
      await net.nodes.ensure({ name: hv.name, subnets: [nodeSubnet(hv.index)], chassis: hv.name, nodeIp: hv.encapIp, clusterSubnets: ['10.0.0.0/8'] });
    }
    await waitForHypervisors(nb, { timeoutMs: 60_000 });
    const hvOf = (i: number) => lab.hypervisors[i % 2];

    // ovn-overlay: the pod API, the node API, the replica. The wait starts before the port exists: no change is missed.
    const ours = (namespace: string, agent: OvnPods) => async (i: number): Promise<void> => {
      const hv = hvOf(i);
      const name = `pod-${i}`;
      await Promise.all([
        waitForPortsUp(nb, [podPortName(namespace, name)], { timeoutMs: 60_000 }),
        (async () => {
          const net = await agent.ensure({ namespace, name, node: hv.name, uid: `${namespace}-${i}` });
          await bindPod(ovs[hv.index - 1], {
            namespace, pod: name, sandbox: sandboxOf(`${namespace}/${name}`), mac: net.mac, ipAddresses: net.ipAddresses,
            ifaceIdVer: `${namespace}-${i}`, interfaceType: 'dummy',
          });
        })(),
      ]);
    };
    const oursPorts = (namespace: string) => Array.from({ length: count }, (_, i) => ({
      port: podPortName(namespace, `pod-${i}`), iface: sandboxOf(`${namespace}/pod-${i}`).slice(0, 15), hv: hvOf(i).index,
    }));

    // The CLI peer: what a shell script does per pod.
    const cli = (namespace: string, third: number) => async (i: number): Promise<void> => {
      const hv = hvOf(i);
      const ip = `10.${hv.index}.${third}.${Math.floor(i / 2) + 1}`;
      const address = `${macFromAddress(ip)} ${ip}`;
      const port = podPortName(namespace, `pod-${i}`);
      const iface = `${namespace}-${i}`;
      await lab.nbctl('--', 'lsp-add', hv.name, port, '--', 'lsp-set-addresses', port, address, '--', 'lsp-set-port-security', port, address,
        '--', 'set', 'Logical_Switch_Port', port, `external_ids:namespace=${namespace}`, 'external_ids:pod=true',
        `options:iface-id-ver=${namespace}-${i}`, `options:requested-chassis=${hv.name}`);
      await hv.vsctl('--', 'add-port', 'br-int', iface, '--', 'set', 'Interface', iface, 'type=dummy',
        `external_ids:iface-id=${port}`, `external_ids:iface-id-ver=${namespace}-${i}`, `external_ids:attached_mac="${macFromAddress(ip)}"`,
        `external_ids:ip_addresses="${ip}/16"`);
      await lab.nbctl('wait-until', 'Logical_Switch_Port', port, 'up=true');
    };
    const cliPorts = (namespace: string) => Array.from({ length: count }, (_, i) => ({
      port: podPortName(namespace, `pod-${i}`), iface: `${namespace}-${i}`, hv: hvOf(i).index,
    }));

    progress('ovn-overlay one at a time');
    runs.set('ours-seq', await timedInFlight('ovn-overlay', count, 1, ours('seq', new OvnPods(nb))));
    await cleanup(lab, nb, oursPorts('seq'));
    progress(`ovn-overlay ${WINDOW} in flight`);
    runs.set('ours-par', await timedInFlight('ovn-overlay', count, WINDOW, ours('par', new OvnPods(nb))));
    await cleanup(lab, nb, oursPorts('par'));
    progress('ovn-nbctl + ovs-vsctl one at a time');
    runs.set('cli-seq', await timedInFlight('ovn-nbctl + ovs-vsctl', count, 1, cli('cliseq', 129)));
    await cleanup(lab, nb, cliPorts('cliseq'));
    progress(`ovn-nbctl + ovs-vsctl ${WINDOW} in parallel`);
    runs.set('cli-par', await timedInFlight('ovn-nbctl + ovs-vsctl', count, WINDOW, cli('clipar', 130)));
    await cleanup(lab, nb, cliPorts('clipar'));
    options.progress?.(steps, steps, 'done');
  } finally {
    for (const c of closers.reverse()) await c.close().catch(() => undefined);
    await lab.stop();
  }

  const get = (k: string) => runs.get(k) as LatencyRun;
  const seqCase = `${count} pods up over 2 hypervisors, one at a time`;
  const parCase = `${count} pods up over 2 hypervisors, ${WINDOW} in flight`;
  const comparisons: BenchComparison[] = [
    compare(SUITE, seqCase, 'pods/s', 'ovn-nbctl + ovs-vsctl', rate(get('ours-seq')), rate(get('cli-seq')), true),
    compare(SUITE, seqCase, 'p50 latency', 'ovn-nbctl + ovs-vsctl', percentile(get('ours-seq').latencies, 50), percentile(get('cli-seq').latencies, 50), false, undefined, 'ms'),
    compare(SUITE, parCase, 'pods/s', 'ovn-nbctl + ovs-vsctl', rate(get('ours-par')), rate(get('cli-par')), true),
  ];
  return {
    suite: SUITE,
    measurements: [
      ...latencyMeasurements(SUITE, seqCase, get('ours-seq'), 'pods/s'), ...latencyMeasurements(SUITE, parCase, get('ours-par'), 'pods/s'),
      ...latencyMeasurements(SUITE, seqCase, get('cli-seq'), 'pods/s'), ...latencyMeasurements(SUITE, parCase, get('cli-par'), 'pods/s'),
    ],
    comparisons,
    notes: [
      `a pod counts once Logical_Switch_Port.up is true: ovn-controller on its hypervisor has claimed it and installed its flows (lab start ${Math.round(labMs)} ms, not counted)`,
      'ours: pods.ensure (IPAM, wait-guarded) + bindPod (one transaction on the hypervisor) + up seen in the replica; the CLI peer: ovn-nbctl lsp-add with precomputed addresses + ovs-vsctl add-port (waits for vswitchd) + ovn-nbctl wait-until up=true',
      'each run starts from the same database size: the previous run\'s ports are deleted and every chassis has caught up (hv_cfg) first',
    ],
  };
};

const invokedDirectly = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (invokedDirectly) {
  const result = await runOverlayBench({ quick: process.argv.includes('--quick'), progress: (d, t, l) => console.error(`[${d}/${t}] ${l}`) });
  for (const m of result.measurements) {
    console.log(`${m.case.padEnd(48)} ${m.subject.padEnd(22)} ${m.metric.padEnd(6)} ${m.value.toFixed(m.unit === 'ms' ? 1 : 0).padStart(8)} ${m.unit}`);
  }
  for (const c of result.comparisons) console.log(`${c.case} ${c.metric} vs ${c.peer}: ${c.advantage.toFixed(2)}x`);
  for (const n of result.notes) console.log(`note: ${n}`);
}
