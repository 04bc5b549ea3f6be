// Opening the replica src/ovn runs on: an OvsdbDatabase (src/ovsdb/database.ts) of the tables a module reads,
// with the indexes it looks rows up by, resolved once the initial state is in. Either a new one from remotes
// (it reconnects, follows the RAFT leader and resumes on its own), or an OvsdbDatabase the agent already has,
// to which the missing tables and indexes are added.
import { OvsdbDatabase, type MonitorTables, type OvsdbDatabaseOptions } from '../ovsdb/database.js';
import type { IndexSpec } from '../ovsdb/replica.js';
import { OvnSyncTimeoutError, OvnWrongDatabaseError } from './errors.js';

/** How to reach a database: a remote list (`"tcp:H:P,tcp:H:P"` or an array), options, or an open OvsdbDatabase. */
export type DatabaseTarget<T extends object> = string | readonly string[] | ReplicaOptions<T> | OvsdbDatabase<T>;

/** OvsdbDatabase options without what src/ovn decides (database name, tables). */
export interface ReplicaOptions<T extends object> extends Omit<OvsdbDatabaseOptions<T>, 'database' | 'tables' | 'monitors'> {
  /**
   * Reject (and close the database) when the initial state is not in within this time; the error names the
   * last reason a member was skipped. Default 30 s; `Infinity` waits for the servers to come up.
   */
  readonly syncTimeoutMs?: number;
}

/** What one src/ovn module needs of a database: its tables (with columns) and named indexes. */
export interface ReplicaSpec<T extends object> {
  readonly database: string;
  readonly tables: MonitorTables<T>;
}

const DEFAULT_SYNC_TIMEOUT_MS = 30_000;

async function waitSynced<T extends object>(db: OvsdbDatabase<T>, timeoutMs: number): Promise<void> {
  if (!Number.isFinite(timeoutMs)) { await db.synced; return; }
  let lastSkip = '';
  const onSkip = (info: { remote: string; reason: string }): void => { lastSkip = `${info.remote}: ${info.reason}`; };
  db.on('skipped', onSkip);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      db.synced,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new OvnSyncTimeoutError(
          `${db.database} at ${db.remotes.join(',')}: not synced within ${timeoutMs} ms${lastSkip ? ` (last: ${lastSkip})` : ''}`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    db.off('skipped', onSkip);
  }
}

/** Adds to an open database the tables (one new monitor) and indexes of `spec` it lacks. */
async function complete<T extends object>(db: OvsdbDatabase<T>, spec: ReplicaSpec<T>): Promise<void> {
  if (db.database !== spec.database) throw new OvnWrongDatabaseError(spec.database, db.database);
  await db.synced;
  const missing: Record<string, unknown> = {};
  const present: string[] = [];
  for (const [table, options] of Object.entries(spec.tables)) {
    try { db.table(table as keyof T & string); present.push(table); } catch { missing[table] = options; }
  }
  if (Object.keys(missing).length > 0) await db.addMonitor(missing as MonitorTables<T>);
  for (const table of present) {
    const declared = (spec.tables as Record<string, { indexes?: Record<string, IndexSpec> }>)[table].indexes ?? {};
    const view = db.table(table as keyof T & string);
    for (const [name, index] of Object.entries(declared)) if (!view.indexNames().includes(name)) db.addIndex(table as keyof T & string, name, index);
  }
}

/** Opens (or completes) the replica of `spec` and resolves once it holds the initial state. */
export async function openReplica<T extends object>(target: DatabaseTarget<T>, spec: ReplicaSpec<T>): Promise<OvsdbDatabase<T>> {
  if (target instanceof OvsdbDatabase) {
    await complete(target, spec);
    return target;
  }
  const options: ReplicaOptions<T> = typeof target === 'string' || Array.isArray(target)
    ? { remotes: target as string | readonly string[] } : target as ReplicaOptions<T>;
  const { syncTimeoutMs, ...rest } = options;
  const db = OvsdbDatabase.connect<T>({ ...rest, database: spec.database, tables: spec.tables });
  try {
    await waitSynced(db, syncTimeoutMs ?? DEFAULT_SYNC_TIMEOUT_MS);
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}
