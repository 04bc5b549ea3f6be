// The cluster topology ovn-kubernetes-style agents maintain in OVN_Northbound:
//
//   ovn_cluster_router --rtos-<node>/stor-<node>-- <node> switch (pods, k8s-<node> management port)
//          |  rtoj-ovn_cluster_router
//        join (100.64.0.0/16)
//          |  jtor-GR_<node> / rtoj-GR_<node>
//        GR_<node> (options:chassis, SNAT of the node subnet, routes to the cluster subnets via the cluster router)
//
// Every function is one transaction computed from the replica (desired state), so calling it again sends nothing;
// rows it creates by name are guarded (desired-state.ts insertNamed), so two agents ensuring the same node at once
// cannot create the cluster router or a port twice.
import type { Uuid, WriteRow } from '../ovsdb/datum.js';
import type { LogicalRouter, LogicalSwitch, LogicalSwitchPort, NorthboundTables } from '../models/ovn-northbound.js';
import { addressAt, parsePrefix, prefixSize, withLength, type IpPrefix } from './ip.js';
import { gatewayAddress, managementAddress, parseExcludeIps, type NodeAddressing } from './ipam.js';
import { macFromAddress } from './mac.js';
import {
  CLUSTER_ROUTER, DEFAULT_JOIN_SUBNET, JOIN_SWITCH, NODE_KEY, OWNER, OWNER_KEY,
  gatewayRouterName, joinToRouterPort, managementPort, nodeSwitchName, routerToJoinPort, routerToSwitchPort, switchToRouterPort,
} from './names.js';
import { commitDesired, type DesiredState, type RowRef } from './desired-state.js';
import { byName, type Northbound } from './northbound.js';

export type { Northbound };

/** The load balancer group every node switch and gateway router uses (ovn-kubernetes' clusterLBGroup). */
export const CLUSTER_LB_GROUP = 'clusterLBGroup';

export interface ClusterOptions {
  /** The join subnet (IPv4), default 100.64.0.0/16. */
  readonly joinSubnet?: string;
}

export interface NodeOptions {
  readonly name: string;
  /** The node's pod subnets, at most one IPv4 and one IPv6 (a /64, as OVN's ipv6_prefix). */
  readonly subnets: readonly string[];
  /** More addresses never to allocate, OVN `exclude_ips` syntax (IPv4). */
  readonly excludeIps?: string;
  /** MAC of the management port; derived from its address when omitted. */
  readonly managementMac?: string;
  /** The chassis (system-id) of the node: creates GR_<node> bound to it. */
  readonly chassis?: string;
  /** The node's IPv4 address: SNAT of the node subnet on GR_<node>. */
  readonly nodeIp?: string;
  /** The cluster's pod networks (IPv4): GR_<node> routes them to the cluster router. Default: the node subnet. */
  readonly clusterSubnets?: readonly string[];
}

const owned = (extra: Record<string, string> = {}): Map<string, string> => new Map([[OWNER_KEY, OWNER], ...Object.entries(extra)]);

/** The node's pod subnets as stored on its switch (other_config subnet / ipv6_prefix) and its exclusions. */
export function nodeAddressing(ls: LogicalSwitch): NodeAddressing {
  const subnets: IpPrefix[] = [];
  const v4 = ls.other_config.get('subnet');
  if (v4) subnets.push(parsePrefix(v4));
  const v6 = ls.other_config.get('ipv6_prefix');
  if (v6) subnets.push(parsePrefix(`${v6}/64`));
  const exclude = ls.other_config.get('exclude_ips');
  return { subnets, excluded: exclude ? parseExcludeIps(exclude) : [] };
}

function parseNodeSubnets(subnets: readonly string[]): IpPrefix[] {
  const parsed = subnets.map((s) => parsePrefix(s));
  if (parsed.length === 0) throw new RangeError('a node needs at least one subnet');
  if (parsed.filter((p) => p.family === 4).length > 1 || parsed.filter((p) => p.family === 6).length > 1) {
    throw new RangeError('at most one IPv4 and one IPv6 subnet per node');
  }
  for (const p of parsed) {
    if (p.family === 6 && p.length !== 64) throw new RangeError(`IPv6 node subnet ${p.text} must be a /64 (OVN ipv6_prefix)`);
    if (p.family === 4 && p.length > 29) throw new RangeError(`IPv4 node subnet ${p.text} is too small`);
  }
  return parsed.sort((a, b) => a.family - b.family);
}

