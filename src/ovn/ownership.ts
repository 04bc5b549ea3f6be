// Ownership of Northbound rows, marked in `external_ids` the way ovn-kubernetes' DbObjectIDs marks its rows:
// every row this library writes carries the controller that manages it (`k8s.ovn.org/owner-controller`), the
// kind of object that owns it (`k8s.ovn.org/owner-type`) and that object's name (`k8s.ovn.org/name`); rows of
// the tables ovn-kubernetes identifies by a primary id (ACL, Port_Group, Address_Set) also carry its extra keys
// and `k8s.ovn.org/id`. Listing, deletion and garbage collection select rows by these keys, so an agent only
// ever changes what its own controller wrote, never a row another controller or `ovn-nbctl` created.
import { OvnNotOwnedError } from './errors.js';
import { OBJECT_NAME_KEY, OWNER_CONTROLLER_KEY, OWNER_TYPE_KEY, PRIMARY_ID_KEY, type OwnerType } from './names.js';

/** What ownership needs of a row. */
export interface OwnedRow { readonly external_ids: ReadonlyMap<string, string> }

/** Who writes: the controller name (default `ovn-overlay`) put in `k8s.ovn.org/owner-controller`. */
export interface Owner {
  readonly controller: string;
}

/**
 * The external_ids of a row owned by `type` `name` of `owner.controller`. `extra` are further keys (in order);
 * with `primaryId`, their values also make the `k8s.ovn.org/id` `<controller>:<type>:<name>:<extra values...>`
 * (ovn-kubernetes' format), for the tables where ovn-kubernetes writes one.
 */
export function ownerIds(owner: Owner, type: OwnerType, name: string, extra: readonly (readonly [string, string])[] = [], primaryId = false): Map<string, string> {
  const ids = new Map<string, string>();
  ids.set(OWNER_CONTROLLER_KEY, owner.controller);
  ids.set(OWNER_TYPE_KEY, type);
  ids.set(OBJECT_NAME_KEY, name);
  for (let i = 0; i < extra.length; i++) ids.set(extra[i][0], extra[i][1]);
  if (primaryId) ids.set(PRIMARY_ID_KEY, [owner.controller, type, name, ...extra.map(([, v]) => v)].join(':'));
  return ids;
}

/** True when the row is owned by this controller (and, when given, by an object of `type`, and named `name`). */
export function isOwned(row: OwnedRow, owner: Owner, type?: OwnerType, name?: string): boolean {
  const ids = row.external_ids;
  return ids.get(OWNER_CONTROLLER_KEY) === owner.controller
    && (type === undefined || ids.get(OWNER_TYPE_KEY) === type)
    && (name === undefined || ids.get(OBJECT_NAME_KEY) === name);
}

/** The controller that owns the row, or undefined for a row no controller marked (e.g. made by ovn-nbctl). */
export function ownerOf(row: OwnedRow): string | undefined {
  return row.external_ids.get(OWNER_CONTROLLER_KEY);
}

/**
 * Refuses to change a row another controller or tool made.
 * @throws OvnNotOwnedError naming the table, the row and its owner.
 */
export function assertOwned(table: string, rowName: string, row: OwnedRow, owner: Owner): void {
  if (ownerOf(row) !== owner.controller) throw new OvnNotOwnedError(table, rowName, ownerOf(row), owner.controller);
}
