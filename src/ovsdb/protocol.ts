// Every OVSDB method, once: RFC 7047 and the OVS extensions, typed, over one RpcChannel (rpc-channel.ts). Each
// method builds its params, sends them, and checks and decodes the reply; server notifications become typed
// events and reach the Monitor they belong to. OvsdbClient (client.ts) is this plus connecting; the replica
// (database.ts) and the member watch (member-watch.ts) run one on each channel they open. Adding an OVSDB method
// means adding it here.
import { EventEmitter } from 'node:events';
import { ZERO_UUID, type Uuid } from './datum.js';
import { OvsdbCanceledError, OvsdbConnectionClosedError, OvsdbOutcomeUnknownError, OvsdbProtocolError, OvsdbValidationError } from './errors.js';
import { stringifyJson, type Json, type JsonObject } from './json.js';
import {
  decodeUpdates, decodeUpdates2, encodeConditionChange, encodeMonitorRequests,
  type MonitorCondChangeRequests, type MonitorMethod, type MonitorRequests, type RowUpdate, type RowUpdate2, type TableUpdates,
  type UpdateVersion,
} from './monitor-format.js';
import { checkLockName, decodeResults, encodeOperations, isReadOnly, type OperationBase, type Results } from './operations.js';
import type { CallOptions } from './rpc.js';
import type { RpcChannel } from './rpc-channel.js';
import { parseSchema, type DatabaseSchema } from './schema.js';
import { SERVER_SCHEMA } from './server-schema.js';

export interface ProtocolEvents {
  /** Every notification from the server, as sent (before the typed events below). */
  notification: [method: string, params: Json];
  /**
   * An `update` (version 1), `update2` or `update3` (version 2) of a monitor, undecoded (the replica applies the
   * JSON directly; a Monitor object decodes it for its own listeners). `lastTxnId` comes with update3.
   */
  update: [monitorId: Json, updates: Json, version: UpdateVersion, lastTxnId: Uuid | undefined];
  locked: [lockId: string];
  stolen: [lockId: string];
  monitorCanceled: [monitorId: Json];
}

export interface MonitorEvents<U> {
  /** Changes after the initial contents; `lastTxnId` for monitor_cond_since (update3). */
  update: [updates: TableUpdates<U>, lastTxnId: Uuid | undefined];
  /** The server canceled the monitor (`monitor_canceled`, e.g. after a schema conversion). */
  canceled: [];
}

/** What a Monitor needs of the connection it was made on. */
interface MonitorOwner {
  monitorCondChange(monitor: Monitor<unknown>, requests: MonitorCondChangeRequests, newId?: Json): Promise<void>;
  monitorCancel(monitor: Monitor<unknown>): Promise<void>;
}

/** A monitor on one database. Created by monitor / monitorCond / monitorCondSince. */
export class Monitor<U> extends EventEmitter<MonitorEvents<U>> {
  /** monitor_cond_since: whether the server still had `lastTxnId`. */
  found: boolean | undefined;
  /** monitor_cond_since: the id of the last transaction seen (updated by every update3). */
  lastTxnId: Uuid | undefined;
  active = true;
  /** The initial contents as the server sent them (for monitor_cond_since with found, the changes missed). */
  initialJson: Json = {};
  private decodedInitial: TableUpdates<U> | undefined;

  constructor(
    private readonly owner: MonitorOwner,
    public id: Json,
    readonly db: string,
    readonly method: MonitorMethod,
    readonly schema: DatabaseSchema,
  ) {
    super();
  }

  /** The format of this monitor's table-updates: 1 for `monitor`, 2 for the conditional methods. */
  get version(): UpdateVersion {
    return this.method === 'monitor' ? 1 : 2;
  }

  /** The initial contents, decoded (on first use). */
  get initial(): TableUpdates<U> {
    this.decodedInitial ??= this.decode(this.initialJson);
    return this.decodedInitial;
  }

  /** monitor_cond_change: new conditions for some tables (the others keep theirs); `newId` renames the monitor. */
  change(requests: MonitorCondChangeRequests, newId?: Json): Promise<void> {
    return this.owner.monitorCondChange(this, requests, newId);
  }

  /** monitor_cancel. */
  cancel(): Promise<void> {
    return this.owner.monitorCancel(this);
  }

  /** @internal An update of this monitor arrived. */
  deliver(updates: Json, lastTxnId: Uuid | undefined): void {
    if (lastTxnId !== undefined) this.lastTxnId = lastTxnId;
    if (this.listenerCount('update') > 0) this.emit('update', this.decode(updates), lastTxnId);
  }

