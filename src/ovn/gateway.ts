// Gateways: a node's way out of the cluster and back in, as ovn-kubernetes' GatewayInit builds it for the shared
// gateway mode (go-controller pkg/ovn/gateway.go). On top of the node's gateway router GR_<node> (nodes.ts, with a
// chassis), per node:
//
//   GR_<node> --rtoe-GR_<node>-- ext_<node> --<bridge>_<node> (localnet, network_name=physnet)-- br-ex on the node
//
//   GR_<node>          options always_learn_from_arp_request=false, dynamic_neigh_routers=true,
//                      lb_force_snat_ip=router_ip, snat-ct-zone=0, mac_binding_age_threshold=300
//   rtoe-GR_<node>     the node's MAC and IP address(es) on the external network (gateway-physical-ip=yes)
//   etor-GR_<node>     router port of ext_<node> (nat-addresses=router: GARPs for NAT addresses such as egress IPs)
//   static routes      0.0.0.0/0 and ::/0 via the next hops, output_port rtoe-GR_<node>
//   NAT                the join address SNATed to the node IP; the cluster subnets SNATed to the node IP, unless
//                      disable-snat-multiple-gws (then per pod: pod-snat.ts)
//   ovn_cluster_router a route to the GR's join address via itself (ovn-kubernetes' return-path workaround)
//
// The spec is the node's `k8s.ovn.org/l3-gateway-config` annotation (gateway-annotation.ts reads it) plus the
// cluster's settings. Rows are owned by `Gateway` `<node>`, so nodes.ensure (owner `Node`) and this kind never
// undo each other's rows on the same router; nodes.delete deletes GR_<node> with everything on it, and
// gateways.delete/sync remove the external switch.
import type { LogicalRouter, LogicalSwitch, NorthboundTables } from '../models/ovn-northbound.js';
import type { WriteRow } from '../ovsdb/datum.js';
import { commitDesired, type DesiredState } from './desired-state.js';
import { OvnInvalidFieldError, OvnNotFoundError } from './errors.js';
import { parsePrefix, prefixContains, tryParseAddress, type IpAddress, type IpFamily, type IpPrefix } from './ip.js';
import { checkKubernetesName } from './kubernetes-names.js';
import { isUnicastMac } from './mac.js';
import {
  CLUSTER_ROUTER, DEFAULT_CONTROLLER, GATEWAY_PHYSICAL_IP_KEY, OBJECT_NAME_KEY, PHYSICAL_NETWORK,
  externalSwitchName, externalToRouterPort, gatewayRouterName, routerToExternalPort, routerToJoinPort,
} from './names.js';
import { byName, ownedBy, type Northbound } from './northbound.js';
import { assertOwned, isOwned, ownerIds, type Owner } from './ownership.js';
import { ensureRouterChildren, removeRouterChildren, routerChildren, type RouterChild } from './router-rows.js';
import { ensureRouterPort, ensureSwitchPort, type RowOwnership } from './topology.js';
import type { Changed, ClusterKey, KindOptions, OvnKind } from './kind.js';

/** A node's gateway: its `k8s.ovn.org/l3-gateway-config` (shared mode) and the cluster's SNAT settings. Key `{ name }` = the node. */
export interface GatewaySpec extends ClusterKey {
  /** `interface-id`: the localnet port of ext_<node>, `<bridge>_<node>` (ensureGatewayBridge's interfaceId). */
  readonly interfaceId: string;
  /** `mac-address`: MAC of rtoe-GR_<node> (br-ex's). */
  readonly macAddress: string;
  /** `ip-addresses`: the node's address(es) on the external network with prefix length, at most one per family. */
  readonly ipAddresses: readonly string[];
  /** `next-hops`: the default gateway(s), at most one per family, each inside the node address of its family. */
  readonly nextHops: readonly string[];
  /** `vlan-id`: tag of the localnet port (0 or absent: untagged). */
  readonly vlanId?: number;
  /** The physical network of the localnet port (default `physnet`): its `ovn-bridge-mappings` entry on the node. */
  readonly physicalNetwork?: string;
  /** The cluster's pod subnets (`--cluster-subnets`): SNATed to the node IP of their family. */
  readonly clusterSubnets: readonly string[];
  /** ovn-kubernetes' `disable-snat-multiple-gws`: no cluster-subnet SNAT here (pod egress keeps its pod IP, or per-pod SNAT). */
  readonly disableSnatMultipleGws?: boolean;
}

