// Per-pod interface statistics from the Open_vSwitch database. ovs-vswitchd writes each Interface's counters
// into `Interface:statistics` (rx_bytes, tx_bytes, rx_packets, tx_packets, rx_dropped, tx_dropped, rx_errors,
// tx_errors, ...) every `other_config:stats-update-interval` (5 s by default). A pod's interfaces are those whose
// `external_ids:iface-id` is `<namespace>_<pod>`.
//
// Three ways to get the rows: InterfaceStatsMonitor (a monitor_cond on Interface kept current in memory),
// selectInterfaceStats() (one select), or any iterable of rows of the same shape (the replica's Interface rows
// fit). The counters are as OVS counts them, from the switch's side; criPodStats() turns them into CRI
// PodSandboxStats from the pod's side (src/stats/cri.ts).
import { EventEmitter } from 'node:events';
import { applyDiff, type Uuid, type Value } from '../ovsdb/datum.js';
import type { Monitor, OvsdbClient, RowUpdate2 } from '../ovsdb/client.js';
import { select, type Condition } from '../ovsdb/operations.js';
import type { ColumnType, TableSchema } from '../ovsdb/schema.js';
import type { Interface } from '../models/open-vswitch.js';
import { podNetworkStatsFromInterfaces, type PodIdentity, type PodSandboxStats, type PodStatsOptions } from '../stats/cri.js';
import { OPEN_VSWITCH, type NodeDatabase } from './node-db.js';
import { logicalPortName } from './windows.js';

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

export const STATS_COLUMNS = ['name', 'external_ids', 'statistics', 'ofport'] as const;

export function interfaceCounters(row: InterfaceStatsRow): InterfaceCountersView {
  const s = row.statistics;
  return {
    interfaceName: row.name,
    ifaceId: row.external_ids.get('iface-id'),
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
  for (const r of rows) if (r.external_ids.get('iface-id') === id) out.push(r);
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
      [['external_ids', 'includes', new Map([['iface-id', id]])] as Condition<Interface>], STATS_COLUMNS));
  if (ops.length === 0) return [];
  const results = await db.transact(OPEN_VSWITCH, ops);
  return results.flatMap((r) => r.rows);
}

interface MonitorEvents {
  /** Rows inserted or changed, and rows deleted, by one update from the server. */
  update: [rows: InterfaceStatsRow[], deleted: InterfaceStatsRow[]];
  /** The monitor ended (connection closed or monitor canceled); rows stay as they last were. */
  end: [];
}

/**
 * The Interface table's name, external_ids, statistics and ofport, kept current by a `monitor_cond` on the
 * client's connection. (When the project's replica monitors Interface, its rows serve the same functions.)
 */
export class InterfaceStatsMonitor extends EventEmitter<MonitorEvents> {
  readonly #rows = new Map<Uuid, InterfaceStatsRow>();
  readonly #types: ReadonlyMap<string, ColumnType>;
  #active = true;

  private constructor(readonly monitor: Monitor<RowUpdate2>, table: TableSchema) {
    super();
    const types = new Map<string, ColumnType>();
    for (const c of STATS_COLUMNS) types.set(c, table.columns.get(c)!.type);
    this.#types = types;
    this.#apply(monitor.initial.get('Interface'), []);
    monitor.on('update', (updates) => {
      const deleted: InterfaceStatsRow[] = [];
      const changed = this.#apply(updates.get('Interface'), deleted);
      if (changed.length > 0 || deleted.length > 0) this.emit('update', changed, deleted);
    });
    monitor.on('canceled', () => this.#end());
  }

  /** Starts monitoring (the initial rows are loaded when this resolves). */
  static async start(client: OvsdbClient): Promise<InterfaceStatsMonitor> {
    const schema = await client.schema(OPEN_VSWITCH);
    const table = schema.tables.get('Interface');
    if (!table) throw new Error('the Open_vSwitch server has no Interface table');
    const monitor = await client.monitorCond(OPEN_VSWITCH, { Interface: { columns: [...STATS_COLUMNS] } });
    const m = new InterfaceStatsMonitor(monitor, table);
    client.once('close', () => m.#end());
    return m;
  }

  get active(): boolean {
    return this.#active;
  }

  #end(): void {
    if (!this.#active) return;
    this.#active = false;
    this.emit('end');
  }

  #defaultOf(type: ColumnType): Value {
    return type.kind === 'map' ? new Map() : type.kind === 'set' ? [] : undefined;
  }

  #apply(updates: Map<Uuid, RowUpdate2> | undefined, deleted: InterfaceStatsRow[]): InterfaceStatsRow[] {
    const changed: InterfaceStatsRow[] = [];
    if (!updates) return changed;
    for (const [uuid, u] of updates) {
      if (u.type === 'delete') {
        const old = this.#rows.get(uuid);
        if (old) { this.#rows.delete(uuid); deleted.push(old); }
        continue;
      }
      const next: Record<string, unknown> = {};
      if (u.type === 'initial' || u.type === 'insert') {
        // update2 rows leave out columns that hold their default value.
        for (const [c, type] of this.#types) next[c] = c in u.row ? u.row[c] : this.#defaultOf(type);
      } else {
        const old = this.#rows.get(uuid);
        if (!old) continue;
        for (const [c, type] of this.#types) {
          const prev = (old as unknown as Record<string, Value>)[c];
          next[c] = c in u.diff ? applyDiff(type, prev, u.diff[c] as Value) : prev;
        }
      }
      const row = next as unknown as InterfaceStatsRow;
      this.#rows.set(uuid, row);
      changed.push(row);
    }
    return changed;
  }

  /** Every Interface row as last seen. */
  rows(): IterableIterator<InterfaceStatsRow> {
    return this.#rows.values();
  }

  byName(name: string): InterfaceStatsRow | undefined {
    for (const r of this.#rows.values()) if (r.name === name) return r;
    return undefined;
  }

  /** The counters of the pod's interface(s). */
  pod(namespace: string, pod: string): InterfaceCountersView[] {
    return podInterfaceStats(this.#rows.values(), namespace, pod);
  }

  /** CRI PodSandboxStats of the pod. */
  cri(pod: CriPodIdentity, options: PodStatsOptions = {}): PodSandboxStats {
    return criPodStats(this.#rows.values(), pod, options);
  }

  /** Resolves with the first row (now or after an update) for which `test` holds; rejects after `timeoutMs`. */
  async waitFor(test: (row: InterfaceStatsRow) => boolean, timeoutMs = 10_000): Promise<InterfaceStatsRow> {
    let hit: InterfaceStatsRow | undefined;
    await this.until(() => {
      for (const r of this.#rows.values()) if (test(r)) { hit = r; return true; }
      return false;
    }, timeoutMs);
    return hit!;
  }

  /** Resolves once `check()` holds, checked now and after every update; rejects after `timeoutMs`. */
  until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onUpdate = () => {
        if (check()) { cleanup(); resolve(); }
      };
      const onEnd = () => { cleanup(); reject(new Error('the Interface monitor ended')); };
      const timer = setTimeout(() => { cleanup(); reject(new Error(`the Interface rows did not get there within ${timeoutMs} ms`)); }, timeoutMs);
      const cleanup = () => { clearTimeout(timer); this.off('update', onUpdate); this.off('end', onEnd); };
      this.on('update', onUpdate);
      this.once('end', onEnd);
    });
  }

  /** Cancels the monitor (the connection stays open). */
  async close(): Promise<void> {
    if (this.#active && this.monitor.active) await this.monitor.cancel();
    this.#end();
  }
}

