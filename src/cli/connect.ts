// Connects to every database a list of remotes serves (list_dbs on each), for the REPL and the commands.
// Each remote in the list is tried on its own: a lab (or a node) serves OVN_Northbound, OVN_Southbound and
// Open_vSwitch from different servers. The first remote serving a database wins; members of the same
// cluster after it are not used.
import { OvsdbClient } from '../ovsdb/client.js';
import { parseRemotes, type TlsOptions } from '../ovsdb/remote.js';
import { CliError } from './cli-error.js';
import { DbHandle } from './db-handle.js';

export interface ConnectDatabasesOptions {
  tls?: TlsOptions;
  connectTimeoutMs?: number;
  /** Called with one line per remote that could not be used while others could. */
  warn?: (line: string) => void;
}

export interface Databases {
  /** By database name (`OVN_Northbound`, ...), `_Server` excluded. */
  readonly byName: ReadonlyMap<string, DbHandle>;
  close(): Promise<void>;
}

/** Connects to each remote of the comma-separated list; fails (one line) when none can be used. */
export async function connectDatabases(remotes: string, options: ConnectDatabasesOptions = {}): Promise<Databases> {
  const list = parseRemotes(remotes);
  const byName = new Map<string, DbHandle>();
  const clients: OvsdbClient[] = [];
  const failures: string[] = [];
  const attempts = await Promise.allSettled(list.map(async (remote) => {
    const client = await OvsdbClient.connect(remote.text, { tls: options.tls, connectTimeoutMs: options.connectTimeoutMs ?? 5000 });
    try {
      const dbs = await client.listDbs({ timeoutMs: 10_000 });
      return { client, dbs };
    } catch (error) {
      await client.close();
      throw error;
    }
  }));
  for (const [i, attempt] of attempts.entries()) {
    if (attempt.status === 'rejected') {
      const reason: unknown = attempt.reason;
      failures.push(reason instanceof Error ? reason.message : String(reason));
      continue;
    }
    const { client, dbs } = attempt.value;
    let used = false;
    for (const db of dbs) {
      if (db === '_Server' || byName.has(db)) continue;
      const schema = await client.getSchema(db);
      byName.set(db, new DbHandle(client, schema, options.tls));
      used = true;
    }
    if (used) clients.push(client);
    else {
      await client.close();
      if (dbs.filter((d) => d !== '_Server').length === 0) failures.push(`${list[i].text} serves no database`);
    }
  }
  if (byName.size === 0) {
    throw new CliError(failures.length === 1 ? failures[0] : `no database reachable: ${failures.join('; ')}`);
  }
  for (const failure of failures) options.warn?.(failure);
  return {
    byName,
    async close() { await Promise.allSettled(clients.map((c) => c.close())); },
  };
}

/** The handle of one database, or a one-line error naming what the remotes serve. */
export function requireDatabase(dbs: Databases, name: string, remotes: string): DbHandle {
  const handle = dbs.byName.get(name);
  if (!handle) throw new CliError(`${remotes} does not serve ${name} (it serves ${[...dbs.byName.keys()].join(', ')})`);
  return handle;
}
