// OvsdbDatabase: one database kept as a live in-memory replica over a connection that keeps working.
//
//   const db = await OvsdbDatabase.connect<NorthboundTables>({ remotes: lab.nb.tcp, database: 'OVN_Northbound',
//     tables: { Logical_Switch: {}, Logical_Switch_Port: { indexes: { byIface: { column: 'external_ids', key: 'iface-id' } } } } });
//   await db.synced;
//   db.table('Logical_Switch_Port').findOne('byIface', 'pod1');
//   await db.transact([ops.insert('Logical_Switch', { name: 'sw0' })]);   // resolves once the replica has the row
//
// The connection loop opens every member of the remote list at once and watches the role columns of their
// `_Server` rows (member-watch.ts: no polling during an election, the new leader is known as soon as it is
// elected); on the first member that looks usable it reads the full `_Server` row and keeps it only when it is
// usable (cluster-member.ts), takes the schema from there, monitors with monitor_cond_since (falling back
// to monitor_cond and monitor), resumes each monitor from its last txn id or resyncs it with a diff, re-acquires
// locks and only then lets transactions through, so a transaction always sees its own updates applied before it
// resolves. A transaction in flight when the connection ends fails with OvsdbOutcomeUnknownError.
import { EventEmitter } from 'node:events';
import { Backoff, type BackoffOptions } from './reconnect.js';
import { MemberWatch } from './member-watch.js';
import { ClusterMemberChooser, type MemberVerdict, type ServerDatabaseRow } from './cluster-member.js';
import { probeConnection } from './probe.js';
import { openRpcChannel, splitRemotes, type RpcChannel, type RpcChannelOptions } from './rpc-channel.js';
import { OvsdbProtocol, type Monitor } from './protocol.js';
import { Replica, type IndexSpec, type RowChange, type StoredRow } from './replica.js';
import { ReplicaMonitor, type MonitorResume, type QueuedUpdate } from './replica-monitor.js';
import type { MonitorMethod, UpdateVersion } from './monitor-format.js';
import { ZERO_UUID } from './datum.js';
import { OvsdbCallTimeoutError, OvsdbConnectionClosedError, OvsdbError, OvsdbOutcomeUnknownError, OvsdbProtocolError, OvsdbRpcError, OvsdbSchemaError, OvsdbUnknownDatabaseError } from './errors.js';
import { parseJson, stringifyJson, type Json } from './json.js';
import { parseSchema, type DatabaseSchema } from './schema.js';
import { isReadOnly, type Condition, type OperationBase, type Results } from './operations.js';
import type { Row } from './datum.js';
import { SERVER_SCHEMA } from './server-schema.js';
import { transactWithRetry, type ReplicaTransaction, type RetryOptions, type RetryResult } from './transaction-retry.js';

export type { MonitorResume, RowChange, StoredRow, IndexSpec };

/** Where the connection is. `connected` means monitors established and transactions flowing. */
export type ConnectionState = 'connecting' | 'connected' | 'backoff' | 'closed';

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

/** A change event, discriminated by table name when `T` maps table names to row types. */
export type ChangeOf<T> = { [K in keyof T & string]: RowChange<Readonly<T[K]>, K> }[keyof T & string];

export interface OvsdbDatabaseOptions<T> extends RpcChannelOptions {
  /** `tcp:H:P`, `ssl:H:P`, `unix:PATH`, comma-separated or as an array (every member of a cluster). */
  readonly remotes: string | readonly string[];
  readonly database: string;
  /** The tables of the first monitor. */
  readonly tables?: MonitorTables<T>;
  /** Further monitors (each its own monitor id; a table belongs to one monitor). */
  readonly monitors?: readonly MonitorTables<T>[];
  /** Only use the cluster leader (default true): no stale reads, and writes need no forwarding. */
  readonly leaderOnly?: boolean;
  /** Send `echo` after half this idle time and drop the peer after this much silence (default 5000; 0 = off). */
  readonly probeIntervalMs?: number;
  /** Pacing of reconnect passes. */
  readonly backoff?: BackoffOptions;
  /** Shuffle the remote list on every pass (default true). */
  readonly shuffleRemotes?: boolean;
  /**
   * Keep an idle `_Server` monitor of the role columns on every other member while connected (default: when
   * there is more than one remote), so a new leader is known the moment it is elected. Costs one idle
   * connection per other member; without it the members are opened (all at once) only after a drop.
   */
  readonly watchMembers?: boolean;
  /** Timeout of each call while setting up a connection (default: the probe interval, or 10 s). */
  readonly setupTimeoutMs?: number;
  /** Replaces how a connection to one remote is opened (tests, other transports). */
  readonly openChannel?: (remote: string) => Promise<RpcChannel>;
}

