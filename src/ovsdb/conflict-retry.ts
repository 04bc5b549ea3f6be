// The optimistic-concurrency loop every read-plan-write client of OVSDB runs: build a transaction from what it
// read, send it with prerequisites (`wait` operations with timeout 0, unique indexes, fixed row uuids), and when
// a prerequisite failed because another client changed the rows in between, read again and plan again, a
// bounded number of times. transactWithRetry (the replica's, transaction-retry.ts), the node API's `guarded`
// (src/ovs/node-db.ts, plain OvsdbClient) and pod allocation (src/ovn/pods.ts) differ only in which
// prerequisites they state and what to do before the next attempt; this is the test and the loop they share.
import { OvsdbOperationError } from './errors.js';

/**
 * True when a transaction failed because another writer changed what it relied on, so a new plan from a fresher
 * read may succeed: a `wait` prerequisite failed ("timed out"), a unique index refused a row another writer
 * inserted first ("constraint violation"), or a row with the transaction's fixed uuid exists already
 * ("duplicate uuid"). With `guards` (the indexes of the transaction's own prerequisite waits, as
 * ReplicaTransaction.verify records them) only the failure of one of those counts: any other failure is the
 * caller's to see.
 */
export function isConflict(err: unknown, guards?: ReadonlySet<number>): boolean {
  if (!(err instanceof OvsdbOperationError)) return false;
  if (guards) return err.error === 'timed out' && guards.has(err.index);
  return err.error === 'timed out' || err.error === 'constraint violation' || err.error === 'duplicate uuid';
}

export interface ConflictRetryPolicy {
  /** Runs of the attempt at most (>= 1). */
  readonly attempts: number;
  /** True when `err` means "the rows changed under us": plan again. Anything else is thrown at once. */
  isConflict(err: unknown): boolean;
  /** Called between a conflict and the next attempt (back off, or wait until the replica has caught up). */
  beforeRetry?(attempt: number, err: unknown): Promise<void> | void;
}

/**
 * Runs `attempt(n)` (n = 1, 2, ...) until it returns; a conflict (policy.isConflict) runs it again after
 * `beforeRetry`, up to `policy.attempts` runs. Other errors are thrown as they are, and so is the last run's
 * conflict (a caller that catches a conflict from here knows the attempts ran out).
 */
export async function retryOnConflict<V>(attempt: (n: number) => Promise<V>, policy: ConflictRetryPolicy): Promise<V> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      if (!policy.isConflict(err)) throw err;
      if (n >= policy.attempts) throw err;
      await policy.beforeRetry?.(n, err);
    }
  }
}
