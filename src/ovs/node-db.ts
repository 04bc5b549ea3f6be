// What every node operation shares: the slice of OvsdbClient it needs, the schema-skew filter for the server it
// talks to, and the read-then-write loop (read the rows, decide, write with `wait` guards, re-read on a lost race).
import type { OperationBase, Results } from '../ovsdb/operations.js';
import { isConflict, retryOnConflict } from '../ovsdb/conflict-retry.js';
import type { CallOptions } from '../ovsdb/rpc.js';
import type { DatabaseSchema } from '../ovsdb/schema.js';
import { VSwitchSchema } from '../models/open-vswitch.js';
import { OvsError } from './errors.js';
import { SchemaSkewFilter, compareSchemas, type SchemaSkew } from '../models/schema-skew.js';

/** The node database's name. */
export const OPEN_VSWITCH = 'Open_vSwitch';

/** The part of OvsdbClient the node API uses (an OvsdbClient fits; tests may wrap one to count transactions). */
export interface NodeDatabase {
  transact<const Ops extends readonly OperationBase<unknown>[]>(db: string, operations: Ops, options?: CallOptions): Promise<Results<Ops>>;
  schema(db: string): Promise<DatabaseSchema>;
}

/** The part of the replicated OvsdbDatabase (src/ovsdb/database.ts) that nodeDatabaseOf() needs. */
export interface ReplicatedDatabase {
  readonly database: string;
  readonly synced: Promise<void>;
  readonly schema: DatabaseSchema | undefined;
  transact<const Ops extends readonly OperationBase<unknown>[]>(operations: Ops): Promise<Results<Ops>>;
}

/**
 * The node API over a replicated OvsdbDatabase of Open_vSwitch: its connection (reconnecting, leader-aware)
 * carries the node API's transactions, and its replica's Interface rows feed the statistics functions.
 */
export function nodeDatabaseOf(db: ReplicatedDatabase): NodeDatabase {
  return {
    async schema(name) {
      if (name !== db.database) throw new OvsError('OVS_WRONG_DATABASE', name, `this OvsdbDatabase replicates ${db.database}, not ${name}`);
      await db.synced;
      return db.schema as DatabaseSchema;
    },
    transact(name, operations) {
      if (name !== db.database) return Promise.reject(new OvsError('OVS_WRONG_DATABASE', name, `this OvsdbDatabase replicates ${db.database}, not ${name}`));
      return db.transact(operations);
    },
  };
}

const skews = new WeakMap<DatabaseSchema, SchemaSkew>();

/** The skew between the generated Open_vSwitch models and this server's schema (computed once per schema). */
export async function vswitchSkew(db: NodeDatabase): Promise<{ skew: SchemaSkew; server: DatabaseSchema }> {
  const server = await db.schema(OPEN_VSWITCH);
  let skew = skews.get(server);
  if (!skew) {
    skew = compareSchemas(VSwitchSchema, server);
    skews.set(server, skew);
  }
  return { skew, server };
}

/** A fresh filter (its `dropped` list belongs to one call). */
export async function vswitchFilter(db: NodeDatabase): Promise<SchemaSkewFilter> {
  const { skew, server } = await vswitchSkew(db);
  return new SchemaSkewFilter(skew, server);
}

/** How many times a guarded write is re-planned after losing a race before giving up. */
export const MAX_ATTEMPTS = 8;

/**
 * Runs `attempt` until it returns: it reads, plans and writes with `wait` guards (timeout 0) or relies on the
 * schema's unique indexes; a failed guard or an index clash (isConflict, src/ovsdb/conflict-retry.ts) means another
 * client changed the rows in between, so the plan is made again from a fresh read, after a short linear backoff.
 *
 * This is the same loop as the replica's transactWithRetry (both are retryOnConflict, src/ovsdb/conflict-retry.ts)
 * with another conflict test: the node API must work with a plain OvsdbClient (NodeDatabase: transact + schema),
 * so it reads with `select` in its own transactions, and its prerequisites are `wait`s on what those selects
 * returned, not verify() of replica rows. Over nodeDatabaseOf(replica) it is the same: the Open_vSwitch replica
 * need not monitor Bridge or Port at all (a stats replica monitors only Interface), so there are no replica
 * rows to verify, and a fresh select, not the replica catching up, is what the next attempt needs.
 */
export async function guarded<T>(what: string, attempt: () => Promise<T>): Promise<T> {
  try {
    return await retryOnConflict(attempt, {
      attempts: MAX_ATTEMPTS,
      isConflict,
      beforeRetry: (n) => new Promise((r) => setTimeout(r, 5 * n)),
    });
  } catch (err) {
    if (!isConflict(err)) throw err;
    throw new OvsError('OVS_GAVE_UP', undefined, `${what}: the rows kept changing under ${MAX_ATTEMPTS} attempts (${(err as Error).message})`);
  }
}

/** Keys whose values differ between `current` and `wanted` (`null` in wanted = remove the key). */
export function mapDiff(
  current: ReadonlyMap<string, string>, wanted: ReadonlyMap<string, string | null>,
): { set: Map<string, string>; remove: string[] } {
  const set = new Map<string, string>();
  const remove: string[] = [];
  for (const [k, v] of wanted) {
    if (v === null) { if (current.has(k)) remove.push(k); } else if (current.get(k) !== v) set.set(k, v);
  }
  return { set, remove };
}
