// The cluster topology ovn-kubernetes-style agents maintain in OVN_Northbound:
//
//   ovn_cluster_router --rtos-<node>/stor-<node>-- <node> switch (pods, k8s-<node> management port)
//          |  rtoj-ovn_cluster_router
//        join (100.64.0.0/16, and fd98::/64 once a node has an IPv6 subnet)
//          |  jtor-GR_<node> / rtoj-GR_<node>
//        GR_<node> (options:chassis, SNAT of the node subnet, routes to the cluster subnets via the cluster router)
//
// This file has the cluster-wide rows (cluster router, join switch, load balancer group: owner type `Cluster`,
// shared by every node and every agent) and the row helpers nodes.ts builds a node with. Every function adds to
// one desired-state transaction computed from the replica, so ensuring the same state again sends nothing; rows
// created by name are guarded (desired-state.ts insertNamed), so two agents cannot create one twice.
//
// Shared rows are created when missing and brought to the desired state only while this controller owns them:
// a cluster router made by another controller or by ovn-nbctl is used as it is, never rewritten.
import type { Uuid, WriteRow } from '../ovsdb/datum.js';
import type { LogicalRouter, LogicalSwitch, LogicalSwitchPort, NorthboundTables } from '../models/ovn-northbound.js';
import { addressAt, parsePrefix, withLength, type IpAddress, type IpPrefix } from './ip.js';
import { parseExcludeIps, type NodeAddressing } from './ipam.js';
import { macFromAddress } from './mac.js';
import { CLUSTER_LB_GROUP, CLUSTER_ROUTER, CLUSTER_ROUTER_KEY, DEFAULT_JOIN_SUBNET, DEFAULT_JOIN_SUBNET_V6, JOIN_SWITCH, joinToRouterPort, routerToJoinPort, type OwnerType } from './names.js';
import { assertOwned, isOwned, ownerIds, ownerOf, type Owner } from './ownership.js';
import { OvnInvalidFieldError } from './errors.js';
import type { DesiredState, RowRef } from './desired-state.js';
import { byName, type Northbound } from './northbound.js';

/** The cluster-wide settings nodes share. */
export interface ClusterOptions {
  /** The join subnet (IPv4), default 100.64.0.0/16. */
  readonly joinSubnet?: string;
  /**
   * The IPv6 join subnet (ovn-kubernetes' `--gateway-v6-join-subnet`), default fd98::/64. The cluster router and
   * every gateway router get an address in it once a node with an IPv6 subnet (or IPv6 cluster subnets) exists.
   */
  readonly joinSubnetV6?: string;
  /**
   * Multicast in the cluster (ovn-kubernetes' `--enable-multicast`): `options:mcast_relay=true` on the cluster
   * router and IGMP/MLD snooping and querier on every node switch. Per-namespace allows are OvnMulticast's.
   * Undefined leaves those options as they are; false removes them.
   */
  readonly multicast?: boolean;
}

/** The cluster router's option that relays multicast between node switches (ovn-nb(5)). */
export const MCAST_RELAY_OPTION = 'mcast_relay';

/** Who owns a row being ensured: a node's rows are refused when foreign, shared cluster rows are used as they are. */
export interface RowOwnership {
  readonly owner: Owner;
  readonly type: OwnerType;
  readonly name: string;
}

/** nodeAddressing's answers per `other_config` map (the replica replaces the map when the column changes). */
const addressingOf = new WeakMap<ReadonlyMap<string, string>, NodeAddressing>();

/**
 * The node's pod subnets as stored on its switch (other_config subnet / ipv6_prefix) and its exclusions; the same
 * object for the same stored column (parsed once).
 */
export function nodeAddressing(ls: Pick<LogicalSwitch, 'other_config'>): NodeAddressing {
  let addressing = addressingOf.get(ls.other_config);
  if (!addressing) {
    addressing = parseNodeAddressing(ls.other_config);
    addressingOf.set(ls.other_config, addressing);
  }
  return addressing;
}