export interface DatabaseEvents<T> {
  /** Rows changed: one array per update batch (one transaction, a resume, or the diff of a resync). */
  change: [changes: readonly ChangeOf<T>[]];
  state: [state: ConnectionState, detail: { readonly remote?: string; readonly delayMs?: number; readonly reason?: Error }];
  /** Monitors established on a member; `resumed` says for each monitor how it came back. */
  connected: [info: { readonly remote: string; readonly monitors: readonly MonitorResume[] }];
  disconnected: [info: { readonly remote: string; readonly reason: Error }];
  /** A member was tried and not used (unreachable, not leader, stale, ...). */
  skipped: [info: { readonly remote: string; readonly reason: string }];
  /** A member's `_Server` row made it usable (the leader, when leader-only); its monitors are set up next. */
  chosen: [info: { readonly remote: string }];
  /** A monitor came back after a reconnect or re-monitor (found: only the missed changes). */
  resync: [info: MonitorResume];
  lock: [info: { readonly name: string; readonly held: boolean }];
  /** The schema changed (conversion); a resync with diff follows. */
  schema: [schema: DatabaseSchema];
  /** A non-fatal problem (a notification that did not fit, a failed condition change). */
  warning: [error: Error];
}

/** Counters since connect(). */
export interface DatabaseStats {
  /** Connections on which the monitors were established (the first one included). */
  connects: number;
  /** Connections established after the first one: every one of them followed a drop. */
  reconnects: number;
  disconnects: number;
  /** Monitors resumed with only the missed changes (monitor_cond_since found the txn id). */
  resumes: number;
  /** Monitors that had state and received a full state again (diffed into events). */
  resyncs: number;
  outcomeUnknown: number;
  skippedMembers: number;
}

const SERVER_MONITOR_ID = '_Server';
const SERVER_COLUMNS = ['name', 'model', 'connected', 'leader', 'schema', 'index', 'cid', 'sid'];

/** A read-only view of one replicated table. Rows are immutable snapshots; a change replaces the object. */
export class ReplicaTableView<R> implements Iterable<Readonly<R>> {
  constructor(private readonly replica: () => Replica, readonly name: string) {}

  get size(): number {
    return this.replica().table(this.name).rows.size;
  }

  get(uuid: string): Readonly<R> | undefined {
    return this.replica().table(this.name).rows.get(uuid) as Readonly<R> | undefined;
  }

  [Symbol.iterator](): Iterator<Readonly<R>> {
    return (this.replica().table(this.name).rows.values() as Iterable<Readonly<R>>)[Symbol.iterator]();
  }

  /** Every row (a new array). */
  all(): Readonly<R>[] {
    return [...this];
  }

  /** Rows whose indexed value equals `value` (O(1)); schema indexes are named by their columns joined with ",". */
  find(index: string, value: unknown): Readonly<R>[] {
    const idx = this.index(index);
    return idx.lookup(idx.normalize(value)) as unknown as Readonly<R>[];
  }

  findOne(index: string, value: unknown): Readonly<R> | undefined {
    const idx = this.index(index);
    return idx.lookupOne(idx.normalize(value)) as Readonly<R> | undefined;
  }

  /** A scan: rows for which `predicate` is true. */
  filter(predicate: (row: Readonly<R>) => boolean): Readonly<R>[] {
    const out: Readonly<R>[] = [];
    for (const row of this) if (predicate(row)) out.push(row);
    return out;
  }

  /** Names of the indexes this table has. */
  indexNames(): string[] {
    return [...this.replica().table(this.name).indexes.keys()];
  }

  private index(name: string) {
    const idx = this.replica().table(this.name).indexes.get(name);
    if (!idx) throw new OvsdbSchemaError(`table ${this.name} has no index "${name}" (has: ${this.indexNames().join(', ') || 'none'})`);
    return idx;
  }
}

/** A lock of this database that the connection holds, and takes again after every reconnect. */
export class DatabaseLock {
  held = false;
  private waiters: (() => void)[] = [];

  constructor(readonly name: string, private readonly release_: (lock: DatabaseLock) => Promise<void>) {}