/** A gateway as stored. */
export interface GatewayInfo {
  readonly name: string;
  readonly gatewayRouter: string;
  readonly externalSwitch: string;
  readonly interfaceId: string | undefined;
  readonly physicalNetwork: string | undefined;
  readonly vlanId: number | undefined;
  readonly macAddress: string | undefined;
  readonly ipAddresses: readonly string[];
  readonly nextHops: readonly string[];
  /** The cluster subnets SNATed here (empty with disable-snat-multiple-gws). */
  readonly snatSubnets: readonly string[];
}

/** The gateway router options ovn-kubernetes sets besides `chassis` (which nodes.ensure owns). */
export const GATEWAY_ROUTER_OPTIONS: ReadonlyMap<string, string> = new Map([
  ['always_learn_from_arp_request', 'false'],
  ['dynamic_neigh_routers', 'true'],
  ['lb_force_snat_ip', 'router_ip'],
  ['snat-ct-zone', '0'],
  ['mac_binding_age_threshold', '300'],
]);

const GATEWAY_OBJECT = (name: string): string => `gateway ${name}`;
const PORT_NAME_RE = /^[A-Za-z0-9._-]{1,253}$/;

/** A checked gateway spec: parsed addresses per family. */
interface Parsed {
  readonly addresses: Map<IpFamily, IpPrefix & { address: IpAddress }>;
  readonly nextHops: Map<IpFamily, string>;
  readonly clusterSubnets: IpPrefix[];
  readonly vlan: number | undefined;
}

/** @throws OvnInvalidFieldError naming the field (nothing is sent). */
function checkSpec(spec: GatewaySpec): Parsed {
  checkKubernetesName('node', spec.name);
  const object = GATEWAY_OBJECT(spec.name);
  if (typeof spec.interfaceId !== 'string' || !PORT_NAME_RE.test(spec.interfaceId)) throw new OvnInvalidFieldError(object, 'interfaceId', spec.interfaceId, 'a logical port name (A-Z a-z 0-9 . _ -), e.g. br-ex_<node>');
  if (typeof spec.macAddress !== 'string' || !isUnicastMac(spec.macAddress.toLowerCase())) throw new OvnInvalidFieldError(object, 'macAddress', spec.macAddress, 'a unicast MAC address');
  const physnet = spec.physicalNetwork ?? PHYSICAL_NETWORK;
  if (!/^[A-Za-z0-9._-]+$/.test(physnet)) throw new OvnInvalidFieldError(object, 'physicalNetwork', physnet, 'a physical network name (A-Z a-z 0-9 . _ -)');
  const addresses = new Map<IpFamily, IpPrefix & { address: IpAddress }>();
  if (!Array.isArray(spec.ipAddresses as unknown) || spec.ipAddresses.length === 0) throw new OvnInvalidFieldError(object, 'ipAddresses', spec.ipAddresses, 'a gateway needs the node\'s address on the external network');
  spec.ipAddresses.forEach((text, i) => {
    let p: IpPrefix & { address: IpAddress };
    try { p = parsePrefix(text, true); } catch (err) { throw new OvnInvalidFieldError(object, `ipAddresses[${i}]`, text, (err as Error).message); }
    if (addresses.has(p.family)) throw new OvnInvalidFieldError(object, 'ipAddresses', spec.ipAddresses, `at most one IPv${p.family} address`);
    addresses.set(p.family, p);
  });
  const nextHops = new Map<IpFamily, string>();
  (spec.nextHops ?? []).forEach((text, i) => {
    const a = tryParseAddress(text);
    if (!a) throw new OvnInvalidFieldError(object, `nextHops[${i}]`, text, 'not an IP address');
    const own = addresses.get(a.family);
    if (!own) throw new OvnInvalidFieldError(object, `nextHops[${i}]`, text, `an IPv${a.family} next hop needs an IPv${a.family} node address`);
    // OVN drops a static route whose next hop is not in its output port's networks.
    if (!prefixContains(own, a)) throw new OvnInvalidFieldError(object, `nextHops[${i}]`, text, `not in the node's network ${own.text}: OVN cannot route to it through rtoe-GR_${spec.name}`);
    if (a.value === own.address.value) throw new OvnInvalidFieldError(object, `nextHops[${i}]`, text, 'the next hop is the node\'s own address');
    if (nextHops.has(a.family)) throw new OvnInvalidFieldError(object, 'nextHops', spec.nextHops, `at most one IPv${a.family} next hop`);
    nextHops.set(a.family, a.text);
  });
  if (spec.vlanId !== undefined && (!Number.isInteger(spec.vlanId) || spec.vlanId < 0 || spec.vlanId > 4094)) throw new OvnInvalidFieldError(object, 'vlanId', spec.vlanId, 'a VLAN id from 0 (untagged) to 4094');
  const clusterSubnets = (spec.clusterSubnets ?? []).map((text, i) => {
    let p: IpPrefix;
    try { p = parsePrefix(text); } catch (err) { throw new OvnInvalidFieldError(object, `clusterSubnets[${i}]`, text, (err as Error).message); }
    if (!spec.disableSnatMultipleGws && !addresses.has(p.family)) {
      throw new OvnInvalidFieldError(object, `clusterSubnets[${i}]`, text, `no IPv${p.family} node address to SNAT IPv${p.family} pod egress to (add one to ipAddresses, or set disableSnatMultipleGws)`);
    }
    return p;
  });
  return { addresses, nextHops, clusterSubnets, vlan: spec.vlanId === undefined || spec.vlanId === 0 ? undefined : spec.vlanId };
}

