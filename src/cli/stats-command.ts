// `ovn-overlay stats --db <remote>`: per-pod network statistics from the OVS Interface rows that carry
// external_ids:iface-id=<namespace>_<pod> (the pod's port, as ovn-kubernetes names it), as a table, JSON, or
// CRI protobuf (src/stats/cri.ts).
import { writeFile } from 'node:fs/promises';
import { criPodStats, nodeDatabaseOf, podInterfaceStats, selectInterfaceStats, type InterfaceCountersView, type InterfaceStatsRow } from '../ovs/index.js';
import { encodeListPodSandboxStatsResponse } from '../stats/cri.js';
import { IFACE_ID_KEY, IFACE_ID_VER_KEY, SANDBOX_KEY } from '../ovn/names.js';
import { TLS_OPTIONS, parse, tlsFromArgs } from './args.js';
import { CliError, usageError } from './cli-error.js';
import { connectDatabases, requireDatabase } from './connect.js';
import { STATS_USAGE } from './help.js';
import { formatTable } from './table-format.js';

/** A pod found among the Interface rows, with its interfaces' counters as the node API reads them. */
export interface PodInterfaces {
  namespace: string;
  pod: string;
  ifaceId: string;
  /** external_ids:iface-id-ver (ovn-kubernetes: the pod UID) and :sandbox (the CRI sandbox id), when set. */
  uid: string;
  sandboxId: string;
  interfaces: InterfaceCountersView[];
}

const COUNTERS = ['rx_bytes', 'rx_packets', 'rx_dropped', 'rx_errors', 'tx_bytes', 'tx_packets', 'tx_dropped', 'tx_errors'];

/**
 * The pods among Interface rows (those with an iface-id of the form <namespace>_<pod>), sorted by namespace and
 * name, each with podInterfaceStats() of src/ovs.
 */
export function podsOf(rows: readonly InterfaceStatsRow[]): PodInterfaces[] {
  const pods = new Map<string, PodInterfaces>();
  for (const row of rows) {
    const ids = row.external_ids;
    const ifaceId = ids.get(IFACE_ID_KEY);
    if (ifaceId === undefined || pods.has(ifaceId)) continue;
    const cut = ifaceId.indexOf('_');
    if (cut <= 0 || cut === ifaceId.length - 1) continue;
    const namespace = ifaceId.slice(0, cut);
    const pod = ifaceId.slice(cut + 1);
    pods.set(ifaceId, {
      namespace, pod, ifaceId, uid: ids.get(IFACE_ID_VER_KEY) ?? '', sandboxId: ids.get(SANDBOX_KEY) ?? '',
      interfaces: podInterfaceStats(rows, namespace, pod),
    });
  }
  return [...pods.values()].sort((a, b) => a.namespace.localeCompare(b.namespace) || a.pod.localeCompare(b.pod));
}

/** Counters of one interface from the pod's side (rx = what the pod received = what OVS sent) or the switch's. */
export function podCounters(iface: InterfaceCountersView, perspective: 'pod' | 'switch'): Record<string, bigint | undefined> {
  const out: Record<string, bigint | undefined> = {};
  for (const c of COUNTERS) {
    const key = perspective === 'pod' ? (c.startsWith('rx_') ? `tx_${c.slice(3)}` : `rx_${c.slice(3)}`) : c;
    out[c] = iface.statistics.get(key);
  }
  return out;
}

export async function runStatsCommand(argv: readonly string[]): Promise<number> {
  const { values } = parse('stats', argv, {
    db: { type: 'string' }, format: { type: 'string', default: 'text' }, output: { type: 'string', short: 'o' },
    platform: { type: 'string', default: 'linux' }, perspective: { type: 'string', default: 'pod' },
    ...TLS_OPTIONS,
  });
  if (values.help) { process.stdout.write(STATS_USAGE); return 0; }
  const remotes = values.db ?? process.env.OVN_OVERLAY_DB;
  if (remotes === undefined) throw usageError("stats: --db <remote> is required (see 'ovn-overlay stats --help')");
  const format = values.format;
  if (format !== 'text' && format !== 'json' && format !== 'cri') throw usageError(`stats: --format must be text, json or cri, not "${format}"`);
  const platform = values.platform;
  if (platform !== 'linux' && platform !== 'windows') throw usageError(`stats: --platform must be linux or windows, not "${platform}"`);
  const perspective = values.perspective;
  if (perspective !== 'pod' && perspective !== 'switch') throw usageError(`stats: --perspective must be pod or switch, not "${perspective}"`);

  // No table replicated: one select (selectInterfaceStats) over the replica's connection.
  const dbs = await connectDatabases(remotes, { tls: tlsFromArgs(values), only: ['Open_vSwitch'], tables: { Open_vSwitch: [] } });
  let rows: InterfaceStatsRow[];
  try {
    rows = await selectInterfaceStats(nodeDatabaseOf(requireDatabase(dbs, 'Open_vSwitch', remotes).db));
  } finally {
    await dbs.close();
  }
  const pods = podsOf(rows);

  let text: string;
  let bytes: Uint8Array | undefined;
  if (format === 'text') {
    const table = pods.flatMap((p) => p.interfaces.map((i) => ({ namespace: p.namespace, pod: p.pod, interface: i.interfaceName,
      ...Object.fromEntries(Object.entries(podCounters(i, perspective)).map(([k, v]) => [k, v ?? '-'])) })));
    text = table.length === 0 ? 'no pod interfaces (no Interface row has external_ids:iface-id=<namespace>_<pod>)'
      : formatTable(table, { columns: ['namespace', 'pod', 'interface', ...COUNTERS] });
  } else if (format === 'json') {
    const list = pods.map((p) => ({
      namespace: p.namespace, pod: p.pod, ifaceId: p.ifaceId, uid: p.uid, sandboxId: p.sandboxId, perspective,
      interfaces: p.interfaces.map((i) => ({ name: i.interfaceName, counters: podCounters(i, perspective) })),
    }));
    text = JSON.stringify(list, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);
  } else {
    const timestamp = BigInt(Date.now()) * 1_000_000n;
    const stats = pods.map((p) => criPodStats(rows, {
      namespace: p.namespace, name: p.pod, uid: p.uid, sandboxId: p.sandboxId, platform,
    }, { timestamp, perspective }));
    bytes = encodeListPodSandboxStatsResponse(stats);
    text = Buffer.from(bytes).toString('base64');
  }
  if (values.output !== undefined) {
    try {
      await writeFile(values.output, bytes ?? `${text}\n`);
    } catch (error) {
      throw new CliError(`cannot write ${values.output}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    process.stderr.write(`wrote ${pods.length} pod${pods.length === 1 ? '' : 's'} to ${values.output}\n`);
  } else {
    process.stdout.write(`${text}\n`);
  }
  return 0;
}
