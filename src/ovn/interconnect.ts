// The pod API's interconnect mode, as ovn-kubernetes builds it (go-controller/pkg/ovn/zone_interconnect): every
// zone (one per node in ovn-kubernetes) has its own NB and SB, and the zones' cluster routers meet on a transit
// switch that exists, with the same tunnel key, in every zone. No ovn-ic runs; the agent writes it all:
//
//   transit_switch             other_config interconn-ts=transit_switch, requested-tnl-key=16711683 (+ network id)
//   local node                 rtots-<node> on ovn_cluster_router (0a:58:<transit ip>, <transit ip>/16) and
//                              tstor-<node> (type router) on the transit switch, requested-tnl-key=<node id>
//   remote node                tstor-<node> (type remote, "<mac> <transit ip>/16", requested-tnl-key=<node id>,
//                              requested-chassis=<node>) and, on ovn_cluster_router, a route to each of its pod
//                              subnets via its transit address
//   remote chassis (SB)        Chassis <chassis id> hostname=<node> other_config:is-remote=true, Encap geneve <ip>
//                              options csum=true; the remote port's Port_Binding bound to it
//
// A zone's transit port key is the node id in every zone, so a frame tunnelled to the remote chassis carries the
// egress key the other zone knows as that node's router port. OVN >= 23.09's ovn-northd binds remote ports by
// requested-chassis by itself; older ones (Debian's 23.03) leave Port_Binding.chassis to the CMS, so the remote
// port is bound here too, once ovn-northd has made its Port_Binding.
//
// The kind has the library's one shape (kind.ts): ensure / delete / get / list / sync, keyed by node name; its
// rows are owned like the nodes' (`k8s.ovn.org/owner-type` Node, name = the node; the transit switch: Cluster).
import type { Uuid } from '../ovsdb/datum.js';
import { waitForReplica } from '../ovsdb/replica-wait.js';
import type { LogicalRouterStaticRoute, LogicalSwitchPort, NorthboundTables } from '../models/ovn-northbound.js';
import type { SouthboundTables } from '../models/ovn-southbound.js';
import { commitDesired, type DesiredState, type RowRef } from './desired-state.js';
import { OvnInvalidFieldError, OvnNotFoundError, OvnPortBindingNotFoundError } from './errors.js';
import { addressAt, parsePrefix, prefixSize, tryParseAddress, withLength, type IpPrefix } from './ip.js';
import type { Changed, ClusterKey, KindOptions, OvnKind } from './kind.js';
import { checkKubernetesName } from './kubernetes-names.js';
import { macFromAddress } from './mac.js';
import {
  CLUSTER_ROUTER, DEFAULT_CONTROLLER, DEFAULT_TRANSIT_SUBNET, INTERCONN_TS_KEY, IS_REMOTE_KEY, NODE_KEY, REQUESTED_CHASSIS_KEY, REQUESTED_TNL_KEY_KEY,
  TRANSIT_SWITCH, TRANSIT_SWITCH_TUNNEL_KEY, TRANSIT_TO_ROUTER_PREFIX, routerToTransitPort, transitToRouterPort,
} from './names.js';
import { byName, type Northbound } from './northbound.js';
import { isOwned, ownerIds, type Owner } from './ownership.js';
import type { Southbound } from './southbound.js';

/** Port tunnel keys are 15 bits in OVN's Geneve option; 0 is never assigned. */
export const MAX_NODE_ID = 32_767;

export interface ZoneInterconnectOptions extends KindOptions {
  /** The transit switch subnet (IPv4), default 100.88.0.0/16; a node's transit address is subnet + node id. */
  readonly transitSubnet?: string;
}

/** The other zone's side of a remote node: where its pods are and how to tunnel to it. */
export interface RemoteNode {
  /** The node's pod subnets (IPv4): routed on ovn_cluster_router via the node's transit address. */
  readonly subnets: readonly string[];
  /** The node's chassis id (system-id): the remote Chassis row's name. */
  readonly chassis: string;
  /** The node's tunnel endpoint (its primary IPv4 address). */
  readonly encapIp: string;
}

