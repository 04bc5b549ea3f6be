// Nodes: per node, its switch (subnets, exclude_ips, the cluster load balancer group), the rtos-/stor- ports to the
// cluster router, the management port k8s-<node>, and with a chassis the gateway router GR_<node> on the join
// switch with its static routes and SNAT. Every row of a node is owned by `Node` `<node>` (ownership.ts), so
// delete() and sync() find all of them, and nothing another controller made.
//
// A node's subnets must not overlap another node's (or the join subnet): two nodes sharing addresses would hand
// the same pod address out twice. The check reads the replica, so it catches every node already written, and the
// nodes built before it into the same transaction; two agents ensuring two overlapping nodes in the same instant
// are not caught (OVSDB has no condition for overlap).
//
// With `coalesce` (an agent's Node controller), the ensures of one event-loop turn share one transaction (group
// commit, group-commit.ts): a hundred nodes are a few transactions, not a hundred. A gateway router's join address
// picked while its transaction is in flight is reserved in this process, so concurrent ensures (in one batch, in
// batches in flight, or alone) pick different ones instead of losing the `requireNone` race and retrying.
import type { Uuid } from '../ovsdb/datum.js';
import type { LogicalRouter, LogicalSwitch, NorthboundTables } from '../models/ovn-northbound.js';
import { addressAt, parsePrefix, prefixSize, tryParseAddress, withLength, type IpAddress, type IpFamily, type IpPrefix } from './ip.js';
import { gatewayAddress, managementAddress, parseExcludeIps } from './ipam.js';
import { linkLocalFromMac, macFromAddress } from './mac.js';
import {
  CLUSTER_ROUTER, DEFAULT_CONTROLLER, JOIN_SWITCH, OBJECT_NAME_KEY,
  gatewayRouterName, joinToRouterPort, managementPort, nodeSwitchName, routerToJoinPort, routerToSwitchPort, switchToRouterPort,
} from './names.js';
import { assertOwned, isOwned, ownerIds, type Owner } from './ownership.js';
import { OvnInvalidFieldError, OvnSubnetOverlapError } from './errors.js';
import { checkKubernetesName } from './kubernetes-names.js';
import { commitDesired, DesiredState, type RowRef } from './desired-state.js';
import { GroupCommit } from './group-commit.js';
import { ReplicaTransaction } from '../ovsdb/transaction-retry.js';
import { byName, ownedBy, type Northbound } from './northbound.js';
import {
  buildCluster, ensureRouterPort, ensureSwitchPort, ensureSwitchRouterPort, joinPrefixOf, joinPrefixV6Of, mayUpdate, nodeAddressing, portAddresses, removeAddressesFromSets,
  type ClusterOptions, type ClusterRows, type RowOwnership,
} from './topology.js';
import type { Changed, ClusterKey, KindOptions, OvnKind } from './kind.js';

/** What a node is in OVN. */
export interface NodeSpec extends ClusterKey {
  /** The node's pod subnets, at most one IPv4 and one IPv6 (a /64, as OVN's ipv6_prefix). */
  readonly subnets: readonly string[];
  /** More addresses never to allocate, OVN `exclude_ips` syntax (IPv4). */
  readonly excludeIps?: string;
  /** MAC of the management port; derived from its address when omitted. */
  readonly managementMac?: string;
  /** The chassis (system-id) of the node: creates GR_<node> bound to it. */
  readonly chassis?: string;
  /**
   * The node's address, or one per family on a dual-stack node: SNAT of the node subnet of the same family on
   * GR_<node> (without a gateway; OvnGateways SNATs otherwise).
   */
  readonly nodeIp?: string | readonly string[];
  /**
   * The cluster's pod networks (IPv4 and/or IPv6): GR_<node> routes each to the cluster router over the join switch
   * of its family. Default: the node subnets; a node subnet of a family not listed here is routed as well.
   */
  readonly clusterSubnets?: readonly string[];
  /**
   * The node's id (ovn-kubernetes' `k8s.ovn.org/node-id`, unique in the cluster, from 2): GR_<node>'s join address
   * is the join subnet plus this id (in each family), as ovn-kubernetes' cluster manager derives it. Without it the lowest free
   * join address is taken, guarded against an agent picking the same one at once (concurrent ensures then retry).
   */
  readonly nodeId?: number;
}

