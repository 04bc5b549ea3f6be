// Desired state -> the fewest operations, on top of the replica's optimistic transaction (ReplicaTransaction).
// Nothing is added for a column that already holds the desired value, so ensuring the same state twice sends
// nothing the second time. What a transaction relies on is guarded the replica's way: `verify` for a row's
// columns, and `requireNone` ("no row matches") for what must still be absent, e.g. a name about to be taken;
// when another agent got there first the guard fails and transactWithRetry runs the build again on the fresher
// replica. The replica (src/ovsdb) has the verify/wait/retry machinery; this file only adds the diff.
import { NamedUuid, type Row, type TableOf, type Uuid, type WriteRow } from '../ovsdb/datum.js';
import type { OvsdbDatabase } from '../ovsdb/database.js';
import { del, insert, mutate, update, wait, type Condition, type OperationBase } from '../ovsdb/operations.js';
import type { ReplicaTransaction, RetryOptions } from '../ovsdb/transaction-retry.js';

/** A reference to a row: its UUID, or the named-uuid of a row inserted in the same transaction. */
export type RowRef = Uuid | NamedUuid;

function normalize(value: unknown): unknown {
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  return value;
}

function sameAtom(a: unknown, b: unknown): boolean {
  if (a instanceof NamedUuid || b instanceof NamedUuid) return false;
  return normalize(a) === normalize(b);
}

function key(v: unknown): string {
  const n = normalize(v);
  return typeof n === 'bigint' ? `${n}n` : String(n);
}

/** Compares a stored column value with a desired one (sets order-insensitive, maps as pairs, ints as bigint). */
export function sameValue(stored: unknown, desired: unknown): boolean {
  if (desired instanceof NamedUuid) return false;
  // Every ensure() of every kind runs this on each column it may write (a resync: on every row): no copies of
  // either side in the common shapes.
  if (Array.isArray(desired) || desired instanceof Set) {
    const want: readonly unknown[] = Array.isArray(desired) ? desired : [...desired as Set<unknown>];
    const have: readonly unknown[] = Array.isArray(stored) ? stored : stored === undefined ? [] : [stored];
    for (const v of want) if (v instanceof NamedUuid) return false;
    if (want.length !== have.length) return false;
    if (want.length === 0) return true;
    if (want.length === 1) return key(have[0]) === key(want[0]);
    const set = new Set<string>();
    for (const v of have) set.add(key(v));
    for (const v of want) if (!set.has(key(v))) return false;
    return true;
  }
  if (desired instanceof Map) {
    if (!(stored instanceof Map)) return desired.size === 0;
    if (desired.size !== stored.size) return false;
    for (const [k, v] of desired as Map<unknown, unknown>) if (!stored.has(k) || !sameAtom(stored.get(k), v)) return false;
    return true;
  }
  if (desired !== null && typeof desired === 'object') {
    const want = Object.entries(desired as Record<string, unknown>);
    const have = stored instanceof Map ? stored : new Map();
    if (want.length !== have.size) return false;
    return want.every(([k, v]) => have.has(k) && sameAtom(have.get(k), v));
  }
  if (desired === undefined) return stored === undefined || (Array.isArray(stored) && stored.length === 0);
  return sameAtom(stored, desired);
}

/** The columns of `desired` whose stored value differs. */
export function changedColumns<T>(stored: T, desired: WriteRow<T>): WriteRow<T> {
  const out: Record<string, unknown> = {};
  for (const column in desired) {
    if (!Object.hasOwn(desired, column)) continue;
    const value = (desired as Record<string, unknown>)[column];
    if (!sameValue((stored as Record<string, unknown>)[column], value)) out[column] = value;
  }
  return out as WriteRow<T>;
}

/** The condition selecting one row by UUID. */
export function byUuid<T>(uuid: Uuid): Condition<T>[] {
  return [['_uuid', '==', uuid] as unknown as Condition<T>];
}

/** The desired-state helpers over one ReplicaTransaction (`tx.operations` is what will be sent). */
export class DesiredState<T extends object = object> {
  private next = 0;

  constructor(readonly tx: ReplicaTransaction<T>) {}

  get operations(): readonly OperationBase<unknown>[] { return this.tx.operations; }

  /** True when nothing would change. */
  get isEmpty(): boolean { return this.tx.operations.length === 0; }

  /** Where the operations end now, for rollback(). */
  mark(): number { return this.tx.operations.length; }

  /** Drops every operation added after `mark` (a build that threw halfway leaves nothing of itself behind). */
  rollback(mark: number): void {
    this.tx.operations.length = mark;
    for (const index of [...this.tx.verifyIndexes]) if (index >= mark) this.tx.verifyIndexes.delete(index);
  }