function parseNodeAddressing(otherConfig: ReadonlyMap<string, string>): NodeAddressing {
  const ls = { other_config: otherConfig };
  const subnets: IpPrefix[] = [];
  const v4 = ls.other_config.get('subnet');
  if (v4) subnets.push(parsePrefix(v4));
  const v6 = ls.other_config.get('ipv6_prefix');
  if (v6) subnets.push(parsePrefix(`${v6}/64`));
  const exclude = ls.other_config.get('exclude_ips');
  return { subnets, excluded: exclude ? parseExcludeIps(exclude) : [] };
}

/** The cluster rows a node hangs off, as refs usable in the same transaction. */
export interface ClusterRows {
  router: RowRef; join: RowRef; lbGroup: RowRef; joinPrefix: IpPrefix; routerJoinIp: string;
  /** The IPv6 join subnet and the cluster router's address in it, when the cluster carries IPv6. */
  joinPrefixV6?: IpPrefix; routerJoinIpV6?: string;
}

/** Join subnets as parsed, by text: every node's build reads them, and parsing an IPv6 prefix is not cheap. */
const joinPrefixes = new Map<string, IpPrefix>();

/** The join subnet, checked. */
export function joinPrefixOf(options: ClusterOptions): IpPrefix {
  return checkedJoinPrefix(options.joinSubnet ?? DEFAULT_JOIN_SUBNET, 'joinSubnet', 4, 'the join subnet must be IPv4 (the IPv6 one is joinSubnetV6)');
}

/** The IPv6 join subnet, checked: room for the cluster router (::1) and a gateway router per node id. */
export function joinPrefixV6Of(options: ClusterOptions): IpPrefix {
  return checkedJoinPrefix(options.joinSubnetV6 ?? DEFAULT_JOIN_SUBNET_V6, 'joinSubnetV6', 6, 'the IPv6 join subnet must be IPv6',
    (prefix) => (prefix.length > 112 ? 'the IPv6 join subnet is too small (at most /112)' : undefined));
}

/** A join subnet parsed once per text; one of the wrong family, or one `problem` objects to, is refused naming `field`. */
function checkedJoinPrefix(text: string, field: 'joinSubnet' | 'joinSubnetV6', family: 4 | 6, wrongFamily: string,
  problem?: (prefix: IpPrefix) => string | undefined): IpPrefix {
  const known = joinPrefixes.get(text);
  if (known?.family === family) return known;
  let prefix: IpPrefix;
  try { prefix = parsePrefix(text); } catch (err) { throw new OvnInvalidFieldError('cluster', field, text, (err as Error).message); }
  if (prefix.family !== family) throw new OvnInvalidFieldError('cluster', field, text, wrongFamily);
  const reason = problem?.(prefix);
  if (reason !== undefined) throw new OvnInvalidFieldError('cluster', field, text, reason);
  joinPrefixes.set(text, prefix);
  return prefix;
}

const routerJoinAddresses = new WeakMap<IpPrefix, IpAddress>();
/** The cluster router's address on a join subnet (its first), formatted once per subnet. */
function routerJoinAddress(prefix: IpPrefix): IpAddress {
  let address = routerJoinAddresses.get(prefix);
  if (!address) routerJoinAddresses.set(prefix, (address = addressAt(prefix, 1n)));
  return address;
}

/**
 * Adds the cluster router, the join switch (with the router's port on it) and the cluster load balancer group
 * to `tx` where missing (or not as desired, for those this controller owns).
 */