/** A node as stored. */
export interface NodeInfo {
  readonly name: string;
  /** Pod subnets in family order ("10.244.1.0/24", "fd00:10:244:1::/64"). */
  readonly subnets: readonly string[];
  /** The node's logical switch. */
  readonly switchName: string;
  /** The management port's name (`k8s-<node>`). */
  readonly managementPort: string;
  /** The gateway router (`GR_<node>`) and its chassis, when the node has one. */
  readonly gatewayRouter: string | undefined;
  readonly chassis: string | undefined;
}

/** Options of OvnNodes: the controller, the cluster's join subnet, and whether calls share transactions. */
export interface OvnNodesOptions extends KindOptions, ClusterOptions {
  /** Calls of ensure() made in the same event-loop turn share one transaction (group commit). Default false. */
  readonly coalesce?: boolean;
  /** Most nodes in one shared transaction (default 64); more calls in one turn become several transactions. */
  readonly maxBatch?: number;
}

/** One ensure() call, its spec checked: what its builds need, and the join address it has reserved. */
interface NodeCall {
  readonly spec: NodeSpec;
  readonly subnets: IpPrefix[];
  readonly joinPrefixes: readonly IpPrefix[];
  readonly ipv6: boolean;
  readonly gateway: GatewayRouterInput;
  /** The join address offset this call's last build picked (reserved until the call settles). */
  reserved?: bigint;
}

/** The nodes built into one transaction so far, for the overlap check of the next ones. */
type BuiltSubnets = { readonly node: string; readonly subnets: readonly IpPrefix[] }[];

/** The node switch's other_config keys of multicast (ovn-nb(5)), kept as they are when `multicast` is not given. */
const MCAST_SWITCH_KEYS = ['mcast_snoop', 'mcast_querier', 'mcast_eth_src', 'mcast_ip4_src', 'mcast_ip6_src'] as const;

const NODE_OBJECT = (name: string): string => `node ${name}`;

function parseNodeSubnets(node: string, subnets: readonly string[]): IpPrefix[] {
  if (!Array.isArray(subnets as unknown) || subnets.length === 0) throw new OvnInvalidFieldError(NODE_OBJECT(node), 'subnets', subnets, 'a node needs at least one subnet');
  const parsed = subnets.map((s, i) => {
    try { return parsePrefix(s); } catch (err) { throw new OvnInvalidFieldError(NODE_OBJECT(node), `subnets[${i}]`, s, (err as Error).message); }
  });
  if (parsed.filter((p) => p.family === 4).length > 1 || parsed.filter((p) => p.family === 6).length > 1) {
    throw new OvnInvalidFieldError(NODE_OBJECT(node), 'subnets', subnets, 'at most one IPv4 and one IPv6 subnet per node');
  }
  for (const p of parsed) {
    if (p.family === 6 && p.length !== 64) throw new OvnInvalidFieldError(NODE_OBJECT(node), 'subnets', p.text, `IPv6 node subnet ${p.text} must be a /64 (OVN ipv6_prefix)`);
    if (p.family === 4 && p.length > 29) throw new OvnInvalidFieldError(NODE_OBJECT(node), 'subnets', p.text, `IPv4 node subnet ${p.text} is too small (at most /29)`);
  }
  return parsed.sort((a, b) => a.family - b.family);
}

function overlaps(a: IpPrefix, b: IpPrefix): boolean {
  return a.family === b.family && a.network < b.network + prefixSize(b) && b.network < a.network + prefixSize(a);
}

/** The node a switch with subnets belongs to: the owner's name when marked, else the switch's own name. */
function nodeOfSwitch(ls: LogicalSwitch): string {
  return ls.external_ids.get(OBJECT_NAME_KEY) ?? ls.name;
}

