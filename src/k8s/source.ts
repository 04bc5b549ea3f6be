// One interface for every source of Kubernetes objects: the informers of @kubernetes/client-node
// (informer-source.ts), a kubectl watch-event stream (watch-stream-source.ts) and manifests
// (manifest-source.ts). A source delivers into an ObjectSink (the ObjectCache) and says when its initial state is
// complete, so that controllers start their full resync (and garbage collection) only on a complete picture.
import type { ObjectSink } from './events.js';
import type { ObjectCache } from './cache.js';
import type { PodAnnotationWriter } from './pod-annotations.js';

export interface ObjectSource {
  /** For logs and origins: "informer", "watch pods.jsonl", "manifests". */
  readonly name: string;
  /** Starts delivering into `sink`. Resolves once started (not once synced). A source starts once. */
  start(sink: ObjectSink): Promise<void>;
  /** Resolves once the source delivered its initial state (an informer: every kind listed; a stream: see there). */
  readonly synced: Promise<void>;
  hasSynced(): boolean;
  /** Resolves when the source has nothing more to deliver by itself (end of a stream; an informer only when stopped). */
  readonly done: Promise<void>;
  /** Stops delivering; resolves once no more objects will arrive. */
  stop(): Promise<void>;
  /** A source that talks to the API can write the pods' `k8s.ovn.org/pod-networks` annotation back. */
  podAnnotationWriter?(): PodAnnotationWriter;
}

/** A promise with its resolve function, for the synced/done signals of sources. */
export interface Signal {
  readonly promise: Promise<void>;
  readonly fired: boolean;
  fire(): void;
}

export function createSignal(): Signal {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => { resolve = r; });
  const signal = {
    promise,
    fired: false,
    fire() {
      if (signal.fired) return;
      signal.fired = true;
      resolve();
    },
  };
  return signal;
}

/**
 * Starts every source into the cache; resolves when all have synced, after marking the cache synced. Sources are
 * started in the order given (put manifests, the starting state, first).
 */
export async function startSources(cache: ObjectCache, sources: readonly ObjectSource[]): Promise<void> {
  for (const source of sources) await source.start(cache);
  await Promise.all(sources.map((source) => source.synced));
  cache.markSynced();
}
