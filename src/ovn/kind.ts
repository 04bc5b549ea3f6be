// The one shape of every kind of object the library maintains in OVN (nodes, pods, services, network policies;
// egress IPs, egress firewalls, gateways and multicast join them the same way):
//
//   ensure(spec)     make the object's rows exactly what the spec says; resolves with the object as now stored
//                    and `changed` (false: nothing was sent). Idempotent. One transaction.
//   delete(key)      remove the object's rows; true when there were any. Idempotent. One transaction.
//   get(key)         the object as the replica holds it, or undefined (synchronous, no round trip).
//   list(filter?)    every object of the kind this controller owns (synchronous).
//   sync(existing)   garbage collection: delete every object of the kind this controller owns that is not in
//                    `existing`; resolves with the keys removed. One transaction.
//
// Specs are objects that include the key; keys are `{ name }` for cluster-scoped kinds and `{ namespace, name }`
// for namespaced ones. Only rows owned by this controller (ownership.ts) are listed, changed or deleted: a row of
// the same name made by another controller or by ovn-nbctl makes ensure/delete throw OvnNotOwnedError.
import type { OwnerType } from './names.js';

/** What ensure() reports besides the object: whether it sent a transaction. */
export interface Changed {
  /** False when the rows already were as asked and nothing was sent. */
  readonly changed: boolean;
}

/** The key of a cluster-scoped object (node). */
export interface ClusterKey { readonly name: string }

/** The key of a namespaced object (pod, service, network policy). */
export interface NamespacedKey { readonly namespace: string; readonly name: string }

/** A namespace filter for list(). */
export interface NamespaceFilter { readonly namespace?: string }

/**
 * The operations every kind offers (see the file comment). `Ensured` is what ensure() resolves with: the
 * object (`Info`), `changed`, and for some kinds what the caller must know about the spec (e.g. pods a network
 * policy selects that have no port yet).
 */
export interface OvnKind<Spec extends Key, Key, Info, Ensured extends Info & Changed = Info & Changed, Filter = object> {
  /** The `k8s.ovn.org/owner-type` of the rows of this kind. */
  readonly ownerType: OwnerType;
  /** The controller whose rows this kind lists, changes and deletes. */
  readonly controller: string;
  ensure(spec: Spec): Promise<Ensured>;
  delete(key: Key): Promise<boolean>;
  get(key: Key): Info | undefined;
  list(filter?: Filter): Info[];
  sync(existing: Iterable<Key>): Promise<Key[]>;
}

/** Options every kind takes. */
export interface KindOptions {
  /** The controller name written to `k8s.ovn.org/owner-controller` and selected on (default `ovn-overlay`). */
  readonly controller?: string;
}

/** `namespace/name` for messages. */
export function describeKey(key: ClusterKey | NamespacedKey): string {
  return 'namespace' in key ? `${key.namespace}/${key.name}` : key.name;
}