/** @throws OvnSubnetOverlapError naming both nodes and subnets. */
function checkNoOverlap(db: Northbound, node: string, subnets: readonly IpPrefix[], joinPrefixes: readonly IpPrefix[], built: BuiltSubnets = []): void {
  for (const s of subnets) {
    for (const joinPrefix of joinPrefixes) if (overlaps(s, joinPrefix)) throw new OvnSubnetOverlapError(node, s.text, `the ${JOIN_SWITCH} switch`, joinPrefix.text);
  }
  for (const other of built) {
    if (other.node === node) continue;
    for (const mine of subnets) {
      const theirs = other.subnets.find((t) => overlaps(mine, t));
      if (theirs) throw new OvnSubnetOverlapError(node, mine.text, `node ${other.node}`, theirs.text);
    }
  }
  for (const ls of db.table('Logical_Switch')) {
    if (ls.name === nodeSwitchName(node)) continue;
    let theirs: IpPrefix[];
    try { theirs = nodeAddressing(ls).subnets as IpPrefix[]; } catch { continue; } // not a subnet we can read: not a node switch
    for (const mine of subnets) {
      const other = theirs.find((t) => overlaps(mine, t));
      if (other) throw new OvnSubnetOverlapError(node, mine.text, `node ${nodeOfSwitch(ls)}`, other.text);
    }
  }
}

/** The rows of nodes in OVN_Northbound (see the file comment). */
export class OvnNodes implements OvnKind<NodeSpec, ClusterKey, NodeInfo> {
  readonly ownerType = 'Node' as const;
  readonly controller: string;
  private readonly owner: Owner;
  private readonly group: GroupCommit<NodeCall, NodeInfo & Changed> | undefined;
  /** Join address offsets picked by builds whose call has not settled yet. */
  private readonly reservedJoin = new Set<bigint>();
  /** The nodes built into each shared transaction so far (overlap checks within the transaction). */
  private readonly builtIn = new WeakMap<DesiredState<NorthboundTables>, BuiltSubnets>();
  /** The cluster's rows being made ahead of a batch of nodes, when missing. */
  private clusterPending: Promise<void> | undefined;

  /** The kind over `db`, as the controller `options.controller` (default `ovn-overlay`). */
  constructor(readonly db: Northbound, private readonly options: OvnNodesOptions = {}) {
    this.controller = options.controller ?? DEFAULT_CONTROLLER;
    this.owner = { controller: this.controller };
    this.group = options.coalesce ? new GroupCommit(db, {
      keyOf: (call) => call.spec.name,
      build: (call, tx) => { this.build(tx, call); return (changed) => this.result(call, changed); },
      alone: (call) => this.ensureAlone(call),
    }, options.maxBatch) : undefined;
  }

  /**
   * Ensures the node's rows (and the cluster rows, created in the same transaction when missing; with `coalesce`,
   * in a transaction of their own ahead of the batch).
   * @throws OvnInvalidNameError, OvnInvalidFieldError, OvnSubnetOverlapError (nothing sent); OvnNotOwnedError when
   *   a row of the node's names belongs to another controller or tool.
   */
  async ensure(spec: NodeSpec): Promise<NodeInfo & Changed> {
    const call = this.prepare(spec);
    try {
      if (!this.group) return await this.ensureAlone(call);
      // Nodes of one batch share the cluster's rows: when missing, they are made first, once for all of them.
      if (!this.clusterComplete(call.ipv6)) await this.ensureClusterRows(call.ipv6);
      return await this.group.submit(call);
    } finally {
      this.release(call);
    }
  }

