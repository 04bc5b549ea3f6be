// Kubernetes Services as Load_Balancer rows, as ovn-kubernetes lays them out (service-load-balancers.ts computes
// which: cluster-wide `Service_<ns>/<name>_<PROTO>_cluster` in the cluster load balancer group, per node
// `..._node_router_<node>`, `..._node_switch_<node>`, `..._node_router+switch_<node>`, `..._node_local_router_<node>`,
// merged ones `..._merged`), each marked `k8s.ovn.org/kind=Service` and `k8s.ovn.org/owner=<namespace>/<name>` as
// ovn-kubernetes marks them, plus this library's ownership. ensure() makes the service's rows exactly what the spec
// computes to: a row of the same name is updated in place (its UUID kept, endpoint changes rewrite `vips`), health
// checks are matched by VIP, attachments (groups, switches, routers) are added and removed, rows the spec no longer
// has are deleted. One transaction per call; none when nothing changes. With `coalesce`, the calls of one turn of
// the event loop share transactions (group-commit.ts): an agent reconciling thousands of Services sends tens of
// transactions, not thousands.
import type { Uuid, WriteRow } from '../ovsdb/datum.js';
import type { LoadBalancer, LoadBalancerHealthCheck as LoadBalancerHealthCheckRow, NorthboundTables } from '../models/ovn-northbound.js';
import { L4_PROTOCOLS, type L4Protocol } from './acl-match.js';
import { loadBalancerName, parseVips, type ServiceVip } from './load-balancer-vips.js';
import { parseAddress } from './ip.js';
import {
  DEFAULT_CONTROLLER, LOAD_BALANCER_KIND_KEY, LOAD_BALANCER_OWNER_KEY, OBJECT_NAME_KEY,
  gatewayRouterName, namespacedObjectName, nodeSwitchName, parseNamespacedObjectName, serviceOwnerValue,
} from './names.js';
import { assertOwned, ownerIds, type Owner } from './ownership.js';
import { OvnNotFoundError } from './errors.js';
import { checkNamespacedName } from './kubernetes-names.js';
import { commitDesired, type DesiredState, type RowRef } from './desired-state.js';
import { GroupCommit } from './group-commit.js';
import { byName, LOAD_BALANCER_INDEX, ownedBy, type Northbound } from './northbound.js';
import { serviceObject, validateServiceSpec, type ServiceSpec } from './service-spec.js';
import { buildServiceLoadBalancers, type LoadBalancerNode, type SelectionField, type ServiceLoadBalancer } from './service-load-balancers.js';
import type { LoadBalancerHealthCheck } from './service-health-check.js';
import type { Changed, KindOptions, NamespaceFilter, NamespacedKey, OvnKind } from './kind.js';

export type { ServiceSpec } from './service-spec.js';

/** A Service as stored. */
export interface ServiceInfo {
  readonly namespace: string;
  readonly name: string;
  /** Its Load_Balancer rows' names, sorted. */
  readonly loadBalancers: readonly string[];
  /** Every VIP of every row with its protocol and backends, read back from the rows. */
  readonly vips: readonly (ServiceVip & { readonly protocol: L4Protocol })[];
  /** Each row as stored, in the shape buildServiceLoadBalancers computes (so the two compare with deepEqual). */
  readonly rows: readonly ServiceLoadBalancer[];
}

type HolderTable = 'Load_Balancer_Group' | 'Logical_Switch' | 'Logical_Router';
/** A row a load balancer is attached to (its `load_balancer` column). */
type LoadBalancerHolder = Readonly<NorthboundTables[HolderTable]>;
const HOLDERS: readonly [HolderTable, 'groups' | 'switches' | 'routers'][] = [
  ['Load_Balancer_Group', 'groups'], ['Logical_Switch', 'switches'], ['Logical_Router', 'routers'],
];

/** One call of ensure() or apply(): its spec, and whether it answers with the rows as stored. */
interface ServiceCall { readonly spec: ServiceSpec; readonly readBack: boolean }