export function buildCluster(db: Northbound, tx: DesiredState<NorthboundTables>, owner: Owner, options: ClusterOptions, ipv6 = false): ClusterRows {
  const joinPrefix = joinPrefixOf(options);
  const routerJoin = routerJoinAddress(joinPrefix);
  const joinPrefixV6 = joinPrefixV6Of(options);
  const routerJoinV6 = routerJoinAddress(joinPrefixV6);
  // IPv6 on the join switch is sticky: once the cluster router has its IPv6 join address, an IPv4-only node's
  // ensure keeps it (a dual-stack node's routes go through it).
  const routerJoinPort = byName(db, 'Logical_Router_Port', routerToJoinPort(CLUSTER_ROUTER));
  const hasV6 = ipv6 || (routerJoinPort?.networks.some((n) => n.includes(':')) ?? false);
  const shared = (name: string): RowOwnership => ({ owner, type: 'Cluster', name });

  // Load_Balancer_Group has no external_ids: it is shared by name alone.
  const lbGroupRow = byName(db, 'Load_Balancer_Group', CLUSTER_LB_GROUP);
  const lbGroup: RowRef = lbGroupRow ? lbGroupRow._uuid : tx.insertNamed('Load_Balancer_Group', { name: CLUSTER_LB_GROUP });

  const routerRow = byName(db, 'Logical_Router', CLUSTER_ROUTER);
  let routerOptions: Map<string, string> | undefined;
  if (options.multicast !== undefined) {
    routerOptions = new Map(routerRow?.options ?? []);
    if (options.multicast) routerOptions.set(MCAST_RELAY_OPTION, 'true');
    else routerOptions.delete(MCAST_RELAY_OPTION);
  }
  const routerDesired = {
    external_ids: ownerIds(owner, 'Cluster', CLUSTER_ROUTER, [[CLUSTER_ROUTER_KEY, 'yes']]), ...(routerOptions ? { options: routerOptions } : {}),
  };
  const router = ensureSharedRow(db, tx, 'Logical_Router', CLUSTER_ROUTER, routerDesired, owner);
  const join = ensureSharedRow(db, tx, 'Logical_Switch', JOIN_SWITCH, { external_ids: ownerIds(owner, 'Cluster', JOIN_SWITCH) }, owner);
  const joinRow = byName(db, 'Logical_Switch', JOIN_SWITCH);

  ensureRouterPort(db, tx, router, routerRow?.ports, routerToJoinPort(CLUSTER_ROUTER), macFromAddress(routerJoin),
    [withLength(routerJoin, joinPrefix.length), ...(hasV6 ? [withLength(routerJoinV6, joinPrefixV6.length)] : [])], shared(CLUSTER_ROUTER));
  ensureSwitchRouterPort(db, tx, join, joinRow?.ports, joinToRouterPort(CLUSTER_ROUTER), routerToJoinPort(CLUSTER_ROUTER), shared(CLUSTER_ROUTER));
  return { router, join, lbGroup, joinPrefix, routerJoinIp: routerJoin.text, ...(hasV6 ? { joinPrefixV6, routerJoinIpV6: routerJoinV6.text } : {}) };
}

type SharedTable = 'Logical_Router' | 'Logical_Switch';

/** A shared (cluster) row: inserted when missing, updated only while this controller owns it. */
function ensureSharedRow(db: Northbound, tx: DesiredState<NorthboundTables>, table: SharedTable, name: string,
  desired: WriteRow<LogicalRouter> & WriteRow<LogicalSwitch>, owner: Owner): RowRef {
  const row = byName(db, table, name);
  if (!row) return tx.insertNamed(table, { name, ...desired });
  if (ownerOf(row) === owner.controller) tx.updateChanged(table, row, desired);
  return row._uuid;
}

/**
 * Whether an existing row may be brought to the desired state: yes when this controller owns it; a shared
 * (`Cluster`) row of another owner is used as it is (false); any other foreign row is refused.
 * @throws OvnNotOwnedError for a foreign row that is not shared.
 */
export function mayUpdate(table: string, rowName: string, row: { readonly external_ids: ReadonlyMap<string, string> }, ownership: RowOwnership): boolean {
  if (isOwned(row, ownership.owner)) return true;
  if (ownership.type === 'Cluster') return false;
  assertOwned(table, rowName, row, ownership.owner);
  return false;
}

