// What a caller reads of one replicated table: a read-only view over the replica's current rows and indexes. The
// view holds no rows of its own (it looks the table up on every call), so it stays valid across resyncs and schema
// conversions.
import type { SchemaIndexOf } from './datum.js';
import { OvsdbSchemaError } from './errors.js';
import type { Replica } from './replica.js';

/**
 * A read-only view of one replicated table. Rows are immutable snapshots; a change replaces the object. `I` names
 * the indexes find() accepts: the schema's (named by their columns joined with ","), known from a generated row
 * type, plus those the database declares (OvsdbDatabase's second type parameter; any string when not given).
 */
export class ReplicaTableView<R, I extends string = SchemaIndexOf<R>> implements Iterable<Readonly<R>> {
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
  find(index: I, value: unknown): Readonly<R>[] {
    const idx = this.index(index);
    return idx.lookup(idx.normalize(value)) as unknown as Readonly<R>[];
  }

  findOne(index: I, value: unknown): Readonly<R> | undefined {
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
