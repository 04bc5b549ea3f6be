// Typed builders for every transact operation (RFC 7047 section 5.2 and OVS's extensions), their encoding with
// validation against the schema, and the decoding of results into typed values or typed errors.
//
//   const [ins, sel] = await client.transact('OVN_Northbound', [
//     insert<Logical_Switch>('Logical_Switch', { name: 'ls0' }, { uuidName: 'ls0' }),
//     select<Logical_Switch, 'name'>('Logical_Switch', [['name', '==', 'ls0']], ['name']),
//   ]);
//   ins.uuid; sel.rows[0].name;
import { OvsdbProtocolError, OvsdbValidationError, operationError } from './errors.js';
import type { Json, JsonObject } from './json.js';
import {
  NamedUuid, decodeValue, encodeAtom, encodeKeySet, encodeValue, isUuid,
  type EncodeSite, type Row, type TableOf, type Uuid, type WriteRow, type WriteValue,
} from './datum.js';
import { getColumn, getTable, type ColumnSchema, type DatabaseSchema, type TableSchema } from './schema.js';

declare const RESULT: unique symbol;

/** Carries the result type of an operation (phantom; never present at run time). */
export interface OperationBase<R> {
  readonly op: string;
  readonly [RESULT]?: R;
}

export type ResultOf<O> = O extends { readonly [RESULT]?: infer R } ? R : never;
/** The results tuple of a transaction, one per operation. */
export type Results<Ops extends readonly OperationBase<unknown>[]> = { -readonly [K in keyof Ops]: ResultOf<Ops[K]> };

export interface InsertResult { uuid: Uuid }
export interface SelectResult<R> { rows: R[] }
export interface CountResult { count: number }
/** wait, commit, comment and assert yield an object with no members (ovsdb-server(7) 5.2.6). */
export type EmptyResult = Record<string, never>;

export type ConditionFunction = '<' | '<=' | '==' | '!=' | '>=' | '>' | 'includes' | 'excludes';
/** One element of a set column's value type (conditions and mutations may name a single element). */
export type ElementOf<V> = V extends readonly (infer E)[] ? WriteValue<E> : never;
/** `[column, function, value]`, or a boolean (OVS extension). */
export type Condition<T = Row> =
  | { [K in keyof T & string]: readonly [K, ConditionFunction, WriteValue<T[K]> | ElementOf<T[K]>] }[keyof T & string]
  | boolean;

export type Mutator = '+=' | '-=' | '*=' | '/=' | '%=' | 'insert' | 'delete';
/** The keys of a map column's value type (a map `delete` mutation may name keys only). */
export type KeysOf<V> = V extends ReadonlyMap<infer K, unknown> ? readonly WriteValue<K>[] : never;
/** `[column, mutator, value]`; a map `delete` takes a map or an array of keys. */
export type Mutation<T = Row> =
  { [K in keyof T & string]: readonly [K, Mutator, WriteValue<T[K]> | ElementOf<T[K]> | KeysOf<T[K]>] }[keyof T & string];

export interface InsertOperation<T = Row> extends OperationBase<InsertResult> {
  readonly op: 'insert';
  readonly table: string;
  readonly row: WriteRow<T>;
  readonly uuidName?: string;
  readonly uuid?: Uuid;
}
export interface SelectOperation<R = Row> extends OperationBase<SelectResult<R>> {
  readonly op: 'select';
  readonly table: string;
  readonly where: readonly Condition<Row>[];
  readonly columns?: readonly string[];
}
export interface UpdateOperation<T = Row> extends OperationBase<CountResult> {
  readonly op: 'update';
  readonly table: string;
  readonly where: readonly Condition<T>[];
  readonly row: WriteRow<T>;
}
export interface MutateOperation<T = Row> extends OperationBase<CountResult> {
  readonly op: 'mutate';
  readonly table: string;
  readonly where: readonly Condition<T>[];
  readonly mutations: readonly Mutation<T>[];
}
export interface DeleteOperation<T = Row> extends OperationBase<CountResult> {
  readonly op: 'delete';
  readonly table: string;
  readonly where: readonly Condition<T>[];
}
export interface WaitOperation<T = Row> extends OperationBase<EmptyResult> {
  readonly op: 'wait';
  readonly table: string;
  readonly where: readonly Condition<T>[];
  readonly columns: readonly string[];
  readonly until: '==' | '!=';
  readonly rows: readonly WriteRow<T>[];
  readonly timeout?: number;
}
export interface CommitOperation extends OperationBase<EmptyResult> { readonly op: 'commit'; readonly durable: boolean }
export interface AbortOperation extends OperationBase<never> { readonly op: 'abort' }
export interface CommentOperation extends OperationBase<EmptyResult> { readonly op: 'comment'; readonly comment: string }
export interface AssertOperation extends OperationBase<EmptyResult> { readonly op: 'assert'; readonly lock: string }

