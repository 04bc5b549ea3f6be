// A namespace's port group: every pod port of the namespace, as ovn-kubernetes keeps one per namespace for the
// features that act on a whole namespace (EgressFirewall's ACLs, multicast's allow ACLs). Its name is the hash of
// its primary id `<controller>:Namespace:<namespace>`; it is owned by `Namespace` `<namespace>`. Several features
// put their ACLs on it, so it is made by whichever needs it first and removed by the last one to leave (when it
// holds no ACL any more). Its ports are the namespace's pod ports this controller made, read from the replica each
// time a feature ensures it: a feature is ensured again when the namespace's pods change. ensurePortGroupAcls is
// the same for any port group whose ACLs several owners share.
import type { Uuid } from '../ovsdb/datum.js';
import type { ACL, NorthboundTables, PortGroup } from '../models/ovn-northbound.js';
import type { DesiredState, RowRef } from './desired-state.js';
import { OBJECT_NAME_KEY, POD_NAMESPACE_KEY, hashForOvn } from './names.js';
import { byName, ownedBy, type Northbound } from './northbound.js';
import { assertOwned, isOwned, ownerIds, type Owner } from './ownership.js';

/** The namespace's port group name: ovn-kubernetes' hash of the group's primary id. */
export function namespacePortGroupName(controller: string, namespace: string): string {
  return hashForOvn(`${controller}:Namespace:${namespace}`);
}

/** The pod ports of the namespace that `owner` made. */
export function namespacePodPorts(db: Northbound, owner: Owner, namespace: string): Uuid[] {
  return ownedBy(db, 'Logical_Switch_Port', owner, 'Pod').filter((lsp) => lsp.external_ids.get(POD_NAMESPACE_KEY) === namespace).map((lsp) => lsp._uuid).sort();
}

/** An ACL wanted on the namespace's port group. */
export interface WantedAcl {
  readonly name: string;
  readonly direction: 'to-lport' | 'from-lport';
  readonly priority: number;
  readonly action: 'allow' | 'allow-related' | 'drop';
  readonly match: string;
  readonly options?: ReadonlyMap<string, string>;
  readonly external_ids: ReadonlyMap<string, string>;
}

/**
 * Makes the namespace's port group exist with the namespace's pod ports, and its ACLs that `mine` selects exactly
 * `want` (other features' ACLs stay). Returns the group.
 * @throws OvnNotOwnedError when a port group of that name is another controller's or tool's.
 */
export function ensureNamespaceAcls(db: Northbound, tx: DesiredState<NorthboundTables>, owner: Owner, namespace: string,
  want: readonly WantedAcl[], mine: (acl: ACL) => boolean): RowRef {
  return ensurePortGroupAcls(db, tx, owner, namespacePortGroupName(owner.controller, namespace), ownerIds(owner, 'Namespace', namespace, [], true),
    namespacePodPorts(db, owner, namespace), want, mine);
}

/**
 * Makes the port group `name` exist with exactly `ports`, and its ACLs that `mine` selects exactly `want` (known by
 * direction, priority, action and match; the group's other ACLs stay). Returns the group.
 * @throws OvnNotOwnedError when a port group of that name is another controller's or tool's.
 */
export function ensurePortGroupAcls(db: Northbound, tx: DesiredState<NorthboundTables>, owner: Owner, name: string, ids: Map<string, string>,
  ports: readonly Uuid[], want: readonly WantedAcl[], mine: (acl: ACL) => boolean): RowRef {
  const row = byName(db, 'Port_Group', name);
  if (row) assertOwned('Port_Group', name, row, owner);
  let pg: RowRef;
  if (row) {
    tx.updateSet('Port_Group', row, 'ports', ports);
    pg = row._uuid;
  } else {
    pg = tx.insertNamed<PortGroup>('Port_Group', { name, ports, external_ids: ids });
  }
  const key = (a: { direction: string; priority: number | bigint; action: string; match: string }): string => `${a.direction}|${a.priority}|${a.action}|${a.match}`;
  const have = aclsOf(db, row).filter(mine);
  const wanted = new Map(want.map((a) => [key(a), a]));
  const kept = new Set<string>();
  for (const acl of have) {
    const k = key(acl);
    const w = wanted.get(k);
    if (!w || kept.has(k)) { tx.removeFromSet('Port_Group', row!._uuid, 'acls', [acl._uuid]); continue; }
    kept.add(k);
    tx.updateChanged('ACL', acl, { name: w.name, options: new Map(w.options ?? []), external_ids: new Map(w.external_ids) });
  }
  const inserted = [...wanted].filter(([k]) => !kept.has(k)).map(([, a]) => tx.insert<ACL>('ACL', {
    name: a.name, direction: a.direction, priority: BigInt(a.priority), action: a.action, match: a.match,
    options: new Map(a.options ?? []), external_ids: new Map(a.external_ids),
  }));
  if (inserted.length > 0) tx.addRef('Port_Group', pg, 'acls', inserted);
  return pg;
}

/**
 * Removes the ACLs `mine` selects from the namespace's port group, and the group itself when no other feature's
 * ACL is left on it.
 */
export function removeNamespaceAcls(db: Northbound, tx: DesiredState<NorthboundTables>, owner: Owner, namespace: string, mine: (acl: ACL) => boolean): void {
  const row = byName(db, 'Port_Group', namespacePortGroupName(owner.controller, namespace));
  if (!row || !isOwned(row, owner, 'Namespace', namespace)) return;
  const acls = aclsOf(db, row);
  const gone = acls.filter(mine);
  if (gone.length === acls.length) tx.delete('Port_Group', row._uuid);
  else if (gone.length > 0) tx.removeFromSet('Port_Group', row._uuid, 'acls', gone.map((a) => a._uuid));
}

/** The namespaces whose port group holds an ACL `mine` selects. */
export function namespacesWithAcls(db: Northbound, owner: Owner, mine: (acl: ACL) => boolean): string[] {
  return ownedBy(db, 'Port_Group', owner, 'Namespace').filter((pg) => aclsOf(db, pg).some(mine))
    .map((pg) => pg.external_ids.get(OBJECT_NAME_KEY) ?? '').filter((n) => n !== '').sort();
}

/** The ACL rows of a port group (as the replica holds them). */
export function aclsOf(db: Northbound, pg: Pick<PortGroup, 'acls'> | undefined): ACL[] {
  if (!pg) return [];
  const table = db.table('ACL');
  return pg.acls.map((u) => table.get(u)).filter((a): a is ACL => a !== undefined);
}