  /** Resolves when the lock is held (now or after other holders release it). */
  acquired(): Promise<void> {
    if (this.held) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Stops holding and wanting the lock. */
  release(): Promise<void> {
    return this.release_(this);
  }

  /** @internal */
  setHeld(held: boolean): void {
    this.held = held;
    if (held) {
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
    }
  }
}

interface Waiter {
  resolve: (conn: OvsdbProtocol) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

export class OvsdbDatabase<T extends object = Record<string, Row>> extends EventEmitter<DatabaseEvents<T>> {
  /**
   * Starts replicating and returns at once; await `db.synced` for the initial state. Never throws for
   * connection problems: it keeps trying (see the `state` and `skipped` events). Only when every server of the
   * list answers `list_dbs` without the database (before the first sync) does `synced` reject, with
   * OvsdbUnknownDatabaseError, and the database close.
   */
  static connect<T extends object = Record<string, Row>>(options: OvsdbDatabaseOptions<T>): OvsdbDatabase<T> {
    const db = new OvsdbDatabase<T>(options);
    void db.run();
    return db;
  }

  readonly database: string;
  readonly remotes: readonly string[];
  readonly stats: DatabaseStats = { connects: 0, reconnects: 0, disconnects: 0, resumes: 0, resyncs: 0, outcomeUnknown: 0, skippedMembers: 0 };
  /** Resolves once every monitor has applied its first full state. Rejects only if closed before that. */
  readonly synced: Promise<void>;
  private resolveSynced!: () => void;
  private syncedOnce = false;
  /** Members whose `list_dbs` lacks our database, with what they serve. */
  private readonly notServing = new Map<string, readonly string[]>();
  private rejectSynced!: (e: Error) => void;
  private stateValue: ConnectionState = 'connecting';
  private replicaValue: Replica | undefined;
  private schemaText = '';
  private readonly monitors: ReplicaMonitor[] = [];
  private readonly monitorById = new Map<string, ReplicaMonitor>();
  private readonly tableOptions = new Map<string, TableOptions>();
  private readonly chooser: ClusterMemberChooser;
  private readonly backoff: Backoff;
  private readonly watch: MemberWatch;
  private readonly locks = new Map<string, DatabaseLock>();
  /** The connection in use (set while it is being set up, too). */
  private conn: OvsdbProtocol | undefined;
  private ready = false;
  private waiters: Waiter[] = [];
  private closing = false;
  private wake: (() => void) | undefined;
  private serverReplica: Replica | undefined;
  private serverQueue: QueuedUpdate[] | undefined;
  private nextMonitorId = 1;
  private resubscribing: Promise<void> | undefined;
  private readonly open: (remote: string) => Promise<RpcChannel>;
  private readonly probeIntervalMs: number;
  private readonly setupTimeoutMs: number;

  private constructor(private readonly options: OvsdbDatabaseOptions<T>) {
    super();
    this.database = options.database;
    this.remotes = splitRemotes(options.remotes);
    this.chooser = new ClusterMemberChooser(options.leaderOnly ?? true);
    this.backoff = new Backoff(options.backoff);
    this.probeIntervalMs = options.probeIntervalMs ?? 5000;
    this.setupTimeoutMs = options.setupTimeoutMs ?? (this.probeIntervalMs > 0 ? this.probeIntervalMs : 10_000);
    this.open = options.openChannel ?? ((remote) => openRpcChannel(remote, options));
    this.watch = new MemberWatch({
      remotes: this.remotes, database: this.database, chooser: this.chooser, open: this.open,
      callTimeoutMs: this.setupTimeoutMs, probeIntervalMs: this.probeIntervalMs, shuffle: options.shuffleRemotes ?? true,
      keepWatching: options.watchMembers ?? this.remotes.length > 1,
      onSkip: (remote, reason) => this.skip(remote, reason),
      onListing: (remote, databases) => this.onListing(remote, databases),
    });
    this.synced = new Promise<void>((resolve, reject) => {
      this.resolveSynced = () => { this.syncedOnce = true; resolve(); };
      this.rejectSynced = reject;
    });
    this.synced.catch(() => undefined);
    const specs = [options.tables ?? {}, ...(options.monitors ?? [])];
    for (const spec of specs) this.defineMonitor(spec as MonitorTables<Record<string, Row>>);
  }

  get state(): ConnectionState {
    return this.stateValue;
  }