  /** The spec checked and parsed (everything that needs no replica). */
  private prepare(spec: NodeSpec): NodeCall {
    checkKubernetesName('node', spec.name);
    const subnets = parseNodeSubnets(spec.name, spec.subnets);
    const joinPrefix = joinPrefixOf(this.options);
    const joinPrefixV6 = joinPrefixV6Of(this.options);
    const v4 = subnets.find((s) => s.family === 4);
    const v6 = subnets.find((s) => s.family === 6);
    let clusterSubnets: IpPrefix[];
    try { clusterSubnets = (spec.clusterSubnets ?? subnets.map((s) => s.text)).map((s) => parsePrefix(s, true)); } catch (err) {
      throw new OvnInvalidFieldError(NODE_OBJECT(spec.name), 'clusterSubnets', spec.clusterSubnets, (err as Error).message);
    }
    // A node subnet of a family the cluster subnets lack is routed itself: its pods' replies must find their way back.
    for (const own of subnets) if (!clusterSubnets.some((p) => p.family === own.family)) clusterSubnets.push(own);
    const nodeIps = parseNodeIps(spec.name, spec.nodeIp);
    // IPv6 anywhere on the node puts the cluster's join switch and GR_<node> into IPv6 too.
    const ipv6 = v6 !== undefined || clusterSubnets.some((p) => p.family === 6);
    let excluded: ReturnType<typeof parseExcludeIps> = [];
    try { if (spec.excludeIps) excluded = parseExcludeIps(spec.excludeIps); } catch (err) { throw new OvnInvalidFieldError(NODE_OBJECT(spec.name), 'excludeIps', spec.excludeIps, (err as Error).message); }
    if (!v4 && excluded.length > 0) throw new OvnInvalidFieldError(NODE_OBJECT(spec.name), 'excludeIps', spec.excludeIps, 'exclude_ips needs an IPv4 subnet (OVN applies it to other_config:subnet)');
    for (const ip of nodeIps) {
      if (!subnets.some((s) => s.family === ip.family)) throw new OvnInvalidFieldError(NODE_OBJECT(spec.name), 'nodeIp', spec.nodeIp, `no IPv${ip.family} node subnet to SNAT to ${ip.text}`);
    }
    const joinAddress = spec.nodeId === undefined ? undefined : joinAddressOfNode(spec.name, spec.nodeId, joinPrefix);
    return { spec, subnets, joinPrefixes: [joinPrefix, joinPrefixV6], ipv6, gateway: { joinAddress, clusterSubnets, nodeIps } };
  }

  /** The node in its own transaction (with the cluster's rows when missing), retried on a lost race. */
  private async ensureAlone(call: NodeCall): Promise<NodeInfo & Changed> {
    const changed = await commitDesired(this.db, (tx) => {
      this.build(tx, call);
      return !tx.isEmpty;
    });
    return this.result(call, changed);
  }

  /** Adds the node's rows (and the cluster's, when missing) to `tx`. */
  private build(tx: DesiredState<NorthboundTables>, call: NodeCall): void {
    // A build runs again after a lost race (or alone after a failed batch): its earlier pick is free again.
    this.release(call);
    const built = this.builtIn.get(tx);
    checkNoOverlap(this.db, call.spec.name, call.subnets, call.joinPrefixes, built);
    const c = buildCluster(this.db, tx, this.owner, this.options, call.ipv6);
    this.buildNode(tx, call, c);
    const entry = { node: call.spec.name, subnets: call.subnets };
    if (built) built.push(entry);
    else this.builtIn.set(tx, [entry]);
  }

  private result(call: NodeCall, changed: boolean): NodeInfo & Changed {
    return { ...(this.get(call.spec) ?? this.expected(call.spec, call.subnets)), changed };
  }

  private release(call: NodeCall): void {
    if (call.reserved === undefined) return;
    this.reservedJoin.delete(call.reserved);
    call.reserved = undefined;
  }

  /** Whether the cluster's rows are in the replica as a node of this family needs them (building them adds nothing). */
  private clusterComplete(ipv6: boolean): boolean {
    const probe = new DesiredState<NorthboundTables>(new ReplicaTransaction(this.db));
    buildCluster(this.db, probe, this.owner, this.options, ipv6);
    return probe.isEmpty;
  }

  /** Makes the cluster's rows, one transaction shared by every call waiting for them. */
  private ensureClusterRows(ipv6: boolean): Promise<void> {
    this.clusterPending ??= commitDesired(this.db, (tx) => { buildCluster(this.db, tx, this.owner, this.options, ipv6); })
      .finally(() => { this.clusterPending = undefined; });
    return this.clusterPending;
  }

  /** What get() will say once the replica has the node (the write is applied before ensure resolves). */
  private expected(spec: NodeSpec, subnets: readonly IpPrefix[]): NodeInfo {
    return {
      name: spec.name, subnets: subnets.map((s) => s.text), switchName: nodeSwitchName(spec.name), managementPort: managementPort(spec.name),
      gatewayRouter: spec.chassis ? gatewayRouterName(spec.name) : undefined, chassis: spec.chassis,
    };
  }

