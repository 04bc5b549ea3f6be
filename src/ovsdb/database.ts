// OvsdbDatabase: one database kept as a live in-memory replica over a connection that keeps working.
//
//   const db = await OvsdbDatabase.connect<NorthboundTables>({ remotes: lab.nb.tcp, database: 'OVN_Northbound',
//     tables: { Logical_Switch: {}, Logical_Switch_Port: { indexes: { byIface: { column: 'external_ids', key: 'iface-id' } } } } });
//   await db.synced;
//   db.table('Logical_Switch_Port').findOne('byIface', 'pod1');
//   await db.transact([ops.insert('Logical_Switch', { name: 'sw0' })]);   // resolves once the replica has the row
//
// The object a caller holds; the work is done by its parts: the connection's life (connection-loop.ts: every
// member opened at once, the usable one chosen by its `_Server` row, probe, backoff), what the replica does on each
// connection (replica-sync.ts: schema, monitors resumed or resynced with a diff), the locks (database-lock.ts) and
// the table views (replica-table-view.ts). Transactions go through only once the monitors are established, so a
// transaction always sees its own updates applied before it resolves. A transaction that writes, in flight when
// the connection ends, fails with OvsdbOutcomeUnknownError.
import { EventEmitter } from 'node:events';
import type { ServerDatabaseRow } from './cluster-member.js';
import { ConnectionLoop, type ConnectionState, type StateDetail } from './connection-loop.js';
import { DatabaseLocks, type DatabaseLock } from './database-lock.js';
import type { Row, SchemaIndexOf } from './datum.js';
import { OvsdbCallTimeoutError, OvsdbConnectionClosedError, OvsdbOutcomeUnknownError, type OvsdbImpossibleUpdateError } from './errors.js';
import { isReadOnly, type Condition, type OperationBase, type Results } from './operations.js';
import { DEFAULT_PROBE_INTERVAL_MS } from './probe.js';
import type { OvsdbProtocol } from './protocol.js';
import type { BackoffOptions } from './reconnect.js';
import type { IndexSpec, RowChange, StoredRow } from './replica.js';
import type { MonitorResume } from './replica-monitor.js';
import { ReplicaSync, type MonitorTables, type TableOptions } from './replica-sync.js';
import { ReplicaTableView } from './replica-table-view.js';
import { openRpcChannel, splitRemotes, type RpcChannel, type RpcChannelOptions } from './rpc-channel.js';
import type { DatabaseSchema } from './schema.js';
import { transactWithRetry, type ReplicaTransaction, type RetryOptions, type RetryResult } from './transaction-retry.js';

export type { ConnectionState, MonitorResume, MonitorTables, RowChange, StoredRow, IndexSpec, TableOptions };
export { DatabaseLock } from './database-lock.js';
export { ReplicaTableView } from './replica-table-view.js';

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
  /**
   * Send `echo` after half this idle time and drop the peer after this much silence (0 = off). Default as Open
   * vSwitch: 5000 on tcp: and ssl:, off on unix: (defaultProbeIntervalMs).
   */
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
  /**
   * Timeout of each call while setting up a connection (default: the probe interval, or 10 s); also how long a
   * relay may say it is not connected to its source before it is reported (OvsdbRelayNotConnectedError).
   */
  readonly setupTimeoutMs?: number;
  /** Replaces how a connection to one remote is opened (tests, other transports). */
  readonly openChannel?: (remote: string) => Promise<RpcChannel>;
}

export interface DatabaseEvents<T> {
  /** Rows changed: one array per update batch (one transaction, a resume, or the diff of a resync). */
  change: [changes: readonly ChangeOf<T>[]];
  state: [state: ConnectionState, detail: StateDetail];
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
  /**
   * An update did not fit the replica or the schema (a modify/delete of a row it lacks, an insert of a uuid it
   * has, a value of the wrong type, a table not monitored...). None of it was applied; the connection is dropped
   * and every monitor gets the full state again on the next one (counted in `stats.resyncs`).
   */
  impossibleUpdate: [error: OvsdbImpossibleUpdateError];
  /**
   * A non-fatal problem (a failed condition change, a table the schema lacks, a relay of the list not connected
   * to its source for `setupTimeoutMs`: OvsdbRelayNotConnectedError).
   */
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
  /** Updates refused as impossible (each dropped its connection and made every monitor resync). */
  impossibleUpdates: number;
  outcomeUnknown: number;
  skippedMembers: number;
  /** Transactions sent (transact() calls that reached a connection), read-only ones included. */
  transactions: number;
  /** Of those, the transactions that write (not only select/wait/comment/assert/commit/abort). */
  writeTransactions: number;
}