/** A node of the cluster as interconnect sees it from this zone: local (no `remote`) or in another zone. */
export interface ZoneNodeSpec extends ClusterKey {
  /** `k8s.ovn.org/node-id`: the node's transit port key in every zone, and its transit address (subnet + id). */
  readonly nodeId: number;
  readonly remote?: RemoteNode;
}

export interface ZoneNodeInfo {
  readonly name: string;
  readonly nodeId: number;
  readonly remote: boolean;
  /** The node's address on the transit switch, e.g. "100.88.0.3/16". */
  readonly transitAddress: string;
}

const NODE_OBJECT = (name: string): string => `interconnect node ${name}`;

/**
 * Interconnect for one zone, over its NB and SB replicas (see the file comment). ensure() is idempotent and
 * sends nothing when the rows already are as asked.
 */
export class ZoneInterconnect implements OvnKind<ZoneNodeSpec, ClusterKey, ZoneNodeInfo> {
  readonly ownerType = 'Node' as const;
  readonly controller: string;
  readonly transitPrefix: IpPrefix;
  private readonly owner: Owner;

  constructor(readonly nb: Northbound, readonly sb: Southbound, options: ZoneInterconnectOptions = {}) {
    this.controller = options.controller ?? DEFAULT_CONTROLLER;
    this.owner = { controller: this.controller };
    const subnet = options.transitSubnet ?? DEFAULT_TRANSIT_SUBNET;
    let prefix: IpPrefix | undefined;
    try { prefix = parsePrefix(subnet); } catch { prefix = undefined; }
    if (prefix?.family !== 4) throw new OvnInvalidFieldError('interconnect', 'transitSubnet', subnet, 'the transit subnet must be an IPv4 prefix');
    this.transitPrefix = prefix;
  }

  /** The node's address on the transit switch with the subnet's length ("100.88.0.3/16"). */
  transitAddress(node: string, nodeId: number): string {
    if (!Number.isInteger(nodeId) || nodeId < 1 || nodeId > MAX_NODE_ID) {
      throw new OvnInvalidFieldError(NODE_OBJECT(node), 'nodeId', nodeId, `must be an integer from 1 to ${MAX_NODE_ID} (a port tunnel key)`);
    }
    if (BigInt(nodeId) >= prefixSize(this.transitPrefix) - 1n) {
      throw new OvnInvalidFieldError(NODE_OBJECT(node), 'nodeId', nodeId, `outside the transit subnet ${this.transitPrefix.text}`);
    }
    return withLength(addressAt(this.transitPrefix, BigInt(nodeId)), this.transitPrefix.length);
  }

  /**
   * A local node: the transit switch and the node's router port on it (rtots-<node> / tstor-<node>). A remote
   * node: its remote Chassis in SB, its remote port on the transit switch and routes to its pod subnets, then,
   * once ovn-northd has made the port's Port_Binding, the binding to that chassis (`timeoutMs`, default 15 s).
   * @throws OvnInvalidNameError, OvnInvalidFieldError (nothing sent); OvnNotFoundError for a remote node before
   *   the cluster router exists; OvnPortBindingNotFoundError when ovn-northd made no Port_Binding in time.
   */
  async ensure(spec: ZoneNodeSpec, options: { timeoutMs?: number } = {}): Promise<ZoneNodeInfo & Changed> {
    checkKubernetesName('node', spec.name);
    const address = this.transitAddress(spec.name, spec.nodeId);
    let changed: boolean;
    if (spec.remote) {
      const remote = spec.remote;
      if (tryParseAddress(remote.encapIp)?.family !== 4) throw new OvnInvalidFieldError(NODE_OBJECT(spec.name), 'remote.encapIp', remote.encapIp, 'must be an IPv4 address');
      const subnets = remote.subnets.map((s, i) => {
        try { return parsePrefix(s); } catch (err) { throw new OvnInvalidFieldError(NODE_OBJECT(spec.name), `remote.subnets[${i}]`, s, (err as Error).message); }
      }).filter((p) => p.family === 4);
      const chassis = await this.commitSb((tx) => this.buildRemoteChassis(tx, spec.name, remote));
      const nb = await this.commitNb((tx) => this.buildRemote(tx, spec, address, subnets));
      const bound = await this.bindRemotePort(spec.name, remote.chassis, options.timeoutMs);
      changed = chassis || nb || bound;
    } else {
      changed = await this.commitNb((tx) => this.buildLocal(tx, spec, address));
    }
    return { name: spec.name, nodeId: spec.nodeId, remote: spec.remote !== undefined, transitAddress: address, changed };
  }

