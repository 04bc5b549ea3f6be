// What the replica does on each connection the loop hands it (connection-loop.ts): take the schema (from the
// member's `_Server` row when it has it), ask to be told about conversions, and bring every monitor back, each with
// monitor_cond_since from its last txn id (falling back to monitor_cond and monitor on "unknown method"): resumed
// with only the missed changes, or resynced with the full state diffed into change events. Then it applies the
// monitors' updates, changes conditions at runtime, and after `monitor_canceled` (a conversion) reads the schema
// again and monitors again on the same connection. The replica itself (rows, indexes) is replica.ts.
import { ZERO_UUID, type Row } from './datum.js';
import {
  OvsdbConnectionClosedError, OvsdbError, OvsdbImpossibleUpdateError, OvsdbProtocolError, OvsdbRpcError, OvsdbSchemaError,
} from './errors.js';
import { parseJson, stringifyJson, type Json } from './json.js';
import type { MonitorMethod } from './monitor-format.js';
import type { Condition } from './operations.js';
import type { Monitor, OvsdbProtocol } from './protocol.js';
import { Replica, type IndexSpec, type RowChange } from './replica.js';
import { ReplicaMonitor, type MonitorResume, type QueuedUpdate } from './replica-monitor.js';
import { parseSchema, type DatabaseSchema } from './schema.js';
import type { ServerDatabaseRow } from './cluster-member.js';

/** What to replicate of one table. `{}` = every column and row. */
export interface TableOptions<R = Row> {
  /** Columns to monitor (default every column). */
  readonly columns?: readonly (keyof R & string)[];
  /** Only rows matching every condition (monitor_cond); change later with `setConditions`. */
  readonly where?: readonly Condition<R>[];
  /** Indexes in addition to the schema's: a column, a column tuple, or `{ column, key }` for a map value. */
  readonly indexes?: Readonly<Record<string, IndexSpec>>;
}

/** The tables of one monitor. */
export type MonitorTables<T> = { readonly [K in keyof T & string]?: TableOptions<T[K]> };

/** What the sync reports, and the gate it holds while it monitors again on a connection in use. */
export interface SyncHost {
  /** Whether anyone listens for changes (collecting them costs; nobody listening, none are collected). */
  wantsChanges(): boolean;
  changed(changes: RowChange[]): void;
  /** A monitor that had state came back (resumed or resynced). */
  resynced(info: MonitorResume): void;
  schemaChanged(schema: DatabaseSchema): void;
  warning(error: Error): void;
  /** An update did not fit the replica: none of it was applied and a full resync follows. */
  impossibleUpdate(error: OvsdbImpossibleUpdateError): void;
  /** Whether `conn` is still the connection being set up or in use. */
  isCurrent(conn: OvsdbProtocol): boolean;
  /** Requests wait (a re-monitor is under way on `conn`) / may flow again. */
  hold(conn: OvsdbProtocol): void;
  open(conn: OvsdbProtocol): void;
}

export class ReplicaSync {
  private replicaValue: Replica | undefined;
  private schemaText = '';
  private readonly monitors: ReplicaMonitor[] = [];
  private readonly monitorById = new Map<string, ReplicaMonitor>();
  private readonly tableOptions = new Map<string, TableOptions>();
  private monitorMethod: MonitorMethod = 'monitor_cond_since';
  private nextMonitorId = 1;
  private resubscribing: Promise<void> | undefined;
  /** How each monitor came back on the last (re)connect, for the `connected` event. */
  lastResumes: readonly MonitorResume[] = [];

  constructor(private readonly database: string, private readonly callTimeoutMs: number, private readonly host: SyncHost) {}

  /** The replica, once a schema is known (undefined before the first connection). */
  get current(): Replica | undefined {
    return this.replicaValue;
  }

  get replica(): Replica {
    if (!this.replicaValue) throw new OvsdbSchemaError('the replica has no schema yet (await db.synced)');
    return this.replicaValue;
  }

