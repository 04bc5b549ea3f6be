// The optimistic-concurrency loop every read-plan-write client of OVSDB runs: build a transaction from what it
// read, send it with prerequisites (`wait` operations with timeout 0, unique indexes, `assert`), and when a
// prerequisite failed because another client changed the rows in between, read again and plan again, a bounded
// number of times. transactWithRetry (the replica's, transaction-retry.ts) and the node API's `guarded`
// (src/ovs/node-db.ts, plain OvsdbClient) differ only in what counts as a lost race and what to do before the
// next attempt; this is the loop they share.

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
