// Optimistic concurrency over the replica, as Open vSwitch's IDL does it: a transaction is built from what the
// replica shows; `verify(row, columns)` records what it relied on, sent as a `wait` operation (timeout 0) that
// fails the transaction if the server's row differs. The retry helper then waits until the replica has caught
// up and runs the caller's function again, so read-modify-write cycles (append to Logical_Switch.ports, ...)
// never lose a concurrent change.
import { OvsdbSchemaError } from './errors.js';
import { ops, type OperationBase } from './operations.js';
import type { Row, WriteRow } from './datum.js';
import { isConflict, retryOnConflict } from './conflict-retry.js';

/** What the retry loop needs of a replica (an OvsdbDatabase is one). */
export interface RetryableReplica {
  /** Resolves once the replica holds its initial state. */
  readonly synced: Promise<void>;
  /** Moves with every update batch the replica applies. */
  readonly generation: number;
  /** The replicated table holding this very row object. */
  tableNameOf(row: { readonly _uuid: string }): string | undefined;
  transact(operations: readonly OperationBase<unknown>[], options?: { timeoutMs?: number }): Promise<unknown>;
}

/** The transaction under construction inside `transactWithRetry`; `T` maps the database's table names to rows. */
export class ReplicaTransaction<T extends object> {
  readonly operations: OperationBase<unknown>[] = [];
  /** Indexes of the `wait` operations made by verify(). */
  readonly verifyIndexes = new Set<number>();

  constructor(private readonly db: Pick<RetryableReplica, 'tableNameOf'>) {}

  /** Appends an operation (from `ops.*`) and returns it. */
  add<O extends OperationBase<unknown>>(op: O): O {
    this.operations.push(op);
    return op;
  }

  /**
   * Makes the transaction fail (and be retried) unless `columns` of `row` are still what the replica showed.
   * `row` is a row object from this database's replica (typed: a row of one of its tables).
   */
  verify<R extends Readonly<T[keyof T]> & { readonly _uuid: string }>(row: R, columns: readonly (keyof R & string)[]): void {
    const table = this.db.tableNameOf(row);
    if (!table) throw new OvsdbSchemaError('verify(): the row is not (or no longer) in the replica');
    const expected: Record<string, unknown> = {};
    for (const c of columns) expected[c] = (row as Record<string, unknown>)[c];
    this.verifyIndexes.add(this.operations.length);
    this.operations.push(ops.wait<Row>(table, [['_uuid', '==', row._uuid]], columns, '==', [expected as WriteRow<Row>], 0));
  }

  /** Fails the transaction with "not owner" unless this connection holds `lock`. */
  assertLock(lock: string): void {
    this.operations.push(ops.assert(lock));
  }
}

export interface RetryOptions {
  /** Runs of the function at most (default 10). */
  attempts?: number;
  /** How long to wait for the replica to move after a failed verify before running again (default 1000 ms). */
  catchUpMs?: number;
  /** Passed to transact(). */
  timeoutMs?: number;
}

export interface RetryResult<V> {
  /** What the function returned on the run that committed. */
  value: V;
  /** The results of the committed transaction. */
  results: unknown[];
  /** Runs needed (1 = no conflict). */
  attempts: number;
}

export async function transactWithRetry<T extends object, V>(
  db: RetryableReplica, fn: (tx: ReplicaTransaction<T>) => V | Promise<V>, options: RetryOptions = {},
): Promise<RetryResult<V>> {
  let tx: ReplicaTransaction<T> | undefined;
  let generation = 0;
  return retryOnConflict(async (attempt) => {
    await db.synced;
    generation = db.generation;
    tx = new ReplicaTransaction<T>(db);
    const value = await fn(tx);
    if (tx.operations.length === 0) return { value, results: [], attempts: attempt };
    const results = await db.transact(tx.operations, options.timeoutMs ? { timeoutMs: options.timeoutMs } : {});
    return { value, results: results as unknown[], attempts: attempt };
  }, {
    attempts: options.attempts ?? 10,
    // Methods, not arrow properties: a transaction per call makes these per call, and a tsx/esbuild build names
    // every arrow property it creates (Object.defineProperty each time).
    // Only a failed verify() is a lost race here: a constraint violation may be the caller's own doing.
    isConflict(err) { return tx !== undefined && isConflict(err, tx.verifyIndexes); },
    // The server already sent us the change that broke the prerequisite (updates come before replies), so
    // the replica has usually moved; if not, wait for it briefly.
    async beforeRetry() {
      const deadline = Date.now() + (options.catchUpMs ?? 1000);
      while (db.generation === generation && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    },
  });
}