  /** Every monitor has applied a full state at least once. */
  get synced(): boolean {
    return this.monitors.every((m) => m.synced);
  }

  /** Declares a monitor of `spec`'s tables (a table belongs to one monitor). */
  defineMonitor(spec: MonitorTables<Record<string, Row>>): ReplicaMonitor {
    const m = new ReplicaMonitor(`m${this.nextMonitorId++}`);
    for (const [table, opts] of Object.entries(spec)) {
      if (!opts) continue;
      if (this.tableOptions.has(table)) throw new OvsdbSchemaError(`table ${table} is already in a monitor`);
      this.tableOptions.set(table, opts as TableOptions);
      m.tables.set(table, { where: (opts as TableOptions).where, acked: '' });
    }
    this.monitors.push(m);
    this.monitorById.set(m.id, m);
    if (this.replicaValue) for (const name of m.tableNames()) this.addReplicaTable(this.replicaValue, name);
    return m;
  }

  /** Adds an index to a replicated table at runtime (built from the current rows; kept across schema changes). */
  addIndex(table: string, name: string, spec: IndexSpec): void {
    const opts = this.tableOptions.get(table);
    if (!opts) throw new OvsdbSchemaError(`table ${table} is not monitored`);
    this.tableOptions.set(table, { ...opts, indexes: { ...opts.indexes, [name]: spec } });
    if (this.replicaValue?.hasTable(table)) this.replicaValue.addIndex(table, name, spec);
  }

  /**
   * Sets up a chosen member: schema, change awareness, every monitor (in parallel). `row` is the member's
   * `_Server` row; undefined on an old server without `_Server` (nor set_db_change_aware, then).
   */
  async setup(conn: OvsdbProtocol, row: ServerDatabaseRow | undefined): Promise<void> {
    this.monitorMethod = 'monitor_cond_since';
    conn.on('update', (id, updates, version, lastTxnId) => this.onUpdate(conn, id, { updates, version, lastTxnId }));
    conn.on('monitorCanceled', (id) => {
      if (this.host.isCurrent(conn) && typeof id === 'string' && this.monitorById.has(id)) void this.resubscribe(conn);
    });
    // The schema: from _Server when it has it (no extra round trip), else get_schema.
    const schema = row?.schema ? parseSchema(parseJson(row.schema)) : await conn.getSchema(this.database, { timeoutMs: this.callTimeoutMs });
    this.adoptSchema(conn, schema);
    // Be told about conversions instead of being disconnected (sent ahead of the monitors, not awaited first:
    // the server answers in order, so it is in effect before any monitor is).
    const changeAware = row ? conn.setDbChangeAware(true, { timeoutMs: this.callTimeoutMs }).catch(() => undefined) : undefined;
    this.lastResumes = await Promise.all(this.monitors.map((m) => this.startMonitor(conn, m)));
    await changeAware;
  }

  /** The connection ended: every monitor waits for the next one. */
  teardown(): void {
    for (const m of this.monitors) { m.active = false; m.queue = undefined; m.current = undefined; }
  }

  /** Starts one monitor on the connection in use (a monitor added at runtime). */
  start(conn: OvsdbProtocol, m: ReplicaMonitor): Promise<MonitorResume> {
    return this.startMonitor(conn, m);
  }

  /**
   * Changes the `where` of a table (monitor_cond_change on `conn` when given and the monitor is active there;
   * otherwise it goes with the next monitor request, and survives every reconnect).
   */
  async setConditions(conn: OvsdbProtocol | undefined, table: string, where: readonly Condition[] | undefined): Promise<void> {
    const m = this.monitors.find((x) => x.tables.has(table));
    if (!m) throw new OvsdbSchemaError(`table ${table} is not monitored`);
    m.tables.get(table)!.where = where;
    if (!conn || !m.active || !m.current) return;
    const schema = this.replica.schema;
    await conn.monitorCondChange(m.current, { [table]: { where: where ?? [true] } }, undefined, { timeoutMs: this.callTimeoutMs });
    if (this.host.isCurrent(conn) && m.tables.get(table)!.where === where) m.tables.get(table)!.acked = m.encodedWhere(schema, table);
  }