  /** The remote of the current connection (undefined while reconnecting). */
  get remote(): string | undefined {
    return this.ready ? this.conn?.remote : undefined;
  }

  /** The schema in use (after the first connection). */
  get schema(): DatabaseSchema | undefined {
    return this.replicaValue?.schema;
  }

  /** The replica's change counter: moves with every applied update batch. */
  get generation(): number {
    return this.replicaValue?.generation ?? 0;
  }

  /** A replicated table. Throws before the first connection read the schema (await `synced`). */
  table<K extends keyof T & string>(name: K): ReplicaTableView<T[K]> {
    this.replica.table(name);
    return new ReplicaTableView<T[K]>(() => this.replica, name);
  }

  private get replica(): Replica {
    if (!this.replicaValue) throw new OvsdbSchemaError('the replica has no schema yet (await db.synced)');
    return this.replicaValue;
  }

  private defineMonitor(spec: MonitorTables<Record<string, Row>>): ReplicaMonitor {
    const m = new ReplicaMonitor(`m${this.nextMonitorId++}`);
    for (const [table, opts] of Object.entries(spec)) {
      if (!opts) continue;
      if (this.tableOptions.has(table)) throw new OvsdbSchemaError(`table ${table} is already in a monitor`);
      this.tableOptions.set(table, opts as TableOptions);
      m.tables.set(table, { where: (opts as TableOptions).where, acked: '' });
    }
    this.monitors.push(m);
    this.monitorById.set(m.id, m);
    return m;
  }

  /**
   * Adds a monitor at runtime (tables not monitored yet); resolves once its initial state is applied (after the
   * next connection when disconnected).
   */
  async addMonitor(spec: MonitorTables<T>): Promise<void> {
    const m = this.defineMonitor(spec as MonitorTables<Record<string, Row>>);
    const replica = this.replicaValue;
    if (replica) for (const name of m.tableNames()) this.addReplicaTable(replica, name);
    const conn = this.ready ? this.conn : undefined;
    if (conn) await this.startMonitor(conn, m);
    else await new Promise<void>((resolve, reject) => {
      const check = () => { if (m.synced) { this.off('connected', check); resolve(); } };
      this.on('connected', check);
      void this.synced.catch(reject);
    });
  }

  /**
   * Changes the `where` of a table at runtime (monitor_cond_change). Resolves once the server applied it; when
   * disconnected it is sent with the next monitor request (and survives every reconnect).
   */
  async setConditions<K extends keyof T & string>(table: K, where: readonly Condition<T[K]>[] | undefined): Promise<void> {
    const m = this.monitors.find((x) => x.tables.has(table));
    if (!m) throw new OvsdbSchemaError(`table ${table} is not monitored`);
    m.tables.get(table)!.where = where as readonly Condition[] | undefined;
    const conn = this.ready ? this.conn : undefined;
    if (!conn || !m.active || !m.current) return;
    const schema = this.replica.schema;
    await conn.monitorCondChange(m.current, { [table]: { where: (where ?? [true]) as readonly Condition[] } }, undefined, { timeoutMs: this.setupTimeoutMs });
    if (this.conn === conn && m.tables.get(table)!.where === where) m.tables.get(table)!.acked = m.encodedWhere(schema, table);
  }

  /** Adds an index to a replicated table at runtime (built from the current rows). */
  addIndex<K extends keyof T & string>(table: K, name: string, spec: IndexSpec): void {
    const opts = this.tableOptions.get(table);
    if (!opts) throw new OvsdbSchemaError(`table ${table} is not monitored`);
    this.tableOptions.set(table, { ...opts, indexes: { ...opts.indexes, [name]: spec } });
    if (this.replicaValue?.hasTable(table)) this.replicaValue.addIndex(table, name, spec);
  }

  /**
   * Runs a transaction on the current member and resolves with its typed results once the replica has applied
   * the updates it caused. Waits for a connection when there is none (up to `waitMs`, default forever). Rejects
   * with the typed operation error, or, when the connection ended (or `timeoutMs` passed: the connection is then
   * dropped) with the request sent, OvsdbOutcomeUnknownError for a transaction that writes; a read-only one gets
   * the plain OvsdbConnectionClosedError (or OvsdbCallTimeoutError).
   */
  async transact<const Ops extends readonly OperationBase<unknown>[]>(operations: Ops, options: { timeoutMs?: number; waitMs?: number } = {}): Promise<Results<Ops>> {
    const conn = await this.readyConnection(options.waitMs);
    try {
      return await conn.transact(this.database, operations, options.timeoutMs ? { timeoutMs: options.timeoutMs } : {});
    } catch (err) {
      if (err instanceof OvsdbCallTimeoutError) {
        conn.channel.close(err);
        if (!isReadOnly(operations)) { this.stats.outcomeUnknown++; throw new OvsdbOutcomeUnknownError(conn.remote, err); }
      }
      if (err instanceof OvsdbOutcomeUnknownError) this.stats.outcomeUnknown++;
      throw err;
    }
  }

