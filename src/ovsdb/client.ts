// The OVSDB client: one connection (an RpcSession) to one server, every RFC 7047 method and every OVS extension,
// typed results. Reconnection, leader-only and probes are layered on top (see issue 4): the client exposes its
// per-connection `session`, emits `state`/`close`, and routes notifications by method to monitors and lock events.
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { decodeDiff, type Row, type Uuid } from './datum.js';
import { OvsdbConnectError, OvsdbError, OvsdbProtocolError, OvsdbSchemaError, OvsdbValidationError } from './errors.js';
import { stringifyJson, type Json, type JsonObject } from './json.js';
import {
  checkLockName, decodeResults, decodeRow, encodeConditions, encodeOperations,
  type Condition, type OperationBase, type Results,
} from './operations.js';
import { connectRemote, parseRemotes, type ConnectRemoteOptions } from './remote.js';
import { RpcSession, type CallOptions, type RpcSessionOptions } from './rpc.js';
import { getColumn, getTable, parseSchema, type DatabaseSchema } from './schema.js';

export interface ConnectOptions extends ConnectRemoteOptions, RpcSessionOptions {}

export type ConnectionState = 'connected' | 'closed';

/** What to monitor in one table. `where` needs monitor_cond / monitor_cond_since. */
export interface MonitorRequest<T = Row> {
  columns?: readonly (keyof T & string)[];
  where?: readonly Condition<T>[];
  select?: { initial?: boolean; insert?: boolean; delete?: boolean; modify?: boolean };
}
export type MonitorRequests = Readonly<Record<string, MonitorRequest | readonly MonitorRequest[]>>;
/** New conditions for monitor_cond_change (columns cannot change yet in ovsdb-server). */
export type MonitorCondChangeRequests = Readonly<Record<string, { where: readonly Condition[] } | readonly { where: readonly Condition[] }[]>>;

/** `monitor` (RFC 7047) row update: the old and/or new row (only the monitored, changed columns in `old`). */
export interface RowUpdate { old?: Row; new?: Row }
/** `update2`/`update3` row update. `modify.diff`: see decodeDiff (apply with applyDiff). */
export type RowUpdate2 =
  | { readonly type: 'initial'; readonly row: Row }
  | { readonly type: 'insert'; readonly row: Row }
  | { readonly type: 'delete' }
  | { readonly type: 'modify'; readonly diff: Row };
/** table name -> row UUID -> update. */
export type TableUpdates<U> = Map<string, Map<Uuid, U>>;

export type MonitorMethod = 'monitor' | 'monitor_cond' | 'monitor_cond_since';

export interface MonitorEvents<U> {
  /** Changes after the initial contents; `lastTxnId` for monitor_cond_since (update3). */
  update: [updates: TableUpdates<U>, lastTxnId: Uuid | undefined];
  /** The server canceled the monitor (`monitor_canceled`, e.g. after a schema conversion). */
  canceled: [];
}

/** A monitor on one database. Created by OvsdbClient.monitor / monitorCond / monitorCondSince. */
export class Monitor<U> extends EventEmitter<MonitorEvents<U>> {
  /** The initial contents (and for monitor_cond_since with found = true, the changes missed). */
  initial: TableUpdates<U> = new Map();
  /** monitor_cond_since: whether the server still had `lastTxnId`. */
  found: boolean | undefined;
  /** monitor_cond_since: the id of the last transaction seen (updated by every update3). */
  lastTxnId: Uuid | undefined;
  active = true;
  constructor(
    private readonly client: OvsdbClient,
    public id: Json,
    readonly db: string,
    readonly method: MonitorMethod,
    readonly schema: DatabaseSchema,
  ) {
    super();
  }

  /** monitor_cond_change: new conditions for some tables (the others keep theirs); `newId` renames the monitor. */
  change(requests: MonitorCondChangeRequests, newId?: Json): Promise<void> {
    return this.client.monitorCondChange(this, requests, newId);
  }

  /** monitor_cancel. */
  cancel(): Promise<void> {
    return this.client.monitorCancel(this);
  }
}

export interface OvsdbClientEvents {
  state: [state: ConnectionState];
  /** The connection ended (error undefined for a close by the client). */
  close: [error: OvsdbError | undefined];
  notification: [method: string, params: Json];
  locked: [lockId: string];
  stolen: [lockId: string];
  monitorCanceled: [monitorId: Json];
}