function familyOf(text: string): IpFamily {
  return text.includes(':') ? 6 : 4;
}

const routeKey = (r: Partial<RouterChild<'static_routes'>>): string => `${r.ip_prefix}|${r.policy ?? 'dst-ip'}|${r.output_port ?? ''}`;
const natKey = (n: Partial<RouterChild<'nat'>>): string => `${n.type}|${n.logical_ip}`;

/** The gateways of nodes in OVN_Northbound (see the file comment). */
export class OvnGateways implements OvnKind<GatewaySpec, ClusterKey, GatewayInfo> {
  readonly ownerType = 'Gateway' as const;
  readonly controller: string;
  private readonly owner: Owner;

  constructor(readonly db: Northbound, options: KindOptions = {}) {
    this.controller = options.controller ?? DEFAULT_CONTROLLER;
    this.owner = { controller: this.controller };
  }

  private mine(node: string): (row: { readonly external_ids: ReadonlyMap<string, string> }) => boolean {
    return (row) => isOwned(row, this.owner, 'Gateway', node);
  }

  /**
   * Ensures the node's gateway rows; one transaction, none when all is as asked.
   * @throws OvnInvalidNameError, OvnInvalidFieldError (nothing sent); OvnNotFoundError when GR_<node> does not exist
   *   (nodes.ensure with a chassis makes it); OvnNotOwnedError when ext_<node> or a port of its names is another's.
   */
  async ensure(spec: GatewaySpec): Promise<GatewayInfo & Changed> {
    const parsed = checkSpec(spec);
    const changed = await commitDesired(this.db, (tx) => {
      this.build(tx, spec, parsed);
      return !tx.isEmpty;
    });
    return { ...(this.get(spec) as GatewayInfo), changed };
  }

