// Group commit of a kind's writes: the calls made in one turn of the event loop (an agent's workers reconciling
// many keys at once) are built into one shared transaction, at most `maxBatch` per transaction; more become several
// sent back to back. Each call stays all-or-nothing and answers for itself:
//  - a call whose build throws (a missing row, a row of another owner) is rejected alone: what it had added to the
//    shared transaction is rolled back, its batch-mates go on;
//  - when the shared transaction fails (a guard lost a race, the server refused an operation, the connection
//    dropped), every call of it is made again alone, in its own transaction with its own conflict retries, so one
//    bad call cannot fail the others and each caller gets its own error;
//  - two calls for the same key never share a transaction, nor run side by side: a call whose key is in flight
//    (in this batch or an earlier one still awaiting its answer) goes after it.
// A single call in a turn is simply made alone.
import type { OperationBase } from '../ovsdb/operations.js';
import { ReplicaTransaction } from '../ovsdb/transaction-retry.js';
import type { NorthboundTables } from '../models/ovn-northbound.js';
import { DesiredState } from './desired-state.js';
import type { Northbound } from './northbound.js';

/** How a kind takes part in group commit. */
export interface GroupCommitKind<I, R> {
  /** The key of a call: calls of one key are never in one transaction. */
  keyOf(item: I): string;
  /**
   * Adds the call's operations to the shared transaction and returns what to answer once it has committed (called
   * then, so it may read the replica). May throw: the call is rejected with that error and its operations dropped.
   */
  build(item: I, tx: DesiredState<NorthboundTables>): (changed: boolean) => R;
  /** Makes the call alone (its own transaction and retries): a single call, or a call of a failed batch. */
  alone(item: I): Promise<R>;
}

interface Pending<I, R> { readonly item: I; resolve(result: R): void; reject(err: unknown): void }

/** Most calls in one shared transaction unless told otherwise. */
export const DEFAULT_MAX_BATCH = 64;

/** Group commit over one Northbound (see the file comment). */
export class GroupCommit<I, R> {
  private queue: Pending<I, R>[] = [];
  private flushScheduled = false;
  /** Keys whose call is being made, and when that batch is done. */
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(private readonly db: Northbound, private readonly kind: GroupCommitKind<I, R>, private readonly maxBatch = DEFAULT_MAX_BATCH) {
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError(`maxBatch must be a positive integer, not ${maxBatch}`);
  }

  /** Queues a call for the next shared transaction; resolves or rejects with that call's own outcome. */
  submit(item: I): Promise<R> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => { this.flushScheduled = false; void this.flush(); });
  }

  private async flush(): Promise<void> {
    const batch = this.queue.splice(0, this.maxBatch);
    if (this.queue.length > 0) this.scheduleFlush();
    let done!: () => void;
    const batchDone = new Promise<void>((resolve) => { done = resolve; });
    // A key already in flight (in an earlier batch still awaiting its answer, or earlier in this one) waits for
    // that call: built now, it would not see the rows the other is about to commit and would make them twice.
    const ready: Pending<I, R>[] = [];
    const keys: string[] = [];
    for (const call of batch) {
      const key = this.kind.keyOf(call.item);
      const busy = this.inFlight.get(key);
      if (busy) { void busy.then(() => this.submit(call.item).then(call.resolve, call.reject)); continue; }
      this.inFlight.set(key, batchDone);
      keys.push(key);
      ready.push(call);
    }
    try {
      if (ready.length === 1) await this.sendAlone(ready[0]);
      else if (ready.length > 1) await this.commitTogether(ready);
    } finally {
      for (const key of keys) if (this.inFlight.get(key) === batchDone) this.inFlight.delete(key);
      done();
    }
  }

  /** One shared transaction for `calls` (distinct keys); if it fails, each is made again alone. */
  private async commitTogether(calls: readonly Pending<I, R>[]): Promise<void> {
    const tx = new DesiredState<NorthboundTables>(new ReplicaTransaction(this.db));
    const grouped: { readonly call: Pending<I, R>; readonly answer: (changed: boolean) => R; readonly changed: boolean }[] = [];
    for (const call of calls) {
      const mark = tx.mark();
      try {
        const answer = this.kind.build(call.item, tx);
        grouped.push({ call, answer, changed: tx.mark() > mark });
      } catch (err) {
        tx.rollback(mark);
        call.reject(err);
      }
    }
    try {
      if (!tx.isEmpty) await this.db.transact(tx.operations as readonly OperationBase<unknown>[]);
    } catch {
      // Which call the failure belongs to is not knowable in general: each is made again alone.
      await Promise.all(grouped.map(({ call }) => this.sendAlone(call)));
      return;
    }
    for (const { call, answer, changed } of grouped) {
      try { call.resolve(answer(changed)); } catch (err) { call.reject(err); }
    }
  }

  /** Settles once the call has its own outcome. */
  private sendAlone(call: Pending<I, R>): Promise<void> {
    return this.kind.alone(call.item).then(call.resolve, call.reject);
  }
}