/** Options of OvnServices: the controller, and whether calls share transactions. */
export interface OvnServicesOptions extends KindOptions {
  /** Calls of ensure() made in the same event-loop turn share one transaction (group commit). Default false. */
  readonly coalesce?: boolean;
  /** Most Services in one shared transaction (default 64); more calls in one turn become several transactions. */
  readonly maxBatch?: number;
}

/** Services' load balancers in OVN_Northbound (see the file comment). */
export class OvnServices implements OvnKind<ServiceSpec, NamespacedKey, ServiceInfo, ServiceInfo & Changed, NamespaceFilter> {
  readonly ownerType = 'Service' as const;
  readonly controller: string;
  private readonly owner: Owner;
  private readonly group: GroupCommit<ServiceCall, ServiceInfo & Changed> | undefined;

  /** The kind over `db`, as the controller `options.controller` (default `ovn-overlay`). */
  constructor(readonly db: Northbound, options: OvnServicesOptions = {}) {
    this.controller = options.controller ?? DEFAULT_CONTROLLER;
    this.owner = { controller: this.controller };
    this.group = options.coalesce ? new GroupCommit(db, {
      keyOf: ({ spec }) => namespacedObjectName(spec.namespace, spec.name),
      build: (call, tx) => { this.build(tx, call.spec); return (changed) => this.result(call, changed); },
      alone: (call) => this.ensureAlone(call),
    }, options.maxBatch) : undefined;
  }

  private externalIds(key: NamespacedKey): Map<string, string> {
    return ownerIds(this.owner, 'Service', namespacedObjectName(key.namespace, key.name),
      [[LOAD_BALANCER_KIND_KEY, 'Service'], [LOAD_BALANCER_OWNER_KEY, serviceOwnerValue(key.namespace, key.name)]]);
  }

  /** This controller's load balancers of the service. */
  private rowsOf(key: NamespacedKey): LoadBalancer[] {
    return ownedBy(this.db, 'Load_Balancer', this.owner, 'Service', namespacedObjectName(key.namespace, key.name));
  }

  /** Whether a logical switch port exists: health checks probe a pod through its port. */
  private readonly hasPort = (name: string): boolean => byName(this.db, 'Logical_Switch_Port', name) !== undefined;

  /** The spec's nodes as the builder needs them: the switch must exist, the gateway router is used when it does. */
  private resolveNodes(spec: ServiceSpec): LoadBalancerNode[] {
    return (spec.nodes ?? []).map((n) => {
      const switchName = nodeSwitchName(n.name);
      if (!byName(this.db, 'Logical_Switch', switchName)) throw new OvnNotFoundError('Logical_Switch', switchName, `${serviceObject(spec)} is load balanced on node ${n.name}`);
      const router = gatewayRouterName(n.name);
      return { name: n.name, switchName, addresses: n.addresses.map((a) => parseAddress(a).text), ...(byName(this.db, 'Logical_Router', router) ? { gatewayRouter: router } : {}) };
    });
  }

  /**
   * The load balancers the spec computes to over the current nodes, without writing anything (what ensure()
   * would make the rows; `rows` of get() afterwards compare equal to it).
   * @throws like ensure(), before anything is sent.
   */
  plan(spec: ServiceSpec): ServiceLoadBalancer[] {
    validateServiceSpec(spec);
    return buildServiceLoadBalancers(spec, this.resolveNodes(spec), this.hasPort);
  }

  /**
   * Makes the service's load balancers (see the file comment) and their attachments exactly what the spec computes to.
   * With `coalesce`, shares a transaction with the other calls of this event-loop turn (still all-or-nothing; when
   * the shared one fails, each call is made again alone and answers with its own outcome).
   * @throws OvnInvalidNameError / OvnInvalidFieldError (nothing sent), OvnNotFoundError for a group, switch or
   *   router that does not exist, OvnNotOwnedError when a load balancer of the service's names is not this
   *   controller's.
   */
  ensure(spec: ServiceSpec): Promise<ServiceInfo & Changed> {
    return this.submit({ spec, readBack: true });
  }