  /** The name of the replicated table holding this very row object, if any. */
  tableNameOf(row: { readonly _uuid: string }): string | undefined {
    const replica = this.replicaValue;
    if (!replica) return undefined;
    for (const name of replica.tableNames()) if (replica.table(name).rows.get(row._uuid) === row) return name;
    return undefined;
  }

  /** Uses `schema` on `conn`; when it is not the one the replica has, switches the replica to it. */
  private adoptSchema(conn: OvsdbProtocol, schema: DatabaseSchema): void {
    conn.useSchema(schema);
    const text = stringifyJson(schema.json);
    if (text === this.schemaText) return;
    const first = !this.replicaValue;
    this.schemaText = text;
    if (first) {
      const replica = new Replica(schema);
      this.replicaValue = replica;
      for (const name of this.tableOptions.keys()) this.addReplicaTable(replica, name);
      return;
    }
    const changes = this.changesBuffer();
    this.replica.setSchema(schema, changes);
    for (const name of this.tableOptions.keys()) if (!this.replica.hasTable(name)) this.addReplicaTable(this.replica, name);
    // A converted database has a new history: no monitor can resume.
    for (const m of this.monitors) m.lastTxnId = ZERO_UUID;
    this.host.schemaChanged(schema);
    this.emitChanges(changes);
  }

  private addReplicaTable(replica: Replica, name: string): void {
    const opts = this.tableOptions.get(name) ?? {};
    if (!replica.schema.tables.has(name)) {
      this.host.warning(new OvsdbSchemaError(`database ${this.database} has no table ${name}; not replicated`));
      return;
    }
    const ts = replica.schema.tables.get(name)!;
    const columns = opts.columns?.filter((c) => ts.columns.has(c));
    replica.addTable(name, { ...(columns ? { columns } : {}), ...(opts.indexes ? { indexes: opts.indexes } : {}) });
  }

  private changesBuffer(): RowChange[] | undefined {
    return this.host.wantsChanges() ? [] : undefined;
  }

  private emitChanges(changes: RowChange[] | undefined): void {
    if (changes && changes.length > 0) this.host.changed(changes);
  }

  /** Sends the monitor request (falling back on "unknown method") and applies its reply. */
  private async startMonitor(conn: OvsdbProtocol, m: ReplicaMonitor): Promise<MonitorResume> {
    const schema = this.replica.schema;
    if (m.conditionsUnsettled(schema)) m.lastTxnId = ZERO_UUID;
    const reconnect = m.synced;
    for (;;) {
      const method = this.monitorMethod;
      const requests = m.requests(schema, this.replica, method);
      // No call timeout: a server may spend many seconds building a large initial reply; whether it is alive is
      // the probe's question, and a timeout here would drop the connection and ask again, forever.
      const options = { id: m.id };
      m.queue = [];
      m.method = method;
      let monitor: Monitor<unknown>;
      try {
        monitor = method === 'monitor_cond_since' ? await conn.monitorCondSince(this.database, requests, { ...options, lastTxnId: m.lastTxnId })
          : method === 'monitor_cond' ? await conn.monitorCond(this.database, requests, options)
            : await conn.monitor(this.database, requests, options);
      } catch (err) {
        m.queue = undefined;
        if (err instanceof OvsdbRpcError && err.error === 'unknown method' && method !== 'monitor') {
          this.monitorMethod = method === 'monitor_cond_since' ? 'monitor_cond' : 'monitor';
          continue;
        }
        throw err;
      }
      if (conn.isClosed || !this.host.isCurrent(conn)) throw new OvsdbConnectionClosedError(method, 'the connection ended');
      const changes = this.changesBuffer();
      const tables = m.tableNames().filter((t) => this.replica.hasTable(t));
      const found = method === 'monitor_cond_since' && monitor.found === true && m.synced;
      try {
        if (found) this.replica.applyUpdates(2, monitor.initialJson, changes, tables);
        else this.replica.replaceTables(monitor.version, monitor.initialJson, tables, changes);
      } catch (err) {
        throw this.distrust(err);
      }
      m.lastTxnId = monitor.lastTxnId ?? ZERO_UUID;
      m.ackAll(schema);
      m.current = monitor;
      m.active = true;
      m.synced = true;
      const queued = m.queue;
      m.queue = undefined;
      this.emitChanges(changes);
      for (const q of queued) this.applyUpdate(conn, m, q);
      const info: MonitorResume = { monitor: m.id, method, found, reconnect };
      if (reconnect) this.host.resynced(info);
      return info;
    }
  }

