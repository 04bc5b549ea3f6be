// Running a desired-state transaction: build from the current view, send only when something changes, and when a
// prerequisite (`wait`) or a unique index says another agent got there first, rebuild from the fresher view.
import { OvsdbConstraintViolationError, OvsdbTimedOutError } from '../ovsdb/errors.js';
import type { OvnDatabase } from './database.js';
import type { TransactionBuilder } from './transaction.js';

export class ConflictRetriesExhaustedError extends Error {
  override readonly name = 'ConflictRetriesExhaustedError';
}

/** True for the errors that mean "someone else changed what we built on": worth a rebuild and retry. */
export function isConflict(err: unknown): boolean {
  return err instanceof OvsdbTimedOutError || err instanceof OvsdbConstraintViolationError;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface CommitOptions {
  /** Attempts before giving up on repeated conflicts (default 20). */
  readonly attempts?: number;
  /** Called after a conflict, before the rebuild (e.g. to remember an address as taken). */
  readonly onConflict?: (err: unknown, attempt: number) => void;
}

/**
 * Builds a transaction with `build` and sends it unless empty; on a conflict waits a little (so the view catches
 * up with the other agent's change) and rebuilds. Resolves with `build`'s value of the attempt that committed.
 */
export async function commitDesired<Tables, V>(
  db: OvnDatabase<Tables>, build: () => { tx: TransactionBuilder; value: V }, options: CommitOptions = {},
): Promise<{ value: V; results: unknown[] | undefined }> {
  const attempts = options.attempts ?? 20;
  for (let attempt = 1; ; attempt++) {
    const { tx, value } = build();
    if (tx.isEmpty) return { value, results: undefined };
    try {
      return { value, results: await db.transact(tx.operations) };
    } catch (err) {
      if (!isConflict(err)) throw err;
      if (attempt >= attempts) throw new ConflictRetriesExhaustedError(`gave up after ${attempt} conflicting attempts: ${(err as Error).message}`, { cause: err });
      options.onConflict?.(err, attempt);
      await pause(Math.min(50, attempt * attempt));
    }
  }
}
