// Per-pod interface statistics from the Open_vSwitch database. ovs-vswitchd writes each Interface's counters
// into `Interface:statistics` (rx_bytes, tx_bytes, rx_packets, tx_packets, rx_dropped, tx_dropped, rx_errors,
// tx_errors, ...) every `other_config:stats-update-interval` (5 s by default). A pod's interfaces are those whose
// `external_ids:iface-id` is `<namespace>_<pod>`.
//
// Three ways to get the rows: InterfaceStatsMonitor (a view of the replica's Interface rows, OvsdbDatabase),
// selectInterfaceStats() (one select), or any iterable of rows of the same shape (any replica's Interface rows
// fit). The counters are as OVS counts them, from the switch's side; criPodStats() turns them into CRI
// PodSandboxStats from the pod's side (src/stats/cri.ts).
import { EventEmitter } from 'node:events';
import { OvsdbDatabase, type ChangeOf } from '../ovsdb/database.js';
import type { Uuid } from '../ovsdb/datum.js';
import { select, type Condition } from '../ovsdb/operations.js';
import { waitForReplica } from '../ovsdb/replica-wait.js';
import type { Interface, VSwitchTables } from '../models/open-vswitch.js';
import { podNetworkStatsFromInterfaces, type PodIdentity, type PodSandboxStats, type PodStatsOptions } from '../stats/cri.js';
import { OPEN_VSWITCH, type NodeDatabase } from './node-db.js';
import { logicalPortName } from './windows.js';
import { IFACE_ID_KEY } from '../ovn/names.js';

/** The columns of an Interface row the statistics need (the generated Interface model and replica rows fit). */
export interface InterfaceStatsRow {
  readonly name: string;
  readonly external_ids: ReadonlyMap<string, string>;
  readonly statistics: ReadonlyMap<string, bigint>;
  readonly ofport?: bigint;
}

/** One interface's counters, undefined when vswitchd did not report that counter (yet). */
export interface InterfaceCountersView {
  readonly interfaceName: string;
  readonly ifaceId: string | undefined;
  readonly ofport: bigint | undefined;
  readonly rxBytes: bigint | undefined;
  readonly txBytes: bigint | undefined;
  readonly rxPackets: bigint | undefined;
  readonly txPackets: bigint | undefined;
  readonly rxDropped: bigint | undefined;
  readonly txDropped: bigint | undefined;
  readonly rxErrors: bigint | undefined;
  readonly txErrors: bigint | undefined;
  /** Every counter vswitchd wrote (also rx_crc_err, collisions, ...). */
  readonly statistics: ReadonlyMap<string, bigint>;
}

/** The Interface columns the statistics functions read. */
export const STATS_COLUMNS = ['name', 'external_ids', 'statistics', 'ofport'] as const;

/** The counters of one Interface row, named. */
export function interfaceCounters(row: InterfaceStatsRow): InterfaceCountersView {
  const s = row.statistics;
  return {
    interfaceName: row.name,
    ifaceId: row.external_ids.get(IFACE_ID_KEY),
    ofport: row.ofport,
    rxBytes: s.get('rx_bytes'), txBytes: s.get('tx_bytes'),
    rxPackets: s.get('rx_packets'), txPackets: s.get('tx_packets'),
    rxDropped: s.get('rx_dropped'), txDropped: s.get('tx_dropped'),
    rxErrors: s.get('rx_errors'), txErrors: s.get('tx_errors'),
    statistics: s,
  };
}

/** The rows whose `external_ids:iface-id` is `<namespace>_<pod>`. */
export function podInterfaceRows<R extends InterfaceStatsRow>(rows: Iterable<R>, namespace: string, pod: string): R[] {
  const id = logicalPortName(namespace, pod);
  const out: R[] = [];
  for (const r of rows) if (r.external_ids.get(IFACE_ID_KEY) === id) out.push(r);
  return out;
}

/** The counters of a pod's interface(s), from any rows (monitor, replica, select). */
export function podInterfaceStats(rows: Iterable<InterfaceStatsRow>, namespace: string, pod: string): InterfaceCountersView[] {
  return podInterfaceRows(rows, namespace, pod).map(interfaceCounters);
}

/** What criPodStats needs to know about the pod; `interfaceName` defaults to the pod's (first) OVS interface. */
export type CriPodIdentity = Omit<PodIdentity, 'interfaceName'> & { interfaceName?: string };

/**
 * CRI PodSandboxStats for a pod from the Interface rows (the pod's rows are picked by iface-id).
 * @throws CriStatsError (src/stats/cri.ts) when the pod has no interface among the rows.
 */
export function criPodStats(rows: Iterable<InterfaceStatsRow>, pod: CriPodIdentity, options: PodStatsOptions = {}): PodSandboxStats {
  const mine = podInterfaceRows(rows, pod.namespace, pod.name);
  const interfaceName = pod.interfaceName ?? mine[0]?.name ?? logicalPortName(pod.namespace, pod.name);
  return podNetworkStatsFromInterfaces({ ...pod, interfaceName }, mine, options);
}

/**
 * Reads the statistics of Interfaces with one select: those of the given iface-ids (`<namespace>_<pod>`), or
 * every Interface when `ifaceIds` is undefined.
 */