  private onUpdate(conn: OvsdbProtocol, id: Json, update: QueuedUpdate): void {
    if (!this.host.isCurrent(conn)) return;
    const m = typeof id === 'string' ? this.monitorById.get(id) : undefined;
    if (!m) return;
    if (m.queue) { m.queue.push(update); return; }
    if (m.active) this.applyUpdate(conn, m, update);
  }

  private applyUpdate(conn: OvsdbProtocol, m: ReplicaMonitor, update: QueuedUpdate): void {
    if (conn.isClosed) return; // an update queued behind one that did not fit
    const changes = this.changesBuffer();
    try {
      checkNotification(m, update);
      this.replica.applyUpdates(update.version, update.updates, changes, m.tableNames());
      if (update.lastTxnId !== undefined) m.lastTxnId = update.lastTxnId;
    } catch (err) {
      // Nothing of it was applied; the copy is no longer trusted: resync from scratch on a new connection.
      const error = this.distrust(err);
      conn.channel.close(error);
      return;
    }
    this.emitChanges(changes);
  }

  /**
   * An update (or a monitor reply) did not fit the replica: no monitor may resume from what it holds, so the next
   * connection brings the full state of every monitor (diffed into change events). Reports it; returns the error.
   */
  private distrust(err: unknown): OvsdbError {
    const error = err instanceof OvsdbError ? err : new OvsdbProtocolError(String(err), { cause: err });
    for (const m of this.monitors) m.lastTxnId = ZERO_UUID;
    if (error instanceof OvsdbImpossibleUpdateError) this.host.impossibleUpdate(error);
    else this.host.warning(error);
    return error;
  }

  /** After monitor_canceled (the database was converted): read the schema again and monitor again. */
  private resubscribe(conn: OvsdbProtocol): Promise<void> {
    if (this.resubscribing) return this.resubscribing;
    this.host.hold(conn);
    for (const m of this.monitors) { m.active = false; m.current = undefined; }
    const run = (async () => {
      try {
        this.adoptSchema(conn, await conn.getSchema(this.database, { timeoutMs: this.callTimeoutMs }));
        for (const m of this.monitors) m.lastTxnId = ZERO_UUID;
        this.lastResumes = await Promise.all(this.monitors.map((m) => this.startMonitor(conn, m)));
        if (!this.host.isCurrent(conn) || conn.isClosed) return;
        this.host.open(conn);
      } catch (err) {
        this.host.warning(err as Error);
        conn.channel.close(err instanceof OvsdbError ? err : new OvsdbProtocolError(String(err)));
      } finally {
        this.resubscribing = undefined;
      }
    })();
    this.resubscribing = run;
    return run;
  }
}

/** The notification must be the one the monitor's method gets: update (monitor), update2 (monitor_cond), update3. */
function checkNotification(m: ReplicaMonitor, update: QueuedUpdate): void {
  const got = update.version === 1 ? 'update' : update.lastTxnId === undefined ? 'update2' : 'update3';
  const want = m.method === 'monitor' ? 'update' : m.method === 'monitor_cond' ? 'update2' : 'update3';
  if (got !== want) throw new OvsdbImpossibleUpdateError(undefined, undefined, `"${got}" for monitor ${m.id}, a ${m.method} monitor (which gets "${want}")`);
}
