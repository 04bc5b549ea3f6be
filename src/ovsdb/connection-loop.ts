// The life of the replica's connection, separate from what the replica does on it: find a member (every member
// of the remote list opened at once, member-watch.ts), probe it, read its own `_Server` row and keep it only when
// it is usable (member-row.ts), hand it to the owner for setup (schema, monitors, locks), open the gate for
// requests, notice its end (a drop, the probe, the row no longer usable), back off when no member answers at all,
// and begin again. Requests wait at the gate (whenReady) while there is no usable connection.
import { ClusterMemberChooser, type MemberRole, type MemberVerdict, type ServerDatabaseRow } from './cluster-member.js';
import { OvsdbConnectionClosedError, OvsdbRelayNotConnectedError, OvsdbUnknownDatabaseError } from './errors.js';
import { MemberRow } from './member-row.js';
import { MemberWatch } from './member-watch.js';
import { defaultProbeIntervalMs, probeConnection } from './probe.js';
import type { OvsdbProtocol } from './protocol.js';
import { Backoff, type BackoffOptions } from './reconnect.js';
import type { RpcChannel } from './rpc-channel.js';

/** Where the connection is. `connected` means monitors established and transactions flowing. */
export type ConnectionState = 'connecting' | 'connected' | 'backoff' | 'closed';

export interface StateDetail { readonly remote?: string; readonly delayMs?: number; readonly reason?: Error }

export interface ConnectionLoopOptions {
  readonly remotes: readonly string[];
  readonly database: string;
  readonly open: (remote: string) => Promise<RpcChannel>;
  readonly leaderOnly: boolean;
  /** undefined: per remote (defaultProbeIntervalMs). */
  readonly probeIntervalMs: number | undefined;
  readonly setupTimeoutMs: number;
  readonly backoff?: BackoffOptions;
  readonly shuffleRemotes: boolean;
  readonly watchMembers: boolean;
}

/** Counters the loop keeps (a slice of DatabaseStats). */
export interface ConnectionStats {
  connects: number;
  reconnects: number;
  disconnects: number;
  skippedMembers: number;
}

/** What the loop's owner (OvsdbDatabase) does with a connection and hears about it. */
export interface ConnectionOwner {
  /**
   * Sets up a chosen member (`row`: its `_Server` row, undefined on a server without `_Server`). Resolves once
   * it may serve requests; the loop then opens the gate (open()).
   */
  setup(conn: OvsdbProtocol, row: ServerDatabaseRow | undefined): Promise<void>;
  /** The gate is open on `conn` (after setup, or again after a re-monitor). */
  opened(conn: OvsdbProtocol): void;
  /** The connection ended or was not used: forget what belonged to it. */
  teardown(conn: OvsdbProtocol): void;
  /** Nothing will ever serve the database as configured: the loop has stopped. */
  failed(error: Error): void;
  /** Something the caller should know while the loop keeps trying (a relay cut off from its source). */
  warning(error: Error): void;
  state(state: ConnectionState, detail: StateDetail): void;
  chosen(remote: string): void;
  skipped(remote: string, reason: string): void;
  disconnected(remote: string, reason: Error): void;
}

interface Waiter {
  resolve: (conn: OvsdbProtocol) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

export class ConnectionLoop {
  private readonly chooser: ClusterMemberChooser;
  private readonly backoff: Backoff;
  private readonly watch: MemberWatch;
  private stateValue: ConnectionState = 'connecting';
  /** The connection being set up or in use. */
  private current: OvsdbProtocol | undefined;
  private memberRow: MemberRow | undefined;
  /** Set while requests may go to `current`. */
  private gateOpen = false;
  /** The last connection counted in `connects` (a re-monitor opens the gate again on the same one). */
  private counted: OvsdbProtocol | undefined;
  private waiters: Waiter[] = [];
  private closing = false;
  private wake: (() => void) | undefined;
  /** Members whose `list_dbs` lacks our database, with what they serve. */
  private readonly notServing = new Map<string, readonly string[]>();
  /** Relays of the list whose `_Server` row says they are not connected to their source, since when (Date.now()). */
  private readonly sourceless = new Map<string, number>();
  /** Those of them already reported (a warning per relay and episode). */
  private readonly sourcelessReported = new Set<string>();
  private sourcelessTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ConnectionLoopOptions, private readonly owner: ConnectionOwner, private readonly stats: ConnectionStats) {
    this.chooser = new ClusterMemberChooser(options.leaderOnly);
    this.backoff = new Backoff(options.backoff);
    this.watch = new MemberWatch({
      remotes: options.remotes, database: options.database, chooser: this.chooser, open: options.open,
      callTimeoutMs: options.setupTimeoutMs, probeIntervalMs: options.probeIntervalMs, shuffle: options.shuffleRemotes,
      keepWatching: options.watchMembers,
      onSkip: (remote, reason) => this.skip(remote, reason),
      onListing: (remote, databases) => this.onListing(remote, databases),
      onElected: (remote) => this.onElected(remote),
      onRole: (remote, role) => this.onRole(remote, role),
    });
  }