  private decode(json: Json): TableUpdates<U> {
    return (this.version === 1 ? decodeUpdates(this.schema, json) : decodeUpdates2(this.schema, json)) as TableUpdates<U>;
  }
}

/** A transaction in flight: its JSON-RPC id, its typed result, cancel(). */
export interface PendingTransaction<R> {
  readonly id: number;
  readonly result: Promise<R>;
  cancel(): void;
}

export type MonitorOptions = { id?: Json } & CallOptions;

function isObj(v: Json | undefined): v is JsonObject {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v);
}

function lockResult(method: string, r: Json): boolean {
  if (!isObj(r) || typeof r.locked !== 'boolean') throw new OvsdbProtocolError(`${method}: expected {"locked": boolean}`);
  return r.locked;
}

/**
 * The OVSDB methods over one channel. The schema of each database is fetched once (get_schema) and cached, or
 * given with useSchema; `_Server`'s is built in.
 */
export class OvsdbProtocol<E extends ProtocolEvents & Record<keyof E, unknown[]> = ProtocolEvents> extends EventEmitter<E> {
  private readonly schemas = new Map<string, Promise<DatabaseSchema>>([[SERVER_SCHEMA.name, Promise.resolve(SERVER_SCHEMA)]]);
  private readonly monitors = new Map<string, Monitor<RowUpdate> | Monitor<RowUpdate2>>();
  private nextMonitor = 1;

  constructor(readonly channel: RpcChannel) {
    super();
    channel.onNotification = (method, params) => this.onNotification(method, params);
    void channel.closed.then(() => { for (const m of this.monitors.values()) m.active = false; });
  }

  /** The remote this connection goes to. */
  get remote(): string {
    return this.channel.remote;
  }

  get isClosed(): boolean {
    return this.channel.isClosed;
  }

  /** Closes the connection; pending calls reject with OvsdbConnectionClosedError. */
  async close(reason?: Error): Promise<void> {
    this.channel.close(reason);
    await this.channel.closed;
  }

  private get events(): EventEmitter<ProtocolEvents> {
    return this as EventEmitter<ProtocolEvents>;
  }

  private onNotification(method: string, params: Json[]): void {
    this.events.emit('notification', method, params);
    switch (method) {
      case 'update': case 'update2': case 'update3': {
        const id = params[0] ?? null;
        const txn = method === 'update3' && typeof params[1] === 'string' ? params[1] : undefined;
        const updates = (method === 'update3' ? params[2] : params[1]) ?? {};
        const m = this.monitors.get(stringifyJson(id));
        if (m?.active) m.deliver(updates, txn);
        this.events.emit('update', id, updates, method === 'update' ? 1 : 2, txn);
        return;
      }
      case 'locked': case 'stolen':
        if (typeof params[0] === 'string') this.events.emit(method, params[0]);
        return;
      case 'monitor_canceled': {
        const key = stringifyJson(params[0] ?? null);
        const m = this.monitors.get(key);
        if (m) {
          this.monitors.delete(key);
          m.active = false;
          this.schemas.delete(m.db); // the schema changed (conversion): fetch it again when next needed
          m.emit('canceled');
        }
        this.events.emit('monitorCanceled', params[0] ?? null);
        return;
      }
      default:
    }
  }

  /** Sends a raw request (any method) and returns its raw result. */
  call(method: string, params: Json[], options?: CallOptions): Promise<Json> {
    return this.channel.request(method, params, options).result;
  }

  /** list_dbs */
  async listDbs(options?: CallOptions): Promise<string[]> {
    const r = await this.call('list_dbs', [], options);
    if (!Array.isArray(r) || !r.every((x) => typeof x === 'string')) throw new OvsdbProtocolError('list_dbs: expected an array of names');
    return r as string[];
  }

  /** get_schema: fetches the schema (and caches it for transact/monitor). */
  getSchema(db: string, options?: CallOptions): Promise<DatabaseSchema> {
    const p = this.call('get_schema', [db], options).then(parseSchema);
    this.schemas.set(db, p);
    p.catch(() => { if (this.schemas.get(db) === p) this.schemas.delete(db); });
    return p;
  }

  /** The cached schema of a database (fetched on first use). */
  schema(db: string): Promise<DatabaseSchema> {
    return this.schemas.get(db) ?? this.getSchema(db);
  }

  /** Uses this schema for `db` instead of fetching it (e.g. a generated model's schema). */
  useSchema(schema: DatabaseSchema): void {
    this.schemas.set(schema.name, Promise.resolve(schema));
  }

