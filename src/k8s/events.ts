// What flows from the sources into the cache and from the cache to controllers: object events (added, updated,
// deleted, with the model types of client-node), and input problems (bad objects, bad stream items) that are
// logged, counted and skipped.
import type { KindName, KindObjects } from './kinds.js';
import type { RejectReason } from './validation.js';

export type ObjectEventType = 'added' | 'updated' | 'deleted';

/** One change of the cache. Delivered after the store holds it, so a handler reading the cache sees it. */
export type ObjectEvent<K extends KindName = KindName> = {
  [P in K]: {
    readonly type: ObjectEventType;
    readonly kind: P;
    /** "namespace/name", or "name" for Nodes and Namespaces. */
    readonly key: string;
    /** The new state; for `deleted` the last state the cache had. */
    readonly object: KindObjects[P];
    /** For `updated`: the state before. */
    readonly previous?: KindObjects[P];
    /** Where the change came from: "informer Pod", "watch pods.jsonl:12", "manifest ns.yaml#2". */
    readonly origin: string;
  };
}[K];

/** Problems of a stream or a manifest file itself, as opposed to one of its objects. */
export const STREAM_PROBLEMS = ['not-json', 'truncated', 'not-a-watch-event', 'watch-error', 'manifest-syntax'] as const;
export type StreamProblem = (typeof STREAM_PROBLEMS)[number];

/**
 * Problems a controller finds with an object the cache accepted, when it maps it onto OVN: a row of the object's
 * names belongs to another controller or tool (`not-owned`), a node subnet overlaps another node's
 * (`subnet-overlap`), the node's subnet has no address left (`subnet-exhausted`). Missing or invalid fields found
 * there use the reject reasons (`missing-field`, `invalid-field`, ...).
 */
export const CONTROLLER_PROBLEMS = ['not-owned', 'subnet-overlap', 'subnet-exhausted'] as const;
export type ControllerProblem = (typeof CONTROLLER_PROBLEMS)[number];

/** Bad input that was skipped: one object, or one item of a stream or file. */
export interface InputProblem {
  /** The object's kind when known ("Pod"), else "". */
  readonly kind: string;
  /** The object's key when it could be read. */
  readonly key?: string;
  readonly reason: RejectReason | StreamProblem | ControllerProblem;
  /** What is wrong, naming the field or the line. */
  readonly message: string;
  readonly origin: string;
}

/** An object as a source hands it over: JSON-shaped (or a client-node model), not validated yet. */
export interface SourceItem {
  /** The kind when the source knows it (an informer, a typed list); otherwise the object's own `kind`. */
  readonly kind?: string;
  readonly object: unknown;
  readonly origin: string;
}

/** Where sources deliver. The ObjectCache is one. */
export interface ObjectSink {
  /** An object was added or modified (or listed): validate and store it. */
  upsert(item: SourceItem): void;
  /** An object was deleted. Only its kind, namespace and name are needed. */
  delete(item: SourceItem): void;
  /** Bad input found by the source itself (a line that is not JSON, an ERROR event...). */
  report(problem: InputProblem): void;
}