/**
 * The index names a `tables` spec declares, per table: `OvsdbDatabase<NorthboundTables, IndexNames<typeof tables>>`
 * makes `db.table(t).find(index, ...)` accept only those and the schema's.
 */
export type IndexNames<S> = { [K in keyof S]: NonNullable<S[K]> extends { readonly indexes?: infer I } ? keyof NonNullable<I> & string : never };

/** The declared index names of table K (any string when X does not name the table, or names none: the default). */
export type DeclaredIndex<X, K> = string extends keyof X ? string : K extends keyof X ? Extract<X[K], string> : string;

/**
 * `T` maps table names to row types (a generated `NorthboundTables`); `X` the index names declared per table
 * (IndexNames of the `tables` spec; by default any name is accepted).
 */
export class OvsdbDatabase<T extends object = Record<string, Row>, X extends object = Record<string, string>> extends EventEmitter<DatabaseEvents<T>> {
  /**
   * Starts replicating and returns at once; await `db.synced` for the initial state. Never throws for
   * connection problems: it keeps trying (see the `state` and `skipped` events). Only when every server of the
   * list answers `list_dbs` without the database (before the first sync) does `synced` reject, with
   * OvsdbUnknownDatabaseError, and the database close; likewise, with OvsdbRelayNotConnectedError, when every
   * server of the list is a relay that has said it is not connected to its source for `setupTimeoutMs` (a relay
   * pointed at a wrong source). Such a relay among usable servers is reported by a `warning` event instead.
   */
  static connect<T extends object = Record<string, Row>, X extends object = Record<string, string>>(options: OvsdbDatabaseOptions<T>): OvsdbDatabase<T, X> {
    const db = new OvsdbDatabase<T, X>(options);
    db.loop.start();
    return db;
  }

  readonly database: string;
  readonly remotes: readonly string[];
  readonly stats: DatabaseStats = { connects: 0, reconnects: 0, disconnects: 0, resumes: 0, resyncs: 0, impossibleUpdates: 0, outcomeUnknown: 0, skippedMembers: 0, transactions: 0, writeTransactions: 0 };
  /** Resolves once every monitor has applied its first full state. Rejects only if closed before that. */
  readonly synced: Promise<void>;
  private resolveSynced!: () => void;
  private rejectSynced!: (e: Error) => void;
  private readonly loop: ConnectionLoop;
  private readonly sync: ReplicaSync;
  private readonly locks: DatabaseLocks;

  private constructor(options: OvsdbDatabaseOptions<T>) {
    super();
    this.database = options.database;
    this.remotes = splitRemotes(options.remotes);
    const probeIntervalMs = options.probeIntervalMs;
    const setupInterval = probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS;
    const setupTimeoutMs = options.setupTimeoutMs ?? (setupInterval > 0 ? setupInterval : 10_000);
    this.synced = new Promise<void>((resolve, reject) => { this.resolveSynced = resolve; this.rejectSynced = reject; });
    this.synced.catch(() => undefined);
    this.loop = new ConnectionLoop({
      remotes: this.remotes, database: this.database, open: options.openChannel ?? ((remote) => openRpcChannel(remote, options)),
      leaderOnly: options.leaderOnly ?? true, probeIntervalMs, setupTimeoutMs, backoff: options.backoff,
      shuffleRemotes: options.shuffleRemotes ?? true, watchMembers: options.watchMembers ?? this.remotes.length > 1,
    }, {
      setup: (conn, row) => this.setup(conn, row),
      opened: (conn) => {
        this.emit('connected', { remote: conn.remote, monitors: this.sync.lastResumes });
        if (this.sync.synced) this.resolveSynced();
      },
      teardown: (conn) => { this.sync.teardown(); this.locks.detach(conn); },
      failed: (error) => { void this.shutdown(error, error); },
      warning: (error) => this.emit('warning', error),
      state: (state, detail) => this.emit('state', state, detail),
      chosen: (remote) => this.emit('chosen', { remote }),
      skipped: (remote, reason) => this.emit('skipped', { remote, reason }),
      disconnected: (remote, reason) => this.emit('disconnected', { remote, reason }),
    }, this.stats);
    this.sync = new ReplicaSync(this.database, setupTimeoutMs, {
      wantsChanges: () => this.listenerCount('change') > 0,
      changed: (changes) => this.emit('change', changes as unknown as ChangeOf<T>[]),
      resynced: (info) => {
        if (info.found) this.stats.resumes++;
        else this.stats.resyncs++;
        this.emit('resync', info);
      },
      schemaChanged: (schema) => this.emit('schema', schema),
      warning: (error) => this.emit('warning', error),
      impossibleUpdate: (error) => {
        this.stats.impossibleUpdates++;
        this.emit('impossibleUpdate', error);
      },
      isCurrent: (conn) => this.loop.isCurrent(conn),
      hold: (conn) => this.loop.hold(conn),
      open: (conn) => this.loop.open(conn),
    });
    this.locks = new DatabaseLocks({
      connection: () => this.loop.ready, callTimeoutMs: setupTimeoutMs,
      changed: (name, held) => this.emit('lock', { name, held }),
      warning: (error) => this.emit('warning', error),
    });
    for (const spec of [options.tables ?? {}, ...(options.monitors ?? [])]) this.sync.defineMonitor(spec as MonitorTables<Record<string, Row>>);
  }

