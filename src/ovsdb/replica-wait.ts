// Waiting on the replica: resolve once a condition over its rows holds, checked now and again after every change
// batch the replica applies (its `change` events), never by polling. The building block of the readiness waits
// in src/ovn (ports up, hypervisors caught up, port bindings present).
import { OvsdbConnectionClosedError } from './errors.js';
import type { OvsdbDatabase } from './database.js';

/** The condition did not hold within the time given; `what` names it. */
export class ReplicaWaitTimeoutError extends Error {
  override readonly name = 'ReplicaWaitTimeoutError';
  constructor(readonly what: string, readonly timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms waiting for ${what}`);
  }
}

export interface ReplicaWaitOptions {
  /** Reject with ReplicaWaitTimeoutError after this long. Default 30 s; `Infinity` waits for ever. */
  readonly timeoutMs?: number;
  /** Reject with the signal's reason when it aborts. */
  readonly signal?: AbortSignal;
}

export const DEFAULT_REPLICA_WAIT_MS = 30_000;

/**
 * Resolves with the first value `ready()` returns that is not undefined (`what` names it in errors; a function is
 * called when the error is made, so it can say what is still missing), calling it now (after the initial state
 * is in) and after every change the replica applies. Rejects at the timeout, on abort, or when the database is
 * closed (OvsdbConnectionClosedError). An exception from `ready()` rejects too.
 */
export async function waitForReplica<T extends object, V>(
  db: OvsdbDatabase<T>, what: string | (() => string), ready: () => V | undefined, options: ReplicaWaitOptions = {},
): Promise<V> {
  const describe = (): string => (typeof what === 'string' ? what : what());
  await db.synced;
  const timeoutMs = options.timeoutMs ?? DEFAULT_REPLICA_WAIT_MS;
  return new Promise<V>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const cleanup = (): void => {
      if (timer) clearTimeout(timer);
      db.off('change', check);
      db.off('state', onState);
      options.signal?.removeEventListener('abort', onAbort);
    };
    const fail = (err: unknown): void => { cleanup(); reject(err); };
    function check(): void {
      let v: V | undefined;
      try { v = ready(); } catch (err) { fail(err); return; }
      if (v === undefined) return;
      cleanup();
      resolve(v);
    }
    function onState(state: string): void {
      if (state === 'closed') fail(new OvsdbConnectionClosedError(undefined, `the database was closed while waiting for ${describe()}`));
    }
    function onAbort(): void { fail(options.signal?.reason); }
    if (options.signal?.aborted) { reject(options.signal.reason); return; }
    if (db.state === 'closed') { onState('closed'); return; }
    db.on('change', check);
    db.on('state', onState);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (Number.isFinite(timeoutMs)) timer = setTimeout(() => fail(new ReplicaWaitTimeoutError(describe(), timeoutMs)), timeoutMs);
    check();
  });
}