/** Every operation, as the encoder sees it. */
export type Operation =
  | InsertOperation | SelectOperation | UpdateOperation | MutateOperation | DeleteOperation | WaitOperation
  | CommitOperation | AbortOperation | CommentOperation | AssertOperation;

const READ_ONLY_OPERATIONS: ReadonlySet<unknown> = new Set(['select', 'wait', 'comment', 'assert', 'commit', 'abort']);

/**
 * True when no operation writes (only select, wait, comment, assert, commit, abort): such a transaction changes
 * nothing whatever happens to it, so a dropped connection leaves no unknown outcome. Takes built operations or
 * their wire form.
 */
export function isReadOnly(operations: readonly (OperationBase<unknown> | Json)[]): boolean {
  return operations.every((o) => o !== null && typeof o === 'object' && !Array.isArray(o) && READ_ONLY_OPERATIONS.has((o as { op?: unknown }).op));
}

/** Inserts a row. `uuidName` lets later operations refer to it with `new NamedUuid(name)`; `uuid` (OVS 2.13+) fixes its UUID. */
export function insert<T = Row>(table: TableOf<T>, row: NoInfer<WriteRow<T>>, options: { uuidName?: string; uuid?: Uuid } = {}): InsertOperation<T> {
  return { op: 'insert', table, row, ...options };
}
/** Selects rows matching every condition; `columns` limits the returned columns (and the row type). */
export function select<T = Row, C extends keyof T & string = keyof T & string>(
  table: TableOf<T>, where: NoInfer<readonly Condition<T>[]> = [], columns?: readonly C[],
): SelectOperation<Pick<T, C>> {
  return columns ? { op: 'select', table, where: where as readonly Condition<Row>[], columns } : { op: 'select', table, where: where as readonly Condition<Row>[] };
}
export function update<T = Row>(table: TableOf<T>, where: NoInfer<readonly Condition<T>[]>, row: NoInfer<WriteRow<T>>): UpdateOperation<T> {
  return { op: 'update', table, where, row };
}
export function mutate<T = Row>(table: TableOf<T>, where: NoInfer<readonly Condition<T>[]>, mutations: NoInfer<readonly Mutation<T>[]>): MutateOperation<T> {
  return { op: 'mutate', table, where, mutations };
}
/** `delete` (named `del` because `delete` is a keyword; also available as `ops.delete`). */
export function del<T = Row>(table: TableOf<T>, where: NoInfer<readonly Condition<T>[]>): DeleteOperation<T> {
  return { op: 'delete', table, where };
}
/**
 * Waits until the rows matching `where` (projected to `columns`) are (`==`) or are not (`!=`) exactly `rows`.
 * `timeout` 0 makes it a prerequisite that fails at once with "timed out".
 */
export function wait<T = Row>(
  table: TableOf<T>, where: NoInfer<readonly Condition<T>[]>, columns: NoInfer<readonly (keyof T & string)[]>, until: '==' | '!=',
  rows: NoInfer<readonly WriteRow<T>[]>, timeout?: number,
): WaitOperation<T> {
  return timeout === undefined ? { op: 'wait', table, where, columns, until, rows } : { op: 'wait', table, where, columns, until, rows, timeout };
}
export function commit(durable = false): CommitOperation { return { op: 'commit', durable }; }
export function abort(): AbortOperation { return { op: 'abort' }; }
export function comment(text: string): CommentOperation { return { op: 'comment', comment: text }; }
/** Fails the transaction with "not owner" unless this session holds `lock`. */
export function assert(lock: string): AssertOperation { return { op: 'assert', lock }; }

export const ops = { insert, select, update, mutate, delete: del, wait, commit, abort, comment, assert } as const;

// ---------------------------------------------------------------------------------------------------------
// Encoding

const ID_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const FUNCTIONS = new Set<string>(['<', '<=', '==', '!=', '>=', '>', 'includes', 'excludes']);
const MUTATORS = new Set<string>(['+=', '-=', '*=', '/=', '%=', 'insert', 'delete']);

