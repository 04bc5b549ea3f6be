// One monitor of the replica: the tables it covers (columns, `where` conditions), the last transaction id it
// has seen (for `monitor_cond_since`), and which conditions the server has acknowledged. A monitor outlives
// connections: after a reconnect it resumes from its last txn id, unless a condition changed while no server had
// acknowledged it (then the server's idea of "what we have" is unknown and a full resync with diff is the only
// safe way, as Open vSwitch's IDL concludes too).
import { ZERO_UUID, type Uuid } from './datum.js';
import type { Json } from './json.js';
import { stringifyJson } from './json.js';
import type { MonitorMethod, MonitorRequest, MonitorRequests, UpdateVersion } from './monitor-format.js';
import { encodeConditions, type Condition } from './operations.js';
import type { Monitor } from './protocol.js';
import type { DatabaseSchema } from './schema.js';
import type { Replica } from './replica.js';

/** An update of the monitor, as the protocol delivered it. */
export interface QueuedUpdate {
  readonly updates: Json;
  readonly version: UpdateVersion;
  readonly lastTxnId: Uuid | undefined;
}

interface MonitoredTable {
  /** Conditions wanted by the caller (undefined = every row). */
  where: readonly Condition[] | undefined;
  /** Encoded form of the conditions the server acknowledged ('' = none acknowledged yet). */
  acked: string;
}

/** How a monitor came back after a (re)connect. */
export interface MonitorResume {
  readonly monitor: string;
  readonly method: MonitorMethod;
  /** true: only the missed changes were sent (monitor_cond_since found the last txn id). */
  readonly found: boolean;
  /** The monitor had state before (a reconnect or re-monitor), i.e. this was a resume or a resync. */
  readonly reconnect: boolean;
}

export class ReplicaMonitor {
  readonly tables = new Map<string, MonitoredTable>();
  lastTxnId: Uuid = ZERO_UUID;
  /** The method of the monitor on the current connection (which notification it gets). */
  method: MonitorMethod = 'monitor_cond_since';
  /** Established on the current connection. */
  active = false;
  /** Has applied a full initial state at least once. */
  synced = false;
  /** Updates that arrived while the monitor request was in flight (applied after its reply). */
  queue: QueuedUpdate[] | undefined;
  /** This monitor on the current connection (for monitor_cond_change). */
  current: Monitor<unknown> | undefined;

  constructor(readonly id: string) {}

  /** The encoded `where` of a table for `schema` ('' for none). */
  encodedWhere(schema: DatabaseSchema, table: string): string {
    const t = this.tables.get(table);
    if (!t?.where) return '';
    return stringifyJson(encodeConditions(schema, table, t.where));
  }

  /** True when some table's wanted conditions differ from what a server acknowledged. */
  conditionsUnsettled(schema: DatabaseSchema): boolean {
    for (const name of this.tables.keys()) {
      if (!schema.tables.has(name)) continue;
      if (this.encodedWhere(schema, name) !== this.tables.get(name)!.acked) return true;
    }
    return false;
  }

  /** Records that the server now monitors every table with the wanted conditions. */
  ackAll(schema: DatabaseSchema): void {
    for (const [name, t] of this.tables) if (schema.tables.has(name)) t.acked = this.encodedWhere(schema, name);
  }

  /** The monitor requests for `method` (conditions only where the method has them). */
  requests(schema: DatabaseSchema, replica: Replica, method: MonitorMethod): MonitorRequests {
    const out: Record<string, MonitorRequest> = {};
    for (const name of this.tables.keys()) {
      if (!schema.tables.has(name) || !replica.hasTable(name)) continue;
      const where = this.tables.get(name)!.where;
      out[name] = where && method !== 'monitor' ? { columns: replica.table(name).columnNames, where } : { columns: replica.table(name).columnNames };
    }
    return out;
  }

  tableNames(): string[] {
    return [...this.tables.keys()];
  }
}