  private buildNode(tx: DesiredState<NorthboundTables>, call: NodeCall, c: ClusterRows): void {
    const db = this.db;
    const { spec: node, subnets } = call;
    const v4 = subnets.find((s) => s.family === 4);
    const v6 = subnets.find((s) => s.family === 6);
    const mine: RowOwnership = { owner: this.owner, type: 'Node', name: node.name };
    const ids = ownerIds(this.owner, 'Node', node.name);
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
    const lsName = nodeSwitchName(node.name);
    const lsRow = byName(db, 'Logical_Switch', lsName);
    const gateways = subnets.map((s) => gatewayAddress(s));
    const routerMac = macFromAddress(gateways[0]);
    // Multicast as ovn-kubernetes sets it on a node switch: snooping, and the querier speaking as the router port.
    if (this.options.multicast) {
      otherConfig.set('mcast_snoop', 'true');
      otherConfig.set('mcast_querier', 'true');
      otherConfig.set('mcast_eth_src', routerMac);
      const v4Gateway = gateways.find((g) => g.family === 4);
      if (v4Gateway) otherConfig.set('mcast_ip4_src', v4Gateway.text);
      if (v6) otherConfig.set('mcast_ip6_src', linkLocalFromMac(routerMac));
    } else if (this.options.multicast === undefined && lsRow) {
      for (const key of MCAST_SWITCH_KEYS) { const v = lsRow.other_config.get(key); if (v !== undefined) otherConfig.set(key, v); }
    }
    let ls: RowRef;
    if (lsRow) {
      assertOwned('Logical_Switch', lsName, lsRow, this.owner);
      tx.updateChanged('Logical_Switch', lsRow, { other_config: otherConfig, external_ids: ids });
      if (typeof c.lbGroup === 'string') tx.addToSet('Logical_Switch', lsRow._uuid, 'load_balancer_group', [c.lbGroup], lsRow.load_balancer_group);
      ls = lsRow._uuid;
    } else ls = tx.insertNamed<LogicalSwitch>('Logical_Switch', { name: lsName, other_config: otherConfig, external_ids: ids, load_balancer_group: [c.lbGroup] });

    // rtos-<node> / stor-<node>.
    ensureRouterPort(db, tx, c.router, clusterRouterRow?.ports, routerToSwitchPort(node.name), routerMac,
      subnets.map((s, i) => withLength(gateways[i], s.length)), mine);
    ensureSwitchRouterPort(db, tx, ls, lsRow?.ports, switchToRouterPort(node.name), routerToSwitchPort(node.name), mine);

    // k8s-<node>: the management port, "MAC IP [IP]" of the .2 addresses.
    const mgmt = subnets.map((s) => managementAddress(s));
    const mgmtMac = node.managementMac ?? macFromAddress(mgmt[0]);
    ensureSwitchPort(db, tx, ls, lsRow?.ports, managementPort(node.name), { addresses: [[mgmtMac, ...mgmt.map((a) => a.text)].join(' ')], external_ids: ids }, mine);

    if (node.chassis) this.buildGatewayRouter(tx, call, c, joinRow, mine);
  }