function isObj(v: Json | undefined): v is JsonObject {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v);
}

/** A transaction in flight: its JSON-RPC id (for cancel), its typed result, cancel(). */
export interface PendingTransaction<R> {
  readonly id: number;
  readonly result: Promise<R>;
  cancel(): void;
}

export class OvsdbClient extends EventEmitter<OvsdbClientEvents> {
  /** Connects to the first reachable remote of a comma-separated list (or array) of remotes. */
  static async connect(remotes: string | readonly string[], options: ConnectOptions = {}): Promise<OvsdbClient> {
    const list = parseRemotes(typeof remotes === 'string' ? remotes : remotes.join(','));
    const failures: string[] = [];
    let lastError: unknown;
    for (const remote of list) {
      try {
        const stream = await connectRemote(remote, options);
        return new OvsdbClient(stream, remote.text, options);
      } catch (err) {
        lastError = err;
        failures.push((err as Error).message);
      }
    }
    if (list.length === 1 && lastError instanceof OvsdbError) throw lastError;
    throw new OvsdbConnectError(list.map((r) => r.text).join(','), failures.join('; '), { cause: lastError });
  }

  /** Wraps an already connected stream (a socket from elsewhere, a test peer). */
  static fromStream(stream: Duplex, options: RpcSessionOptions = {}, remote = 'stream'): OvsdbClient {
    return new OvsdbClient(stream, remote, options);
  }

  /** The JSON-RPC session of this connection. */
  readonly session: RpcSession;
  private readonly schemas = new Map<string, Promise<DatabaseSchema>>();
  private readonly monitors = new Map<string, Monitor<RowUpdate> | Monitor<RowUpdate2>>();
  private nextMonitor = 1;

  private constructor(stream: Duplex, readonly remote: string, options: RpcSessionOptions) {
    super();
    this.session = new RpcSession(stream, { ...options, remote });
    const s = this.session;
    s.on('notification', (method, params) => this.onNotification(method, params));
    s.once('close', (err) => {
      for (const m of this.monitors.values()) m.active = false;
      this.emit('state', 'closed');
      this.emit('close', err);
    });
  }

  get state(): ConnectionState {
    return this.session.isClosed ? 'closed' : 'connected';
  }

  /** Closes the connection; pending calls reject with OvsdbConnectionClosedError. */
  async close(): Promise<void> {
    this.session.close();
    await this.session.closed;
  }

  private onNotification(method: string, params: Json): void {
    this.emit('notification', method, params);
    const p = Array.isArray(params) ? params : [];
    switch (method) {
      case 'update': case 'update2': case 'update3': {
        const m = this.monitors.get(stringifyJson(p[0] ?? null));
        if (!m || !m.active) return;
        if (method === 'update3') {
          const txn = p[1];
          if (typeof txn === 'string') m.lastTxnId = txn;
          (m as Monitor<RowUpdate2>).emit('update', decodeUpdates2(m.schema, p[2] ?? {}), m.lastTxnId);
        } else if (method === 'update2') {
          (m as Monitor<RowUpdate2>).emit('update', decodeUpdates2(m.schema, p[1] ?? {}), undefined);
        } else {
          (m as Monitor<RowUpdate>).emit('update', decodeUpdates(m.schema, p[1] ?? {}), undefined);
        }
        return;
      }
      case 'locked': case 'stolen':
        if (typeof p[0] === 'string') this.emit(method, p[0]);
        return;
      case 'monitor_canceled': {
        const key = stringifyJson(p[0] ?? null);
        const m = this.monitors.get(key);
        if (m) {
          this.monitors.delete(key);
          m.active = false;
          this.schemas.delete(m.db); // the schema changed (conversion): fetch it again when next needed
          m.emit('canceled');
        }
        this.emit('monitorCanceled', p[0] ?? null);
        return;
      }
      default:
    }
  }