  /**
   * Runs `fn` to build a transaction from the replica (`tx.add(ops...)`, `tx.verify(row, columns)`), commits
   * it, and when a verified row changed meanwhile waits for the replica to catch up and runs `fn` again.
   */
  transactWithRetry<V>(fn: (tx: ReplicaTransaction<T>) => V | Promise<V>, options?: RetryOptions): Promise<RetryResult<V>> {
    return transactWithRetry(this, fn, options);
  }

  /** The name of the replicated table holding this very row object, if any. */
  tableNameOf(row: { readonly _uuid: string }): string | undefined {
    const replica = this.replicaValue;
    if (!replica) return undefined;
    for (const name of replica.tableNames()) if (replica.table(name).rows.get(row._uuid) === row) return name;
    return undefined;
  }

  /** Takes (and keeps across reconnects) the lock `name`; `await lock.acquired()`. Transactions can `ops.assert(name)`. */
  lock(name: string): DatabaseLock {
    const existing = this.locks.get(name);
    if (existing) return existing;
    const lock = new DatabaseLock(name, async (l) => {
      this.locks.delete(l.name);
      const wasHeld = l.held;
      l.setHeld(false);
      if (wasHeld) this.emit('lock', { name: l.name, held: false });
      const conn = this.ready ? this.conn : undefined;
      if (conn) await conn.unlock(l.name, { timeoutMs: this.setupTimeoutMs }).catch(() => undefined);
    });
    this.locks.set(name, lock);
    const conn = this.ready ? this.conn : undefined;
    if (conn) this.requestLock(conn, lock);
    return lock;
  }

  /** Resolves with a connection whose monitors are established. */
  private readyConnection(waitMs?: number): Promise<OvsdbProtocol> {
    if (this.closing) return Promise.reject(new OvsdbConnectionClosedError(undefined, 'the database was closed'));
    if (this.ready && this.conn && !this.conn.isClosed) return Promise.resolve(this.conn);
    return new Promise((resolve, reject) => {
      const w: Waiter = { resolve, reject, timer: undefined };
      if (waitMs !== undefined) {
        w.timer = setTimeout(() => {
          this.waiters = this.waiters.filter((x) => x !== w);
          reject(new OvsdbConnectionClosedError(undefined, `no usable member within ${waitMs} ms`));
        }, waitMs);
      }
      this.waiters.push(w);
    });
  }

  private releaseWaiters(conn: OvsdbProtocol): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) {
      if (w.timer) clearTimeout(w.timer);
      w.resolve(conn);
    }
  }

  /** Stops everything: the connection is closed, pending waits reject. */
  async close(): Promise<void> {
    await this.shutdown(new OvsdbConnectionClosedError(undefined, 'the database was closed'));
  }

