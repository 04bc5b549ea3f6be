// Opening the Northbound view src/ovn works on: the tables it reads, monitored on one client connection.
import type { OvsdbClient } from '../ovsdb/client.js';
import type { NorthboundTables } from '../models/ovn-northbound.js';
import { MonitoredDatabase } from './database.js';
import type { Northbound } from './topology.js';

/** The Northbound tables (all columns) the topology, pods, services and policies read. */
export const NORTHBOUND_TABLES = [
  'Logical_Switch', 'Logical_Switch_Port', 'Logical_Router', 'Logical_Router_Port', 'Logical_Router_Static_Route', 'NAT',
  'Load_Balancer', 'Load_Balancer_Group', 'ACL', 'Port_Group', 'Address_Set',
] as const;

/** Monitors the tables src/ovn needs on `client` and returns the view. */
export async function openNorthbound(client: OvsdbClient): Promise<Northbound> {
  const tables: Record<string, undefined> = {};
  for (const t of NORTHBOUND_TABLES) tables[t] = undefined;
  return MonitoredDatabase.open<NorthboundTables>(client, 'OVN_Northbound', { tables });
}
