// A router's child rows of one owner (static routes, NAT, policies) made exactly what is wanted, in one
// desired-state transaction: rows of that owner that are not wanted leave the router's set (OVSDB then deletes
// them: those tables are not root tables), wanted rows that exist are updated column by column, missing ones are
// inserted and referenced. Rows of other owners on the same router are never touched. Each row is known by a key
// (e.g. a route's prefix, policy and output port), so a changed next hop updates the row in place.
import type { TableOf, WriteRow } from '../ovsdb/datum.js';
import type { LogicalRouter, NorthboundTables } from '../models/ovn-northbound.js';
import type { DesiredState, RowRef } from './desired-state.js';
import type { Northbound } from './northbound.js';

/** The router columns holding child rows, and their tables. */
export const ROUTER_CHILDREN = {
  static_routes: 'Logical_Router_Static_Route',
  nat: 'NAT',
  policies: 'Logical_Router_Policy',
} as const;

export type RouterChildColumn = keyof typeof ROUTER_CHILDREN;
export type RouterChild<C extends RouterChildColumn> = NorthboundTables[(typeof ROUTER_CHILDREN)[C]];

/** The rows of `column` of the router (as the replica holds them). */
export function routerChildren<C extends RouterChildColumn>(db: Northbound, router: Pick<LogicalRouter, C> | undefined, column: C): Readonly<RouterChild<C>>[] {
  if (!router) return [];
  const table = db.table(ROUTER_CHILDREN[column]);
  return (router[column] as readonly string[]).map((u) => table.get(u)).filter((r) => r !== undefined) as Readonly<RouterChild<C>>[];
}

/**
 * Makes the rows of `column` that `mine` selects exactly `want` (see the file comment). `key` identifies a row,
 * stored or wanted. The router may be one inserted in this transaction (then nothing is stored yet).
 */
export function ensureRouterChildren<C extends RouterChildColumn>(
  db: Northbound, tx: DesiredState<NorthboundTables>, router: RowRef, routerRow: (LogicalRouter & { _uuid: string }) | undefined, column: C,
  want: readonly WriteRow<RouterChild<C>>[], key: (row: Partial<RouterChild<C>>) => string, mine: (row: Readonly<RouterChild<C>>) => boolean,
): void {
  // The table of the column's rows for the typed operations: TypeScript cannot follow C from the column to its table.
  const table = ROUTER_CHILDREN[column] as unknown as TableOf<RouterChild<C>>;
  const have = routerChildren(db, routerRow, column).filter(mine);
  const wanted = new Map(want.map((w) => [key(w as Partial<RouterChild<C>>), w]));
  const kept = new Set<string>();
  for (const row of have) {
    const k = key(row);
    const w = wanted.get(k);
    if (!w || kept.has(k)) { tx.removeFromSet('Logical_Router', routerRow!._uuid, column, [row._uuid]); continue; }
    kept.add(k);
    tx.updateChanged(table, row as RouterChild<C> & { _uuid: string }, w as never);
  }
  for (const [k, w] of wanted) {
    if (kept.has(k)) continue;
    tx.addRef('Logical_Router', router, column, tx.insert(table, w));
  }
}

/** Removes every row of `column` that `mine` selects from the router. */
export function removeRouterChildren<C extends RouterChildColumn>(db: Northbound, tx: DesiredState<NorthboundTables>,
  routerRow: (LogicalRouter & { _uuid: string }) | undefined, column: C, mine: (row: Readonly<RouterChild<C>>) => boolean): void {
  if (!routerRow) return;
  const rows = routerChildren(db, routerRow, column).filter(mine).map((r) => r._uuid);
  tx.removeFromSet('Logical_Router', routerRow._uuid, column, rows, routerRow[column] as readonly string[]);
}
