// The locks an OvsdbDatabase holds (RFC 7047 section 4.1.8 `lock`, `locked`, `stolen`, `unlock`): each is asked
// for again on every connection the replica establishes, lost (and reported) when the connection ends, queued for
// again after a steal, and released on request.
import type { OvsdbProtocol } from './protocol.js';

/** A lock of this database that the connection holds, and takes again after every reconnect. */
export class DatabaseLock {
  held = false;
  private waiters: (() => void)[] = [];

  constructor(readonly name: string, private readonly release_: (lock: DatabaseLock) => Promise<void>) {}

  /** Resolves when the lock is held (now or after other holders release it). */
  acquired(): Promise<void> {
    if (this.held) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Stops holding and wanting the lock. */
  release(): Promise<void> {
    return this.release_(this);
  }

  /** @internal */
  setHeld(held: boolean): void {
    this.held = held;
    if (held) {
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
    }
  }
}

export interface DatabaseLocksOptions {
  /** The connection requests may go to now, if any. */
  readonly connection: () => OvsdbProtocol | undefined;
  /** A lock was taken or lost. */
  readonly changed: (name: string, held: boolean) => void;
  /** A lock request failed on a live connection. */
  readonly warning: (error: Error) => void;
  readonly callTimeoutMs: number;
}

/** Every lock of one database, kept across connections. */
export class DatabaseLocks {
  private readonly locks = new Map<string, DatabaseLock>();
  private conn: OvsdbProtocol | undefined;

  constructor(private readonly options: DatabaseLocksOptions) {}

  /** The lock `name`, created and asked for (on the current connection, or on the next) on first use. */
  lock(name: string): DatabaseLock {
    const existing = this.locks.get(name);
    if (existing) return existing;
    const lock = new DatabaseLock(name, (l) => this.release(l));
    this.locks.set(name, lock);
    const conn = this.options.connection();
    if (conn) this.request(conn, lock);
    return lock;
  }

  /** A connection was established: ask for every lock on it and follow its `locked`/`stolen` notifications. */
  attach(conn: OvsdbProtocol): void {
    this.conn = conn;
    conn.on('locked', (name) => this.notified(conn, name, true));
    conn.on('stolen', (name) => this.notified(conn, name, false));
    for (const lock of this.locks.values()) this.request(conn, lock);
  }

  /** The connection ended: no lock is held any more (each is asked for again on the next one). */
  detach(conn: OvsdbProtocol): void {
    if (this.conn !== conn) return;
    this.conn = undefined;
    for (const lock of this.locks.values()) this.set(lock, false);
  }

  private async release(lock: DatabaseLock): Promise<void> {
    this.locks.delete(lock.name);
    this.set(lock, false);
    const conn = this.options.connection();
    if (conn) await conn.unlock(lock.name, { timeoutMs: this.options.callTimeoutMs }).catch(() => undefined);
  }

  private request(conn: OvsdbProtocol, lock: DatabaseLock): void {
    conn.lock(lock.name).then((locked) => {
      if (this.conn !== conn || this.locks.get(lock.name) !== lock) return;
      if (locked) this.set(lock, true);
    }, (err: Error) => { if (!conn.isClosed) this.options.warning(err); });
  }

  private notified(conn: OvsdbProtocol, name: string, held: boolean): void {
    if (this.conn !== conn) return;
    const lock = this.locks.get(name);
    if (!lock) return;
    this.set(lock, held);
    // After a steal we queue for the lock again, so it comes back when the thief releases it.
    if (!held) this.request(conn, lock);
  }

  private set(lock: DatabaseLock, held: boolean): void {
    if (lock.held === held) return;
    lock.setHeld(held);
    this.options.changed(lock.name, held);
  }
}