interface ClusterRows { router: RowRef; join: RowRef; lbGroup: RowRef; joinPrefix: IpPrefix; routerJoinIp: string }

function buildCluster(db: Northbound, tx: DesiredState<NorthboundTables>, options: ClusterOptions): ClusterRows {
  const joinPrefix = parsePrefix(options.joinSubnet ?? DEFAULT_JOIN_SUBNET);
  if (joinPrefix.family !== 4) throw new RangeError('the join subnet must be IPv4');
  const routerJoin = addressAt(joinPrefix, 1n);

  const lbGroupRow = byName(db, 'Load_Balancer_Group', CLUSTER_LB_GROUP);
  const lbGroup: RowRef = lbGroupRow ? lbGroupRow._uuid : tx.insertNamed('Load_Balancer_Group', { name: CLUSTER_LB_GROUP });

  const routerRow = byName(db, 'Logical_Router', CLUSTER_ROUTER);
  const routerDesired = { external_ids: owned({ 'k8s-cluster-router': 'yes' }) };
  let router: RowRef;
  if (routerRow) { tx.updateChanged('Logical_Router', routerRow, routerDesired); router = routerRow._uuid; } else router = tx.insertNamed<LogicalRouter>('Logical_Router', { name: CLUSTER_ROUTER, ...routerDesired });

  const joinRow = byName(db, 'Logical_Switch', JOIN_SWITCH);
  const joinDesired = { external_ids: owned() };
  let join: RowRef;
  if (joinRow) { tx.updateChanged('Logical_Switch', joinRow, joinDesired); join = joinRow._uuid; } else join = tx.insertNamed<LogicalSwitch>('Logical_Switch', { name: JOIN_SWITCH, ...joinDesired });

  ensureRouterPort(db, tx, router, routerRow?.ports, routerToJoinPort(CLUSTER_ROUTER), macFromAddress(routerJoin), [withLength(routerJoin, joinPrefix.length)]);
  ensureSwitchRouterPort(db, tx, join, joinRow?.ports, joinToRouterPort(CLUSTER_ROUTER), routerToJoinPort(CLUSTER_ROUTER));
  return { router, join, lbGroup, joinPrefix, routerJoinIp: routerJoin.text };
}