  /**
   * ensure() without reading the rows back afterwards: for a controller that only needs to know whether anything
   * was sent (reading back every Service's rows is most of the CPU of an unchanged resync). Throws as ensure().
   */
  async apply(spec: ServiceSpec): Promise<Changed> {
    const { changed } = await this.submit({ spec, readBack: false });
    return { changed };
  }

  private submit(call: ServiceCall): Promise<ServiceInfo & Changed> {
    try { validateServiceSpec(call.spec); } catch (err) { return Promise.reject(err); }
    return this.group ? this.group.submit(call) : this.ensureAlone(call);
  }

  private async ensureAlone(call: ServiceCall): Promise<ServiceInfo & Changed> {
    const changed = await commitDesired(this.db, (tx) => {
      this.build(tx, call.spec);
      return !tx.isEmpty;
    });
    return this.result(call, changed);
  }

  /** Adds to `tx` what makes the service's rows what the spec computes to (nothing when they are). */
  private build(tx: DesiredState<NorthboundTables>, spec: ServiceSpec): void {
    const ids = this.externalIds(spec);
    const desired = buildServiceLoadBalancers(spec, this.resolveNodes(spec), this.hasPort);
    const wanted = new Set<string>();
    for (const lb of desired) {
      wanted.add(lb.name);
      this.ensureLoadBalancer(tx, spec, lb, ids);
    }
    for (const row of this.rowsOf(spec)) if (!wanted.has(row.name)) tx.delete('Load_Balancer', row._uuid);
  }

  private result({ spec, readBack }: ServiceCall, changed: boolean): ServiceInfo & Changed {
    const empty = { namespace: spec.namespace, name: spec.name, loadBalancers: [], vips: [], rows: [] };
    return { ...((readBack ? this.get(spec) : undefined) ?? empty), changed };
  }

  private ensureLoadBalancer(tx: DesiredState<NorthboundTables>, key: NamespacedKey, lb: ServiceLoadBalancer, ids: Map<string, string>): void {
    const db = this.db;
    const holders: (readonly [HolderTable, LoadBalancerHolder[]])[] = [];
    for (const [table, field] of HOLDERS) {
      const names = lb[field];
      const rows: LoadBalancerHolder[] = [];
      for (const name of names) rows.push(byName(db, table, name) ?? missing(table, name, key));
      holders.push([table, rows]);
    }
    const row = byName(db, 'Load_Balancer', lb.name);
    if (row) assertOwned('Load_Balancer', lb.name, row, this.owner);
    // The builder's maps and lists are this call's own (nothing else holds them): written as they are.
    const columns = {
      protocol: lb.protocol, vips: lb.vips, options: lb.options, selection_fields: lb.selectionFields,
      ip_port_mappings: lb.ipPortMappings, external_ids: ids,
    };
    let ref: RowRef;
    if (row) {
      tx.updateChanged('Load_Balancer', row, columns);
      ref = row._uuid;
      this.ensureHealthChecks(tx, row, lb.healthChecks, ids);
    } else {
      const checks = lb.healthChecks.map((hc) => tx.insert<LoadBalancerHealthCheckRow>('Load_Balancer_Health_Check', { vip: hc.vip, options: new Map(hc.options), external_ids: ids }));
      // A new row leaves out the columns that are empty (their default): the same row, less to encode and send.
      const insert: WriteRow<LoadBalancer> = { name: lb.name, protocol: columns.protocol, vips: columns.vips, options: columns.options, external_ids: ids };
      if (lb.selectionFields.length > 0) insert.selection_fields = lb.selectionFields;
      if (lb.ipPortMappings.size > 0) insert.ip_port_mappings = lb.ipPortMappings;
      if (checks.length > 0) insert.health_check = checks;
      ref = tx.insertNamed<LoadBalancer>('Load_Balancer', insert);
    }
    for (const [table, wantedRows] of holders) {
      if (!row) {
        for (const h of wantedRows) tx.addToSet(table, h._uuid, 'load_balancer', [ref]);
        continue;
      }
      // Where the row is attached, from the replica's index (not a scan of each holder's set: the cluster group
      // holds every Service's load balancer, so a resync would be quadratic in Services).
      const attached = db.table(table).find(LOAD_BALANCER_INDEX, row._uuid);
      const attachedIds = new Set(attached.map((h) => h._uuid));
      for (const h of wantedRows) if (!attachedIds.has(h._uuid)) tx.addToSet(table, h._uuid, 'load_balancer', [ref]);
      const wantedIds = new Set(wantedRows.map((h) => h._uuid));
      for (const h of attached) {
        if (!wantedIds.has(h._uuid)) tx.removeFromSet(table, h._uuid, 'load_balancer', [row._uuid]);
      }
    }
  }

