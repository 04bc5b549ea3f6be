// What src/ovn needs from a database connection: a current, read-only view of some tables (rows by UUID and by
// name) and one-shot transactions whose effects are visible in the view once they resolve (read-your-writes).
//
// `MonitoredDatabase` provides it over one OvsdbClient connection with a `monitor_cond` of the tables asked for.
// It is deliberately small; an adapter over the project's resilient replica can implement the same interface.
import type { OvsdbClient, RowUpdate2, TableUpdates } from '../ovsdb/client.js';
import { applyDiff, type Row, type Uuid, type Value } from '../ovsdb/datum.js';
import type { OperationBase } from '../ovsdb/operations.js';
import type { ColumnType, DatabaseSchema, TableSchema } from '../ovsdb/schema.js';

/** A row as stored in the view: every column present (defaults filled in), never mutated in place. */
export type ViewRow = Readonly<Row> & { readonly _uuid: Uuid };

/** A read-only view of tables, typed by a model's table map (e.g. NorthboundTables). */
export interface DatabaseView<Tables> {
  /** Every row of a table. */
  rows<N extends keyof Tables & string>(table: N): IterableIterator<Tables[N]>;
  get<N extends keyof Tables & string>(table: N, uuid: Uuid): Tables[N] | undefined;
  /** The row whose `name` column is `name` (tables with a name column). */
  byName<N extends keyof Tables & string>(table: N, name: string): Tables[N] | undefined;
}

/** One transaction as sent, for tests and metrics. */
export interface SentTransaction {
  readonly operations: readonly OperationBase<unknown>[];
}

export interface OvnDatabase<Tables> extends DatabaseView<Tables> {
  readonly name: string;
  /** Sends one transaction; once it resolves the view reflects it. Rejects with the ovsdb typed errors. */
  transact(operations: readonly OperationBase<unknown>[]): Promise<unknown[]>;
  /** Called for every transaction sent (after validation, before the reply). */
  onTransact?: (sent: SentTransaction) => void;
}

function defaultOf(type: ColumnType): Value {
  switch (type.kind) {
    case 'optional': return undefined;
    case 'set': return [];
    case 'map': return new Map();
    case 'scalar':
      switch (type.key.type) {
        case 'integer': return 0n;
        case 'real': return 0;
        case 'boolean': return false;
        case 'string': return '';
        case 'uuid': return '00000000-0000-0000-0000-000000000000';
      }
  }
  return undefined;
}

class TableView {
  readonly rows = new Map<Uuid, ViewRow>();
  readonly byName = new Map<string, ViewRow>();
  private readonly defaults: [string, ColumnType][] = [];
  private readonly hasName: boolean;

  constructor(readonly schema: TableSchema, columns: readonly string[] | undefined) {
    for (const [name, column] of schema.columns) {
      if (name === '_uuid' || name === '_version') continue;
      if (columns && !columns.includes(name)) continue;
      this.defaults.push([name, column.type]);
    }
    this.hasName = schema.columns.has('name') && (!columns || columns.includes('name'));
  }

  put(uuid: Uuid, row: ViewRow): void {
    const old = this.rows.get(uuid);
    if (old && this.hasName && this.byName.get(old.name as string) === old) this.byName.delete(old.name as string);
    this.rows.set(uuid, row);
    if (this.hasName) this.byName.set(row.name as string, row);
  }

  remove(uuid: Uuid): void {
    const old = this.rows.get(uuid);
    if (!old) return;
    this.rows.delete(uuid);
    if (this.hasName && this.byName.get(old.name as string) === old) this.byName.delete(old.name as string);
  }

  full(uuid: Uuid, partial: Row): ViewRow {
    const row: Row = { _uuid: uuid };
    for (const [name, type] of this.defaults) row[name] = partial[name] !== undefined ? partial[name] : defaultOf(type);
    return row as ViewRow;
  }