  private async shutdown(err: Error, reason?: Error): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.wake?.();
    this.watch.close();
    const closed = this.conn?.close();
    for (const w of this.waiters) { if (w.timer) clearTimeout(w.timer); w.reject(err); }
    this.waiters = [];
    this.rejectSynced(err);
    this.setState('closed', reason ? { reason } : {});
    await closed;
  }

  /**
   * A member's `list_dbs`. Before the first sync, when every member of the list has answered without our
   * database, nothing will ever serve it as configured: fail now (synced rejects with OvsdbUnknownDatabaseError)
   * rather than at a caller's timeout. Once synced, a member that stops serving it is only skipped.
   */
  private onListing(remote: string, databases: readonly string[]): void {
    if (databases.includes(this.database)) { this.notServing.delete(remote); return; }
    this.notServing.set(remote, databases);
    if (this.syncedOnce || this.notServing.size < this.remotes.length) return;
    const err = new OvsdbUnknownDatabaseError(this.database, new Map(this.notServing));
    void this.shutdown(err, err);
  }

  private setState(state: ConnectionState, detail: { remote?: string; delayMs?: number; reason?: Error }): void {
    if (this.stateValue === 'closed') return;
    this.stateValue = state;
    this.emit('state', state, detail);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => { this.wake = undefined; resolve(); }, ms);
      this.wake = () => { clearTimeout(t); this.wake = undefined; resolve(); };
    });
  }

  // ----------------------------------------------------------------------------------------------------------
  // The connection loop

  private async run(): Promise<void> {
    let avoid: string | undefined;
    while (!this.closing) {
      // Every member at once; the first whose `_Server` role looks usable comes back (member-watch.ts).
      this.setState('connecting', {});
      const conn = await this.watch.find(avoid);
      if (this.closing) { void conn?.close(); break; }
      if (!conn) {
        // No member answered at all: wait, growing, then open them all again.
        const delayMs = this.backoff.next();
        this.setState('backoff', { delayMs });
        await this.sleep(delayMs);
        continue;
      }
      const remote = conn.remote;
      this.setState('connecting', { remote });
      const probe = probeConnection(conn, this.probeIntervalMs);
      let verdict: MemberVerdict;
      try {
        verdict = await this.establish(conn);
      } catch (err) {
        verdict = { usable: false, reason: (err as Error).message, follower: false };
      }
      if (!verdict.usable) {
        probe.stop();
        void conn.close();
        this.teardown(conn);
        // Not chosen again before its role changes or a while passed: briefly for a follower (stale index
        // during an election), growing for a member that fails its setup.
        this.watch.holdOff(remote, verdict.follower ? this.backoff.nextElectionPoll() : this.backoff.next());
        this.skip(remote, verdict.reason);
        continue;
      }
      // Established (`connected` was emitted; counted there): from here on its end is a disconnect, even when it
      // came before this loop got to run again.
      this.backoff.reset();
      const reason = await conn.channel.closed;
      probe.stop();
      this.teardown(conn);
      if (!this.closing) {
        this.stats.disconnects++;
        this.emit('disconnected', { remote, reason });
      }
      avoid = remote;
    }
  }

  private skip(remote: string, reason: string): void {
    this.stats.skippedMembers++;
    this.emit('skipped', { remote, reason });
  }

  private teardown(conn: OvsdbProtocol): void {
    if (this.conn !== conn) return;
    this.conn = undefined;
    this.ready = false;
    this.serverQueue = undefined;
    for (const m of this.monitors) { m.active = false; m.queue = undefined; m.current = undefined; }
    for (const lock of this.locks.values()) {
      if (lock.held) { lock.setHeld(false); this.emit('lock', { name: lock.name, held: false }); }
    }
  }

  /** Sets up one member: `_Server` check, schema, change awareness, monitors, locks. */
  private async establish(conn: OvsdbProtocol): Promise<MemberVerdict> {
    this.conn = conn;
    this.monitorMethod = 'monitor_cond_since';
    conn.on('update', (id, updates, version, lastTxnId) => this.onUpdate(conn, id, updates, version, lastTxnId));
    conn.on('locked', (name) => this.onLockNotification(conn, name, true));
    conn.on('stolen', (name) => this.onLockNotification(conn, name, false));
    conn.on('monitorCanceled', (id) => {
      if (this.conn === conn && typeof id === 'string' && this.monitorById.has(id)) void this.resubscribe(conn);
    });
    const timeoutMs = this.setupTimeoutMs;

    // 1. Which member is this? (_Server, monitored so that losing leadership is noticed.)
    let serverRow: ServerDatabaseRow | undefined;
    let hasServerDb = true;
    try {
      const sr = new Replica(SERVER_SCHEMA);
      sr.addTable('Database', { columns: SERVER_COLUMNS });
      this.serverQueue = [];
      const watch = await conn.monitorCond('_Server', { Database: { columns: SERVER_COLUMNS, where: [['name', '==', this.database]] } },
        { id: SERVER_MONITOR_ID, timeoutMs });
      sr.replaceTables(2, watch.initialJson, ['Database'], undefined);
      this.serverReplica = sr;
      const queued = this.serverQueue;
      this.serverQueue = undefined;
      for (const q of queued) sr.applyUpdates(q.version, q.updates, undefined);
      serverRow = this.serverRow();
    } catch (err) {
      if (!(err instanceof OvsdbRpcError)) throw err;
      hasServerDb = false; // an old server without _Server: take it as it is
      this.serverReplica = undefined;
    }
    if (hasServerDb) {
      const verdict = this.chooser.judge(serverRow);
      if (!verdict.usable) return verdict;
    }
    this.emit('chosen', { remote: conn.remote });

    // 2. The schema: from _Server when it has it (no extra round trip), else get_schema.
    const schema = serverRow?.schema ? parseSchema(parseJson(serverRow.schema)) : await conn.getSchema(this.database, { timeoutMs });
    this.adoptSchema(conn, schema);

    // 3. Be told about conversions instead of being disconnected (sent ahead of the monitors, not awaited first:
    // the server answers in order, so it is in effect before any monitor is).
    const changeAware = hasServerDb ? conn.setDbChangeAware(true, { timeoutMs }).catch(() => undefined) : undefined;

    // 4. Monitors, in parallel; each resumes or resyncs.
    const resumes = await Promise.all(this.monitors.map((m) => this.startMonitor(conn, m)));
    await changeAware;
    if (conn.isClosed) return { usable: false, reason: 'the connection ended during setup', follower: false };

    // 5. Locks, 6. open the gate.
    for (const lock of this.locks.values()) this.requestLock(conn, lock);
    this.ready = true;
    if (this.stats.connects++ > 0) this.stats.reconnects++;
    this.setState('connected', { remote: conn.remote });
    this.emit('connected', { remote: conn.remote, monitors: resumes });
    if (this.monitors.every((m) => m.synced)) this.resolveSynced();
    this.releaseWaiters(conn);
    return { usable: true };
  }

  private serverRow(): ServerDatabaseRow | undefined {
    const t = this.serverReplica?.table('Database');
    if (!t) return undefined;
    for (const row of t.rows.values()) if (row.name === this.database) return row as unknown as ServerDatabaseRow;
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
    const changes = this.listenerCount('change') > 0 ? [] as RowChange[] : undefined;
    this.replica.setSchema(schema, changes);
    for (const name of this.tableOptions.keys()) if (!this.replica.hasTable(name)) this.addReplicaTable(this.replica, name);
    // A converted database has a new history: no monitor can resume.
    for (const m of this.monitors) m.lastTxnId = ZERO_UUID;
    this.emit('schema', schema);
    this.emitChanges(changes);
  }

  private addReplicaTable(replica: Replica, name: string): void {
    const opts = this.tableOptions.get(name) ?? {};
    if (!replica.schema.tables.has(name)) {
      this.emit('warning', new OvsdbSchemaError(`database ${this.database} has no table ${name}; not replicated`));
      return;
    }
    const ts = replica.schema.tables.get(name)!;
    const columns = opts.columns?.filter((c) => ts.columns.has(c));
    replica.addTable(name, { ...(columns ? { columns } : {}), ...(opts.indexes ? { indexes: opts.indexes } : {}) });
  }

  private monitorMethod: MonitorMethod = 'monitor_cond_since';

  /** Sends the monitor request (falling back on "unknown method") and applies its reply. */
  private async startMonitor(conn: OvsdbProtocol, m: ReplicaMonitor): Promise<MonitorResume> {
    const schema = this.replica.schema;
    if (m.conditionsUnsettled(schema)) m.lastTxnId = ZERO_UUID;
    const reconnect = m.synced;
    for (;;) {
      const method = this.monitorMethod;
      const requests = m.requests(schema, this.replica, method);
      const options = { id: m.id, timeoutMs: this.setupTimeoutMs };
      m.queue = [];
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
      if (conn.isClosed || this.conn !== conn) throw new OvsdbConnectionClosedError(method, 'the connection ended');
      const changes = this.listenerCount('change') > 0 ? [] as RowChange[] : undefined;
      const tables = m.tableNames().filter((t) => this.replica.hasTable(t));
      const found = method === 'monitor_cond_since' && monitor.found === true && m.synced;
      if (found) this.replica.applyUpdates(2, monitor.initialJson, changes);
      else this.replica.replaceTables(monitor.version, monitor.initialJson, tables, changes);
      m.lastTxnId = monitor.lastTxnId ?? ZERO_UUID;
      m.ackAll(schema);
      m.current = monitor;
      m.active = true;
      m.synced = true;
      const queued = m.queue;
      m.queue = undefined;
      this.emitChanges(changes);
      for (const q of queued) this.applyMonitorUpdate(conn, m, q);
      const info: MonitorResume = { monitor: m.id, method, found, reconnect };
      if (reconnect) {
        if (found) this.stats.resumes++;
        else this.stats.resyncs++;
        this.emit('resync', info);
      }
      return info;
    }
  }

  private requestLock(conn: OvsdbProtocol, lock: DatabaseLock): void {
    conn.lock(lock.name).then((locked) => {
      if (this.conn !== conn || this.locks.get(lock.name) !== lock) return;
      if (locked && !lock.held) {
        lock.setHeld(true);
        this.emit('lock', { name: lock.name, held: true });
      }
    }, (err: Error) => { if (!conn.isClosed) this.emit('warning', err); });
  }

  private onLockNotification(conn: OvsdbProtocol, name: string, held: boolean): void {
    if (this.conn !== conn) return;
    const lock = this.locks.get(name);
    if (!lock) return;
    if (lock.held !== held) { lock.setHeld(held); this.emit('lock', { name: lock.name, held }); }
    // After a steal we queue for the lock again, so it comes back when the thief releases it.
    if (!held) this.requestLock(conn, lock);
  }

  private emitChanges(changes: RowChange[] | undefined): void {
    if (changes && changes.length > 0) this.emit('change', changes as unknown as ChangeOf<T>[]);
  }

  private onUpdate(conn: OvsdbProtocol, id: Json, updates: Json, version: UpdateVersion, lastTxnId: string | undefined): void {
    if (this.conn !== conn) return;
    const update: QueuedUpdate = { updates, version, lastTxnId };
    if (id === SERVER_MONITOR_ID) { this.onServerUpdate(conn, update); return; }
    const m = typeof id === 'string' ? this.monitorById.get(id) : undefined;
    if (!m) return;
    if (m.queue) { m.queue.push(update); return; }
    if (m.active) this.applyMonitorUpdate(conn, m, update);
  }

  private applyMonitorUpdate(conn: OvsdbProtocol, m: ReplicaMonitor, update: QueuedUpdate): void {
    const changes = this.listenerCount('change') > 0 ? [] as RowChange[] : undefined;
    try {
      this.replica.applyUpdates(update.version, update.updates, changes);
      if (update.lastTxnId !== undefined) m.lastTxnId = update.lastTxnId;
    } catch (err) {
      // The update does not fit what we have: resync this monitor from scratch on a new connection.
      m.lastTxnId = ZERO_UUID;
      this.emit('warning', err as Error);
      conn.channel.close(err instanceof OvsdbError ? err : new OvsdbProtocolError(String(err)));
    }
    this.emitChanges(changes);
  }

  private onServerUpdate(conn: OvsdbProtocol, update: QueuedUpdate): void {
    if (this.serverQueue) { this.serverQueue.push(update); return; }
    const sr = this.serverReplica;
    if (!sr || update.version !== 2) return;
    try {
      sr.applyUpdates(2, update.updates, undefined);
    } catch (err) {
      conn.channel.close(err as Error);
      return;
    }
    if (!this.ready) return;
    const verdict = this.chooser.judge(this.serverRow());
    if (!verdict.usable) conn.channel.close(new OvsdbConnectionClosedError(undefined, `member no longer usable: ${verdict.reason}`));
  }

  /** After monitor_canceled (the database was converted): read the schema again and monitor again. */
  private resubscribe(conn: OvsdbProtocol): Promise<void> {
    if (this.resubscribing) return this.resubscribing;
    this.ready = false;
    this.setState('connecting', { remote: conn.remote });
    for (const m of this.monitors) { m.active = false; m.current = undefined; }
    const run = (async () => {
      try {
        this.adoptSchema(conn, await conn.getSchema(this.database, { timeoutMs: this.setupTimeoutMs }));
        for (const m of this.monitors) m.lastTxnId = ZERO_UUID;
        const resumes = await Promise.all(this.monitors.map((m) => this.startMonitor(conn, m)));
        if (this.conn !== conn || conn.isClosed) return;
        this.ready = true;
        this.setState('connected', { remote: conn.remote });
        this.emit('connected', { remote: conn.remote, monitors: resumes });
        this.releaseWaiters(conn);
      } catch (err) {
        this.emit('warning', err as Error);
        conn.channel.close(err instanceof OvsdbError ? err : new OvsdbProtocolError(String(err)));
      } finally {
        this.resubscribing = undefined;
      }
    })();
    this.resubscribing = run;
    return run;
  }
}
