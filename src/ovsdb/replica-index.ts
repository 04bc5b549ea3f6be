// Indexes of the replica: O(1) lookups by a column value, a tuple of columns (the schema's unique indexes),
// every element of a set column, or the value under one key of a map column (e.g. external_ids:iface-id).
// The index holds row UUIDs, resolved through the table's rows at lookup: a modify touches only the keys that
// changed (one port added to a switch of 1,000 ports is one key added), and none when the indexed columns are
// unchanged (carried over by reference), however large the set.
import type { AtomValue, ColumnType } from './schema.js';
import { OvsdbSchemaError } from './errors.js';

/** A row as stored: `_uuid` plus the monitored columns. */
export interface StoredRow {
  readonly _uuid: string;
  readonly [column: string]: unknown;
}

/**
 * What to index. A column name; several column names (a tuple, looked up with an array of values); or
 * `{ column, key }` for the value stored under `key` in a map column. A set column is indexed by each element,
 * a map column without `key` by each of its keys.
 */
export type IndexSpec = string | readonly string[] | { readonly column: string; readonly key?: AtomValue; readonly unique?: boolean };

type KeysOf = (row: StoredRow, out: unknown[]) => void;

function tupleKey(values: readonly unknown[]): string {
  let s = '';
  for (const v of values) s += `${typeof v === 'bigint' ? 'n' : typeof v === 'string' ? 's' : 'x'}${String(v)}\u0000`;
  return s;
}

export class ReplicaIndex {
  readonly unique: boolean;
  /** Normalizes a caller's lookup value to the stored key (numbers for integer columns become bigints, tuples strings). */
  readonly normalize: (value: unknown) => unknown;
  private readonly single = new Map<unknown, string>();
  /**
   * Keys of a non-unique index: the UUID itself while one row has the key (most keys: an owner's name, a load
   * balancer held by one group), a Set from the second row on. No Set is made for a key only one row has.
   */
  private readonly multi = new Map<unknown, string | Set<string>>();
  /** The columns the index reads (to skip re-indexing rows whose indexed columns did not change). */
  readonly columns: readonly string[];
  private readonly keysOf: KeysOf;
  /**
   * The key of a row, for an index with at most one per row (a scalar, optional or map-value column, a tuple);
   * undefined for none. add, remove and update use it without an array of keys.
   */
  private readonly keyOf: ((row: StoredRow) => unknown) | undefined;
  private readonly scratch: unknown[] = [];
  private readonly scratchOld: unknown[] = [];
  /** The column, when the index is by each element of one set column: its arrays are the keys as they are. */
  private readonly setColumn: string | undefined;

  /** `rows`: the table's rows by UUID, through which lookups resolve. */
  constructor(readonly name: string, spec: IndexSpec, columnType: (column: string) => ColumnType, uniqueDefault = false,
    private readonly rows: ReadonlyMap<string, StoredRow> = new Map()) {
    const normAtom = (t: ColumnType['key']) => (v: unknown) => (t.type === 'integer' && typeof v === 'number' ? BigInt(v) : v);
    if (typeof spec === 'string' || (Array.isArray(spec) && spec.length === 1)) {
      const column = typeof spec === 'string' ? spec : (spec as readonly string[])[0];
      const type = columnType(column);
      this.columns = [column];
      this.unique = uniqueDefault && (type.kind === 'scalar');
      this.normalize = normAtom(type.key);
      this.keysOf = elementKeys(column, type);
      this.keyOf = elementKey(column, type);
      if (type.kind === 'set') this.setColumn = column;
    } else if (Array.isArray(spec)) {
      const columns = spec as readonly string[];
      const norms = columns.map((c) => normAtom(columnType(c).key));
      this.columns = columns;
      this.unique = uniqueDefault;
      this.normalize = (v) => {
        if (!Array.isArray(v) || v.length !== columns.length) throw new OvsdbSchemaError(`index ${name} is looked up with an array of ${columns.length} values`);
        return tupleKey(v.map((x, i) => norms[i](x)));
      };
      this.keyOf = (row) => tupleKey(columns.map((c) => row[c]));
      this.keysOf = (row, out) => { out.push(tupleKey(columns.map((c) => row[c]))); };
    } else {
      const s = spec as { column: string; key?: AtomValue; unique?: boolean };
      const type = columnType(s.column);
      this.columns = [s.column];
      this.unique = s.unique ?? false;
      if (s.key !== undefined) {
        if (type.kind !== 'map' || !type.value) throw new OvsdbSchemaError(`index ${name}: ${s.column} is not a map column`);
        const mapKey = normAtom(type.key)(s.key);
        this.normalize = normAtom(type.value);
        // One lookup: a map's values are atoms, never undefined.
        this.keyOf = (row) => (row[s.column] as Map<unknown, unknown> | undefined)?.get(mapKey);
        this.keysOf = (row, out) => {
          const v = this.keyOf!(row);
          if (v !== undefined) out.push(v);
        };
      } else {
        this.normalize = normAtom(type.key);
        this.keysOf = elementKeys(s.column, type);
        this.keyOf = elementKey(s.column, type);
        if (type.kind === 'set') this.setColumn = s.column;
      }
    }
  }

