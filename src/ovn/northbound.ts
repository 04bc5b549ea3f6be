// The Northbound replica src/ovn works on: an OvsdbDatabase of the tables the topology, pods, services and
// policies read, with a `name` index on every one of them (the schema's own where it has one).
//
//   const nb = await openNorthbound({ remotes: 'ssl:10.0.0.1:6641,ssl:10.0.0.2:6641', tls: { ca, cert, key } });
//   const net = new ClusterNetwork(nb);                 // cluster-network.ts
//   await net.nodes.ensure({ name: 'node1', subnets: ['10.244.1.0/24'] });
import type { OvsdbDatabase } from '../ovsdb/database.js';
import type { NorthboundTables } from '../models/ovn-northbound.js';
import { openReplica, type DatabaseTarget, type ReplicaOptions, type ReplicaSpec } from './connect.js';

/** The Northbound database as src/ovn uses it: the replica, reconnecting and leader-aware. */
export type Northbound = OvsdbDatabase<NorthboundTables>;
/** OvsdbDatabase options for openNorthbound (database and tables are src/ovn's). */
export type NorthboundOptions = ReplicaOptions<NorthboundTables>;

/** The Northbound tables (all columns) src/ovn reads. */
export const NORTHBOUND_TABLES = [
  'Logical_Switch', 'Logical_Switch_Port', 'Logical_Router', 'Logical_Router_Port', 'Logical_Router_Static_Route', 'NAT',
  'Load_Balancer', 'Load_Balancer_Group', 'ACL', 'Port_Group', 'Address_Set',
] as const;

/** Tables looked up by name whose schema has no index on it. */
const NAME_INDEXED = new Set<string>(['Logical_Switch', 'Logical_Router', 'Load_Balancer']);

/** What src/ovn monitors in OVN_Northbound: pass `NORTHBOUND.tables` (plus yours) to your own OvsdbDatabase. */
export const NORTHBOUND: ReplicaSpec<NorthboundTables> = {
  database: 'OVN_Northbound',
  tables: Object.fromEntries(NORTHBOUND_TABLES.map((t) => [t, NAME_INDEXED.has(t) ? { indexes: { name: 'name' } } : {}])),
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