/** Ensures a router port (name, mac, networks) on a router; `extraIds` are external_ids besides the owner's. */
export function ensureRouterPort(db: Northbound, tx: DesiredState<NorthboundTables>, router: RowRef, routerPorts: readonly Uuid[] | undefined,
  name: string, mac: string, networks: string[], ownership: RowOwnership, extraIds: readonly (readonly [string, string])[] = []): void {
  const desired = { mac, networks, external_ids: ownerIds(ownership.owner, ownership.type, ownership.name, extraIds) };
  const row = byName(db, 'Logical_Router_Port', name);
  if (row && !mayUpdate('Logical_Router_Port', name, row, ownership)) return;
  if (row && routerPorts?.includes(row._uuid)) { tx.updateChanged('Logical_Router_Port', row, desired); return; }
  if (row) {
    // It exists on another router: move it (a port belongs to one router).
    for (const r of db.table('Logical_Router')) if (r.ports.includes(row._uuid) && r._uuid !== router) tx.removeFromSet('Logical_Router', r._uuid, 'ports', [row._uuid]);
    tx.updateChanged('Logical_Router_Port', row, desired);
    tx.addRef('Logical_Router', router, 'ports', row._uuid);
    return;
  }
  const port = tx.insertNamed('Logical_Router_Port', { name, ...desired });
  tx.addRef('Logical_Router', router, 'ports', port);
}

/** Ensures a switch port of type router peering with `routerPort`. */
export function ensureSwitchRouterPort(db: Northbound, tx: DesiredState<NorthboundTables>, ls: RowRef, switchPorts: readonly Uuid[] | undefined,
  name: string, routerPort: string, ownership: RowOwnership): void {
  ensureSwitchPort(db, tx, ls, switchPorts, name, {
    type: 'router', addresses: ['router'], options: new Map([['router-port', routerPort]]), external_ids: ownerIds(ownership.owner, ownership.type, ownership.name),
  }, ownership);
}

/** Ensures a switch port on the switch `ls` with the desired columns (moving it there from another switch). */
export function ensureSwitchPort(db: Northbound, tx: DesiredState<NorthboundTables>, ls: RowRef, switchPorts: readonly Uuid[] | undefined,
  name: string, desired: WriteRow<LogicalSwitchPort>, ownership: RowOwnership): void {
  const row = byName(db, 'Logical_Switch_Port', name);
  if (row && !mayUpdate('Logical_Switch_Port', name, row, ownership)) return;
  if (row && switchPorts?.includes(row._uuid)) { tx.updateChanged('Logical_Switch_Port', row, desired); return; }
  if (row) {
    for (const s of db.table('Logical_Switch')) if (s.ports.includes(row._uuid) && s._uuid !== ls) tx.removeFromSet('Logical_Switch', s._uuid, 'ports', [row._uuid]);
    tx.updateChanged('Logical_Switch_Port', row, desired);
    tx.addRef('Logical_Switch', ls, 'ports', row._uuid);
    return;
  }
  tx.addRef('Logical_Switch', ls, 'ports', tx.insertNamed('Logical_Switch_Port', { name, ...desired }));
}

/** Removes addresses from every address set this controller owns (a pod or node went away). */
export function removeAddressesFromSets(db: Northbound, tx: DesiredState<NorthboundTables>, owner: Owner, addresses: ReadonlySet<string>): void {
  if (addresses.size === 0) return;
  for (const set of db.table('Address_Set')) {
    if (!isOwned(set, owner)) continue;
    const present = set.addresses.filter((a) => addresses.has(a));
    if (present.length > 0) tx.removeFromSet('Address_Set', set._uuid, 'addresses', present);
  }
}

/** The IP addresses of a logical switch port's `addresses` entries ("MAC IP [IP]"). */
export function portAddresses(lsp: Pick<LogicalSwitchPort, 'addresses'>, into = new Set<string>()): Set<string> {
  for (const a of lsp.addresses) for (const ip of a.split(' ').slice(1)) into.add(ip);
  return into;
}