  /** Sends a raw request (any method) and returns its raw result. */
  call(method: string, params: Json, options?: CallOptions): Promise<Json> {
    return this.session.call(method, params, options);
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
   * result per operation, or rejects with the typed error of the first failing operation / the commit.
   */
  async transact<const Ops extends readonly OperationBase<unknown>[]>(db: string, operations: Ops, options?: CallOptions): Promise<Results<Ops>> {
    return (await this.transactRequest(db, operations, options)).result;
  }

  /** Like transact, but returns as soon as the request is sent, with its id and cancel(). */
  async transactRequest<const Ops extends readonly OperationBase<unknown>[]>(db: string, operations: Ops, options?: CallOptions): Promise<PendingTransaction<Results<Ops>>> {
    const schema = await this.schema(db);
    const params = encodeOperations(schema, operations);
    params.unshift(db);
    const call = this.session.request('transact', params, options);
    const result = call.result.then((reply) => decodeResults(schema, operations, reply) as Results<Ops>);
    return { id: call.id, result, cancel: call.cancel };
  }

  /** transact with operations already in wire form; resolves with the raw results array (errors not thrown). */
  async transactRaw(db: string, operations: readonly Json[], options?: CallOptions): Promise<Json[]> {
    const r = await this.call('transact', [db, ...operations], options);
    if (!Array.isArray(r)) throw new OvsdbProtocolError('transact: the reply is not an array');
    return r;
  }

  /** Cancels a pending request by id (`cancel` notification); it rejects with OvsdbCanceledError. See RpcSession.cancel. */
  cancel(id: number): void {
    this.session.cancel(id);
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
    let onClose!: (err: OvsdbError | undefined) => void;
    let onAbort!: () => void;
    const granted = new Promise<void>((resolve, reject) => {
      onLocked = (lockId) => { if (lockId === id) resolve(); };
      onClose = (err) => reject(err ?? new OvsdbError('OVSDB_CONNECTION_CLOSED', `connection closed while waiting for lock "${id}"`));
      onAbort = () => reject(options.signal?.reason instanceof Error ? options.signal.reason : new Error('aborted'));
    });
    this.on('locked', onLocked);
    this.once('close', onClose);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (!(await this.lock(id))) await granted;
    } finally {
      this.off('locked', onLocked);
      this.off('close', onClose);
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
  monitor(db: string, requests: MonitorRequests, options: { id?: Json } & CallOptions = {}): Promise<Monitor<RowUpdate>> {
    return this.startMonitor<RowUpdate>(db, 'monitor', requests, undefined, options);
  }

  /** monitor_cond: conditional monitoring with `update2` notifications. */
  monitorCond(db: string, requests: MonitorRequests, options: { id?: Json } & CallOptions = {}): Promise<Monitor<RowUpdate2>> {
    return this.startMonitor<RowUpdate2>(db, 'monitor_cond', requests, undefined, options);
  }

  /** monitor_cond_since: like monitorCond, resuming after `lastTxnId` when the server still has it (`found`). */
  monitorCondSince(db: string, requests: MonitorRequests, options: { id?: Json; lastTxnId?: Uuid } & CallOptions = {}): Promise<Monitor<RowUpdate2>> {
    return this.startMonitor<RowUpdate2>(db, 'monitor_cond_since', requests, options.lastTxnId ?? ZERO_UUID, options);
  }

  private async startMonitor<U extends RowUpdate | RowUpdate2>(
    db: string, method: MonitorMethod, requests: MonitorRequests, lastTxnId: Uuid | undefined, options: { id?: Json } & CallOptions,
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
        throw new OvsdbProtocolError('monitor_cond_since: expected [found, last-txn-id, updates]');
      }
      m.found = reply[0];
      m.lastTxnId = reply[1];
      m.initial = decodeUpdates2(schema, reply[2]) as TableUpdates<U>;
    } else if (method === 'monitor_cond') {
      m.initial = decodeUpdates2(schema, reply) as TableUpdates<U>;
    } else {
      m.initial = decodeUpdates(schema, reply) as TableUpdates<U>;
    }
    return m;
  }

