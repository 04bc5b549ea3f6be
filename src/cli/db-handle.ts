// One database, as the REPL and the commands use it: a replica (OvsdbDatabase: reconnects with backoff over the
// remote list, follows the RAFT leader of a clustered database, probes an idle peer) with the database name
// bound, the schema for completion and display, and short forms of the common operations.
//
//   await nb.list('Logical_Switch')                       every row, all columns (from the replica)
//   await nb.list('Logical_Switch', ['name', 'ports'])    every row, those columns
//   await nb.select('Logical_Switch_Port', { name: 'p1' }) rows matching column == value (from the replica)
//   await nb.insert('Logical_Switch', { name: 'sw1' })    the new row's UUID, once the replica has the row
//   await nb.transact(insert('Logical_Switch', { name: 'sw2' }), comment('from the REPL'))
//
// Reads are answered from the replica after a round trip on its connection (an empty transaction, ~0.1 ms):
// whatever the server committed before the read was asked for has reached the replica by then, so a read is
// never older than the command that prompted it, and while the connection is being re-established a read
// waits for it (up to `readWaitMs`) instead of failing.
import { inspect } from 'node:util';
import type { OvsdbDatabase } from '../ovsdb/database.js';
import type { Row, Uuid, WriteRow } from '../ovsdb/datum.js';
import {
  del, insert, mutate, update,
  type Condition, type Mutation, type OperationBase, type Results,
} from '../ovsdb/operations.js';
import type { DatabaseSchema } from '../ovsdb/schema.js';
import type { TlsOptions } from '../ovsdb/remote.js';
import { didYouMean } from './did-you-mean.js';
import { rowPredicate } from './where.js';

/** Conditions as the REPL accepts them: a list of `[column, function, value]`, or `{ column: value }` for ==. */
export type Where = readonly Condition[] | Readonly<Record<string, unknown>>;

const UUID_PREFIX = /^[0-9a-f]{4,36}$/i;

/** Short names the REPL binds each database to. */
export const DATABASE_ALIASES: Readonly<Record<string, string>> = {
  OVN_Northbound: 'nb',
  OVN_Southbound: 'sb',
  Open_vSwitch: 'ovs',
};

/** How long a read waits for the connection to come back before it fails (default). */
export const READ_WAIT_MS = 10_000;

/** A replica row as a plain, mutable object: maps and sets copied (the replica's own are shared and read-only). */
function plainRow(row: Readonly<Record<string, unknown>>, columns?: readonly string[]): Row {
  const out: Row = {};
  for (const c of columns ?? Object.keys(row)) {
    if (!(c in row)) continue;
    const v = row[c];
    out[c] = v instanceof Map ? new Map(v) : Array.isArray(v) ? [...v as unknown[]] : v;
  }
  return out;
}

export class DbHandle {
  /**
   * `db`: the replica of this database (every table, or those a command asked for). `tls`/`checkServerName`:
   * what it was connected with, for other connections to the same servers.
   */
  constructor(readonly db: OvsdbDatabase, readonly tls?: TlsOptions, readonly readWaitMs = READ_WAIT_MS) {}

  /** The database name (`OVN_Northbound`, ...). */
  get name(): string { return this.db.database; }

  /** The schema (the replica is synced before a handle is made). */
  get schema(): DatabaseSchema { return this.db.schema!; }

  /** The member in use, or the remote list while reconnecting. */
  get remote(): string { return this.db.remote ?? this.db.remotes.join(','); }

  /** Every remote of this database (the members of a cluster). */
  get remotes(): string { return this.db.remotes.join(','); }

  /** Table names, sorted. */
  get tables(): string[] { return [...this.schema.tables.keys()].sort(); }

  /** Column names of a table (without _uuid/_version), sorted. */
  columns(table: string): string[] {
    const t = this.schema.tables.get(table);
    if (!t) {
      const hint = didYouMean(table, this.tables);
      throw new Error(`${this.name} has no table "${table}"${hint || ` (tables: ${this.tables.join(', ')})`}`);
    }
    return [...t.columns.keys()].filter((c) => c !== '_uuid' && c !== '_version').sort();
  }