  add(row: StoredRow): void {
    this.indexRow(row, true);
  }

  remove(row: StoredRow): void {
    this.indexRow(row, false);
  }

  /** Adds (`adding`) or removes the row's keys: one key read directly, a set's elements walked, or keysOf's list. */
  private indexRow(row: StoredRow, adding: boolean): void {
    const uuid = row._uuid;
    if (this.keyOf !== undefined) {
      const k = this.keyOf(row);
      if (k !== undefined) this.moveKey(k, uuid, adding);
    } else if (this.setColumn !== undefined) {
      const elements = row[this.setColumn] as readonly unknown[];
      for (let i = 0; i < elements.length; i++) this.moveKey(elements[i], uuid, adding);
    } else {
      const keys = this.scratch;
      keys.length = 0;
      this.keysOf(row, keys);
      for (const k of keys) this.moveKey(k, uuid, adding);
    }
  }

  private moveKey(k: unknown, uuid: string, adding: boolean): void {
    if (adding) this.addKey(k, uuid);
    else this.removeKey(k, uuid);
  }

  /**
   * `row` replaces `old` (the same UUID): only the keys that differ move. Keys keep their order across a modify
   * (a set or map diff keeps the elements it does not touch in place and appends the new ones), so the keys
   * outside the common prefix and suffix are the change; only those are compared through a Set. `appendedSets`:
   * [new, old] pairs of set values made by appending (TableState.appendedSets), whose new keys need no search.
   */
  update(old: StoredRow, row: StoredRow, appendedSets?: readonly unknown[]): void {
    if (this.sameKeys(old, row)) return;
    if (this.keyOf !== undefined) {
      const was = this.keyOf(old);
      const is = this.keyOf(row);
      if (was === is) return;
      if (was !== undefined) this.removeKey(was, row._uuid);
      if (is !== undefined) this.addKey(is, row._uuid);
      return;
    }
    let before: readonly unknown[];
    let after: readonly unknown[];
    if (this.setColumn !== undefined) {
      // A set's elements are its keys: no copy of a set of thousands (the cluster load balancer group) per modify.
      before = old[this.setColumn] as readonly unknown[];
      after = row[this.setColumn] as readonly unknown[];
      if (appendedSets) {
        for (let i = 0; i < appendedSets.length; i += 2) {
          if (appendedSets[i] !== after || appendedSets[i + 1] !== before) continue;
          // The new value is the old one with elements appended: those are the new keys, nothing to compare.
          for (let k = before.length; k < after.length; k++) this.addKey(after[k], row._uuid);
          return;
        }
      }
    } else {
      const b = this.scratchOld;
      const a = this.scratch;
      b.length = 0;
      a.length = 0;
      this.keysOf(old, b);
      this.keysOf(row, a);
      before = b;
      after = a;
    }
    let head = 0;
    const shorter = Math.min(before.length, after.length);
    while (head < shorter && before[head] === after[head]) head++;
    let tail = 0;
    while (tail < shorter - head && before[before.length - 1 - tail] === after[after.length - 1 - tail]) tail++;
    const uuid = row._uuid;
    const beforeEnd = before.length - tail;
    const afterEnd = after.length - tail;
    if (head === beforeEnd || head === afterEnd) {
      // Keys are distinct within a row: what lies between the common prefix and suffix on one side is not on the other.
      for (let i = head; i < beforeEnd; i++) this.removeKey(before[i], uuid);
      for (let i = head; i < afterEnd; i++) this.addKey(after[i], uuid);
      return;
    }
    const kept = new Set(after.slice(head, afterEnd));
    const had = new Set(before.slice(head, beforeEnd));
    for (let i = head; i < beforeEnd; i++) if (!kept.has(before[i])) this.removeKey(before[i], uuid);
    for (let i = head; i < afterEnd; i++) if (!had.has(after[i])) this.addKey(after[i], uuid);
  }

