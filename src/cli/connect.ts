// Connects to every database a list of remotes serves, for the REPL and the commands: `list_dbs` on each remote
// (a lab, or a node, serves OVN_Northbound, OVN_Southbound and Open_vSwitch from different servers), then one
// replica (OvsdbDatabase) per database over every remote that serves it. Several remotes serving one database
// are the members of a cluster: the replica uses only the leader among them (no stale reads, writes need no
// forwarding) and follows it through elections. A single remote is used whatever its role, as ovsdb-client does.
import { OvsdbClient } from '../ovsdb/client.js';
import { OvsdbDatabase, type MonitorTables } from '../ovsdb/database.js';
import { parseRemotes, type TlsOptions } from '../ovsdb/remote.js';
import type { DatabaseSchema } from '../ovsdb/schema.js';
import type { Row } from '../ovsdb/datum.js';
import { CliError } from './cli-error.js';
import { DbHandle } from './db-handle.js';

export interface ConnectDatabasesOptions {
  tls?: TlsOptions;
  connectTimeoutMs?: number;
  /** Called with one line per remote that could not be used while others could. */
  warn?: (line: string) => void;
  /**
   * Which tables to replicate, by database name (default: every table of every database, as the REPL wants).
   * A database not named here gets every table; `[]` replicates none (transactions only).
   */
  tables?: Readonly<Record<string, readonly string[]>>;
  /** Replica inactivity probe (default 5000 ms; 0 = off). */
  probeIntervalMs?: number;
  /** How long to wait for each replica's initial state (default 10 s). */
  syncTimeoutMs?: number;
  /** Open replicas of these databases only (a one-shot command); the others are only listed in `served`. */
  only?: readonly string[];
}

export interface Databases {
  /** By database name (`OVN_Northbound`, ...), `_Server` excluded. */
  readonly byName: ReadonlyMap<string, DbHandle>;
  /** Every database the remotes serve (also those not opened because of `only`). */
  readonly served: readonly string[];
  close(): Promise<void>;
}

interface Served { remotes: string[]; schema: DatabaseSchema }

/** Which remotes serve which database (list_dbs and get_schema on each, in parallel); failures as lines. */
async function survey(remotes: string, options: ConnectDatabasesOptions): Promise<{ served: Map<string, Served>; failures: string[] }> {
  const list = parseRemotes(remotes);
  const served = new Map<string, Served>();
  const failures: string[] = [];
  const attempts = await Promise.allSettled(list.map(async (remote) => {
    const client = await OvsdbClient.connect(remote.text, { tls: options.tls, connectTimeoutMs: options.connectTimeoutMs ?? 5000 });
    try {
      const dbs = (await client.listDbs({ timeoutMs: 10_000 })).filter((d) => d !== '_Server');
      const schemas = await Promise.all(dbs.map((d) => client.getSchema(d)));
      return { dbs, schemas };
    } finally {
      await client.close();
    }
  }));
  for (const [i, attempt] of attempts.entries()) {
    if (attempt.status === 'rejected') {
      const reason: unknown = attempt.reason;
      failures.push(reason instanceof Error ? reason.message : String(reason));
      continue;
    }
    const { dbs, schemas } = attempt.value;
    if (dbs.length === 0) failures.push(`${list[i].text} serves no database`);
    dbs.forEach((db, k) => {
      const entry = served.get(db);
      if (entry) entry.remotes.push(list[i].text);
      else served.set(db, { remotes: [list[i].text], schema: schemas[k] });
    });
  }
  return { served, failures };
}

/** Resolves when the replica has its initial state; rejects (and closes it) after `timeoutMs`, naming why. */
async function synced(db: OvsdbDatabase, timeoutMs: number): Promise<void> {
  let last = '';
  const onSkip = (info: { remote: string; reason: string }): void => { last = `${info.remote}: ${info.reason}`; };
  const onDown = (info: { remote: string; reason: Error }): void => { last = `${info.remote}: ${info.reason.message}`; };
  db.on('skipped', onSkip);
  db.on('disconnected', onDown);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([db.synced, new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CliError(`${db.database} at ${db.remotes.join(',')}: no usable member within ${timeoutMs} ms${last ? ` (last: ${last})` : ''}`)), timeoutMs);
    })]);
  } catch (error) {
    await db.close();
    throw error;
  } finally {
    clearTimeout(timer);
    db.off('skipped', onSkip);
    db.off('disconnected', onDown);
  }
}

/** Connects to each remote of the comma-separated list; fails (one line) when none can be used. */
export async function connectDatabases(remotes: string, options: ConnectDatabasesOptions = {}): Promise<Databases> {
  const { served, failures } = await survey(remotes, options);
  if (served.size === 0) {
    throw new CliError(failures.length === 1 ? failures[0] : `no database reachable: ${failures.join('; ')}`);
  }
  const opened = [...served].filter(([name]) => options.only?.includes(name) ?? true).map(([name, { remotes: members, schema }]) => {
    const wanted = options.tables?.[name] ?? [...schema.tables.keys()];
    const tables: MonitorTables<Record<string, Row>> = Object.fromEntries(wanted.map((t) => [t, {}]));
    return OvsdbDatabase.connect({
      remotes: members, database: name, tables, tls: options.tls, leaderOnly: members.length > 1,
      probeIntervalMs: options.probeIntervalMs, connectTimeoutMs: options.connectTimeoutMs ?? 5000,
    });
  });
  const results = await Promise.allSettled(opened.map((db) => synced(db, options.syncTimeoutMs ?? 10_000)));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.allSettled(opened.map((db) => db.close()));
    throw failed.reason;
  }
  for (const failure of failures) options.warn?.(failure);
  const byName = new Map(opened.map((db) => [db.database, new DbHandle(db, options.tls)]));
  return {
    byName,
    served: [...served.keys()],
    async close() { await Promise.allSettled(opened.map((db) => db.close())); },
  };
}

/** The handle of one database, or a one-line error naming what the remotes serve. */
export function requireDatabase(dbs: Databases, name: string, remotes: string): DbHandle {
  const handle = dbs.byName.get(name);
  if (!handle) throw new CliError(`${remotes} does not serve ${name} (it serves ${dbs.served.join(', ')})`);
  return handle;
}