  get state(): ConnectionState {
    return this.loop.state;
  }

  /** The remote of the current connection (undefined while reconnecting). */
  get remote(): string | undefined {
    return this.loop.ready?.remote;
  }

  /** The schema in use (after the first connection). */
  get schema(): DatabaseSchema | undefined {
    return this.sync.current?.schema;
  }

  /** The replica's change counter: moves with every applied update batch. */
  get generation(): number {
    return this.sync.current?.generation ?? 0;
  }

  /** A replicated table. Throws before the first connection read the schema (await `synced`). */
  table<K extends keyof T & string>(name: K): ReplicaTableView<T[K], SchemaIndexOf<T[K]> | DeclaredIndex<X, K>> {
    this.sync.replica.table(name);
    return new ReplicaTableView(() => this.sync.replica, name);
  }

  /**
   * Adds a monitor at runtime (tables not monitored yet); resolves once its initial state is applied (after the
   * next connection when disconnected).
   */
  async addMonitor(spec: MonitorTables<T>): Promise<void> {
    const m = this.sync.defineMonitor(spec as MonitorTables<Record<string, Row>>);
    const conn = this.loop.ready;
    if (conn) await this.sync.start(conn, m);
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
  setConditions<K extends keyof T & string>(table: K, where: readonly Condition<T[K]>[] | undefined): Promise<void> {
    return this.sync.setConditions(this.loop.ready, table, where as readonly Condition[] | undefined);
  }

  /** Adds an index to a replicated table at runtime (built from the current rows). */
  addIndex<K extends keyof T & string>(table: K, name: string, spec: IndexSpec): void {
    this.sync.addIndex(table, name, spec);
  }

  /**
   * Runs a transaction on the current member and resolves with its typed results once the replica has applied
   * the updates it caused. Waits for a connection when there is none (up to `waitMs`, default forever). Rejects
   * with the typed operation error, or, when the connection ended (or `timeoutMs` passed: the connection is then
   * dropped) with the request sent, OvsdbOutcomeUnknownError for a transaction that writes; a read-only one gets
   * the plain OvsdbConnectionClosedError (or OvsdbCallTimeoutError).
   */
  async transact<const Ops extends readonly OperationBase<unknown>[]>(operations: Ops, options: { timeoutMs?: number; waitMs?: number } = {}): Promise<Results<Ops>> {
    const conn = await this.loop.whenReady(options.waitMs);
    this.stats.transactions++;
    if (!isReadOnly(operations)) this.stats.writeTransactions++;
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
    return this.sync.tableNameOf(row);
  }

  /** Takes (and keeps across reconnects) the lock `name`; `await lock.acquired()`. Transactions can `ops.assert(name)`. */
  lock(name: string): DatabaseLock {
    return this.locks.lock(name);
  }

  /** Stops everything: the connection is closed, pending waits reject. */
  async close(): Promise<void> {
    await this.shutdown(new OvsdbConnectionClosedError(undefined, 'the database was closed'));
  }

  private async shutdown(err: Error, reason?: Error): Promise<void> {
    this.rejectSynced(err);
    await this.loop.close(err, reason);
  }

  /** A chosen member: the replica's monitors, then the locks. */
  private async setup(conn: OvsdbProtocol, row: ServerDatabaseRow | undefined): Promise<void> {
    await this.sync.setup(conn, row);
    if (!conn.isClosed) this.locks.attach(conn);
  }
}
