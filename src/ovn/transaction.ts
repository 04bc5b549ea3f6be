// A transaction under construction: desired state compared with the view's rows yields the minimal operations.
// Nothing is added for a column that already holds the desired value, so ensuring the same state twice sends
// nothing the second time (callers skip `transact` when `isEmpty`).
import { NamedUuid, type Row, type Uuid, type WriteRow } from '../ovsdb/datum.js';
import { del, insert, mutate, update, wait, type Condition, type OperationBase } from '../ovsdb/operations.js';

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
  if (Array.isArray(desired) || desired instanceof Set) {
    const want = [...desired];
    const have = Array.isArray(stored) ? stored : stored === undefined ? [] : [stored];
    if (want.some((v) => v instanceof NamedUuid)) return false;
    if (want.length !== have.length) return false;
    const set = new Set(have.map(key));
    return want.every((v) => set.has(key(v)));
  }
  if (desired instanceof Map || (desired !== null && typeof desired === 'object')) {
    const want = desired instanceof Map ? [...desired] : Object.entries(desired as Record<string, unknown>);
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
  for (const [column, value] of Object.entries(desired)) {
    if (!sameValue((stored as Record<string, unknown>)[column], value)) out[column] = value;
  }
  return out as WriteRow<T>;
}

export function byUuid<T>(uuid: Uuid): Condition<T>[] {
  return [['_uuid', '==', uuid] as unknown as Condition<T>];
}

export class TransactionBuilder {
  readonly operations: OperationBase<unknown>[] = [];
  private next = 0;

  /** True when nothing would change. */
  get isEmpty(): boolean { return this.operations.length === 0; }

  insert<T>(table: string, row: WriteRow<T>): NamedUuid {
    const name = `row${this.next++}`;
    this.operations.push(insert<T>(table, row, { uuidName: name }));
    return new NamedUuid(name);
  }

  /** Updates the columns that differ; nothing when none does. */
  updateChanged<T extends { _uuid: Uuid }>(table: string, stored: T, desired: WriteRow<T>): void {
    const changed = changedColumns(stored, desired);
    if (Object.keys(changed).length > 0) this.operations.push(update<Row>(table, byUuid(stored._uuid), changed as WriteRow<Row>));
  }

  /** Adds elements to a set column (only those missing from `stored`, unless stored is unknown). */
  addToSet(table: string, uuid: Uuid, column: string, values: readonly RowRef[] | readonly string[], stored?: readonly unknown[]): void {
    const missing = stored ? values.filter((v) => v instanceof NamedUuid || !stored.includes(v)) : values;
    if (missing.length === 0) return;
    this.operations.push(mutate<Row>(table, byUuid(uuid), [[column, 'insert', missing] as never]));
  }

  /** Removes elements from a set column (only those present in `stored`, unless stored is unknown). */
  removeFromSet(table: string, uuid: Uuid, column: string, values: readonly string[], stored?: readonly unknown[]): void {
    const present = stored ? values.filter((v) => stored.includes(v)) : values;
    if (present.length === 0) return;
    this.operations.push(mutate<Row>(table, byUuid(uuid), [[column, 'delete', present] as never]));
  }

  delete(table: string, uuid: Uuid): void {
    this.operations.push(del<Row>(table, byUuid(uuid)));
  }

  /** A prerequisite: fails the transaction at once ("timed out") when any row matches `where`. */
  requireNone(table: string, where: readonly Condition<Row>[]): void {
    this.operations.push(wait<Row>(table, where, ['_uuid'], '==', [], 0));
  }

  /** A prerequisite: fails at once unless the row still has these column values (optimistic verify). */
  requireUnchanged(table: string, uuid: Uuid, columns: Row): void {
    this.operations.push(wait<Row>(table, byUuid(uuid), Object.keys(columns), '==', [columns as WriteRow<Row>], 0));
  }

  push(op: OperationBase<unknown>): void { this.operations.push(op); }
}