/** Ensures a router port (name, mac, networks) on a router. */
function ensureRouterPort(db: Northbound, tx: DesiredState<NorthboundTables>, router: RowRef, routerPorts: readonly Uuid[] | undefined, name: string, mac: string, networks: string[]): void {
  const desired = { mac, networks, external_ids: owned() };
  const row = byName(db, 'Logical_Router_Port', name);
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
function ensureSwitchRouterPort(db: Northbound, tx: DesiredState<NorthboundTables>, ls: RowRef, switchPorts: readonly Uuid[] | undefined, name: string, routerPort: string): void {
  ensureSwitchPort(db, tx, ls, switchPorts, name, { type: 'router', addresses: ['router'], options: new Map([['router-port', routerPort]]), external_ids: owned() });
}

function ensureSwitchPort(db: Northbound, tx: DesiredState<NorthboundTables>, ls: RowRef, switchPorts: readonly Uuid[] | undefined, name: string, desired: WriteRow<LogicalSwitchPort>): void {
  const row = byName(db, 'Logical_Switch_Port', name);
  if (row && switchPorts?.includes(row._uuid)) { tx.updateChanged('Logical_Switch_Port', row, desired); return; }
  if (row) {
    for (const s of db.table('Logical_Switch')) if (s.ports.includes(row._uuid) && s._uuid !== ls) tx.removeFromSet('Logical_Switch', s._uuid, 'ports', [row._uuid]);
    tx.updateChanged('Logical_Switch_Port', row, desired);
    tx.addRef('Logical_Switch', ls, 'ports', row._uuid);
    return;
  }
  tx.addRef('Logical_Switch', ls, 'ports', tx.insertNamed('Logical_Switch_Port', { name, ...desired }));
}

/** Ensures the cluster router, the join switch and the cluster load balancer group. One transaction. */
export async function ensureCluster(db: Northbound, options: ClusterOptions = {}): Promise<void> {
  await commitDesired(db, (tx) => {
    buildCluster(db, tx, options);
    return undefined;
  });
}

function firstFreeJoinAddress(db: Northbound, joinPrefix: IpPrefix): { text: string; cidr: string } {
  const used = new Set<bigint>();
  for (const lrp of db.table('Logical_Router_Port')) {
    for (const n of lrp.networks) {
      try {
        const p = parsePrefix(n, true);
        if (p.family === 4 && p.address.value >= joinPrefix.network && p.address.value < joinPrefix.network + prefixSize(joinPrefix)) used.add(p.address.value - joinPrefix.network);
      } catch { /* not an address of ours */ }
    }
  }
  for (let offset = 2n; offset < prefixSize(joinPrefix) - 1n; offset++) {
    if (!used.has(offset)) {
      const a = addressAt(joinPrefix, offset);
      return { text: a.text, cidr: withLength(a, joinPrefix.length) };
    }
  }
  throw new RangeError(`the join subnet ${joinPrefix.text} is full`);
}

/**
 * Ensures a node: its switch (subnets, exclude_ips, cluster LB group), rtos-/stor- ports to the cluster router,
 * the management port k8s-<node>, and with a chassis the gateway router GR_<node> on the join switch with its
 * static routes and SNAT. One transaction; the cluster objects are created in it when missing.
 */
export async function ensureNode(db: Northbound, node: NodeOptions, cluster: ClusterOptions = {}): Promise<void> {
  const subnets = parseNodeSubnets(node.subnets);
  const v4 = subnets.find((s) => s.family === 4);
  const v6 = subnets.find((s) => s.family === 6);
  const excluded = node.excludeIps ? parseExcludeIps(node.excludeIps) : [];
  await commitDesired(db, (tx) => {
    const c = buildCluster(db, tx, cluster);
    const clusterRouterRow = typeof c.router === 'string' ? db.table('Logical_Router').get(c.router) : undefined;
    const joinRow = typeof c.join === 'string' ? db.table('Logical_Switch').get(c.join) : undefined;

    // The node switch.
    const otherConfig = new Map<string, string>();
    if (v4) {
      otherConfig.set('subnet', v4.text);
      const excludes = [managementAddress(v4).text, ...(node.excludeIps ? [node.excludeIps.trim()] : [])];
      otherConfig.set('exclude_ips', excludes.join(' '));
    }
    if (v6) otherConfig.set('ipv6_prefix', v6.text.slice(0, v6.text.indexOf('/')));
    if (!v4 && excluded.length > 0) throw new RangeError('exclude_ips needs an IPv4 subnet (OVN applies it to other_config:subnet)');
    const lsDesired = { other_config: otherConfig, external_ids: owned({ [NODE_KEY]: node.name }), load_balancer_group: [c.lbGroup] };
    const lsRow = byName(db, 'Logical_Switch', nodeSwitchName(node.name));
    let ls: RowRef;
    if (lsRow) {
      const { load_balancer_group: _ignored, ...rest } = lsDesired;
      tx.updateChanged('Logical_Switch', lsRow, rest);
      if (typeof c.lbGroup === 'string') tx.addToSet('Logical_Switch', lsRow._uuid, 'load_balancer_group', [c.lbGroup], lsRow.load_balancer_group);
      ls = lsRow._uuid;
    } else ls = tx.insertNamed<LogicalSwitch>('Logical_Switch', { name: nodeSwitchName(node.name), ...lsDesired });

    // rtos-<node> / stor-<node>.
    const gateways = subnets.map((s) => gatewayAddress(s));
    ensureRouterPort(db, tx, c.router, clusterRouterRow?.ports, routerToSwitchPort(node.name), macFromAddress(gateways[0]),
      subnets.map((s, i) => withLength(gateways[i], s.length)));
    ensureSwitchRouterPort(db, tx, ls, lsRow?.ports, switchToRouterPort(node.name), routerToSwitchPort(node.name));

    // k8s-<node>: the management port, "MAC IP [IP]" of the .2 addresses.
    const mgmt = subnets.map((s) => managementAddress(s));
    const mgmtMac = node.managementMac ?? macFromAddress(mgmt[0]);
    ensureSwitchPort(db, tx, ls, lsRow?.ports, managementPort(node.name), {
      addresses: [[mgmtMac, ...mgmt.map((a) => a.text)].join(' ')], external_ids: owned({ [NODE_KEY]: node.name }),
    });

    if (node.chassis) buildGatewayRouter(db, tx, node, c, joinRow, v4);
    return undefined;
  });
}

function buildGatewayRouter(db: Northbound, tx: DesiredState<NorthboundTables>, node: NodeOptions, c: ClusterRows, joinRow: LogicalSwitch | undefined, v4: IpPrefix | undefined): void {
  const grName = gatewayRouterName(node.name);
  const grRow = byName(db, 'Logical_Router', grName);
  const grDesired = { options: new Map([['chassis', node.chassis as string]]), external_ids: owned({ [NODE_KEY]: node.name }) };
  let gr: RowRef;
  if (grRow) {
    tx.updateChanged('Logical_Router', grRow, grDesired);
    if (typeof c.lbGroup === 'string') tx.addToSet('Logical_Router', grRow._uuid, 'load_balancer_group', [c.lbGroup], grRow.load_balancer_group);
    gr = grRow._uuid;
  } else gr = tx.insertNamed<LogicalRouter>('Logical_Router', { name: grName, ...grDesired, load_balancer_group: [c.lbGroup] });

  // rtoj-GR_<node> keeps its join address; a new one takes the lowest free one, guarded against a concurrent pick.
  const portName = routerToJoinPort(grName);
  const existing = byName(db, 'Logical_Router_Port', portName);
  const existingJoin = existing?.networks.find((n) => { try { return parsePrefix(n, true).text === c.joinPrefix.text; } catch { return false; } });
  let joinCidr: string;
  if (existingJoin) joinCidr = existingJoin;
  else {
    joinCidr = firstFreeJoinAddress(db, c.joinPrefix).cidr;
    tx.requireNone('Logical_Router_Port', [['networks', 'includes', [joinCidr]]]);
  }
  const joinIp = joinCidr.slice(0, joinCidr.indexOf('/'));
  ensureRouterPort(db, tx, gr, grRow?.ports, portName, macFromAddress(joinIp), [joinCidr]);
  ensureSwitchRouterPort(db, tx, c.join, joinRow?.ports, joinToRouterPort(grName), portName);

  // Static routes: on GR_<node>, the cluster's pod networks via the cluster router; on the cluster router, traffic
  // from the node subnet leaves through this node's gateway router (policy src-ip).
  const clusterSubnets = (node.clusterSubnets ?? (v4 ? [v4.text] : [])).map((s) => parsePrefix(s, true)).filter((p) => p.family === 4);
  ensureRoutes(db, tx, gr, grRow, clusterSubnets.map((p) => ({ ip_prefix: p.text, nexthop: c.routerJoinIp })), () => true, {});
  const routerRow = typeof c.router === 'string' ? db.table('Logical_Router').get(c.router) : undefined;
  ensureRoutes(db, tx, c.router, routerRow, v4 ? [{ ip_prefix: v4.text, nexthop: joinIp, policy: 'src-ip' as const }] : [],
    (r) => r.external_ids.get(NODE_KEY) === node.name, { [NODE_KEY]: node.name });

  // SNAT of the node subnet to the node's address.
  const wantNat = node.nodeIp && v4 ? [{ type: 'snat' as const, logical_ip: v4.text, external_ip: node.nodeIp }] : [];
  const haveNat = grRow ? grRow.nat.map((u) => db.table('NAT').get(u)).filter((n) => n !== undefined) : [];
  for (const n of haveNat) {
    if (!wantNat.some((w) => w.type === n.type && w.logical_ip === n.logical_ip && w.external_ip === n.external_ip)) tx.removeFromSet('Logical_Router', (gr as Uuid), 'nat', [n._uuid]);
  }
  for (const w of wantNat) {
    if (haveNat.some((n) => w.type === n.type && w.logical_ip === n.logical_ip && w.external_ip === n.external_ip)) continue;
    tx.addRef('Logical_Router', gr, 'nat', tx.insert('NAT', { ...w, external_ids: owned({ [NODE_KEY]: node.name }) }));
  }
}

interface RouteSpec { ip_prefix: string; nexthop: string; policy?: 'src-ip' | 'dst-ip' }

/** Makes the routes of `router` selected by `mine` exactly `want`. */
function ensureRoutes(db: Northbound, tx: DesiredState<NorthboundTables>, router: RowRef, routerRow: LogicalRouter | undefined, want: RouteSpec[],
  mine: (r: NorthboundTables['Logical_Router_Static_Route']) => boolean, ids: Record<string, string>): void {
  const have = routerRow ? routerRow.static_routes.map((u) => db.table('Logical_Router_Static_Route').get(u)).filter((r) => r !== undefined) : [];
  const same = (r: NorthboundTables['Logical_Router_Static_Route'], w: RouteSpec): boolean =>
    r.ip_prefix === w.ip_prefix && r.nexthop === w.nexthop && (r.policy ?? 'dst-ip') === (w.policy ?? 'dst-ip');
  for (const r of have) if (mine(r) && !want.some((w) => same(r, w))) tx.removeFromSet('Logical_Router', router as Uuid, 'static_routes', [r._uuid]);
  for (const w of want) {
    if (have.some((r) => same(r, w))) continue;
    const row: Record<string, unknown> = { ip_prefix: w.ip_prefix, nexthop: w.nexthop, external_ids: owned(ids) };
    if (w.policy) row.policy = w.policy;
    tx.addRef('Logical_Router', router, 'static_routes', tx.insert('Logical_Router_Static_Route', row));
  }
}

/**
 * Removes everything a node owned: its switch (with every pod and management port), rtos-<node>, GR_<node> with
 * its ports, routes and NAT, jtor-GR_<node>, the cluster router's routes for the node, and its pods' addresses
 * from the address sets this library maintains. One transaction; nothing is sent when the node is already gone.
 */
export async function removeNode(db: Northbound, nodeName: string): Promise<void> {
  await commitDesired(db, (tx) => {
    const ls = byName(db, 'Logical_Switch', nodeSwitchName(nodeName));
    const router = byName(db, 'Logical_Router', CLUSTER_ROUTER);
    const join = byName(db, 'Logical_Switch', JOIN_SWITCH);
    const removedAddresses = new Set<string>();
    if (ls) {
      for (const u of ls.ports) {
        const lsp = db.table('Logical_Switch_Port').get(u);
        if (lsp?.external_ids.get('pod') === 'true') for (const a of lsp.addresses) for (const ip of a.split(' ').slice(1)) removedAddresses.add(ip);
      }
      tx.delete('Logical_Switch', ls._uuid);
    }
    if (router) {
      const rtos = byName(db, 'Logical_Router_Port', routerToSwitchPort(nodeName));
      if (rtos) tx.removeFromSet('Logical_Router', router._uuid, 'ports', [rtos._uuid], router.ports);
      const routes = router.static_routes.filter((u) => db.table('Logical_Router_Static_Route').get(u)?.external_ids.get(NODE_KEY) === nodeName);
      tx.removeFromSet('Logical_Router', router._uuid, 'static_routes', routes, router.static_routes);
    }
    const gr = byName(db, 'Logical_Router', gatewayRouterName(nodeName));
    if (gr) tx.delete('Logical_Router', gr._uuid);
    const jtor = byName(db, 'Logical_Switch_Port', joinToRouterPort(gatewayRouterName(nodeName)));
    if (join && jtor) tx.removeFromSet('Logical_Switch', join._uuid, 'ports', [jtor._uuid], join.ports);
    removeAddressesFromSets(db, tx, removedAddresses);
    return undefined;
  });
}

/** Removes addresses from every address set this library owns. */
export function removeAddressesFromSets(db: Northbound, tx: DesiredState<NorthboundTables>, addresses: ReadonlySet<string>): void {
  if (addresses.size === 0) return;
  for (const set of db.table('Address_Set')) {
    if (set.external_ids.get(OWNER_KEY) !== OWNER) continue;
    const present = set.addresses.filter((a) => addresses.has(a));
    if (present.length > 0) tx.removeFromSet('Address_Set', set._uuid, 'addresses', present);
  }
}