  /** Removes a node's transit port, router port, routes and remote chassis from this zone. */
  async delete(key: ClusterKey): Promise<boolean> {
    return this.deleteNodes([key.name]);
  }

  get(key: ClusterKey): ZoneNodeInfo | undefined {
    const lsp = byName(this.nb, 'Logical_Switch_Port', transitToRouterPort(key.name));
    return lsp && isOwned(lsp, this.owner, 'Node', key.name) ? this.info(key.name, lsp) : undefined;
  }

  /** The nodes on this zone's transit switch that this controller owns, local and remote, by node id. */
  list(): ZoneNodeInfo[] {
    const ts = byName(this.nb, 'Logical_Switch', TRANSIT_SWITCH);
    if (!ts) return [];
    const ports = ts.ports.map((u) => this.nb.table('Logical_Switch_Port').get(u)).filter((p) => p !== undefined);
    return ports.filter((lsp) => isOwned(lsp, this.owner, 'Node') && lsp.name.startsWith(TRANSIT_TO_ROUTER_PREFIX))
      .map((lsp) => this.info(lsp.name.slice(TRANSIT_TO_ROUTER_PREFIX.length), lsp))
      .sort((a, b) => a.nodeId - b.nodeId);
  }

  /**
   * Deletes every node on the transit switch this controller owns that is not in `existing`: one NB and one SB
   * transaction (interconnect spans both databases).
   */
  async sync(existing: Iterable<ClusterKey>): Promise<ClusterKey[]> {
    const keep = new Set([...existing].map((k) => k.name));
    const stale = this.list().filter((n) => !keep.has(n.name)).map((n) => n.name);
    await this.deleteNodes(stale);
    return stale.map((name) => ({ name }));
  }

  private async deleteNodes(names: readonly string[]): Promise<boolean> {
    if (names.length === 0) return false;
    const nb = await this.commitNb((tx) => { for (const name of names) this.buildDelete(tx, name); });
    const gone = new Set(names);
    const sb = await this.commitSb((tx) => {
      for (const c of this.sb.table('Chassis')) {
        if (gone.has(c.hostname) && c.other_config.get(IS_REMOTE_KEY) === 'true') tx.delete('Chassis', c._uuid);
      }
    });
    return nb || sb;
  }

  private info(name: string, lsp: Readonly<LogicalSwitchPort>): ZoneNodeInfo {
    const remote = lsp.type === 'remote';
    const transitAddress = remote
      ? lsp.addresses[0]?.split(' ')[1] ?? ''
      : byName(this.nb, 'Logical_Router_Port', routerToTransitPort(name))?.networks[0] ?? '';
    return { name, nodeId: Number(lsp.options.get(REQUESTED_TNL_KEY_KEY)), remote, transitAddress };
  }

  private ids(node: string): Map<string, string> {
    // ovn-kubernetes marks its transit ports with `node` too.
    return ownerIds(this.owner, 'Node', node, [[NODE_KEY, node]]);
  }

  private async commitNb(build: (tx: DesiredState<NorthboundTables>) => void): Promise<boolean> {
    return commitDesired(this.nb, (tx) => { build(tx); return !tx.isEmpty; });
  }

  private async commitSb(build: (tx: DesiredState<SouthboundTables>) => void): Promise<boolean> {
    return commitDesired(this.sb, (tx) => { build(tx); return !tx.isEmpty; });
  }

