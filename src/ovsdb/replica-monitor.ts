// One monitor of the replica: the tables it covers (columns, `where` conditions), the last transaction id it
// has seen (for `monitor_cond_since`), and which conditions the server has acknowledged. A monitor outlives
// connections: after a reconnect it resumes from its last txn id, unless a condition changed while no server had
// acknowledged it (then the server's idea of "what we have" is unknown and a full resync with diff is the only
// safe way, as Open vSwitch's IDL concludes too).
import type { Json, JsonObject } from './json.js';
import { stringifyJson } from './json.js';
import { encodeConditions, type Condition } from './operations.js';
import type { DatabaseSchema } from './schema.js';
import type { Replica } from './replica.js';

export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

export type MonitorMethod = 'monitor_cond_since' | 'monitor_cond' | 'monitor';

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
  lastTxnId = ZERO_UUID;
  /** Established on the current connection. */
  active = false;
  /** Has applied a full initial state at least once. */
  synced = false;
  /** Notifications that arrived while the monitor request was in flight (applied after its reply). */
  queue: { method: string; params: Json[] }[] | undefined;

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

  /** The `<monitor-requests>` object for `method` (conditions only where the method has them). */
  requests(schema: DatabaseSchema, replica: Replica, method: MonitorMethod): JsonObject {
    const out: JsonObject = {};
    for (const name of this.tables.keys()) {
      if (!schema.tables.has(name) || !replica.hasTable(name)) continue;
      const req: JsonObject = { columns: replica.table(name).columnNames };
      const where = this.tables.get(name)!.where;
      if (where && method !== 'monitor') req.where = encodeConditions(schema, name, where);
      out[name] = req;
    }
    return out;
  }

  tableNames(): string[] {
    return [...this.tables.keys()];
  }
}