interface TxContext {
  readonly namedUuids: Map<string, string>;
  readonly defined: Set<string>;
  /** One site object per transaction, re-pointed per value (no allocation per column). */
  readonly site: { table: string; column: string; namedUuids: Map<string, string> };
}

function newContext(): TxContext {
  const namedUuids = new Map<string, string>();
  return { namedUuids, defined: new Set(), site: { table: '', column: '', namedUuids } };
}

function site(ctx: TxContext, table: string, column: string): EncodeSite {
  const s = ctx.site;
  s.table = table;
  s.column = column;
  return s;
}

function encodeRow(ctx: TxContext, table: TableSchema, row: object, forUpdate: boolean): JsonObject {
  const out: JsonObject = {};
  for (const name in row) {
    const v = (row as Record<string, unknown>)[name];
    if (v === undefined && !table.columns.get(name)) continue;
    const col = table.columns.get(name);
    if (!col) throw new OvsdbValidationError(table.name, name, v, `table ${table.name} has no column "${name}"`);
    if (name === '_uuid' || name === '_version') throw new OvsdbValidationError(table.name, name, v, 'cannot be written');
    if (forUpdate && !col.mutable) throw new OvsdbValidationError(table.name, name, v, 'column is immutable');
    out[name] = encodeValue(col.type, v, site(ctx, table.name, name));
  }
  return out;
}

function column(table: TableSchema, name: unknown, what: string): ColumnSchema {
  if (typeof name !== 'string') throw new OvsdbValidationError(table.name, String(name), name, `${what}: column name must be a string`);
  const col = table.columns.get(name);
  if (!col) throw new OvsdbValidationError(table.name, name, undefined, `${what}: table ${table.name} has no column "${name}"`);
  return col;
}

function encodeWhere(ctx: TxContext, table: TableSchema, where: readonly Condition<Row>[] | undefined): Json[] {
  if (!where) return [];
  const out: Json[] = new Array(where.length);
  for (let i = 0; i < where.length; i++) {
    const c = where[i];
    if (typeof c === 'boolean') { out[i] = c; continue; }
    if (!Array.isArray(c) || c.length !== 3) throw new OvsdbValidationError(table.name, '?', c, 'a condition is [column, function, value] or a boolean');
    const [name, fn, value] = c as readonly [string, string, unknown];
    const col = column(table, name, 'condition');
    if (!FUNCTIONS.has(fn)) throw new OvsdbValidationError(table.name, name, fn, `unknown condition function "${fn}"`);
    const s = site(ctx, table.name, name);
    const t = col.type;
    let encoded: Json;
    if (fn === '<' || fn === '<=' || fn === '>' || fn === '>=') {
      if ((t.key.type !== 'integer' && t.key.type !== 'real') || (t.kind !== 'scalar' && t.kind !== 'optional')) {
        throw new OvsdbValidationError(table.name, name, value, `"${fn}" needs an integer or real column with at most one value`);
      }
      encoded = encodeAtom(t.key, value, s);
    } else if (fn === 'includes' || fn === 'excludes') {
      encoded = encodeValue(t, value, s, { anySize: true });
    } else {
      // == and != compare with a value of the column's full type; a bare atom stands for a one-element set.
      const v = t.kind === 'set' && !Array.isArray(value) && !(value instanceof Set) ? [value] : value;
      encoded = encodeValue(t, v, s);
    }
    out[i] = [name, fn, encoded];
  }
  return out;
}

function encodeMutations(ctx: TxContext, table: TableSchema, mutations: readonly Mutation<Row>[]): Json[] {
  return mutations.map((m) => {
    if (!Array.isArray(m) || m.length !== 3) throw new OvsdbValidationError(table.name, '?', m, 'a mutation is [column, mutator, value]');
    const [name, mutator, value] = m as readonly [string, string, unknown];
    const col = column(table, name, 'mutation');
    if (!MUTATORS.has(mutator)) throw new OvsdbValidationError(table.name, name, mutator, `unknown mutator "${mutator}"`);
    if (name === '_uuid' || name === '_version' || !col.mutable) throw new OvsdbValidationError(table.name, name, value, 'column is immutable');
    const t = col.type;
    const s = site(ctx, table.name, name);
    let encoded: Json;
    if (mutator === 'insert' || mutator === 'delete') {
      if (t.kind === 'scalar') throw new OvsdbValidationError(table.name, name, value, `"${mutator}" needs a set or map column`);
      if (t.kind === 'map') {
        encoded = mutator === 'delete' && (Array.isArray(value) || value instanceof Set) ? encodeKeySet(t, value, s) : encodeValue(t, value, s, { anySize: true });
      } else {
        encoded = encodeKeySet(t, value, s);
      }
    } else {
      if (t.kind === 'map' || (t.key.type !== 'integer' && t.key.type !== 'real') || (mutator === '%=' && t.key.type !== 'integer')) {
        throw new OvsdbValidationError(table.name, name, value, `"${mutator}" needs an ${mutator === '%=' ? 'integer' : 'integer or real'} column (or set of them)`);
      }
      encoded = encodeAtom(t.key, value, s, false);
    }
    return [name, mutator, encoded];
  });
}