export async function selectInterfaceStats(db: NodeDatabase, ifaceIds?: readonly string[]): Promise<InterfaceStatsRow[]> {
  const ops = ifaceIds === undefined
    ? [select<Interface, typeof STATS_COLUMNS[number]>('Interface', [], STATS_COLUMNS)]
    : ifaceIds.map((id) => select<Interface, typeof STATS_COLUMNS[number]>('Interface',
      [['external_ids', 'includes', new Map([[IFACE_ID_KEY, id]])] as Condition<Interface>], STATS_COLUMNS));
  if (ops.length === 0) return [];
  const results = await db.transact(OPEN_VSWITCH, ops);
  return results.flatMap((r) => r.rows);
}

interface MonitorEvents {
  /** Rows inserted or changed, and rows deleted, by one update from the server. */
  update: [rows: InterfaceStatsRow[], deleted: InterfaceStatsRow[]];
  /** The monitor ended (closed, or its database closed); rows stay as they last were. */
  end: [];
}

/** The Interface columns the statistics read, as the replica holds them. */
interface StatsTables { Interface: InterfaceStatsRow & { readonly _uuid: Uuid } }

/** Where the monitor reads from: a remote list it opens a replica on, or an Open_vSwitch replica you have. */
export type InterfaceStatsSource = string | readonly string[] | OvsdbDatabase<VSwitchTables>;

/**
 * The Interface table's name, external_ids, statistics and ofport, kept current by the replica (OvsdbDatabase:
 * it reconnects and resumes on its own): a thin view with per-pod lookups and waits. Give it the remote
 * (`InterfaceStatsMonitor.start('unix:/var/run/openvswitch/db.sock')`, its own replica, closed with it) or the
 * Open_vSwitch replica the agent already has (Interface is added to it when not monitored yet).
 */
export class InterfaceStatsMonitor extends EventEmitter<MonitorEvents> {
  #active = true;
  readonly #onChange: (changes: readonly ChangeOf<StatsTables>[]) => void;
  readonly #onState: (state: string) => void;

  private constructor(readonly db: OvsdbDatabase<StatsTables>, private readonly owned: boolean) {
    super();
    this.#onChange = (changes) => {
      const changed: InterfaceStatsRow[] = [];
      const deleted: InterfaceStatsRow[] = [];
      for (const c of changes) {
        if (c.table !== 'Interface') continue;
        if (c.kind === 'delete') deleted.push(c.old); else changed.push(c.new);
      }
      if (changed.length > 0 || deleted.length > 0) this.emit('update', changed, deleted);
    };
    this.#onState = (state) => { if (state === 'closed') this.#end(); };
    db.on('change', this.#onChange);
    db.on('state', this.#onState);
  }

  /** Starts monitoring (the initial rows are loaded when this resolves). */
  static async start(source: InterfaceStatsSource): Promise<InterfaceStatsMonitor> {
    if (source instanceof OvsdbDatabase) {
      const db = source as unknown as OvsdbDatabase<StatsTables>;
      if (db.database !== OPEN_VSWITCH) throw new TypeError(`this OvsdbDatabase replicates ${db.database}, not ${OPEN_VSWITCH}`);
      await db.synced;
      try { db.table('Interface'); } catch { await db.addMonitor({ Interface: { columns: [...STATS_COLUMNS] } }); }
      return new InterfaceStatsMonitor(db, false);
    }
    const db = OvsdbDatabase.connect<StatsTables>({
      remotes: source as string | readonly string[], database: OPEN_VSWITCH, tables: { Interface: { columns: [...STATS_COLUMNS] } },
    });
    try {
      await db.synced;
    } catch (err) {
      await db.close();
      throw err;
    }
    return new InterfaceStatsMonitor(db, true);
  }

  get active(): boolean {
    return this.#active;
  }

  #end(): void {
    if (!this.#active) return;
    this.#active = false;
    this.db.off('change', this.#onChange);
    this.db.off('state', this.#onState);
    this.emit('end');
  }

  /** Every Interface row as last seen. */
  rows(): Iterable<InterfaceStatsRow> {
    return this.db.table('Interface');
  }

  /** The Interface named `name` (the schema's index on name: O(1)). */
  byName(name: string): InterfaceStatsRow | undefined {
    return this.db.table('Interface').findOne('name', name);
  }

  /** The counters of the pod's interface(s). */
  pod(namespace: string, pod: string): InterfaceCountersView[] {
    return podInterfaceStats(this.rows(), namespace, pod);
  }

  /** CRI PodSandboxStats of the pod. */
  cri(pod: CriPodIdentity, options: PodStatsOptions = {}): PodSandboxStats {
    return criPodStats(this.rows(), pod, options);
  }

  /** Resolves with the first row (now or after an update) for which `test` holds; rejects after `timeoutMs`. */
  waitFor(test: (row: InterfaceStatsRow) => boolean, timeoutMs = 10_000): Promise<InterfaceStatsRow> {
    return waitForReplica(this.db, 'an Interface row to match', () => {
      for (const r of this.rows()) if (test(r)) return r;
      return undefined;
    }, { timeoutMs });
  }

  /** Resolves once `check()` holds, checked now and after every update; rejects after `timeoutMs`. */
  async until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
    await waitForReplica(this.db, 'the Interface rows', () => (check() ? true : undefined), { timeoutMs });
  }

  /** Stops following the rows; the replica is closed when the monitor opened it, left open when it was given. */
  async close(): Promise<void> {
    this.#end();
    if (this.owned) await this.db.close();
  }
}