  /** monitor_cond_change: new conditions for the given tables; `newId` (default: same id) renames the monitor. */
  async monitorCondChange<U>(monitor: Monitor<U>, requests: MonitorCondChangeRequests, newId?: Json, options?: CallOptions): Promise<void> {
    const out: JsonObject = {};
    for (const [table, req] of Object.entries(requests)) {
      const list = (Array.isArray(req) ? req : [req]) as { where: readonly Condition[] }[];
      out[table] = list.map((r) => ({ where: encodeConditions(monitor.schema, table, r.where) }));
    }
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

export const ZERO_UUID: Uuid = '00000000-0000-0000-0000-000000000000';

function lockResult(method: string, r: Json): boolean {
  if (!isObj(r) || typeof r.locked !== 'boolean') throw new OvsdbProtocolError(`${method}: expected {"locked": boolean}`);
  return r.locked;
}

function encodeMonitorRequests(schema: DatabaseSchema, requests: MonitorRequests, conditional: boolean): JsonObject {
  const out: JsonObject = {};
  for (const [tableName, req] of Object.entries(requests)) {
    const table = getTable(schema, tableName);
    const list = (Array.isArray(req) ? req : [req]) as MonitorRequest[];
    out[tableName] = list.map((r) => {
      const o: JsonObject = {};
      if (r.columns) { for (const c of r.columns) getColumn(table, c); o.columns = [...r.columns]; }
      if (r.where) {
        if (!conditional) throw new OvsdbSchemaError(`monitor of ${tableName}: "where" needs monitor_cond or monitor_cond_since`);
        o.where = encodeConditions(schema, tableName, r.where as readonly Condition[]);
      }
      if (r.select) {
        const sel: JsonObject = {};
        for (const k of ['initial', 'insert', 'delete', 'modify'] as const) if (r.select[k] !== undefined) sel[k] = r.select[k];
        o.select = sel;
      }
      return o;
    });
  }
  return out;
}

/** Decodes RFC 7047 <table-updates> (old/new rows). */
export function decodeUpdates(schema: DatabaseSchema, json: Json): TableUpdates<RowUpdate> {
  if (!isObj(json)) throw new OvsdbProtocolError('monitor: expected <table-updates>');
  const out: TableUpdates<RowUpdate> = new Map();
  for (const tableName in json) {
    const table = getTable(schema, tableName);
    const rows = json[tableName];
    if (!isObj(rows)) throw new OvsdbProtocolError(`monitor: bad <table-update> for ${tableName}`);
    const m = new Map<Uuid, RowUpdate>();
    for (const uuid in rows) {
      const u = rows[uuid];
      if (!isObj(u)) throw new OvsdbProtocolError(`monitor: bad <row-update> for ${tableName} ${uuid}`);
      const ru: RowUpdate = {};
      if (u.old !== undefined) ru.old = decodeRow(table, u.old);
      if (u.new !== undefined) ru.new = decodeRow(table, u.new);
      m.set(uuid, ru);
    }
    out.set(tableName, m);
  }
  return out;
}

/** Decodes <table-updates2> (update2/update3 and monitor_cond replies). */
export function decodeUpdates2(schema: DatabaseSchema, json: Json): TableUpdates<RowUpdate2> {
  if (!isObj(json)) throw new OvsdbProtocolError('monitor_cond: expected <table-updates2>');
  const out: TableUpdates<RowUpdate2> = new Map();
  for (const tableName in json) {
    const table = getTable(schema, tableName);
    const rows = json[tableName];
    if (!isObj(rows)) throw new OvsdbProtocolError(`monitor_cond: bad <table-update2> for ${tableName}`);
    const m = new Map<Uuid, RowUpdate2>();
    for (const uuid in rows) {
      const u = rows[uuid];
      if (!isObj(u)) throw new OvsdbProtocolError(`monitor_cond: bad <row-update2> for ${tableName} ${uuid}`);
      if (u.initial !== undefined) m.set(uuid, { type: 'initial', row: decodeRow(table, u.initial) });
      else if (u.insert !== undefined) m.set(uuid, { type: 'insert', row: decodeRow(table, u.insert) });
      else if (u.delete !== undefined) m.set(uuid, { type: 'delete' });
      else if (u.modify !== undefined) {
        const diffJson = u.modify;
        if (!isObj(diffJson)) throw new OvsdbProtocolError(`monitor_cond: bad modify for ${tableName} ${uuid}`);
        const diff: Row = {};
        for (const c in diffJson) diff[c] = decodeDiff(getColumn(table, c).type, diffJson[c], `${tableName}.${c}`);
        m.set(uuid, { type: 'modify', diff });
      } else throw new OvsdbProtocolError(`monitor_cond: empty <row-update2> for ${tableName} ${uuid}`);
    }
    out.set(tableName, m);
  }
  return out;
}
