// Kubernetes Services as Load_Balancer rows: one per service and protocol, `vips` "VIP:port" -> "ep:port,...",
// attached through the cluster load balancer group (and/or directly to switches and routers). Endpoint changes
// update the `vips` column of the same row in place. One transaction per call; none when nothing changes.
import type { Uuid } from '../ovsdb/datum.js';
import type { LoadBalancer, NorthboundTables } from '../models/ovn-northbound.js';
import type { L4Protocol } from './acl-match.js';
import { loadBalancerName, vipsMap, type ServiceVip } from './load-balancer-vips.js';
import { OWNER, OWNER_KEY } from './names.js';
import { CLUSTER_LB_GROUP } from './topology.js';
import { commitDesired, type DesiredState, type RowRef } from './desired-state.js';
import { byName, type Northbound } from './northbound.js';

export const SERVICE_KIND_KEY = 'k8s.ovn.org/kind';
export const SERVICE_OWNER_KEY = 'k8s.ovn.org/owner';

export interface ServiceOptions {
  readonly namespace: string;
  readonly name: string;
  readonly protocol: L4Protocol;
  readonly vips: readonly ServiceVip[];
  /** Load balancer groups to be in (default: the cluster group, i.e. every node switch and gateway router). */
  readonly groups?: readonly string[];
  /** Switches and routers to attach to directly, by name. */
  readonly switches?: readonly string[];
  readonly routers?: readonly string[];
}

export class ObjectNotFoundError extends Error {
  override readonly name = 'ObjectNotFoundError';
}

/** Ensures the service's load balancer for one protocol and its attachments. Returns its name. */
export async function ensureService(db: Northbound, service: ServiceOptions): Promise<string> {
  const name = loadBalancerName(service.namespace, service.name, service.protocol);
  const vips = vipsMap(service.vips);
  const groups = service.groups ?? [CLUSTER_LB_GROUP];
  await commitDesired(db, (tx) => {
    const desired = {
      protocol: service.protocol, vips,
      external_ids: new Map([[OWNER_KEY, OWNER], [SERVICE_KIND_KEY, 'Service'], [SERVICE_OWNER_KEY, `${service.namespace}/${service.name}`]]),
    };
    const row = byName(db, 'Load_Balancer', name);
    let lb: RowRef;
    if (row) { tx.updateChanged('Load_Balancer', row, desired); lb = row._uuid; } else lb = tx.insertNamed<LoadBalancer>('Load_Balancer', { name, ...desired });
    attach(tx, 'Load_Balancer_Group', 'load_balancer', groups.map((g) => byName(db, 'Load_Balancer_Group', g) ?? missing('load balancer group', g)), lb, row, db.table('Load_Balancer_Group'));
    attach(tx, 'Logical_Switch', 'load_balancer', (service.switches ?? []).map((s) => byName(db, 'Logical_Switch', s) ?? missing('switch', s)), lb, row, db.table('Logical_Switch'));
    attach(tx, 'Logical_Router', 'load_balancer', (service.routers ?? []).map((r) => byName(db, 'Logical_Router', r) ?? missing('router', r)), lb, row, db.table('Logical_Router'));
    return undefined;
  });
  return name;
}

function missing(what: string, name: string): never {
  throw new ObjectNotFoundError(`no ${what} named ${name}`);
}

/** Makes the holders of `lb` in one table exactly `wanted`. */
function attach(tx: DesiredState<NorthboundTables>, table: string, column: string, wanted: readonly { _uuid: Uuid; load_balancer: Uuid[] }[],
  lb: RowRef, existing: LoadBalancer | undefined, all: Iterable<{ _uuid: Uuid; load_balancer: Uuid[] }>): void {
  const wantedIds = new Set(wanted.map((w) => w._uuid));
  for (const w of wanted) tx.addToSet(table, w._uuid, column, [lb], w.load_balancer);
  if (!existing) return;
  for (const holder of all) {
    if (!wantedIds.has(holder._uuid) && holder.load_balancer.includes(existing._uuid)) tx.removeFromSet(table, holder._uuid, column, [existing._uuid]);
  }
}

/** Deletes every load balancer of a service (all protocols). Returns how many were deleted. */
export async function deleteService(db: Northbound, namespace: string, name: string): Promise<number> {
  return commitDesired(db, (tx) => {
    let n = 0;
    for (const lb of db.table('Load_Balancer')) {
      if (lb.external_ids.get(SERVICE_OWNER_KEY) === `${namespace}/${name}` && lb.external_ids.get(OWNER_KEY) === OWNER) { tx.delete('Load_Balancer', lb._uuid); n++; }
    }
    return n;
  });
}