  private buildLocal(tx: DesiredState<NorthboundTables>, spec: ZoneNodeSpec, address: string): void {
    const ts = this.buildTransitSwitch(tx);
    const router = byName(this.nb, 'Logical_Router', CLUSTER_ROUTER);
    const routerRef: RowRef = router?._uuid
      ?? tx.insertNamed('Logical_Router', { name: CLUSTER_ROUTER, external_ids: ownerIds(this.owner, 'Cluster', CLUSTER_ROUTER) });
    const rtots = routerToTransitPort(spec.name);
    const lrp = byName(this.nb, 'Logical_Router_Port', rtots);
    const mac = macFromAddress(address.slice(0, address.indexOf('/')));
    const lrpDesired = { mac, networks: [address], options: new Map([['mcast_flood', 'true']]), external_ids: this.ids(spec.name) };
    if (lrp) tx.updateChanged('Logical_Router_Port', lrp, lrpDesired);
    else tx.addRef('Logical_Router', routerRef, 'ports', tx.insertNamed('Logical_Router_Port', { name: rtots, ...lrpDesired }));
    this.buildTransitPort(tx, ts, spec.name, {
      type: 'router', addresses: ['router'],
      options: new Map([['router-port', rtots], [REQUESTED_TNL_KEY_KEY, String(spec.nodeId)]]), external_ids: this.ids(spec.name),
    });
    // A node that moved here from another zone leaves no route towards it behind.
    if (router) this.buildRoutes(tx, router._uuid, spec.name, []);
  }

  private buildRemote(tx: DesiredState<NorthboundTables>, spec: ZoneNodeSpec, address: string, subnets: readonly IpPrefix[]): void {
    const nexthop = address.slice(0, address.indexOf('/'));
    const ts = this.buildTransitSwitch(tx);
    this.buildTransitPort(tx, ts, spec.name, {
      type: 'remote', addresses: [`${macFromAddress(nexthop)} ${address}`],
      options: new Map([[REQUESTED_TNL_KEY_KEY, String(spec.nodeId)], [REQUESTED_CHASSIS_KEY, spec.name]]), external_ids: this.ids(spec.name),
    });
    const router = byName(this.nb, 'Logical_Router', CLUSTER_ROUTER);
    if (!router) throw new OvnNotFoundError('Logical_Router', CLUSTER_ROUTER, 'ensure the cluster (or a local node) before remote nodes');
    const rtots = byName(this.nb, 'Logical_Router_Port', routerToTransitPort(spec.name));
    // A node that moved to another zone keeps no router port here.
    if (rtots && router.ports.includes(rtots._uuid)) tx.removeFromSet('Logical_Router', router._uuid, 'ports', [rtots._uuid]);
    this.buildRoutes(tx, router._uuid, spec.name, subnets.map((p) => ({ ip_prefix: p.text, nexthop })));
  }

  private buildDelete(tx: DesiredState<NorthboundTables>, name: string): void {
    const ts = byName(this.nb, 'Logical_Switch', TRANSIT_SWITCH);
    const tstor = byName(this.nb, 'Logical_Switch_Port', transitToRouterPort(name));
    if (ts && tstor && isOwned(tstor, this.owner, 'Node', name)) tx.removeFromSet('Logical_Switch', ts._uuid, 'ports', [tstor._uuid], ts.ports);
    const router = byName(this.nb, 'Logical_Router', CLUSTER_ROUTER);
    if (!router) return;
    const rtots = byName(this.nb, 'Logical_Router_Port', routerToTransitPort(name));
    if (rtots && isOwned(rtots, this.owner, 'Node', name)) tx.removeFromSet('Logical_Router', router._uuid, 'ports', [rtots._uuid], router.ports);
    this.buildRoutes(tx, router._uuid, name, []);
  }

  private buildTransitSwitch(tx: DesiredState<NorthboundTables>): RowRef {
    const desired = {
      other_config: new Map([
        [INTERCONN_TS_KEY, TRANSIT_SWITCH], [REQUESTED_TNL_KEY_KEY, String(TRANSIT_SWITCH_TUNNEL_KEY)],
        ['mcast_snoop', 'true'], ['mcast_querier', 'false'], ['mcast_flood_unregistered', 'true'],
      ]),
      external_ids: ownerIds(this.owner, 'Cluster', TRANSIT_SWITCH),
    };
    const row = byName(this.nb, 'Logical_Switch', TRANSIT_SWITCH);
    if (!row) return tx.insertNamed('Logical_Switch', { name: TRANSIT_SWITCH, ...desired });
    tx.updateChanged('Logical_Switch', row, desired);
    return row._uuid;
  }