  private addKey(k: unknown, uuid: string): void {
    if (this.unique) this.single.set(k, uuid);
    else {
      const held = this.multi.get(k);
      if (held === undefined) this.multi.set(k, uuid);
      else if (typeof held === 'string') {
        if (held !== uuid) this.multi.set(k, new Set([held, uuid]));
      } else held.add(uuid);
    }
  }

  private removeKey(k: unknown, uuid: string): void {
    if (this.unique) {
      if (this.single.get(k) === uuid) this.single.delete(k);
    } else {
      const held = this.multi.get(k);
      if (held === undefined) return;
      if (typeof held === 'string') {
        if (held === uuid) this.multi.delete(k);
      } else {
        held.delete(uuid);
        if (held.size === 0) this.multi.delete(k);
      }
    }
  }

  /** True when the indexed columns of `a` and `b` are the same objects/values (the keys need no change). */
  sameKeys(a: StoredRow, b: StoredRow): boolean {
    for (const c of this.columns) if (a[c] !== b[c]) return false;
    return true;
  }

  clear(): void {
    this.single.clear();
    this.multi.clear();
  }

  /** Rows whose indexed value equals `value` (already normalized). */
  lookup(key: unknown): StoredRow[] {
    if (this.unique) {
      const r = this.resolve(this.single.get(key));
      return r ? [r] : [];
    }
    const held = this.multi.get(key);
    if (held === undefined) return [];
    if (typeof held === 'string') {
      const r = this.rows.get(held);
      return r ? [r] : [];
    }
    const out: StoredRow[] = [];
    for (const u of held) {
      const r = this.rows.get(u);
      if (r) out.push(r);
    }
    return out;
  }

  lookupOne(key: unknown): StoredRow | undefined {
    if (this.unique) return this.resolve(this.single.get(key));
    const held = this.multi.get(key);
    if (held === undefined) return undefined;
    if (typeof held === 'string') return this.rows.get(held);
    for (const u of held) {
      const r = this.rows.get(u);
      if (r) return r;
    }
    return undefined;
  }

  private resolve(uuid: string | undefined): StoredRow | undefined {
    return uuid === undefined ? undefined : this.rows.get(uuid);
  }

  /** Number of distinct keys. */
  get keyCount(): number {
    return this.unique ? this.single.size : this.multi.size;
  }
}

/** The one key of a scalar or optional column (undefined when the optional one is empty); undefined for a set or map column. */
function elementKey(column: string, type: ColumnType): ((row: StoredRow) => unknown) | undefined {
  return type.kind === 'scalar' || type.kind === 'optional' ? (row) => row[column] : undefined;
}

function elementKeys(column: string, type: ColumnType): KeysOf {
  switch (type.kind) {
    case 'scalar': return (row, out) => { out.push(row[column]); };
    case 'optional': return (row, out) => { const v = row[column]; if (v !== undefined) out.push(v); };
    case 'set': return (row, out) => { for (const v of row[column] as unknown[]) out.push(v); };
    case 'map': return (row, out) => { for (const k of (row[column] as Map<unknown, unknown>).keys()) out.push(k); };
  }
}
