// The chosen member's own `_Server` row for our database, monitored on the connection in use: its first state
// decides whether the member is used (ClusterMemberChooser.judge: connected, joined, the leader when leader-only,
// not behind), and it carries the schema, so no get_schema is needed. Every later change is judged again, so a
// member that loses leadership or its cluster is left at once.
import type { ClusterMemberChooser, ServerDatabaseRow } from './cluster-member.js';
import { OvsdbRpcError } from './errors.js';
import type { Json } from './json.js';
import type { UpdateVersion } from './monitor-format.js';
import type { OvsdbProtocol, ProtocolEvents } from './protocol.js';
import { Replica } from './replica.js';
import { SERVER_SCHEMA } from './server-schema.js';

/** The monitor id of the `_Server` row on the connection in use. */
export const MEMBER_ROW_MONITOR_ID = '_Server';
const COLUMNS = ['name', 'model', 'connected', 'leader', 'schema', 'index', 'cid', 'sid'];

export class MemberRow {
  /**
   * Monitors the row on `conn`. Resolves with undefined when the server has no `_Server` database (an old
   * server: take it as it is).
   */
  static async open(conn: OvsdbProtocol, database: string, timeoutMs: number): Promise<MemberRow | undefined> {
    const row = new MemberRow(conn, database);
    try {
      await row.monitor(timeoutMs);
    } catch (err) {
      row.dispose();
      if (err instanceof OvsdbRpcError) return undefined;
      throw err;
    }
    return row;
  }

  private readonly replica = new Replica(SERVER_SCHEMA);
  /** Updates that arrived before the monitor's reply (applied after it). */
  private queue: { version: UpdateVersion; updates: Json }[] | undefined = [];
  private readonly onUpdate: (...args: ProtocolEvents['update']) => void;
  private judging: ((reason: string) => void) | undefined;
  private chooser: ClusterMemberChooser | undefined;

  private constructor(private readonly conn: OvsdbProtocol, private readonly database: string) {
    this.replica.addTable('Database', { columns: COLUMNS });
    this.onUpdate = (id, updates, version) => { if (id === MEMBER_ROW_MONITOR_ID) this.update(version, updates); };
    conn.on('update', this.onUpdate);
  }

  /** The row as it is now (undefined: the server does not serve our database). */
  get row(): ServerDatabaseRow | undefined {
    for (const row of this.replica.table('Database').rows.values()) if (row.name === this.database) return row as unknown as ServerDatabaseRow;
    return undefined;
  }

  /** From now on judges every change of the row with `chooser` and reports (why) a member is no longer usable. */
  judgeChanges(chooser: ClusterMemberChooser, unusable: (reason: string) => void): void {
    this.chooser = chooser;
    this.judging = unusable;
  }

  /** Stops following the row (the connection ended or was not used). */
  dispose(): void {
    this.judging = undefined;
    this.conn.off('update', this.onUpdate);
  }

  private async monitor(timeoutMs: number): Promise<void> {
    const m = await this.conn.monitorCond('_Server', { Database: { columns: COLUMNS, where: [['name', '==', this.database]] } },
      { id: MEMBER_ROW_MONITOR_ID, timeoutMs });
    this.replica.replaceTables(2, m.initialJson, ['Database'], undefined);
    const queued = this.queue ?? [];
    this.queue = undefined;
    for (const q of queued) this.replica.applyUpdates(q.version, q.updates, undefined);
  }

  private update(version: UpdateVersion, updates: Json): void {
    if (this.queue) { this.queue.push({ version, updates }); return; }
    if (version !== 2) return;
    try {
      this.replica.applyUpdates(2, updates, undefined);
    } catch (err) {
      this.conn.channel.close(err as Error);
      return;
    }
    if (!this.judging || !this.chooser) return;
    const verdict = this.chooser.judge(this.row);
    if (!verdict.usable) this.judging(verdict.reason);
  }
}