  /** Health checks of an existing row matched by VIP: options updated in place, new ones added, others dropped. */
  private ensureHealthChecks(tx: DesiredState<NorthboundTables>, row: LoadBalancer, wanted: readonly LoadBalancerHealthCheck[], ids: Map<string, string>): void {
    const existing = row.health_check.map((u) => this.db.table('Load_Balancer_Health_Check').get(u)).filter((r) => r !== undefined);
    const kept = new Set<Uuid>();
    for (const hc of wanted) {
      const have = existing.find((e) => e.vip === hc.vip && !kept.has(e._uuid));
      if (have) {
        kept.add(have._uuid);
        tx.updateChanged('Load_Balancer_Health_Check', have, { options: new Map(hc.options), external_ids: ids });
      } else {
        tx.addRef('Load_Balancer', row._uuid, 'health_check', tx.insert<LoadBalancerHealthCheckRow>('Load_Balancer_Health_Check', { vip: hc.vip, options: new Map(hc.options), external_ids: ids }));
      }
    }
    // Unreferenced health checks are garbage collected (the table is not a root).
    const dropped = row.health_check.filter((u) => !kept.has(u));
    if (dropped.length > 0) tx.removeFromSet('Load_Balancer', row._uuid, 'health_check', dropped);
  }

  /**
   * Deletes every load balancer of the service. One transaction; false (nothing sent) when it has none.
   * @throws OvnNotOwnedError when a cluster-wide load balancer of the service's names is not this controller's
   *   (nothing sent).
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
    const sorted = [...rows].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return {
      namespace: key.namespace, name: key.name, loadBalancers: sorted.map((r) => r.name),
      vips: sorted.flatMap((r) => parseVips(r.vips).map((v) => ({ ...v, protocol: (r.protocol ?? 'tcp') as L4Protocol }))),
      rows: sorted.map((r) => this.stored(r)),
    };
  }

  private stored(row: LoadBalancer): ServiceLoadBalancer {
    const names = (table: HolderTable): string[] => this.db.table(table).find(LOAD_BALANCER_INDEX, row._uuid).map((h) => h.name).sort();
    return {
      name: row.name, protocol: (row.protocol ?? 'tcp') as L4Protocol, vips: new Map(row.vips), options: new Map(row.options),
      selectionFields: [...row.selection_fields].sort() as SelectionField[], ipPortMappings: new Map(row.ip_port_mappings),
      healthChecks: row.health_check.map((u) => this.db.table('Load_Balancer_Health_Check').get(u))
        .filter((h) => h !== undefined).map((h) => ({ vip: h.vip, options: new Map(h.options) })).sort((a, b) => (a.vip < b.vip ? -1 : a.vip > b.vip ? 1 : 0)),
      groups: names('Load_Balancer_Group'), switches: names('Logical_Switch'), routers: names('Logical_Router'),
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

function missing(table: string, name: string, key: NamespacedKey): never {
  throw new OvnNotFoundError(table, name, `${serviceObject(key)} asks to be attached to it`);
}