  /**
   * Resolves once the replica holds everything the server committed before this call: one empty transaction
   * on the replica's connection (waiting for a reconnect if there is none, up to `readWaitMs`).
   */
  async current(): Promise<void> {
    try {
      await this.db.transact([], { waitMs: this.readWaitMs, timeoutMs: this.readWaitMs });
    } catch (error) {
      if (this.db.state === 'closed') throw error;
      throw new Error(`${this.name}: not connected (still reconnecting to ${this.db.remotes.join(',')} after ${this.readWaitMs} ms)`, { cause: error });
    }
  }

  /** The replicated rows of a table, current (see current()). */
  async rows(table: string): Promise<readonly Readonly<Record<string, unknown>>[]> {
    this.columns(table);
    await this.current();
    return this.replicated(table);
  }

  /** The replicated rows of a table as they are now, without a round trip (empty when it is not replicated). */
  replicated(table: string): readonly Readonly<Record<string, unknown>>[] {
    try {
      return this.db.table(table).all() as readonly Readonly<Record<string, unknown>>[];
    } catch {
      return [];
    }
  }

  /** transact: operations as arguments or as one array; resolves with one result per operation, once the replica applied them. */
  transact<const Ops extends readonly OperationBase<unknown>[]>(...operations: Ops | [Ops]): Promise<Results<Ops>> {
    const list = (operations.length === 1 && Array.isArray(operations[0]) ? operations[0] : operations) as unknown as Ops;
    return this.db.transact(list);
  }

  /** Every row of a table, with `columns` (default: all). */
  async list(table: string, columns?: readonly string[]): Promise<Row[]> {
    return this.select(table, [], columns);
  }

  /** Rows matching `where` (default: all), with `columns` (default: all), from the replica. */
  async select(table: string, where: Where = [], columns?: readonly string[]): Promise<Row[]> {
    this.columns(table);
    const match = rowPredicate(this.schema, table, toConditions(where));
    if (columns) for (const c of columns) if (c !== '_uuid' && c !== '_version') this.columnOf(table, c);
    const rows = await this.rows(table);
    return rows.filter(match).map((r) => plainRow(r, columns));
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
    const [result] = await this.db.transact([insert(table, row)]);
    return result.uuid;
  }

  /** Updates the rows matching `where`; resolves with their count. */
  async update(table: string, where: Where, row: WriteRow<Row>): Promise<number> {
    const [result] = await this.db.transact([update(table, toConditions(where), row)]);
    return result.count;
  }

  /** Mutates the rows matching `where`; resolves with their count. */
  async mutate(table: string, where: Where, mutations: readonly Mutation[]): Promise<number> {
    const [result] = await this.db.transact([mutate(table, toConditions(where), mutations)]);
    return result.count;
  }

  /** Deletes the rows matching `where`; resolves with their count. */
  async delete(table: string, where: Where): Promise<number> {
    const [result] = await this.db.transact([del(table, toConditions(where))]);
    return result.count;
  }

  /** Number of rows in each replicated table. */
  async counts(): Promise<Map<string, number>> {
    await this.current();
    return new Map(this.tables.map((t) => [t, this.replicated(t).length]));
  }

  /** Ends the replica's connection. */
  close(): Promise<void> {
    return this.db.close();
  }

  toString(): string {
    return `[${this.name} at ${this.remote}]`;
  }

  /** The REPL shows a handle as its name and remote, not its replica's internals. */
  [inspect.custom](): string {
    return `DbHandle ${this.toString()} { tables, columns(table), list(table, columns?), select(table, where?, columns?), get(table, key), insert, update, mutate, delete, transact(...ops), db }`;
  }

  private columnOf(table: string, column: string): void {
    const columns = this.schema.tables.get(table)!.columns;
    if (!columns.has(column)) throw new Error(`${table} has no column "${column}"${didYouMean(column, columns.keys())}`);
  }
}

/** `{ name: 'sw0' }` -> `[['name', '==', 'sw0']]`; a list of conditions passes through. */
export function toConditions(where: Where): Condition[] {
  if (Array.isArray(where)) return [...where] as Condition[];
  return Object.entries(where).map(([column, value]) => [column, '==', value] as unknown as Condition);
}