  private buildGatewayRouter(tx: DesiredState<NorthboundTables>, call: NodeCall, c: ClusterRows, joinRow: LogicalSwitch | undefined, mine: RowOwnership): void {
    const db = this.db;
    const { spec: node, subnets } = call;
    const { joinAddress, clusterSubnets, nodeIps } = call.gateway;
    const ids = ownerIds(this.owner, 'Node', node.name);
    const grName = gatewayRouterName(node.name);
    const grRow = byName(db, 'Logical_Router', grName);
    // Only `chassis` is the node's: other options (a gateway's, gateway.ts) stay as they are.
    const grDesired = { options: new Map([...(grRow?.options ?? []), ['chassis', node.chassis as string]]), external_ids: ids };
    let gr: RowRef;
    if (grRow) {
      assertOwned('Logical_Router', grName, grRow, this.owner);
      tx.updateChanged('Logical_Router', grRow, grDesired);
      if (typeof c.lbGroup === 'string') tx.addToSet('Logical_Router', grRow._uuid, 'load_balancer_group', [c.lbGroup], grRow.load_balancer_group);
      gr = grRow._uuid;
    } else gr = tx.insertNamed<LogicalRouter>('Logical_Router', { name: grName, ...grDesired, load_balancer_group: [c.lbGroup] });

    // rtoj-GR_<node>: the join address of the node id; without one it keeps its join address, and a new one takes
    // the lowest free one not reserved by a call of this process in flight, guarded against another agent's pick.
    const portName = routerToJoinPort(grName);
    const existing = byName(db, 'Logical_Router_Port', portName);
    if (existing) mayUpdate('Logical_Router_Port', portName, existing, mine);
    const existingJoin = existing?.networks.find((n) => inPrefix(n, c.joinPrefix));
    let joinCidr: string;
    if (joinAddress) joinCidr = joinAddress;
    else if (existingJoin) joinCidr = existingJoin;
    else {
      const free = firstFreeJoinAddress(db, c.joinPrefix, this.reservedJoin);
      this.reservedJoin.add(free.offset);
      call.reserved = free.offset;
      joinCidr = free.cidr;
      tx.requireNone('Logical_Router_Port', [['networks', 'includes', [joinCidr]]]);
    }
    const joinIp = joinCidr.slice(0, joinCidr.indexOf('/'));
    // The IPv6 join address has the same offset as the IPv4 one (the node id's, when given), as ovn-kubernetes' do.
    const joinIps = new Map<IpFamily, string>([[4, joinIp]]);
    const joinNetworks = [joinCidr];
    if (c.joinPrefixV6) {
      const v6Join = addressAt(c.joinPrefixV6, parsePrefix(joinCidr, true).address.value - c.joinPrefix.network);
      joinIps.set(6, v6Join.text);
      joinNetworks.push(withLength(v6Join, c.joinPrefixV6.length));
    }
    ensureRouterPort(db, tx, gr, grRow?.ports, portName, macFromAddress(joinIp), joinNetworks, mine);
    ensureSwitchRouterPort(db, tx, c.join, joinRow?.ports, joinToRouterPort(grName), portName, mine);

    // Static routes: on GR_<node>, the cluster's pod networks via the cluster router (each over the join address of
    // its family); on the cluster router, traffic from the node subnets leaves through this node's gateway router
    // (policy src-ip).
    const routerJoinIps = new Map<IpFamily, string | undefined>([[4, c.routerJoinIp], [6, c.routerJoinIpV6]]);
    const isMine = (r: { external_ids: ReadonlyMap<string, string> }): boolean => isOwned(r, this.owner, 'Node', node.name);
    ensureRoutes(db, tx, gr, grRow, clusterSubnets.map((p) => ({ ip_prefix: p.text, nexthop: routerJoinIps.get(p.family) as string })), isMine, ids);
    const routerRow = typeof c.router === 'string' ? db.table('Logical_Router').get(c.router) : undefined;
    ensureRoutes(db, tx, c.router, routerRow, subnets.map((s) => ({ ip_prefix: s.text, nexthop: joinIps.get(s.family) as string, policy: 'src-ip' as const })), isMine, ids);

    // SNAT of the node subnets to the node's address of their family.
    const wantNat = nodeIps.map((ip) => ({ type: 'snat' as const, logical_ip: (subnets.find((s) => s.family === ip.family) as IpPrefix).text, external_ip: ip.text }));
    const haveNat = grRow ? grRow.nat.map((u) => db.table('NAT').get(u)).filter((n) => n !== undefined).filter(isMine) : [];
    for (const n of haveNat) {
      if (!wantNat.some((w) => w.type === n.type && w.logical_ip === n.logical_ip && w.external_ip === n.external_ip)) tx.removeFromSet('Logical_Router', (gr as Uuid), 'nat', [n._uuid]);
    }
    for (const w of wantNat) {
      if (haveNat.some((n) => w.type === n.type && w.logical_ip === n.logical_ip && w.external_ip === n.external_ip)) continue;
      tx.addRef('Logical_Router', gr, 'nat', tx.insert('NAT', { ...w, external_ids: ids }));
    }
  }

  /**
   * Removes every row the node owned: its switch (with every pod and management port), rtos-<node>, GR_<node> with
   * its ports, routes and NAT, jtor-GR_<node>, the cluster router's routes for the node, and its pods' addresses
   * from this controller's address sets. One transaction; false (nothing sent) when the node has no rows.
   * @throws OvnNotOwnedError when a row of the node's names belongs to another controller or tool (nothing sent).
   */
  async delete(key: ClusterKey): Promise<boolean> {
    checkKubernetesName('node', key.name);
    return commitDesired(this.db, (tx) => {
      this.buildDelete(tx, key.name);
      return !tx.isEmpty;
    });
  }

