// The Northbound replica src/ovn works on: an OvsdbDatabase of the tables the topology, pods, services and
// policies read, with a `name` index on every one of them (the schema's own where it has one).
//
//   const nb = await openNorthbound({ remotes: 'ssl:10.0.0.1:6641,ssl:10.0.0.2:6641', tls: { ca, cert, key } });
//   const net = new ClusterNetwork(nb);                 // cluster-network.ts
//   await net.nodes.ensure({ name: 'node1', subnets: ['10.244.1.0/24'] });
import type { OvsdbDatabase } from '../ovsdb/database.js';
import type { NorthboundTables } from '../models/ovn-northbound.js';
import { openReplica, type DatabaseTarget, type ReplicaOptions, type ReplicaSpec } from './connect.js';
import { OBJECT_NAME_KEY, OWNER_TYPE_KEY, type OwnerType } from './names.js';
import { isOwned, type Owner } from './ownership.js';

/** The Northbound database as src/ovn uses it: the replica, reconnecting and leader-aware. */
export type Northbound = OvsdbDatabase<NorthboundTables>;
/** OvsdbDatabase options for openNorthbound (database and tables are src/ovn's). */
export type NorthboundOptions = ReplicaOptions<NorthboundTables>;

/** The Northbound tables (all columns) src/ovn reads. */
export const NORTHBOUND_TABLES = [
  'Logical_Switch', 'Logical_Switch_Port', 'Logical_Router', 'Logical_Router_Port', 'Logical_Router_Static_Route', 'Logical_Router_Policy', 'NAT',
  'Load_Balancer', 'Load_Balancer_Group', 'Load_Balancer_Health_Check', 'ACL', 'Port_Group', 'Address_Set',
] as const;

/** Tables looked up by name whose schema has no index on it. */
const NAME_INDEXED = new Set<string>(['Logical_Switch', 'Logical_Router', 'Load_Balancer']);

/** The tables of NORTHBOUND_TABLES whose rows carry ownership (all but Load_Balancer_Group, which has no external_ids). */
export type OwnedTable = Exclude<(typeof NORTHBOUND_TABLES)[number], 'Load_Balancer_Group'>;

/** Tables whose `load_balancer` column attaches load balancers (switches, routers, groups). */
const LOAD_BALANCER_HOLDERS = new Set<string>(['Logical_Switch', 'Logical_Router', 'Load_Balancer_Group']);
/** Replica index of switches, routers and load balancer groups: rows by each load balancer they hold. */
export const LOAD_BALANCER_INDEX = 'loadBalancer';

/** Replica index of the owned tables: rows by `k8s.ovn.org/name` (the owning object). */
export const OWNER_NAME_INDEX = 'ownerName';
/** Replica index of the owned tables: rows by `k8s.ovn.org/owner-type`. */
export const OWNER_TYPE_INDEX = 'ownerType';

function indexesOf(table: string): Record<string, unknown> {
  const indexes: Record<string, unknown> = {};
  if (NAME_INDEXED.has(table)) indexes.name = 'name';
  if (LOAD_BALANCER_HOLDERS.has(table)) indexes[LOAD_BALANCER_INDEX] = { column: 'load_balancer' };
  if (table !== 'Load_Balancer_Group') {
    indexes[OWNER_NAME_INDEX] = { column: 'external_ids', key: OBJECT_NAME_KEY };
    indexes[OWNER_TYPE_INDEX] = { column: 'external_ids', key: OWNER_TYPE_KEY };
  }
  return indexes;
}

/** What src/ovn monitors in OVN_Northbound: pass `NORTHBOUND.tables` (plus yours) to your own OvsdbDatabase. */
export const NORTHBOUND: ReplicaSpec<NorthboundTables> = {
  database: 'OVN_Northbound',
  tables: Object.fromEntries(NORTHBOUND_TABLES.map((t) => [t, { indexes: indexesOf(t) }])),
};

/** Tables of Northbound that have a `name` column and an index on it. */
export type NamedTable = (typeof NORTHBOUND_TABLES)[number] & { [K in keyof NorthboundTables]: NorthboundTables[K] extends { name: string } ? K : never }[keyof NorthboundTables];

/**
 * Opens the Northbound replica and resolves once it holds the initial state: from a remote list
 * (`openNorthbound('unix:/run/ovn/ovnnb_db.sock')`), from OvsdbDatabase options (`{ remotes, tls, leaderOnly, ... }`),
 * or from an OvsdbDatabase of OVN_Northbound you already have (the tables and indexes src/ovn needs are added).
 */
export function openNorthbound(target: DatabaseTarget<NorthboundTables> | NorthboundOptions): Promise<Northbound> {
  return openReplica(target, NORTHBOUND);
}

/** The row of `table` named `name` (O(1)). */
export function byName<K extends NamedTable>(db: Northbound, table: K, name: string): Readonly<NorthboundTables[K]> | undefined {
  return db.table(table).findOne('name', name);
}

/**
 * The rows of `table` this controller owns for an object of `type` (named `name`, when given), through the
 * owner indexes: O(rows of that owner type or name), not a scan of the table.
 */
export function ownedBy<K extends OwnedTable>(db: Northbound, table: K, owner: Owner, type: OwnerType, name?: string): Readonly<NorthboundTables[K]>[] {
  const view = db.table(table);
  const rows = name === undefined ? view.find(OWNER_TYPE_INDEX, type) : view.find(OWNER_NAME_INDEX, name);
  return rows.filter((r) => isOwned(r as { external_ids: ReadonlyMap<string, string> }, owner, type, name));
}