function encodeOperation(ctx: TxContext, schema: DatabaseSchema, op: Operation): JsonObject {
  switch (op.op) {
    case 'insert': {
      const table = getTable(schema, op.table);
      const out: JsonObject = { op: 'insert', table: op.table, row: encodeRow(ctx, table, op.row, false) };
      if (op.uuidName !== undefined) {
        if (!ID_RE.test(op.uuidName)) throw new OvsdbValidationError(op.table, 'uuid-name', op.uuidName, 'uuid-name must match [a-zA-Z_][a-zA-Z0-9_]*');
        if (ctx.defined.has(op.uuidName)) throw new OvsdbValidationError(op.table, 'uuid-name', op.uuidName, 'duplicate uuid-name in the transaction');
        ctx.defined.add(op.uuidName);
        out['uuid-name'] = op.uuidName;
      }
      if (op.uuid !== undefined) {
        if (!isUuid(op.uuid)) throw new OvsdbValidationError(op.table, '_uuid', op.uuid, 'expected a UUID');
        out.uuid = op.uuid.toLowerCase();
      }
      return out;
    }
    case 'select': {
      const table = getTable(schema, op.table);
      const out: JsonObject = { op: 'select', table: op.table, where: encodeWhere(ctx, table, op.where) };
      if (op.columns) { for (const c of op.columns) column(table, c, 'select'); out.columns = [...op.columns]; }
      return out;
    }
    case 'update': {
      const table = getTable(schema, op.table);
      return { op: 'update', table: op.table, where: encodeWhere(ctx, table, op.where), row: encodeRow(ctx, table, op.row, true) };
    }
    case 'mutate': {
      const table = getTable(schema, op.table);
      return { op: 'mutate', table: op.table, where: encodeWhere(ctx, table, op.where), mutations: encodeMutations(ctx, table, op.mutations) };
    }
    case 'delete': {
      const table = getTable(schema, op.table);
      return { op: 'delete', table: op.table, where: encodeWhere(ctx, table, op.where) };
    }
    case 'wait': {
      const table = getTable(schema, op.table);
      const cols = new Set<string>();
      for (const c of op.columns) { column(table, c, 'wait'); cols.add(c); }
      const rows = op.rows.map((r) => {
        for (const k of Object.keys(r)) if (!cols.has(k)) throw new OvsdbValidationError(op.table, k, undefined, 'wait rows may only hold the listed columns');
        const out: JsonObject = {};
        for (const k of Object.keys(r)) out[k] = encodeValue(getColumn(table, k).type, (r as Record<string, unknown>)[k], site(ctx, op.table, k));
        return out;
      });
      if (op.until !== '==' && op.until !== '!=') throw new OvsdbValidationError(op.table, 'until', op.until, 'until must be "==" or "!="');
      const out: JsonObject = { op: 'wait', table: op.table, where: encodeWhere(ctx, table, op.where), columns: [...op.columns], until: op.until, rows };
      if (op.timeout !== undefined) {
        if (!Number.isSafeInteger(op.timeout) || op.timeout < 0) throw new OvsdbValidationError(op.table, 'timeout', op.timeout, 'timeout must be a non-negative integer (ms)');
        out.timeout = op.timeout;
      }
      return out;
    }
    case 'commit': return { op: 'commit', durable: op.durable };
    case 'abort': return { op: 'abort' };
    case 'comment': return { op: 'comment', comment: op.comment };
    case 'assert':
      checkLockName(op.lock);
      return { op: 'assert', lock: op.lock };
    default: {
      const unknownOp: { op?: unknown } = op;
      throw new OvsdbValidationError('?', 'op', unknownOp.op, 'unknown operation');
    }
  }
}