  private buildDelete(tx: DesiredState<NorthboundTables>, nodeName: string): void {
    const db = this.db;
    const owner = this.owner;
    const named = <R extends { external_ids: ReadonlyMap<string, string> }>(table: string, name: string, row: R | undefined): R | undefined => {
      if (row) assertOwned(table, name, row, owner);
      return row;
    };
    const ls = named('Logical_Switch', nodeSwitchName(nodeName), byName(db, 'Logical_Switch', nodeSwitchName(nodeName)));
    const gr = named('Logical_Router', gatewayRouterName(nodeName), byName(db, 'Logical_Router', gatewayRouterName(nodeName)));
    const rtos = named('Logical_Router_Port', routerToSwitchPort(nodeName), byName(db, 'Logical_Router_Port', routerToSwitchPort(nodeName)));
    const jtor = named('Logical_Switch_Port', joinToRouterPort(gatewayRouterName(nodeName)), byName(db, 'Logical_Switch_Port', joinToRouterPort(gatewayRouterName(nodeName))));
    const router = byName(db, 'Logical_Router', CLUSTER_ROUTER);
    const join = byName(db, 'Logical_Switch', JOIN_SWITCH);
    const removedAddresses = new Set<string>();
    if (ls) {
      for (const u of ls.ports) {
        const lsp = db.table('Logical_Switch_Port').get(u);
        if (lsp && isOwned(lsp, owner, 'Pod')) portAddresses(lsp, removedAddresses);
      }
      tx.delete('Logical_Switch', ls._uuid);
    }
    if (router) {
      if (rtos) tx.removeFromSet('Logical_Router', router._uuid, 'ports', [rtos._uuid], router.ports);
      const routes = router.static_routes.filter((u) => {
        const r = db.table('Logical_Router_Static_Route').get(u);
        return r !== undefined && isOwned(r, owner, 'Node', nodeName);
      });
      tx.removeFromSet('Logical_Router', router._uuid, 'static_routes', routes, router.static_routes);
    }
    if (gr) tx.delete('Logical_Router', gr._uuid);
    if (join && jtor) tx.removeFromSet('Logical_Switch', join._uuid, 'ports', [jtor._uuid], join.ports);
    removeAddressesFromSets(db, tx, owner, removedAddresses);
  }

  /** The node as stored (from its switch, owned by this controller), or undefined. */
  get(key: ClusterKey): NodeInfo | undefined {
    const ls = byName(this.db, 'Logical_Switch', nodeSwitchName(key.name));
    if (!ls || !isOwned(ls, this.owner, 'Node', key.name)) return undefined;
    return this.info(key.name, ls);
  }

  private info(name: string, ls: LogicalSwitch): NodeInfo {
    const gr = byName(this.db, 'Logical_Router', gatewayRouterName(name));
    const hasGr = gr !== undefined && isOwned(gr, this.owner, 'Node', name);
    return {
      name, subnets: nodeAddressing(ls).subnets.map((s) => s.text), switchName: ls.name, managementPort: managementPort(name),
      gatewayRouter: hasGr ? gr.name : undefined, chassis: hasGr ? gr.options.get('chassis') : undefined,
    };
  }

  /** Every node this controller owns (its switches). */
  list(): NodeInfo[] {
    const out: NodeInfo[] = [];
    for (const ls of ownedBy(this.db, 'Logical_Switch', this.owner, 'Node')) {
      const name = ls.external_ids.get(OBJECT_NAME_KEY) as string;
      if (ls.name === nodeSwitchName(name)) out.push(this.info(name, ls));
    }
    return out;
  }

  /** Deletes every node this controller owns that is not in `existing` (with all its rows). One transaction. */
  async sync(existing: Iterable<ClusterKey>): Promise<ClusterKey[]> {
    const keep = new Set<string>();
    for (const k of existing) keep.add(k.name);
    return commitDesired(this.db, (tx) => {
      const stale = new Set<string>();
      for (const table of ['Logical_Switch', 'Logical_Router'] as const) {
        for (const row of ownedBy(this.db, table, this.owner, 'Node')) {
          const name = row.external_ids.get(OBJECT_NAME_KEY) as string;
          if (!keep.has(name)) stale.add(name);
        }
      }
      for (const name of stale) this.buildDelete(tx, name);
      return [...stale].sort().map((name) => ({ name }));
    });
  }
}