  modify(uuid: Uuid, diff: Row): void {
    const old = this.rows.get(uuid);
    if (!old) return;
    const row: Row = { ...old };
    for (const column in diff) {
      const type = this.schema.columns.get(column)?.type;
      if (!type) continue;
      const toggled = diff[column];
      if (type.kind === 'set' && Array.isArray(toggled) && toggled.length < 8) {
        // Fast path for the common small change to a large set (a port added to a switch): copy, not rebuild.
        const before = old[column] as unknown[];
        const removed = toggled.filter((e) => before.includes(e));
        const kept = removed.length === 0 ? before.slice() : before.filter((e) => !removed.includes(e));
        for (const e of toggled) if (!removed.includes(e)) kept.push(e);
        row[column] = kept;
      } else row[column] = applyDiff(type, old[column] as Value, toggled as Value);
    }
    this.put(uuid, row as ViewRow);
  }
}

export interface MonitoredDatabaseOptions {
  /** Tables to replicate, with the columns to monitor (all when omitted). */
  readonly tables: Readonly<Record<string, readonly string[] | undefined>>;
}

/** A database view kept current by a monitor_cond on one client connection. */
export class MonitoredDatabase<Tables> implements OvnDatabase<Tables> {
  static async open<Tables>(client: OvsdbClient, database: string, options: MonitoredDatabaseOptions): Promise<MonitoredDatabase<Tables>> {
    const schema = await client.schema(database);
    const db = new MonitoredDatabase<Tables>(client, database, schema, options);
    const requests: Record<string, { columns?: readonly string[] }> = {};
    for (const [table, columns] of Object.entries(options.tables)) requests[table] = columns ? { columns } : {};
    const monitor = await client.monitorCond(database, requests);
    monitor.on('update', (updates) => db.apply(updates));
    db.apply(monitor.initial);
    return db;
  }

  onTransact?: (sent: SentTransaction) => void;
  private readonly tables = new Map<string, TableView>();
  private waiters: { table: string; uuid: Uuid; resolve: () => void }[] = [];

  private constructor(readonly client: OvsdbClient, readonly name: string, readonly schema: DatabaseSchema, options: MonitoredDatabaseOptions) {
    for (const [table, columns] of Object.entries(options.tables)) {
      const ts = schema.tables.get(table);
      if (!ts) throw new Error(`${name} has no table ${table}`);
      this.tables.set(table, new TableView(ts, columns));
    }
  }

  private table(name: string): TableView {
    const t = this.tables.get(name);
    if (!t) throw new Error(`table ${name} is not replicated by this view`);
    return t;
  }

  rows<N extends keyof Tables & string>(table: N): IterableIterator<Tables[N]> {
    return this.table(table).rows.values() as unknown as IterableIterator<Tables[N]>;
  }

  get<N extends keyof Tables & string>(table: N, uuid: Uuid): Tables[N] | undefined {
    return this.table(table).rows.get(uuid) as Tables[N] | undefined;
  }

  byName<N extends keyof Tables & string>(table: N, name: string): Tables[N] | undefined {
    return this.table(table).byName.get(name) as Tables[N] | undefined;
  }

  async transact(operations: readonly OperationBase<unknown>[]): Promise<unknown[]> {
    const pending = await this.client.transactRequest(this.name, operations);
    this.onTransact?.({ operations });
    const results = (await pending.result) as unknown[];
    // Read-your-writes: rows inserted by this transaction are in the view before we return.
    const waits: Promise<void>[] = [];
    for (let i = 0; i < operations.length; i++) {
      const op = operations[i] as { op: string; table?: string };
      if (op.op !== 'insert' || !op.table || !this.tables.has(op.table)) continue;
      const uuid = (results[i] as { uuid: Uuid }).uuid;
      if (!this.table(op.table).rows.has(uuid)) waits.push(new Promise((resolve) => this.waiters.push({ table: op.table as string, uuid, resolve })));
    }
    if (waits.length > 0) await Promise.all(waits);
    return results;
  }

  private apply(updates: TableUpdates<RowUpdate2>): void {
    for (const [tableName, rows] of updates) {
      const table = this.tables.get(tableName);
      if (!table) continue;
      for (const [uuid, update] of rows) {
        switch (update.type) {
          case 'initial': case 'insert': table.put(uuid, table.full(uuid, update.row)); break;
          case 'delete': table.remove(uuid); break;
          case 'modify': table.modify(uuid, update.diff); break;
        }
      }
    }
    if (this.waiters.length > 0) {
      this.waiters = this.waiters.filter((w) => {
        if (!this.tables.get(w.table)?.rows.has(w.uuid)) return true;
        w.resolve();
        return false;
      });
    }
  }
}