  get state(): ConnectionState {
    return this.stateValue;
  }

  /** The connection requests may go to now, if any. */
  get ready(): OvsdbProtocol | undefined {
    return this.gateOpen && this.current && !this.current.isClosed ? this.current : undefined;
  }

  /** The connection being set up or in use (whether `conn` is still it). */
  isCurrent(conn: OvsdbProtocol): boolean {
    return this.current === conn;
  }

  start(): void {
    void this.run();
  }

  /** Resolves with a connection whose monitors are established (now or after the next connect, up to `waitMs`). */
  whenReady(waitMs?: number): Promise<OvsdbProtocol> {
    if (this.closing) return Promise.reject(new OvsdbConnectionClosedError(undefined, 'the database was closed'));
    const ready = this.ready;
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const w: Waiter = { resolve, reject, timer: undefined };
      if (waitMs !== undefined) {
        w.timer = setTimeout(() => {
          this.waiters = this.waiters.filter((x) => x !== w);
          reject(new OvsdbConnectionClosedError(undefined, `no usable member within ${waitMs} ms`));
        }, waitMs);
      }
      this.waiters.push(w);
    });
  }

  /** Requests wait from now on (a re-monitor on the same connection is under way). */
  hold(conn: OvsdbProtocol): void {
    if (this.current !== conn) return;
    this.gateOpen = false;
    this.setState('connecting', { remote: conn.remote });
  }

  /** Requests may go to `conn` (set up, or monitored again). */
  open(conn: OvsdbProtocol): void {
    if (this.current !== conn || conn.isClosed) return;
    this.gateOpen = true;
    if (this.counted !== conn) {
      this.counted = conn;
      if (this.stats.connects++ > 0) this.stats.reconnects++;
    }
    this.setState('connected', { remote: conn.remote });
    this.owner.opened(conn);
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) {
      if (w.timer) clearTimeout(w.timer);
      w.resolve(conn);
    }
  }

  /** Stops everything: the connection is closed, waiting requests reject with `err`. */
  async close(err: Error, reason?: Error): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.wake?.();
    this.watch.close();
    clearTimeout(this.sourcelessTimer);
    const closed = this.current?.close();
    for (const w of this.waiters) { if (w.timer) clearTimeout(w.timer); w.reject(err); }
    this.waiters = [];
    this.setState('closed', reason ? { reason } : {});
    await closed;
  }

  private setState(state: ConnectionState, detail: StateDetail): void {
    if (this.stateValue === 'closed') return;
    this.stateValue = state;
    this.owner.state(state, detail);
  }

  private skip(remote: string, reason: string): void {
    this.stats.skippedMembers++;
    this.owner.skipped(remote, reason);
  }

  /**
   * A member's `list_dbs`. Before the first connection, when every member of the list has answered without our
   * database, nothing will ever serve it as configured: fail now rather than at a caller's timeout. Once
   * connected, a member that stops serving it is only skipped.
   */
  private onListing(remote: string, databases: readonly string[]): void {
    if (databases.includes(this.options.database)) { this.notServing.delete(remote); return; }
    this.notServing.set(remote, databases);
    if (this.stats.connects > 0 || this.notServing.size < this.options.remotes.length) return;
    this.owner.failed(new OvsdbUnknownDatabaseError(this.options.database, new Map(this.notServing)));
  }

  /**
   * A member's role as its watch sees it. A relay says `connected: false` while it cannot replicate from its
   * source, and never why: pointed at a wrong remote it says so forever. Once a relay has said it for the setup
   * timeout it is reported (a `warning`, once per episode) while the loop keeps trying; when every remote of the
   * list is such a relay before the first connection, nothing will serve the database: fail with that error
   * rather than leave the caller waiting on `synced`.
   */
  private onRole(remote: string, role: MemberRole | undefined): void {
    if (role?.model === 'relay' && !role.connected) {
      if (!this.sourceless.has(remote)) this.sourceless.set(remote, Date.now());
    } else {
      this.sourceless.delete(remote);
      this.sourcelessReported.delete(remote);
    }
    this.judgeSourceless();
  }

  private judgeSourceless(): void {
    clearTimeout(this.sourcelessTimer);
    this.sourcelessTimer = undefined;
    if (this.closing || this.sourceless.size === 0) return;
    const waitMs = this.options.setupTimeoutMs;
    const now = Date.now();
    let nextDue = Infinity;
    const due: string[] = [];
    for (const [remote, since] of this.sourceless) {
      if (now - since >= waitMs) due.push(remote);
      else nextDue = Math.min(nextDue, since + waitMs - now);
    }
    if (this.stats.connects === 0 && due.length === this.options.remotes.length) {
      this.owner.failed(new OvsdbRelayNotConnectedError(this.options.database, due, waitMs));
      return;
    }
    for (const remote of due) {
      if (this.sourcelessReported.has(remote)) continue;
      this.sourcelessReported.add(remote);
      this.owner.warning(new OvsdbRelayNotConnectedError(this.options.database, [remote], waitMs));
    }
    if (nextDue < Infinity) {
      this.sourcelessTimer = setTimeout(() => this.judgeSourceless(), nextDue);
      this.sourcelessTimer.unref();
    }
  }

  /**
   * Another member was just elected leader: when leader-only, the member in use (set up or serving) is a leader
   * of an older term, perhaps frozen (SIGSTOPped: its socket open, its row stale), so leave it now rather than
   * when the probe gives up on it. The loop then takes the new leader, already watched.
   */
  private onElected(remote: string): void {
    const conn = this.current;
    if (!this.options.leaderOnly || !conn || conn.isClosed || conn.remote === remote) return;
    conn.channel.close(new OvsdbConnectionClosedError(undefined, `${remote} was elected leader of a newer term; leaving ${conn.remote}`));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => { this.wake = undefined; resolve(); }, ms);
      this.wake = () => { clearTimeout(t); this.wake = undefined; resolve(); };
    });
  }

  private async run(): Promise<void> {
    let avoid: string | undefined;
    while (!this.closing) {
      // Every member at once; the first whose `_Server` role looks usable comes back (member-watch.ts).
      this.setState('connecting', {});
      const conn = await this.watch.find(avoid);
      if (this.closing) { void conn?.close(); break; }
      if (!conn) {
        // No member answered at all: wait, growing, then open them all again.
        const delayMs = this.backoff.next();
        this.setState('backoff', { delayMs });
        await this.sleep(delayMs);
        continue;
      }
      const remote = conn.remote;
      this.setState('connecting', { remote });
      const probe = probeConnection(conn, this.options.probeIntervalMs ?? defaultProbeIntervalMs(remote));
      let verdict: MemberVerdict;
      try {
        verdict = await this.establish(conn);
      } catch (err) {
        verdict = { usable: false, reason: (err as Error).message, follower: false };
      }
      if (!verdict.usable) {
        probe.stop();
        void conn.close();
        this.teardown(conn);
        // Not chosen again before its role changes or a while passed: briefly for a follower (stale index
        // during an election), growing for a member that fails its setup.
        this.watch.holdOff(remote, verdict.follower ? this.backoff.nextElectionPoll() : this.backoff.next());
        this.skip(remote, verdict.reason);
        continue;
      }
      // Established (`connected` was emitted; counted there): from here on its end is a disconnect, even when it
      // came before this loop got to run again.
      this.backoff.reset();
      const reason = await conn.channel.closed;
      probe.stop();
      this.teardown(conn);
      if (!this.closing) {
        this.stats.disconnects++;
        this.owner.disconnected(remote, reason);
      }
      avoid = remote;
    }
  }

  /** The member's own `_Server` row first (is it usable?), then the owner's setup, then the gate opens. */
  private async establish(conn: OvsdbProtocol): Promise<MemberVerdict> {
    this.current = conn;
    const row = await MemberRow.open(conn, this.options.database, this.options.setupTimeoutMs);
    this.memberRow = row;
    if (row) {
      const verdict = this.chooser.judge(row.row);
      if (!verdict.usable) return verdict;
    }
    this.owner.chosen(conn.remote);
    await this.owner.setup(conn, row?.row);
    if (conn.isClosed || this.current !== conn) return { usable: false, reason: 'the connection ended during setup', follower: false };
    row?.judgeChanges(this.chooser, (reason) => conn.channel.close(new OvsdbConnectionClosedError(undefined, `member no longer usable: ${reason}`)));
    this.open(conn);
    return { usable: true };
  }

  private teardown(conn: OvsdbProtocol): void {
    if (this.current !== conn) return;
    this.current = undefined;
    this.gateOpen = false;
    this.memberRow?.dispose();
    this.memberRow = undefined;
    this.owner.teardown(conn);
  }
}
