// Finding a usable member without polling. Every member of the remote list is opened at once, and on each a
// small `_Server` monitor watches the role columns of our database's row (model, connected, leader): they
// change only when a role changes, so the watch costs nothing per commit, and the row flips the moment the
// member wins an election (ovsdb-server updates `_Server` in the same main-loop turn). The first member whose
// row looks usable (ClusterMemberChooser.prejudge) is handed over; the caller then reads the full `_Server` row
// (schema, RAFT index) on it and judges it for real.
//
// A member that refuses (a killed server's port is closed) fails at once and never delays the others; one that
// accepts but never answers (SIGSTOPped) only ties up its own channel until the call timeout or the probe.
// With `keepWatching` the other members stay watched while the chosen one is in use, so after it drops the new
// leader is known as soon as it is elected; without it they are closed once a member is chosen.
import { defaultProbeIntervalMs, probeConnection, type InactivityProbe } from './probe.js';
import { RemoteRotation } from './reconnect.js';
import type { ClusterMemberChooser, MemberRole, MemberVerdict } from './cluster-member.js';
import { OvsdbRpcError } from './errors.js';
import type { Json, JsonObject } from './json.js';
import { OvsdbProtocol, type ProtocolEvents } from './protocol.js';
import type { RpcChannel } from './rpc-channel.js';

/** The monitor id of the watch on each member's `_Server` database. */
export const WATCH_MONITOR_ID = '_Server-watch';
const WATCH_COLUMNS = ['name', 'model', 'connected', 'leader'];

export interface MemberWatchOptions {
  readonly remotes: readonly string[];
  readonly database: string;
  readonly chooser: ClusterMemberChooser;
  readonly open: (remote: string) => Promise<RpcChannel>;
  /** Timeout of the `_Server` monitor request. */
  readonly callTimeoutMs: number;
  /** Inactivity probe of the watch channels (0 = off). */
  /** undefined: per remote (defaultProbeIntervalMs). */
  readonly probeIntervalMs: number | undefined;
  /** Keep watching the other members while one is in use (default true). */
  readonly keepWatching?: boolean;
  readonly shuffle?: boolean;
  /** Random source of the shuffle and the reopen jitter (tests). */
  readonly random?: () => number;
  /** A member was tried and is not usable now (reported once per reason). */
  readonly onSkip?: (remote: string, reason: string) => void;
  /** A connection to a member is being opened. */
  readonly onOpen?: (remote: string) => void;
  /**
   * A member answered `list_dbs` without our database (a definite answer: it is not configured to serve it),
   * or with it again (`databases` includes it). The member is not chosen while it does not serve it.
   */
  readonly onListing?: (remote: string, databases: readonly string[]) => void;
  /**
   * A watched member's row turned to leader (and connected) in an update: it has just won an election, so it
   * leads a newer term than any leader known before. The member in use, if another, is a former leader (a
   * frozen one keeps its socket and its stale row, and only a probe would notice it otherwise).
   */
  readonly onElected?: (remote: string) => void;
  /**
   * A member's role columns as its watch sees them, after every change; undefined once it is not watched (its
   * channel dropped, or was handed over). The loop tells a relay cut off from its source by it.
   */
  readonly onRole?: (remote: string, role: MemberRole | undefined) => void;
}

interface WatchedMember {
  readonly remote: string;
  conn: OvsdbProtocol | undefined;
  /** The watch's listener on `conn` (removed when the connection is handed over). */
  onUpdate: ((...args: ProtocolEvents['update']) => void) | undefined;
  opening: boolean;
  probe: InactivityProbe | undefined;
  /** The row's role columns by uuid (one row: ours); `null` = the server has no `_Server` (take it as it is). */
  rows: Map<string, MemberRole> | null | undefined;
  /**
   * Updates of the watch that arrived before `rows` was set (applied then, in order): an update can share a read
   * with the monitor's reply, and is dispatched before the code awaiting that reply runs.
   */
  early: Json[];
  /** Not opened again (and not chosen) before this Date.now(). */
  notBefore: number;
  /** Consecutive failures to open or to answer. */
  failures: number;
  lastReason: string | undefined;
}

/**
 * The wait between re-opening attempts of a member that refused or died: 100 ms doubling to 2 s, with equal
 * jitter so that the clients of a server that just died do not come back in lockstep.
 */