  private build(tx: DesiredState<NorthboundTables>, spec: GatewaySpec, p: Parsed): void {
    const db = this.db;
    const node = spec.name;
    const grName = gatewayRouterName(node);
    const gr = byName(db, 'Logical_Router', grName);
    if (!gr) throw new OvnNotFoundError('Logical_Router', grName, `ensure node ${node} with a chassis first`);
    assertOwned('Logical_Router', grName, gr, this.owner);
    // nodes.ensure({ nodeIp }) SNATs the node subnet on this router itself: with a gateway that SNAT belongs here.
    const nodeSnat = routerChildren(db, gr, 'nat').find((n) => isOwned(n, this.owner, 'Node', node));
    if (nodeSnat) {
      throw new OvnInvalidFieldError(`node ${node}`, 'nodeIp', nodeSnat.external_ip,
        `${grName} already SNATs ${nodeSnat.logical_ip} for nodes.ensure({ nodeIp }); with a gateway, ensure the node without nodeIp (the gateway owns SNAT)`);
    }
    const mine: RowOwnership = { owner: this.owner, type: 'Gateway', name: node };
    const ids = ownerIds(this.owner, 'Gateway', node);
    const isMine = this.mine(node);

    // The gateway router's options (merged: `chassis` and others' keys stay).
    const options = new Map(gr.options);
    for (const [k, v] of GATEWAY_ROUTER_OPTIONS) options.set(k, v);
    tx.updateChanged('Logical_Router', gr, { options });

    // rtoe-GR_<node> and ext_<node> with its localnet and router ports.
    const rtoe = routerToExternalPort(node);
    const networks = [...p.addresses.values()].map((a) => `${a.address.text}/${a.length}`);
    const mac = spec.macAddress.toLowerCase();
    ensureRouterPort(db, tx, gr._uuid, gr.ports, rtoe, mac, networks, mine, [[GATEWAY_PHYSICAL_IP_KEY, 'yes']]);
    const extName = externalSwitchName(node);
    const ext = byName(db, 'Logical_Switch', extName);
    if (ext) assertOwned('Logical_Switch', extName, ext, this.owner);
    const extRef = ext ? ext._uuid : tx.insertNamed<LogicalSwitch>('Logical_Switch', { name: extName, external_ids: ids });
    if (ext) tx.updateChanged('Logical_Switch', ext, { external_ids: ids });
    // A localnet port of another name (the interface id changed) goes.
    for (const u of ext?.ports ?? []) {
      const lsp = db.table('Logical_Switch_Port').get(u);
      if (lsp && lsp.type === 'localnet' && lsp.name !== spec.interfaceId && isMine(lsp)) tx.removeFromSet('Logical_Switch', ext!._uuid, 'ports', [u]);
    }
    ensureSwitchPort(db, tx, extRef, ext?.ports, spec.interfaceId, {
      type: 'localnet', addresses: ['unknown'], options: new Map([['network_name', spec.physicalNetwork ?? PHYSICAL_NETWORK]]),
      tag_request: p.vlan === undefined ? [] : BigInt(p.vlan), external_ids: ids,
    } as WriteRow<NorthboundTables['Logical_Switch_Port']>, mine);
    ensureSwitchPort(db, tx, extRef, ext?.ports, externalToRouterPort(node), {
      type: 'router', addresses: [mac],
      options: new Map([['router-port', rtoe], ['nat-addresses', 'router'], ['exclude-lb-vips-from-garp', 'true']]), external_ids: ids,
    }, mine);

    // Default routes out of rtoe-GR_<node>.
    ensureRouterChildren(db, tx, gr._uuid, gr, 'static_routes', [...p.nextHops].map(([family, nexthop]) => ({
      ip_prefix: family === 4 ? '0.0.0.0/0' : '::/0', nexthop, output_port: rtoe, external_ids: ids,
    })), routeKey, isMine);

    // SNAT: the join address(es), and the cluster subnets unless disabled; to the node IP of their family.
    const joinIps = (byName(db, 'Logical_Router_Port', routerToJoinPort(grName))?.networks ?? []).map((n) => n.slice(0, n.indexOf('/')));
    const nats: WriteRow<RouterChild<'nat'>>[] = [];
    const snat = (logicalIp: string, family: IpFamily): void => {
      const external = p.addresses.get(family);
      if (external) nats.push({ type: 'snat', logical_ip: logicalIp, external_ip: external.address.text, options: new Map([['stateless', 'false']]), external_ids: ids });
    };
    for (const ip of joinIps) snat(ip, familyOf(ip));
    if (!spec.disableSnatMultipleGws) for (const subnet of p.clusterSubnets) snat(subnet.text, subnet.family);
    ensureRouterChildren(db, tx, gr._uuid, gr, 'nat', nats, natKey, isMine);

    // ovn_cluster_router: the GR's join address via itself, so return traffic comes back through this GR.
    const router = byName(db, 'Logical_Router', CLUSTER_ROUTER);
    if (router) {
      ensureRouterChildren(db, tx, router._uuid, router, 'static_routes', joinIps.map((ip) => ({ ip_prefix: ip, nexthop: ip, external_ids: ids })), routeKey, isMine);
    }
  }

  /**
   * Removes the node's gateway: ext_<node> with its ports, rtoe-GR_<node>, the gateway's routes and NAT, and its
   * options on GR_<node> (the router itself stays: it is the node's). One transaction; false when there was nothing.
   */
  async delete(key: ClusterKey): Promise<boolean> {
    checkKubernetesName('node', key.name);
    return commitDesired(this.db, (tx) => {
      this.buildDelete(tx, key.name);
      return !tx.isEmpty;
    });
  }