  /** Inserts a row; `uuid` fixes its UUID (OVS 2.13+), so a second insert of it fails with "duplicate uuid". */
  insert<R>(table: TableOf<R>, row: WriteRow<R>, uuid?: Uuid): NamedUuid {
    const name = `row${this.next++}`;
    this.tx.add(insert<R>(table, row, uuid === undefined ? { uuidName: name } : { uuidName: name, uuid }));
    return new NamedUuid(name);
  }

  /** Inserts a row with a `name`, guarded: the transaction is retried if another agent created that name first. */
  insertNamed<R>(table: TableOf<R>, row: WriteRow<R>): NamedUuid {
    const name = (row as { name?: unknown }).name;
    if (typeof name !== 'string') throw new TypeError(`insertNamed(${table}): the row has no name`);
    this.requireNone(table, [['name', '==', name]]);
    return this.insert<R>(table, row);
  }

  /** Updates the columns that differ; nothing when none does. */
  updateChanged<R extends { _uuid: Uuid }>(table: string, stored: R, desired: WriteRow<R>): void {
    const changed = changedColumns(stored, desired);
    if (Object.keys(changed).length > 0) this.tx.add(update<Row>(table, byUuid(stored._uuid), changed as WriteRow<Row>));
  }

  /**
   * Makes a set column hold exactly `desired` by one mutate of only the elements that differ (deleted, then
   * inserted; nothing when equal): a pod joining a port group of thousands sends one element, not the set.
   */
  updateSet(table: string, stored: { readonly _uuid: Uuid }, column: string, desired: readonly string[]): void {
    const have = ((stored as unknown as Record<string, unknown>)[column] ?? []) as readonly string[];
    const want = new Set(desired);
    const present = new Set(have);
    const removed = have.filter((v) => !want.has(v));
    const added = [...want].filter((v) => !present.has(v));
    const mutations: unknown[] = [];
    if (removed.length > 0) mutations.push([column, 'delete', removed]);
    if (added.length > 0) mutations.push([column, 'insert', added]);
    if (mutations.length > 0) this.tx.add(mutate<Row>(table, byUuid(stored._uuid), mutations as never));
  }

  /** Adds elements to a set column (only those missing from `stored`, unless stored is unknown). */
  addToSet(table: string, uuid: Uuid, column: string, values: readonly RowRef[] | readonly string[], stored?: readonly unknown[]): void {
    const missing = stored ? values.filter((v) => v instanceof NamedUuid || !stored.includes(v)) : values;
    if (missing.length === 0) return;
    this.tx.add(mutate<Row>(table, byUuid(uuid), [[column, 'insert', missing] as never]));
  }

  /** Adds children to a parent's set column; the parent may be a row inserted in this transaction. */
  addRef(table: string, parent: RowRef, column: string, children: RowRef | readonly RowRef[]): void {
    const list = Array.isArray(children) ? children as readonly RowRef[] : [children as RowRef];
    if (typeof parent === 'string') this.addToSet(table, parent, column, list);
    else this.tx.add(mutate<Row>(table, [['_uuid', '==', parent]] as never, [[column, 'insert', list] as never]));
  }

  /** Removes elements from a set column (only those present in `stored`, unless stored is unknown). */
  removeFromSet(table: string, uuid: Uuid, column: string, values: readonly string[], stored?: readonly unknown[]): void {
    const present = stored ? values.filter((v) => stored.includes(v)) : values;
    if (present.length === 0) return;
    this.tx.add(mutate<Row>(table, byUuid(uuid), [[column, 'delete', present] as never]));
  }

  delete(table: string, uuid: Uuid): void {
    this.tx.add(del<Row>(table, byUuid(uuid)));
  }

  /**
   * A prerequisite: the transaction fails at once ("timed out") when any row matches `where`, and counts as a
   * failed verify, so transactWithRetry builds again. Returns the operation's index.
   */
  requireNone(table: string, where: readonly Condition<Row>[]): number {
    const index = this.tx.operations.length;
    this.tx.add(wait<Row>(table, where, ['_uuid'], '==', [], 0));
    this.tx.verifyIndexes.add(index);
    return index;
  }
}

/**
 * Builds the desired state from the replica and commits it with the replica's transactWithRetry: nothing is
 * sent when nothing changes; when a guard fails the build runs again on the fresher replica (20 runs at most).
 * Resolves with `build`'s value of the run that committed.
 */
export async function commitDesired<T extends object, V>(db: OvsdbDatabase<T>, build: (state: DesiredState<T>) => V, options: RetryOptions = {}): Promise<V> {
  const { value } = await db.transactWithRetry((tx) => build(new DesiredState(tx)), { attempts: 20, ...options });
  return value;
}