function reopenDelay(failures: number, random: () => number): number {
  const ceiling = Math.min(2000, 100 * 2 ** Math.max(0, failures - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** The longest find() waits without any news before it looks again (a safety net; news normally wakes it). */
const MAX_QUIET_MS = 1000;

export class MemberWatch {
  private readonly members: WatchedMember[];
  private readonly rotation: RemoteRotation;
  private readonly keepWatching: boolean;
  private wakeUp: (() => void) | undefined;
  private closed = false;

  constructor(private readonly options: MemberWatchOptions) {
    this.members = options.remotes.map((remote) => ({
      remote, conn: undefined, onUpdate: undefined, opening: false, probe: undefined, rows: undefined, early: [], notBefore: 0, failures: 0, lastReason: undefined,
    }));
    this.rotation = new RemoteRotation(options.remotes, options.shuffle ?? true, options.random ?? Math.random);
    this.keepWatching = options.keepWatching ?? true;
  }

  /** Members with an open watch channel (for tests and diagnostics). */
  get watching(): string[] {
    return this.members.filter((m) => m.conn && !m.opening).map((m) => m.remote);
  }

  /**
   * Resolves with an open connection to a member whose role looks usable, preferring others over `avoid` (the one
   * that just dropped). Resolves undefined when no member could be reached at all (the caller backs off), or
   * after close().
   */
  async find(avoid?: string): Promise<OvsdbProtocol | undefined> {
    this.rotation.startPass(avoid);
    const order: string[] = [];
    for (let r = this.rotation.next(); r !== undefined; r = this.rotation.next()) order.push(r);
    const byOrder = order.map((r) => this.members.find((m) => m.remote === r)!);
    const tried = new Set<WatchedMember>();
    for (;;) {
      if (this.closed) return undefined;
      const now = Date.now();
      for (const m of byOrder) {
        if (m.conn || m.opening) tried.add(m);
        else if (now >= m.notBefore) { tried.add(m); this.openMember(m); }
      }
      const pick = this.pick(byOrder, avoid);
      if (pick) return this.handOver(pick);
      const answered = byOrder.some((m) => m.conn && m.rows !== undefined);
      const pending = byOrder.some((m) => m.opening);
      // Every member was tried in this call and none is there: let the caller back off.
      if (!answered && !pending && byOrder.every((m) => tried.has(m))) return undefined;
      const waits = byOrder.filter((m) => m.notBefore > now && !m.opening).map((m) => m.notBefore - now);
      await this.news(Math.max(5, Math.min(MAX_QUIET_MS, ...waits)));
    }
  }

  /** Keeps `remote` from being chosen (and re-opened) for `ms`: a full look found it unusable. */
  holdOff(remote: string, ms: number): void {
    const m = this.members.find((x) => x.remote === remote);
    if (m) m.notBefore = Math.max(m.notBefore, Date.now() + ms);
  }

  /** Closes every watch channel; a pending find() resolves undefined. */
  close(): void {
    this.closed = true;
    for (const m of this.members) this.drop(m);
    this.wakeUp?.();
  }

  private pick(byOrder: readonly WatchedMember[], avoid: string | undefined): WatchedMember | undefined {
    let avoided: WatchedMember | undefined;
    const now = Date.now();
    for (const m of byOrder) {
      if (!m.conn || m.rows === undefined || now < m.notBefore) continue;
      const verdict = this.verdict(m);
      if (!verdict.usable) {
        this.report(m, verdict.reason);
        continue;
      }
      if (m.remote === avoid) avoided = m;
      else return m;
    }
    // The member that just dropped only when nothing else can still turn up.
    if (avoided && !byOrder.some((m) => m.opening)) return avoided;
    return undefined;
  }

  private verdict(m: WatchedMember): MemberVerdict {
    if (m.rows === null) return { usable: true };
    const row = m.rows?.values().next().value;
    return this.options.chooser.prejudge(row);
  }

  private report(m: WatchedMember, reason: string): void {
    if (m.lastReason === reason) return;
    m.lastReason = reason;
    this.options.onSkip?.(m.remote, reason);
  }

  /** Detaches the member's connection from the watch and gives it to the caller; the rest stay or are closed. */
  private handOver(m: WatchedMember): OvsdbProtocol {
    const conn = this.detach(m)!;
    m.lastReason = undefined;
    m.failures = 0;
    conn.monitorCancel(WATCH_MONITOR_ID).catch(() => undefined);
    if (!this.keepWatching) for (const other of this.members) this.drop(other);
    return conn;
  }

  private drop(m: WatchedMember): void {
    m.lastReason = undefined;
    void this.detach(m)?.close();
  }

  /** Stops watching the member's connection (its probe, its listener) and returns it. */
  private detach(m: WatchedMember): OvsdbProtocol | undefined {
    m.probe?.stop();
    m.probe = undefined;
    const conn = m.conn;
    if (conn && m.onUpdate) conn.off('update', m.onUpdate);
    m.conn = undefined;
    m.onUpdate = undefined;
    if (m.rows) this.options.onRole?.(m.remote, undefined);
    m.rows = undefined;
    m.early = [];
    return conn;
  }

  private news(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.wakeUp = undefined; resolve(); }, ms);
      this.wakeUp = () => { clearTimeout(timer); this.wakeUp = undefined; resolve(); };
    });
  }

  private signal(): void {
    this.wakeUp?.();
  }

  private failed(m: WatchedMember, reason: string): void {
    m.failures++;
    m.notBefore = Date.now() + reopenDelay(m.failures, this.options.random ?? Math.random);
    this.report(m, reason);
  }

  private openMember(m: WatchedMember): void {
    m.opening = true;
    this.options.onOpen?.(m.remote);
    void (async () => {
      let conn: OvsdbProtocol | undefined;
      try {
        const ch = await this.options.open(m.remote);
        if (this.closed) { ch.close(); return; }
        const own = new OvsdbProtocol(ch);
        conn = own;
        m.conn = own;
        m.onUpdate = (id, updates, version) => this.onUpdate(m, own, id, updates, version);
        own.on('update', m.onUpdate);
        const probeIntervalMs = this.options.probeIntervalMs ?? defaultProbeIntervalMs(m.remote);
        if (probeIntervalMs > 0) m.probe = probeConnection(own, probeIntervalMs);
        void ch.closed.then((reason) => {
          if (m.conn !== own) return;
          this.detach(m);
          if (!this.closed) this.failed(m, reason.message);
          this.signal();
        });
        const timeoutMs = this.options.callTimeoutMs;
        // Sent together with the monitor (no extra round trip): which databases does this server serve at all?
        const listing = own.listDbs({ timeoutMs }).catch(() => undefined);
        let rows: Map<string, MemberRole> | null;
        try {
          const watch = await own.monitorCond('_Server', { Database: { columns: WATCH_COLUMNS, where: [['name', '==', this.options.database]] } },
            { id: WATCH_MONITOR_ID, timeoutMs });
          rows = new Map();
          applyRoleUpdate(rows, watch.initialJson);
        } catch (err) {
          if (!(err instanceof OvsdbRpcError)) throw err;
          rows = null; // an old server without _Server: take it as it is
        }
        const databases = await listing;
        if (databases) {
          this.options.onListing?.(m.remote, databases);
          if (!databases.includes(this.options.database)) throw new Error(`the server does not serve ${this.options.database} (list_dbs: ${databases.join(', ')})`);
        }
        // ovsdb-server answers the monitor request before it sends any update of that monitor; updates that came
        // with the reply, or while list_dbs was awaited, wait in `early`.
        if (m.conn === own) {
          if (rows) for (const update of m.early) applyRoleUpdate(rows, update);
          m.early = [];
          m.rows = rows;
          m.failures = 0;
          if (rows) this.options.onRole?.(m.remote, rows.values().next().value);
        }
      } catch (err) {
        if (conn && m.conn === conn) void this.detach(m)?.close();
        if (!this.closed) this.failed(m, (err as Error).message);
      } finally {
        m.opening = false;
        this.signal();
      }
    })();
  }

  private onUpdate(m: WatchedMember, conn: OvsdbProtocol, id: Json, updates: Json, version: number): void {
    if (m.conn !== conn || version !== 2 || id !== WATCH_MONITOR_ID || m.rows === null) return;
    if (m.rows === undefined) { m.early.push(updates); return; }
    const wasLeader = isLeader(m.rows);
    applyRoleUpdate(m.rows, updates);
    this.options.onRole?.(m.remote, m.rows.values().next().value);
    m.lastReason = undefined;
    if (!wasLeader && isLeader(m.rows)) this.options.onElected?.(m.remote);
    this.signal();
  }
}

