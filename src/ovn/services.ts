// Kubernetes Services as Load_Balancer rows, as ovn-kubernetes lays them out: one row per service and protocol
// (`Service_<namespace>/<name>_<PROTO>_cluster`), `vips` "VIP:port" -> "ep:port,...", attached through the cluster
// load balancer group (and/or directly to switches and routers), marked `k8s.ovn.org/kind=Service` and
// `k8s.ovn.org/owner=<namespace>/<name>` as ovn-kubernetes marks them, plus this library's ownership. ensure()
// makes the service's rows exactly the spec: endpoint changes update `vips` of the same row in place, a protocol
// the spec no longer has loses its row. One transaction per call; none when nothing changes.
import type { Uuid } from '../ovsdb/datum.js';
import type { LoadBalancer, NorthboundTables } from '../models/ovn-northbound.js';
import { L4_PROTOCOLS, checkPort, type L4Protocol } from './acl-match.js';
import { loadBalancerName, parseVips, vipsMap, type ServiceVip } from './load-balancer-vips.js';
import { tryParseAddress } from './ip.js';
import {
  CLUSTER_LB_GROUP, DEFAULT_CONTROLLER, LOAD_BALANCER_KIND_KEY, LOAD_BALANCER_OWNER_KEY, OBJECT_NAME_KEY, namespacedObjectName, parseNamespacedObjectName, serviceOwnerValue,
} from './names.js';
import { assertOwned, ownerIds, type Owner } from './ownership.js';
import { OvnInvalidFieldError, OvnNotFoundError } from './errors.js';
import { checkNamespacedName } from './kubernetes-names.js';
import { commitDesired, type DesiredState, type RowRef } from './desired-state.js';
import { byName, ownedBy, type Northbound } from './northbound.js';
import type { Changed, KindOptions, NamespaceFilter, NamespacedKey, OvnKind } from './kind.js';

/** What a Service is in OVN: its VIPs (each with its protocol and endpoints) and where its load balancers attach. */
export interface ServiceSpec extends NamespacedKey {
  /** One entry per (VIP, port, protocol); no entries: the service has no load balancer. */
  readonly vips: readonly ServiceVip[];
  /** Load balancer groups to be in (default: the cluster group, i.e. every node switch and gateway router). */
  readonly groups?: readonly string[];
  /** Switches and routers to attach to directly, by name. */
  readonly switches?: readonly string[];
  readonly routers?: readonly string[];
}

/** A Service as stored. */
export interface ServiceInfo {
  readonly namespace: string;
  readonly name: string;
  /** Its Load_Balancer rows' names, one per protocol. */
  readonly loadBalancers: readonly string[];
  /** Every VIP with its protocol and endpoints, read back from the rows. */
  readonly vips: readonly (ServiceVip & { readonly protocol: L4Protocol })[];
}

const SERVICE_OBJECT = (s: NamespacedKey): string => `service ${s.namespace}/${s.name}`;

function validateServiceSpec(spec: ServiceSpec): void {
  checkNamespacedName('service', spec);
  const object = SERVICE_OBJECT(spec);
  if (!Array.isArray(spec.vips as unknown)) throw new OvnInvalidFieldError(object, 'vips', spec.vips, 'must be an array');
  spec.vips.forEach((vip, i) => {
    const at = `vips[${i}]`;
    if (vip.protocol !== undefined && !L4_PROTOCOLS.includes(vip.protocol)) {
      throw new OvnInvalidFieldError(object, `${at}.protocol`, vip.protocol, `OVN load balancers take ${L4_PROTOCOLS.join(', ')}`);
    }
    if (!tryParseAddress(vip.ip)) throw new OvnInvalidFieldError(object, `${at}.ip`, vip.ip, 'not an IP address');
    checkPort(vip.port, object, `${at}.port`);
    vip.endpoints.forEach((e, j) => {
      const ip = tryParseAddress(e.ip);
      if (!ip) throw new OvnInvalidFieldError(object, `${at}.endpoints[${j}].ip`, e.ip, 'not an IP address');
      if (ip.family !== tryParseAddress(vip.ip)?.family) throw new OvnInvalidFieldError(object, `${at}.endpoints[${j}].ip`, e.ip, `not of the family of VIP ${vip.ip}`);
      checkPort(e.port, object, `${at}.endpoints[${j}].port`);
    });
  });
}

