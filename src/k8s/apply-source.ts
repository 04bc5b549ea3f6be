// A source written in-process, the way `kubectl apply` and `kubectl delete` write to the API: the REPL's
// k8s.apply/k8s.delete, or a program that makes its objects itself. It plays the API server's part for what it
// writes: every applied object gets the next resourceVersion (so applying a changed copy of an object is always an
// update), and a namespaced object without a namespace goes to `default`, as kubectl puts it there. Its initial
// state is empty: it counts as synced as soon as it starts.
import { isListDocument, upsertDocument } from './documents.js';
import { isRecord } from './json-record.js';
import { K8sError } from './errors.js';
import type { InputProblem, ObjectSink, SourceItem } from './events.js';
import { isKindName, KIND_INFO } from './kinds.js';
import { applyManifestText } from './manifest-source.js';
import { createSignal, type ObjectSource } from './source.js';

/** The namespace kubectl applies a namespaced object to when it names none. */
export const DEFAULT_NAMESPACE = 'default';

export class ApplySource implements ObjectSource {
  readonly name: string;
  private readonly syncedSignal = createSignal();
  private readonly doneSignal = createSignal();
  private sink: ObjectSink | undefined;
  private version = 0;

  constructor(name = 'apply') {
    this.name = name;
  }

  get synced(): Promise<void> { return this.syncedSignal.promise; }
  get done(): Promise<void> { return this.doneSignal.promise; }
  hasSynced(): boolean { return this.syncedSignal.fired; }

  async start(sink: ObjectSink): Promise<void> {
    if (this.sink) throw new K8sError('K8S_SOURCE_STARTED', `${this.name} was started already`);
    this.sink = this.stamping(sink);
    this.syncedSignal.fire();
  }

  async stop(): Promise<void> {
    this.sink = undefined;
    this.doneSignal.fire();
  }

  /**
   * Applies objects: one object, an array of them, or a list (`kind: List`, `PodList`). Each replaces the object
   * of its kind, namespace and name (created when new). Returns how many objects were handed over (bad ones are
   * reported as problems by the cache, as from any source).
   */
  apply(value: unknown, origin = this.name): number {
    const sink = this.started();
    if (Array.isArray(value)) return value.reduce((n: number, item, i) => n + upsertDocument(sink, item, `${origin} item ${i}`), 0);
    return upsertDocument(sink, value, origin);
  }

  /** Applies the objects of a manifest's text: JSON, or YAML with several documents (`name` ending .json for JSON). */
  applyManifest(text: string, name: string): number {
    return applyManifestText(this.started(), text, name);
  }

  /** Deletes objects (one, an array, or a list): only their kind, namespace and name are read. Returns how many. */
  delete(value: unknown, origin = this.name): number {
    const sink = this.started();
    const items: unknown[] = Array.isArray(value) ? value : isListDocument(value) ? value.items : [value];
    const listKind = isListDocument(value) && value.kind !== 'List' ? value.kind.slice(0, -'List'.length) : undefined;
    items.forEach((object, i) => {
      const kind = isRecord(object) && typeof object.kind === 'string' ? object.kind : listKind;
      sink.delete({ kind, object, origin: items.length > 1 ? `${origin} item ${i}` : origin });
    });
    return items.length;
  }

  private started(): ObjectSink {
    if (!this.sink) throw new K8sError('K8S_SOURCE_STOPPED', `${this.name} is not running (start it, or the agent it feeds)`);
    return this.sink;
  }

  /** The sink with what the API server would add: the next resourceVersion, the default namespace. */
  private stamping(sink: ObjectSink): ObjectSink {
    const complete = (item: SourceItem, stamp: boolean): SourceItem => {
      const object = item.object;
      if (!isRecord(object)) return item;
      const kind = item.kind ?? object.kind;
      const metadata = isRecord(object.metadata) ? object.metadata : {};
      const namespaced = isKindName(kind) && KIND_INFO[kind].namespaced;
      const withNamespace = namespaced && (metadata.namespace === undefined || metadata.namespace === '') ? { namespace: DEFAULT_NAMESPACE } : {};
      const withVersion = stamp ? { resourceVersion: String(++this.version) } : {};
      return { ...item, object: { ...object, metadata: { ...metadata, ...withNamespace, ...withVersion } } };
    };
    return {
      upsert: (item) => sink.upsert(complete(item, true)),
      delete: (item) => sink.delete(complete(item, false)),
      report: (problem: InputProblem) => sink.report(problem),
    };
  }
}