  private buildDelete(tx: DesiredState<NorthboundTables>, node: string): void {
    const db = this.db;
    const isMine = this.mine(node);
    const ext = byName(db, 'Logical_Switch', externalSwitchName(node));
    if (ext) {
      assertOwned('Logical_Switch', ext.name, ext, this.owner);
      tx.delete('Logical_Switch', ext._uuid);
    }
    const gr = byName(db, 'Logical_Router', gatewayRouterName(node)) as (LogicalRouter & { _uuid: string }) | undefined;
    if (gr && isOwned(gr, this.owner)) {
      const rtoe = byName(db, 'Logical_Router_Port', routerToExternalPort(node));
      if (rtoe && isMine(rtoe)) tx.removeFromSet('Logical_Router', gr._uuid, 'ports', [rtoe._uuid], gr.ports);
      removeRouterChildren(db, tx, gr, 'static_routes', isMine);
      removeRouterChildren(db, tx, gr, 'nat', isMine);
      if (ext || [...GATEWAY_ROUTER_OPTIONS].some(([k, v]) => gr.options.get(k) === v)) {
        const options = new Map(gr.options);
        for (const k of GATEWAY_ROUTER_OPTIONS.keys()) options.delete(k);
        tx.updateChanged('Logical_Router', gr, { options });
      }
    }
    const router = byName(db, 'Logical_Router', CLUSTER_ROUTER) as (LogicalRouter & { _uuid: string }) | undefined;
    removeRouterChildren(db, tx, router, 'static_routes', isMine);
  }

  /** The gateway as stored (from ext_<node> and GR_<node>), or undefined. */
  get(key: ClusterKey): GatewayInfo | undefined {
    const db = this.db;
    const node = key.name;
    const ext = byName(db, 'Logical_Switch', externalSwitchName(node));
    if (!ext || !isOwned(ext, this.owner, 'Gateway', node)) return undefined;
    const isMine = this.mine(node);
    const ports = ext.ports.map((u) => db.table('Logical_Switch_Port').get(u)).filter((l) => l !== undefined);
    const localnet = ports.find((l) => l.type === 'localnet' && isMine(l));
    const rtoe = byName(db, 'Logical_Router_Port', routerToExternalPort(node));
    const gr = byName(db, 'Logical_Router', gatewayRouterName(node));
    const routes = routerChildren(db, gr, 'static_routes').filter(isMine);
    const nats = routerChildren(db, gr, 'nat').filter(isMine);
    return {
      name: node, gatewayRouter: gatewayRouterName(node), externalSwitch: ext.name,
      interfaceId: localnet?.name, physicalNetwork: localnet?.options.get('network_name'),
      vlanId: localnet?.tag_request === undefined ? undefined : Number(localnet.tag_request),
      macAddress: rtoe && isMine(rtoe) ? rtoe.mac : undefined,
      ipAddresses: rtoe && isMine(rtoe) ? [...rtoe.networks].sort((a, b) => familyOf(a) - familyOf(b)) : [],
      nextHops: routes.filter((r) => r.ip_prefix === '0.0.0.0/0' || r.ip_prefix === '::/0').map((r) => r.nexthop).sort((a, b) => familyOf(a) - familyOf(b)),
      snatSubnets: nats.filter((n) => n.logical_ip.includes('/')).map((n) => n.logical_ip).sort((a, b) => familyOf(a) - familyOf(b)),
    };
  }

  /** Every gateway this controller owns. */
  list(): GatewayInfo[] {
    const out: GatewayInfo[] = [];
    for (const ls of ownedBy(this.db, 'Logical_Switch', this.owner, 'Gateway')) {
      const info = this.get({ name: ls.external_ids.get(OBJECT_NAME_KEY) as string });
      if (info) out.push(info);
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Deletes every gateway this controller owns whose node is not in `existing`. One transaction. */
  async sync(existing: Iterable<ClusterKey>): Promise<ClusterKey[]> {
    const keep = new Set([...existing].map((k) => k.name));
    return commitDesired(this.db, (tx) => {
      const stale = new Set<string>();
      for (const table of ['Logical_Switch', 'Logical_Router_Port', 'Logical_Router_Static_Route', 'NAT'] as const) {
        for (const row of ownedBy(this.db, table, this.owner, 'Gateway')) {
          const name = row.external_ids.get(OBJECT_NAME_KEY) as string;
          if (!keep.has(name)) stale.add(name);
        }
      }
      for (const name of stale) this.buildDelete(tx, name);
      return [...stale].sort().map((name) => ({ name }));
    });
  }
}