type Holder = { _uuid: Uuid; load_balancer: Uuid[] };

/** Makes the holders of `lb` in one table exactly `wanted`. */
function attach(tx: DesiredState<NorthboundTables>, table: string, wanted: readonly Holder[], lb: RowRef, existing: LoadBalancer | undefined, all: Iterable<Holder>): void {
  const wantedIds = new Set(wanted.map((w) => w._uuid));
  for (const w of wanted) tx.addToSet(table, w._uuid, 'load_balancer', [lb], w.load_balancer);
  if (!existing) return;
  for (const holder of all) {
    if (!wantedIds.has(holder._uuid) && holder.load_balancer.includes(existing._uuid)) tx.removeFromSet(table, holder._uuid, 'load_balancer', [existing._uuid]);
  }
}

/** Services' load balancers in OVN_Northbound (see the file comment). */
export class OvnServices implements OvnKind<ServiceSpec, NamespacedKey, ServiceInfo, ServiceInfo & Changed, NamespaceFilter> {
  readonly ownerType = 'Service' as const;
  readonly controller: string;
  private readonly owner: Owner;

  /** The kind over `db`, as the controller `options.controller` (default `ovn-overlay`). */
  constructor(readonly db: Northbound, options: KindOptions = {}) {
    this.controller = options.controller ?? DEFAULT_CONTROLLER;
    this.owner = { controller: this.controller };
  }

  private externalIds(key: NamespacedKey): Map<string, string> {
    return ownerIds(this.owner, 'Service', namespacedObjectName(key.namespace, key.name),
      [[LOAD_BALANCER_KIND_KEY, 'Service'], [LOAD_BALANCER_OWNER_KEY, serviceOwnerValue(key.namespace, key.name)]]);
  }

  /** This controller's load balancers of the service. */
  private rowsOf(key: NamespacedKey): LoadBalancer[] {
    return ownedBy(this.db, 'Load_Balancer', this.owner, 'Service', namespacedObjectName(key.namespace, key.name));
  }

  /**
   * Makes the service's load balancers (one per protocol of its VIPs) and their attachments exactly the spec.
   * @throws OvnInvalidNameError / OvnInvalidFieldError (nothing sent), OvnNotFoundError for a group, switch or
   *   router that does not exist, OvnNotOwnedError when a load balancer of the service's names is not this
   *   controller's.
   */
  async ensure(spec: ServiceSpec): Promise<ServiceInfo & Changed> {
    validateServiceSpec(spec);
    const db = this.db;
    const byProtocol = new Map<L4Protocol, ServiceVip[]>();
    for (const vip of spec.vips) {
      const protocol = vip.protocol ?? 'tcp';
      const list = byProtocol.get(protocol) ?? [];
      list.push(vip);
      byProtocol.set(protocol, list);
    }
    const ids = this.externalIds(spec);
    const changed = await commitDesired(db, (tx) => {
      const groups = (spec.groups ?? [CLUSTER_LB_GROUP]).map((g) => byName(db, 'Load_Balancer_Group', g) ?? missing('Load_Balancer_Group', g, spec));
      const switches = (spec.switches ?? []).map((s) => byName(db, 'Logical_Switch', s) ?? missing('Logical_Switch', s, spec));
      const routers = (spec.routers ?? []).map((r) => byName(db, 'Logical_Router', r) ?? missing('Logical_Router', r, spec));
      const wanted = new Set<string>();
      for (const [protocol, vips] of byProtocol) {
        const name = loadBalancerName(spec.namespace, spec.name, protocol);
        wanted.add(name);
        const desired = { protocol, vips: vipsMap(vips), external_ids: ids };
        const row = byName(db, 'Load_Balancer', name);
        if (row) assertOwned('Load_Balancer', name, row, this.owner);
        let lb: RowRef;
        if (row) { tx.updateChanged('Load_Balancer', row, desired); lb = row._uuid; } else lb = tx.insertNamed<LoadBalancer>('Load_Balancer', { name, ...desired });
        attach(tx, 'Load_Balancer_Group', groups, lb, row, db.table('Load_Balancer_Group'));
        attach(tx, 'Logical_Switch', switches, lb, row, db.table('Logical_Switch'));
        attach(tx, 'Logical_Router', routers, lb, row, db.table('Logical_Router'));
      }
      for (const lb of this.rowsOf(spec)) if (!wanted.has(lb.name)) tx.delete('Load_Balancer', lb._uuid);
      return !tx.isEmpty;
    });
    return { ...(this.get(spec) ?? { namespace: spec.namespace, name: spec.name, loadBalancers: [], vips: [] }), changed };
  }