  private buildTransitPort(tx: DesiredState<NorthboundTables>, ts: RowRef, node: string, desired: Pick<LogicalSwitchPort, 'type' | 'addresses' | 'options' | 'external_ids'>): void {
    const name = transitToRouterPort(node);
    const row = byName(this.nb, 'Logical_Switch_Port', name);
    if (row) tx.updateChanged('Logical_Switch_Port', row, desired);
    else tx.addRef('Logical_Switch', ts, 'ports', tx.insertNamed('Logical_Switch_Port', { name, ...desired }));
  }

  /** Makes this node's routes on ovn_cluster_router exactly `want`. */
  private buildRoutes(tx: DesiredState<NorthboundTables>, router: Uuid, node: string, want: readonly { ip_prefix: string; nexthop: string }[]): void {
    const routerRow = this.nb.table('Logical_Router').get(router);
    const have = (routerRow?.static_routes ?? [])
      .map((u) => this.nb.table('Logical_Router_Static_Route').get(u))
      .filter((r): r is LogicalRouterStaticRoute => r !== undefined && isOwned(r, this.owner, 'Node', node) && r.external_ids.get(NODE_KEY) === node);
    const same = (r: LogicalRouterStaticRoute, w: { ip_prefix: string; nexthop: string }) => r.ip_prefix === w.ip_prefix && r.nexthop === w.nexthop;
    const stale = have.filter((r) => !want.some((w) => same(r, w))).map((r) => r._uuid);
    if (stale.length > 0) tx.removeFromSet('Logical_Router', router, 'static_routes', stale);
    for (const w of want) {
      if (have.some((r) => same(r, w))) continue;
      tx.addRef('Logical_Router', router, 'static_routes', tx.insert('Logical_Router_Static_Route', { ...w, external_ids: this.ids(node) }));
    }
  }

  private buildRemoteChassis(tx: DesiredState<SouthboundTables>, node: string, remote: RemoteNode): void {
    const existing = this.sb.table('Chassis').findOne('name', remote.chassis);
    const encapRow = { type: 'geneve', ip: remote.encapIp, options: new Map([['csum', 'true']]), chassis_name: remote.chassis };
    const desired = { hostname: node, other_config: new Map([[IS_REMOTE_KEY, 'true']]) };
    if (!existing) {
      tx.insertNamed('Chassis', { name: remote.chassis, ...desired, encaps: [tx.insert('Encap', encapRow)] });
      return;
    }
    const encap = existing.encaps.length === 1 ? this.sb.table('Encap').get(existing.encaps[0]) : undefined;
    const encapOk = encap !== undefined && encap.type === 'geneve' && encap.ip === remote.encapIp && encap.options.get('csum') === 'true';
    tx.updateChanged('Chassis', existing, { ...desired, ...(encapOk ? {} : { encaps: [tx.insert('Encap', encapRow)] }) });
  }

  /** Binds tstor-<node> to the node's remote chassis once ovn-northd has made its Port_Binding. */
  private async bindRemotePort(node: string, chassisName: string, timeoutMs = 15_000): Promise<boolean> {
    const portName = transitToRouterPort(node);
    const found = await waitForReplica(this.sb, `the Port_Binding of ${portName}`, () => {
      const pb = this.sb.table('Port_Binding').findOne('logical_port', portName);
      const chassis = this.sb.table('Chassis').findOne('name', chassisName);
      return pb && chassis ? { pb, chassis } : undefined;
    }, { timeoutMs }).catch((error: unknown) => {
      throw new OvnPortBindingNotFoundError(`${portName} cannot be bound to chassis ${chassisName}: ${(error as Error).message}`);
    });
    if (found.pb.chassis === found.chassis._uuid) return false;
    return this.commitSb((tx) => {
      const pb = this.sb.table('Port_Binding').findOne('logical_port', portName);
      if (pb) tx.updateChanged('Port_Binding', pb, { chassis: found.chassis._uuid });
    });
  }
}
