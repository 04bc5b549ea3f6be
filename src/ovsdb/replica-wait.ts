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

interface Waiter { check(): void; closed(): void }

/**
 * The waiters on one database share one `change` and one `state` listener (installed while any waits), so that
 * many concurrent waits (a pod per request) neither add a listener each nor trip the EventEmitter leak warning.
 */
const waitersOf = new WeakMap<object, { readonly waiters: Set<Waiter>; readonly detach: () => void }>();

function register<T extends object>(db: OvsdbDatabase<T>, waiter: Waiter): () => void {
  let entry = waitersOf.get(db);
  if (!entry) {
    const waiters = new Set<Waiter>();
    const onChange = (): void => { for (const w of [...waiters]) w.check(); };
    const onState = (state: string): void => { if (state === 'closed') for (const w of [...waiters]) w.closed(); };
    db.on('change', onChange);
    db.on('state', onState);
    entry = { waiters, detach: () => { db.off('change', onChange); db.off('state', onState); waitersOf.delete(db); } };
    waitersOf.set(db, entry);
  }
  const { waiters, detach } = entry;
  waiters.add(waiter);
  return () => {
    if (waiters.delete(waiter) && waiters.size === 0) detach();
  };
}

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
  const closedError = (): Error => new OvsdbConnectionClosedError(undefined, `the database was closed while waiting for ${describe()}`);
  return new Promise<V>((resolve, reject) => {
    if (options.signal?.aborted) { reject(options.signal.reason); return; }
    if (db.state === 'closed') { reject(closedError()); return; }
    let timer: NodeJS.Timeout | undefined;
    const cleanup = (): void => {
      if (timer) clearTimeout(timer);
      unregister();
      options.signal?.removeEventListener('abort', onAbort);
    };
    const fail = (err: unknown): void => { cleanup(); reject(err); };
    const onAbort = (): void => fail(options.signal?.reason);
    const check = (): void => {
      let v: V | undefined;
      try { v = ready(); } catch (err) { fail(err); return; }
      if (v === undefined) return;
      cleanup();
      resolve(v);
    };
    // Registered before the first check, which may already settle the wait (cleanup then unregisters).
    const unregister = register(db, { check, closed: () => fail(closedError()) });
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (Number.isFinite(timeoutMs)) timer = setTimeout(() => fail(new ReplicaWaitTimeoutError(describe(), timeoutMs)), timeoutMs);
    check();
  });
}
