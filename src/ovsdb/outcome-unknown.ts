// A transaction whose outcome cannot be known: the connection ended (or the reply did not come in time) after the
// request was written. The server may or may not have committed it, so it is never resent silently; the caller
// decides (re-read the replica, or make the transaction idempotent and run it again).
import { OvsdbConnectionClosedError } from './errors.js';

export class OvsdbOutcomeUnknownError extends OvsdbConnectionClosedError {
  constructor(readonly remote: string, cause: Error) {
    // Wrapped again by a layer that knows the remote better: say it once.
    const reason = cause instanceof OvsdbOutcomeUnknownError && cause.cause instanceof Error ? cause.cause.message : cause.message;
    super('transact', `the outcome of the transaction sent to ${remote} is unknown (${reason})`, { cause });
  }
}
