// One connected database, as the REPL and the commands use it: the client with the database name bound, the
// schema for completion and display, and short forms of the common operations.
//
//   await nb.list('Logical_Switch')                       every row, all columns
//   await nb.select('Logical_Switch_Port', { name: 'p1' }) rows matching column == value
//   await nb.insert('Logical_Switch', { name: 'sw1' })    the new row's UUID
//   await nb.transact(insert('Logical_Switch', { name: 'sw2' }), comment('from the REPL'))
import { inspect } from 'node:util';
import type { OvsdbClient } from '../ovsdb/client.js';
import type { Row, Uuid } from '../ovsdb/datum.js';
import {
  del, insert, mutate, select, update,
  type Condition, type Mutation, type OperationBase, type Results,
} from '../ovsdb/operations.js';
import type { WriteRow } from '../ovsdb/datum.js';
import type { DatabaseSchema } from '../ovsdb/schema.js';
import type { TlsOptions } from '../ovsdb/remote.js';

/** Conditions as the REPL accepts them: a list of `[column, function, value]`, or `{ column: value }` for ==. */
export type Where = readonly Condition[] | Readonly<Record<string, unknown>>;

const UUID_PREFIX = /^[0-9a-f]{4,36}$/i;

/** Short names the REPL binds each database to. */
export const DATABASE_ALIASES: Readonly<Record<string, string>> = {
  OVN_Northbound: 'nb',
  OVN_Southbound: 'sb',
  Open_vSwitch: 'ovs',
};

export class DbHandle {
  /** `tls`: what the client was connected with, for other connections to the same remote (the k8s replica). */
  constructor(readonly client: OvsdbClient, readonly schema: DatabaseSchema, readonly tls?: TlsOptions) {}

  /** The database name (`OVN_Northbound`, ...). */
  get name(): string { return this.schema.name; }

  /** The remote this database was reached at. */
  get remote(): string { return this.client.remote; }

  /** Table names, sorted. */
  get tables(): string[] { return [...this.schema.tables.keys()].sort(); }

  /** Column names of a table (without _uuid/_version), sorted. */
  columns(table: string): string[] {
    const t = this.schema.tables.get(table);
    if (!t) throw new Error(`${this.name} has no table "${table}" (tables: ${this.tables.join(', ')})`);
    return [...t.columns.keys()].filter((c) => c !== '_uuid' && c !== '_version').sort();
  }

  /** transact: operations as arguments or as one array; resolves with one result per operation. */
  transact<const Ops extends readonly OperationBase<unknown>[]>(...operations: Ops | [Ops]): Promise<Results<Ops>> {
    const list = (operations.length === 1 && Array.isArray(operations[0]) ? operations[0] : operations) as unknown as Ops;
    return this.client.transact(this.name, list);
  }

  /** Every row of a table (all columns). */
  async list(table: string): Promise<Row[]> {
    return this.select(table);
  }

  /** Rows matching `where` (default: all), with `columns` (default: all). */
  async select(table: string, where: Where = [], columns?: readonly string[]): Promise<Row[]> {
    this.columns(table);
    const [result] = await this.client.transact(this.name, [select(table, toConditions(where), columns)]);
    return result.rows;
  }

  /** One row by UUID (or a unique UUID prefix of at least 4 characters) or by its `name` column. */
  async get(table: string, key: string): Promise<Row | undefined> {
    const rows = await this.list(table);
    const byName = rows.filter((r) => r.name === key);
    if (byName.length === 1) return byName[0];
    const lower = key.toLowerCase();
    const byUuid = UUID_PREFIX.test(key) || key.includes('-') ? rows.filter((r) => String(r._uuid).startsWith(lower)) : [];
    if (byUuid.length > 1) throw new Error(`"${key}" matches ${byUuid.length} rows of ${table}`);
    return byUuid[0];
  }

  /** Inserts a row; resolves with its UUID. */
  async insert(table: string, row: WriteRow<Row>): Promise<Uuid> {
    const [result] = await this.client.transact(this.name, [insert(table, row)]);
    return result.uuid;
  }

  /** Updates the rows matching `where`; resolves with their count. */
  async update(table: string, where: Where, row: WriteRow<Row>): Promise<number> {
    const [result] = await this.client.transact(this.name, [update(table, toConditions(where), row)]);
    return result.count;
  }

  /** Mutates the rows matching `where`; resolves with their count. */
  async mutate(table: string, where: Where, mutations: readonly Mutation[]): Promise<number> {
    const [result] = await this.client.transact(this.name, [mutate(table, toConditions(where), mutations)]);
    return result.count;
  }

  /** Deletes the rows matching `where`; resolves with their count. */
  async delete(table: string, where: Where): Promise<number> {
    const [result] = await this.client.transact(this.name, [del(table, toConditions(where))]);
    return result.count;
  }

  /** Number of rows in each table (one transaction). */
  async counts(): Promise<Map<string, number>> {
    const tables = this.tables;
    const results = await this.client.transact(this.name, tables.map((t) => select(t, [], ['_uuid'])));
    return new Map(tables.map((t, i) => [t, (results[i] as { rows: Row[] }).rows.length]));
  }

  toString(): string {
    return `[${this.name} at ${this.remote}]`;
  }

  /** The REPL shows a handle as its name and remote, not its client's internals. */
  [inspect.custom](): string {
    return `DbHandle ${this.toString()} { tables, columns(table), list(table), select(table, where?, columns?), get(table, key), insert, update, mutate, delete, transact(...ops) }`;
  }
}

/** `{ name: 'sw0' }` -> `[['name', '==', 'sw0']]`; a list of conditions passes through. */
export function toConditions(where: Where): Condition[] {
  if (Array.isArray(where)) return [...where] as Condition[];
  return Object.entries(where).map(([column, value]) => [column, '==', value] as unknown as Condition);
}