/**
 * Encodes the operations of a transaction (the `transact` params after the database name), validating every
 * value against the schema and checking that each NamedUuid refers to a `uuid-name` of the same transaction.
 */
export function encodeOperations(schema: DatabaseSchema, operations: readonly OperationBase<unknown>[]): Json[] {
  const ctx = newContext();
  const out: Json[] = new Array(operations.length);
  for (let i = 0; i < operations.length; i++) out[i] = encodeOperation(ctx, schema, operations[i] as Operation);
  for (const [name, where] of ctx.namedUuids) {
    if (!ctx.defined.has(name)) {
      const [table, col] = where.split('.');
      throw new OvsdbValidationError(table, col, new NamedUuid(name).name, `named-uuid "${name}" is not the uuid-name of any insert in this transaction`);
    }
  }
  return out;
}

/** Lock names are <id>s: [a-zA-Z_][a-zA-Z0-9_]* (ovsdb-server refuses others as a syntax error). */
export function checkLockName(lock: string): void {
  if (typeof lock !== 'string' || !ID_RE.test(lock)) throw new OvsdbValidationError('lock', 'name', lock, 'a lock name must match [a-zA-Z_][a-zA-Z0-9_]*');
}

/** Encodes a `where` list for a table outside a transaction (monitor conditions); named-uuids are refused. */
export function encodeConditions(schema: DatabaseSchema, tableName: string, where: readonly Condition<Row>[]): Json[] {
  const ctx = newContext();
  const out = encodeWhere(ctx, getTable(schema, tableName), where);
  for (const [name, at] of ctx.namedUuids) {
    const [table, col] = at.split('.');
    throw new OvsdbValidationError(table, col, name, 'a named-uuid can only be used inside a transaction');
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Results

function isObj(v: Json | undefined): v is JsonObject {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v);
}

/** Decodes a row of a table (select results, monitor rows). Unknown columns are a protocol error. */
export function decodeRow(table: TableSchema, json: Json): Row {
  if (!isObj(json)) throw new OvsdbProtocolError(`${table.name}: expected a row object`);
  const row: Row = {};
  for (const name in json) {
    const col = table.columns.get(name);
    if (!col) throw new OvsdbProtocolError(`${table.name}: the server sent unknown column "${name}" (schema out of date?)`);
    row[name] = decodeValue(col.type, json[name], `${table.name}.${name}`);
  }
  return row;
}

function str(v: Json | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/**
 * Turns the `transact` reply into one typed result per operation, or throws the typed error of the first failing
 * operation (or of the commit, when every operation succeeded).
 */
export function decodeResults(schema: DatabaseSchema, operations: readonly OperationBase<unknown>[], reply: Json): unknown[] {
  if (!Array.isArray(reply)) throw new OvsdbProtocolError('transact: the reply is not an array');
  for (let i = 0; i < reply.length; i++) {
    const r = reply[i];
    if (isObj(r) && r.error !== undefined && r.error !== null) {
      const op = i < operations.length ? (operations[i] as Operation).op : undefined;
      throw operationError(String(typeof r.error === 'string' ? r.error : JSON.stringify(r.error)), str(r.details), str(r.syntax), i, op, reply);
    }
  }
  if (reply.length < operations.length) throw new OvsdbProtocolError(`transact: ${reply.length} results for ${operations.length} operations`);
  const out: unknown[] = new Array(operations.length);
  for (let i = 0; i < operations.length; i++) {
    const op = operations[i] as Operation;
    const r = reply[i];
    if (!isObj(r)) throw new OvsdbProtocolError(`transact: result ${i} is not an object`);
    switch (op.op) {
      case 'insert': {
        const u = r.uuid;
        if (!Array.isArray(u) || u[0] !== 'uuid' || typeof u[1] !== 'string') throw new OvsdbProtocolError(`transact: insert result ${i} has no uuid`);
        out[i] = { uuid: u[1] };
        break;
      }
      case 'select': {
        if (!Array.isArray(r.rows)) throw new OvsdbProtocolError(`transact: select result ${i} has no rows`);
        const table = getTable(schema, op.table);
        out[i] = { rows: r.rows.map((row) => decodeRow(table, row)) };
        break;
      }
      case 'update': case 'mutate': case 'delete':
        if (typeof r.count !== 'number') throw new OvsdbProtocolError(`transact: ${op.op} result ${i} has no count`);
        out[i] = { count: r.count };
        break;
      default:
        out[i] = {};
    }
  }
  return out;
}
