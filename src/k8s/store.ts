// The local cache of one kind: objects by key, an index by namespace, and queries by label selector. Reads only
// for controllers; the ObjectCache (cache.ts) is the one writer. Labels a controller looks objects up by for every
// key it reconciles (an EndpointSlice's `kubernetes.io/service-name`) can be indexed, so that the lookup does not
// scan the whole namespace each time (thousands of Services times thousands of slices).
import { labelSelectorMatcher, type LabelMatcher } from './label-selector.js';
import type { V1LabelSelector } from '@kubernetes/client-node';

interface HasMetadata {
  metadata?: { namespace?: string; labels?: Record<string, string> };
}

export class ObjectStore<T extends HasMetadata> {
  private readonly objects = new Map<string, T>();
  private readonly byNamespace = new Map<string, Set<string>>();
  /** label -> value -> keys, for the labels indexed. */
  private readonly byLabel = new Map<string, Map<string, Set<string>>>();

  /** A store indexing the values of `indexedLabels` (withLabel()). */
  constructor(indexedLabels: readonly string[] = []) {
    for (const label of indexedLabels) this.byLabel.set(label, new Map());
  }

  get size(): number {
    return this.objects.size;
  }

  get(key: string): T | undefined {
    return this.objects.get(key);
  }

  has(key: string): boolean {
    return this.objects.has(key);
  }

  keys(): string[] {
    return [...this.objects.keys()];
  }

  list(): T[] {
    return [...this.objects.values()];
  }

  /** Objects of one namespace (none for cluster-scoped kinds). */
  listNamespace(namespace: string): T[] {
    const keys = this.byNamespace.get(namespace);
    return keys ? [...keys].map((key) => this.objects.get(key)!) : [];
  }

  /**
   * Objects whose labels a selector matches, in one namespace or all. Takes a V1LabelSelector (API semantics: null
   * matches nothing, {} everything) or a matcher from labelSelectorMatcher.
   */
  select(selector: V1LabelSelector | LabelMatcher | null | undefined, namespace?: string): T[] {
    const matches = typeof selector === 'function' ? selector : labelSelectorMatcher(selector);
    const candidates = namespace === undefined ? this.objects.values() : this.listNamespace(namespace);
    const out: T[] = [];
    for (const object of candidates) if (matches(object.metadata?.labels)) out.push(object);
    return out;
  }

  /**
   * Objects of one namespace (or all) whose label `label` has the value `value`: from the index when the label is
   * indexed, else by a scan.
   */
  withLabel(label: string, value: string, namespace?: string): T[] {
    const index = this.byLabel.get(label);
    if (!index) return this.select((labels) => labels?.[label] === value, namespace);
    const out: T[] = [];
    for (const key of index.get(value) ?? []) {
      const object = this.objects.get(key)!;
      if (namespace === undefined || object.metadata?.namespace === namespace) out.push(object);
    }
    return out;
  }

  /** @internal The cache's write path. */
  set(key: string, object: T): void {
    const before = this.objects.get(key);
    if (before !== undefined) this.unindexLabels(key, before);
    this.objects.set(key, object);
    this.indexLabels(key, object);
    const namespace = object.metadata?.namespace;
    if (namespace !== undefined) {
      let keys = this.byNamespace.get(namespace);
      if (!keys) this.byNamespace.set(namespace, (keys = new Set()));
      keys.add(key);
    }
  }

  /** @internal The cache's write path. */
  remove(key: string): T | undefined {
    const object = this.objects.get(key);
    if (object === undefined) return undefined;
    this.objects.delete(key);
    this.unindexLabels(key, object);
    const namespace = object.metadata?.namespace;
    if (namespace !== undefined) {
      const keys = this.byNamespace.get(namespace);
      keys?.delete(key);
      if (keys?.size === 0) this.byNamespace.delete(namespace);
    }
    return object;
  }

  private indexLabels(key: string, object: T): void {
    for (const [label, index] of this.byLabel) {
      const value = object.metadata?.labels?.[label];
      if (value === undefined) continue;
      let keys = index.get(value);
      if (!keys) index.set(value, (keys = new Set()));
      keys.add(key);
    }
  }

  private unindexLabels(key: string, object: T): void {
    for (const [label, index] of this.byLabel) {
      const value = object.metadata?.labels?.[label];
      if (value === undefined) continue;
      const keys = index.get(value);
      keys?.delete(key);
      if (keys?.size === 0) index.delete(value);
    }
  }
}