/** What GR_<node> is built from besides the spec: checked before the transaction. */
interface GatewayRouterInput {
  readonly joinAddress: string | undefined;
  readonly clusterSubnets: readonly IpPrefix[];
  readonly nodeIps: readonly IpAddress[];
}

/** `nodeIp` checked: addresses, at most one per family. */
function parseNodeIps(node: string, nodeIp: string | readonly string[] | undefined): IpAddress[] {
  if (nodeIp === undefined) return [];
  const texts = typeof nodeIp === 'string' ? [nodeIp] : nodeIp;
  const out: IpAddress[] = [];
  for (const text of texts) {
    const a = typeof text === 'string' ? tryParseAddress(text) : undefined;
    if (!a) throw new OvnInvalidFieldError(NODE_OBJECT(node), 'nodeIp', nodeIp, `${String(text)} is not an IP address`);
    if (out.some((o) => o.family === a.family)) throw new OvnInvalidFieldError(NODE_OBJECT(node), 'nodeIp', nodeIp, `at most one IPv${a.family} node IP`);
    out.push(a);
  }
  return out;
}

/** Whether a router port network ("addr/len") is an address of `prefix`. */
function inPrefix(network: string, prefix: IpPrefix): boolean {
  try {
    const p = parsePrefix(network, true);
    return p.length === prefix.length && p.family === prefix.family && p.address.value >= prefix.network && p.address.value < prefix.network + prefixSize(prefix);
  } catch { return false; }
}

/** The join address (CIDR) of a node id: the join subnet plus the id (1 is the cluster router's). */
function joinAddressOfNode(node: string, nodeId: number, joinPrefix: IpPrefix): string {
  if (!Number.isSafeInteger(nodeId) || nodeId < 2 || BigInt(nodeId) >= prefixSize(joinPrefix) - 1n) {
    throw new OvnInvalidFieldError(NODE_OBJECT(node), 'nodeId', nodeId, `must be an integer from 2 to ${prefixSize(joinPrefix) - 2n} (an address of the join subnet ${joinPrefix.text}; 1 is the cluster router's)`);
  }
  return withLength(addressAt(joinPrefix, BigInt(nodeId)), joinPrefix.length);
}

/** The lowest join address (offset from 2) no router port has and not in `reserved`. */
function firstFreeJoinAddress(db: Northbound, joinPrefix: IpPrefix, reserved: ReadonlySet<bigint>): { offset: bigint; cidr: string } {
  const used = new Set<bigint>(reserved);
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
      return { offset, cidr: withLength(a, joinPrefix.length) };
    }
  }
  throw new OvnInvalidFieldError('cluster', 'joinSubnet', joinPrefix.text, `the join subnet ${joinPrefix.text} is full`);
}

interface RouteSpec { ip_prefix: string; nexthop: string; policy?: 'src-ip' | 'dst-ip' }

/** Makes the routes of `router` selected by `mine` exactly `want`. */
function ensureRoutes(db: Northbound, tx: DesiredState<NorthboundTables>, router: RowRef, routerRow: LogicalRouter | undefined, want: RouteSpec[],
  mine: (r: NorthboundTables['Logical_Router_Static_Route']) => boolean, ids: ReadonlyMap<string, string>): void {
  const have = routerRow ? routerRow.static_routes.map((u) => db.table('Logical_Router_Static_Route').get(u)).filter((r) => r !== undefined) : [];
  const same = (r: NorthboundTables['Logical_Router_Static_Route'], w: RouteSpec): boolean =>
    r.ip_prefix === w.ip_prefix && r.nexthop === w.nexthop && (r.policy ?? 'dst-ip') === (w.policy ?? 'dst-ip');
  for (const r of have) if (mine(r) && !want.some((w) => same(r, w))) tx.removeFromSet('Logical_Router', router as Uuid, 'static_routes', [r._uuid]);
  for (const w of want) {
    if (have.some((r) => mine(r) && same(r, w))) continue;
    const row: Record<string, unknown> = { ip_prefix: w.ip_prefix, nexthop: w.nexthop, external_ids: new Map(ids) };
    if (w.policy) row.policy = w.policy;
    tx.addRef('Logical_Router', router, 'static_routes', tx.insert('Logical_Router_Static_Route', row));
  }
}