/** The member's row (ours) says it is the connected leader. */
function isLeader(rows: ReadonlyMap<string, MemberRole>): boolean {
  for (const row of rows.values()) if (row.leader && row.connected && row.model === 'clustered') return true;
  return false;
}

/** Applies a `monitor_cond` reply or an `update2` of the watch to the role rows (update2 omits default values). */
function applyRoleUpdate(rows: Map<string, MemberRole>, update: Json): void {
  const table = (update as JsonObject | null)?.Database;
  if (!table || typeof table !== 'object' || Array.isArray(table)) return;
  for (const [uuid, change] of Object.entries(table as JsonObject)) {
    const c = change as JsonObject | null;
    if (!c || typeof c !== 'object') continue;
    const full = (c.initial ?? c.insert) as JsonObject | undefined;
    if (full) rows.set(uuid, { model: 'standalone', connected: false, leader: false, ...roleColumns(full) });
    else if (c.modify && rows.has(uuid)) rows.set(uuid, { ...rows.get(uuid)!, ...roleColumns(c.modify as JsonObject) });
    else if ('delete' in c) rows.delete(uuid);
  }
}

function roleColumns(o: JsonObject): Partial<MemberRole> {
  const out: { -readonly [K in keyof MemberRole]?: MemberRole[K] } = {};
  if (typeof o.model === 'string') out.model = o.model as MemberRole['model'];
  if (typeof o.connected === 'boolean') out.connected = o.connected;
  if (typeof o.leader === 'boolean') out.leader = o.leader;
  return out;
}