  /**
   * Deletes every load balancer of the service (all protocols). One transaction; false (nothing sent) when it has none.
   * @throws OvnNotOwnedError when a load balancer of the service's names is not this controller's (nothing sent).
   */
  async delete(key: NamespacedKey): Promise<boolean> {
    checkNamespacedName('service', key);
    return commitDesired(this.db, (tx) => {
      for (const protocol of L4_PROTOCOLS) {
        const name = loadBalancerName(key.namespace, key.name, protocol);
        const row = byName(this.db, 'Load_Balancer', name);
        if (row) assertOwned('Load_Balancer', name, row, this.owner);
      }
      for (const lb of this.rowsOf(key)) tx.delete('Load_Balancer', lb._uuid);
      return !tx.isEmpty;
    });
  }

  /** The service as stored (this controller's load balancers of it), or undefined. */
  get(key: NamespacedKey): ServiceInfo | undefined {
    const rows = this.rowsOf(key);
    return rows.length === 0 ? undefined : this.info(key, rows);
  }

  private info(key: NamespacedKey, rows: readonly LoadBalancer[]): ServiceInfo {
    const sorted = [...rows].sort((a, b) => a.name.localeCompare(b.name));
    return {
      namespace: key.namespace, name: key.name, loadBalancers: sorted.map((r) => r.name),
      vips: sorted.flatMap((r) => parseVips(r.vips).map((v) => ({ ...v, protocol: (r.protocol ?? 'tcp') as L4Protocol }))),
    };
  }

  /** Every service this controller has load balancers for (optionally of one namespace). */
  list(filter: NamespaceFilter = {}): ServiceInfo[] {
    const byService = new Map<string, LoadBalancer[]>();
    for (const lb of ownedBy(this.db, 'Load_Balancer', this.owner, 'Service')) {
      const name = lb.external_ids.get(OBJECT_NAME_KEY) as string;
      const list = byService.get(name) ?? [];
      list.push(lb);
      byService.set(name, list);
    }
    const out: ServiceInfo[] = [];
    for (const [name, rows] of byService) {
      const key = parseNamespacedObjectName(name);
      if (filter.namespace === undefined || key.namespace === filter.namespace) out.push(this.info(key, rows));
    }
    return out;
  }

  /** Deletes the load balancers of every service this controller owns that is not in `existing`. One transaction. */
  async sync(existing: Iterable<NamespacedKey>): Promise<NamespacedKey[]> {
    const keep = new Set<string>();
    for (const k of existing) keep.add(namespacedObjectName(k.namespace, k.name));
    return commitDesired(this.db, (tx) => {
      const removed = new Set<string>();
      for (const lb of ownedBy(this.db, 'Load_Balancer', this.owner, 'Service')) {
        const name = lb.external_ids.get(OBJECT_NAME_KEY) as string;
        if (keep.has(name)) continue;
        tx.delete('Load_Balancer', lb._uuid);
        removed.add(name);
      }
      return [...removed].sort().map(parseNamespacedObjectName);
    });
  }
}

function missing(table: string, name: string, spec: NamespacedKey): never {
  throw new OvnNotFoundError(table, name, `${SERVICE_OBJECT(spec)} asks to be attached to it`);
}