  /**
   * transact: validates and encodes the operations against the schema, sends them, and resolves with one typed
   * result per operation, or rejects with the typed error of the first failing operation / the commit. When the
   * connection ends with the request sent, a transaction that writes rejects with OvsdbOutcomeUnknownError (it
   * may or may not have committed); a read-only one (select, wait, comment, assert) with the plain
   * OvsdbConnectionClosedError.
   */
  async transact<const Ops extends readonly OperationBase<unknown>[]>(db: string, operations: Ops, options?: CallOptions): Promise<Results<Ops>> {
    return (await this.transactRequest(db, operations, options)).result;
  }

  /** Like transact, but returns as soon as the request is sent, with its id and cancel(). */
  async transactRequest<const Ops extends readonly OperationBase<unknown>[]>(db: string, operations: Ops, options?: CallOptions): Promise<PendingTransaction<Results<Ops>>> {
    const schema = await this.schema(db);
    const params = encodeOperations(schema, operations);
    params.unshift(db);
    const call = this.sendTransaction(params, isReadOnly(operations), options);
    const result = call.result.then((reply) => decodeResults(schema, operations, reply) as Results<Ops>);
    return { id: call.id, result, cancel: call.cancel };
  }

  /** transact with operations already in wire form; resolves with the raw results array (errors not thrown). */
  async transactRaw(db: string, operations: readonly Json[], options?: CallOptions): Promise<Json[]> {
    const r = await this.sendTransaction([db, ...operations], isReadOnly(operations), options).result;
    if (!Array.isArray(r)) throw new OvsdbProtocolError('transact: the reply is not an array');
    return r;
  }

  private sendTransaction(params: Json[], readOnly: boolean, options: CallOptions | undefined) {
    const sent = !this.channel.isClosed;
    const call = this.channel.request('transact', params, options);
    const result = call.result.catch((err: unknown) => {
      // A request that went out on an open connection may have been committed; one never sent, or a read, has
      // no unknown outcome. So may a canceled one: ovsdb-server answers "canceled" when it stops tracking a
      // transaction (the member leaves its cluster, the server is told to exit, the caller canceled), and the
      // transaction "still might complete asynchronously" (ovsdb/trigger.c).
      if (sent && !readOnly && ((err instanceof OvsdbConnectionClosedError && !(err instanceof OvsdbOutcomeUnknownError)) || err instanceof OvsdbCanceledError)) {
        throw new OvsdbOutcomeUnknownError(this.remote, err);
      }
      throw err;
    });
    return { id: call.id, result, cancel: call.cancel };
  }

  /** echo: the server returns the params. */
  async echo(...params: Json[]): Promise<Json[]> {
    const r = await this.call('echo', params);
    if (!Array.isArray(r)) throw new OvsdbProtocolError('echo: expected an array');
    return r;
  }

  /** get_server_id: the UUID of the server process (new on every restart). */
  async getServerId(options?: CallOptions): Promise<Uuid> {
    const r = await this.call('get_server_id', [], options);
    if (typeof r !== 'string') throw new OvsdbProtocolError('get_server_id: expected a string');
    return r;
  }

  /** set_db_change_aware: with true the server sends monitor_canceled instead of disconnecting on schema changes. */
  async setDbChangeAware(aware = true, options?: CallOptions): Promise<void> {
    await this.call('set_db_change_aware', [aware], options);
  }

  /** convert: converts the online database to a new schema (its name must be `db`). */
  async convert(db: string, schema: DatabaseSchema | JsonObject, options?: CallOptions): Promise<void> {
    const json = 'tables' in schema && schema.tables instanceof Map ? (schema as DatabaseSchema).json : schema as JsonObject;
    await this.call('convert', [db, json], options);
    this.schemas.delete(db);
  }

  /** lock: true when granted at once; otherwise a `locked` event follows when it is. */
  async lock(id: string, options?: CallOptions): Promise<boolean> {
    checkLockName(id);
    return lockResult('lock', await this.call('lock', [id], options));
  }

