// A transaction whose outcome cannot be known: the connection ended (or the reply did not come in time) after the
// request was written. The server may or may not have committed it, so it is never resent silently; the caller
// decides (re-read the replica, or make the transaction idempotent and run it again).
import { OvsdbConnectionClosedError } from './errors.js';

export class OvsdbOutcomeUnknownError extends OvsdbConnectionClosedError {
  constructor(readonly remote: string, cause: Error) {
    super('transact', `the outcome of the transaction sent to ${remote} is unknown (${cause.message})`, { cause });
  }
}