  /** Locks and waits until the lock is held (resolves at once or on the `locked` notification). */
  async acquireLock(id: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    let onLocked!: (lockId: string) => void;
    let onAbort!: () => void;
    const granted = new Promise<void>((resolve, reject) => {
      onLocked = (lockId) => { if (lockId === id) resolve(); };
      onAbort = () => reject(options.signal?.reason instanceof Error ? options.signal.reason : new Error('aborted'));
      void this.channel.closed.then((err) => reject(new OvsdbConnectionClosedError(undefined, `closed while waiting for lock "${id}": ${err.message}`, { cause: err })));
    });
    granted.catch(() => undefined);
    this.events.on('locked', onLocked);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (!(await this.lock(id))) await granted;
    } finally {
      this.events.off('locked', onLocked);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** steal: takes the lock from its owner (who gets `stolen`). */
  async steal(id: string, options?: CallOptions): Promise<boolean> {
    checkLockName(id);
    return lockResult('steal', await this.call('steal', [id], options));
  }

  /** unlock: releases the lock (or gives up waiting for it). */
  async unlock(id: string, options?: CallOptions): Promise<void> {
    checkLockName(id);
    await this.call('unlock', [id], options);
  }

  /** monitor (RFC 7047): initial contents and `update` notifications with old/new rows. */
  monitor(db: string, requests: MonitorRequests, options: MonitorOptions = {}): Promise<Monitor<RowUpdate>> {
    return this.startMonitor<RowUpdate>(db, 'monitor', requests, undefined, options);
  }

  /** monitor_cond: conditional monitoring with `update2` notifications. */
  monitorCond(db: string, requests: MonitorRequests, options: MonitorOptions = {}): Promise<Monitor<RowUpdate2>> {
    return this.startMonitor<RowUpdate2>(db, 'monitor_cond', requests, undefined, options);
  }

  /** monitor_cond_since: like monitorCond, resuming after `lastTxnId` when the server still has it (`found`). */
  monitorCondSince(db: string, requests: MonitorRequests, options: MonitorOptions & { lastTxnId?: Uuid } = {}): Promise<Monitor<RowUpdate2>> {
    return this.startMonitor<RowUpdate2>(db, 'monitor_cond_since', requests, options.lastTxnId ?? ZERO_UUID, options);
  }

  private async startMonitor<U extends RowUpdate | RowUpdate2>(
    db: string, method: MonitorMethod, requests: MonitorRequests, lastTxnId: Uuid | undefined, options: MonitorOptions,
  ): Promise<Monitor<U>> {
    const schema = await this.schema(db);
    const encoded = encodeMonitorRequests(schema, requests, method !== 'monitor');
    const id: Json = options.id ?? `m${this.nextMonitor++}`;
    const key = stringifyJson(id);
    if (this.monitors.has(key)) throw new OvsdbValidationError(db, 'monitor', id, 'a monitor with this id is already active on this connection');
    const m = new Monitor<U>(this, id, db, method, schema);
    this.monitors.set(key, m as Monitor<RowUpdate> | Monitor<RowUpdate2>);
    const params: Json[] = [db, id, encoded];
    if (lastTxnId !== undefined) params.push(lastTxnId);
    let reply: Json;
    try {
      reply = await this.call(method, params, options);
    } catch (err) {
      this.monitors.delete(key);
      throw err;
    }
    if (method === 'monitor_cond_since') {
      if (!Array.isArray(reply) || reply.length !== 3 || typeof reply[0] !== 'boolean' || typeof reply[1] !== 'string') {
        this.monitors.delete(key);
        throw new OvsdbProtocolError('monitor_cond_since: expected [found, last-txn-id, updates]');
      }
      m.found = reply[0];
      m.lastTxnId = reply[1];
      m.initialJson = reply[2];
    } else {
      m.initialJson = reply;
    }
    return m;
  }

  /** monitor_cond_change: new conditions for the given tables; `newId` (default: same id) renames the monitor. */
  async monitorCondChange<U>(monitor: Monitor<U>, requests: MonitorCondChangeRequests, newId?: Json, options?: CallOptions): Promise<void> {
    const out = encodeConditionChange(monitor.schema, requests);
    const oldKey = stringifyJson(monitor.id);
    const next = newId ?? monitor.id;
    const newKey = stringifyJson(next);
    // Updates caused by the change arrive before the reply, under the new id.
    if (newKey !== oldKey) this.monitors.set(newKey, monitor as unknown as Monitor<RowUpdate2>);
    try {
      await this.call('monitor_cond_change', [monitor.id, next, out], options);
    } catch (err) {
      if (newKey !== oldKey) this.monitors.delete(newKey);
      throw err;
    }
    if (newKey !== oldKey) this.monitors.delete(oldKey);
    monitor.id = next;
  }

  /** monitor_cancel. */
  async monitorCancel<U>(monitor: Monitor<U> | Json, options?: CallOptions): Promise<void> {
    const id = monitor instanceof Monitor ? monitor.id : monitor;
    await this.call('monitor_cancel', [id], options);
    const key = stringifyJson(id);
    const m = this.monitors.get(key);
    if (m) { m.active = false; this.monitors.delete(key); }
  }
}
