// A source that reads watch events the way kubectl prints them:
//
//   kubectl get pods -A --watch --output-watch-events -o json
//
// prints {"type":"ADDED"|"MODIFIED"|"DELETED","object":{...}} one per line (kubectl 1.20 and 1.32 alike, seen
// against the recorded API replay in fixtures/k8s): first the current objects as ADDED, then the changes. BOOKMARK
// and ERROR events of the API are passed through as they come. kubectl watches ONE resource type per command
// ("you may only specify a single resource type"), so an agent reads several inputs: one file, FIFO or stdin per
// kind, or one input with the outputs of several kubectl processes merged (every object carries its kind; merge
// whole lines: two processes writing into one pipe may interleave their lines once an object is larger than the
// pipe's atomic write size, 4 KiB).
//
// Also read: bare objects (kubectl -w -o json without --output-watch-events prints them pretty-printed; they are
// taken as added/modified, and such a stream cannot say what was deleted) and lists (`kubectl get -o json`).
//
// Initial state: kubectl does not mark where the listed objects end. An input counts as synced at its end, when a
// BOOKMARK carries the `k8s.io/initial-events-end` annotation (the API's streaming-list marker), or when nothing
// has arrived for `quietMs` (default 2 s) -- choose it longer than kubectl takes to connect and list.
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { systemClock, type Clock, type TimerHandle } from './clock.js';
import { upsertDocument } from './documents.js';
import { isRecord } from './json-record.js';
import type { ObjectSink } from './events.js';
import { JsonStreamReader } from './json-stream.js';
import { silentLogger, type Logger } from './logger.js';
import { createSignal, type ObjectSource, type Signal } from './source.js';
import { K8sError } from './errors.js';

export const WATCH_EVENT_TYPES = ['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR'] as const;
export type WatchEventType = (typeof WATCH_EVENT_TYPES)[number];

/** The annotation the API puts on the BOOKMARK that ends the initial events of a streaming list. */
export const INITIAL_EVENTS_END_ANNOTATION = 'k8s.io/initial-events-end';

export interface WatchStreamInput {
  /** Shown in origins and logs ("pods.jsonl", "stdin"). */
  readonly name: string;
  readonly stream: AsyncIterable<Uint8Array | string>;
  /** Called by stop() to release the input (a file stream is destroyed; stdin is only paused). */
  readonly close?: () => void;
}

export interface WatchStreamSourceOptions {
  logger?: Logger;
  clock?: Clock;
  /** An input with no data for this long counts as synced (default 2000 ms). */
  quietMs?: number;
  /** Largest accepted JSON value (default 64 MiB). */
  maxItemBytes?: number;
}

/** An input per path; "-" is standard input. */
export function watchStreamInputs(paths: readonly string[]): WatchStreamInput[] {
  return paths.map((path) => {
    if (path === '-') return { name: 'stdin', stream: process.stdin, close: () => { process.stdin.pause(); } };
    const stream = createReadStream(path);
    return { name: basename(path), stream, close: () => { stream.destroy(); } };
  });
}

interface InputState {
  readonly input: WatchStreamInput;
  readonly synced: Signal;
  quietTimer?: TimerHandle;
  /** Last resourceVersion seen per kind (bookmarks included), for logs. */
  readonly versions: Map<string, string>;
}

export class WatchStreamSource implements ObjectSource {
  readonly name: string;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly quietMs: number;
  private readonly maxItemBytes: number | undefined;
  private readonly states: InputState[];
  private readonly syncedSignal = createSignal();
  private readonly doneSignal = createSignal();
  private sink: ObjectSink | undefined;
  private stopped = false;

  constructor(inputs: readonly WatchStreamInput[], options: WatchStreamSourceOptions = {}) {
    this.name = `watch ${inputs.map((i) => i.name).join(',')}`;
    this.logger = (options.logger ?? silentLogger).child('watch');
    this.clock = options.clock ?? systemClock;
    this.quietMs = options.quietMs ?? 2000;
    this.maxItemBytes = options.maxItemBytes;
    this.states = inputs.map((input) => ({ input, synced: createSignal(), versions: new Map() }));
    void Promise.all(this.states.map((s) => s.synced.promise)).then(() => this.syncedSignal.fire());
  }

  /** Reads files (or "-" for stdin). */
  static fromPaths(paths: readonly string[], options: WatchStreamSourceOptions = {}): WatchStreamSource {
    return new WatchStreamSource(watchStreamInputs(paths), options);
  }

  get synced(): Promise<void> { return this.syncedSignal.promise; }
  get done(): Promise<void> { return this.doneSignal.promise; }
  hasSynced(): boolean { return this.syncedSignal.fired; }

  async start(sink: ObjectSink): Promise<void> {
    if (this.sink) throw new K8sError('K8S_SOURCE_STARTED', `${this.name} was started already`);
    this.sink = sink;
    const readers = this.states.map((state) => this.read(state, sink));
    void Promise.all(readers).then(() => this.doneSignal.fire());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const state of this.states) {
      if (state.quietTimer) this.clock.clearTimeout(state.quietTimer);
      state.input.close?.();
    }
    this.doneSignal.fire();
  }

  private armQuietTimer(state: InputState): void {
    if (state.synced.fired) return;
    if (state.quietTimer) this.clock.clearTimeout(state.quietTimer);
    state.quietTimer = this.clock.setTimeout(() => this.markSynced(state, `nothing new for ${this.quietMs} ms`), this.quietMs);
  }

  private markSynced(state: InputState, why: string): void {
    if (state.synced.fired) return;
    if (state.quietTimer) this.clock.clearTimeout(state.quietTimer);
    state.synced.fire();
    this.logger.info(`initial state of ${state.input.name} read`, { why });
  }

  private async read(state: InputState, sink: ObjectSink): Promise<void> {
    const name = state.input.name;
    const reader = new JsonStreamReader(
      (item) => this.applyItem(state, sink, item.value, item.firstLine === item.lastLine ? `watch ${name}:${item.firstLine}` : `watch ${name}:${item.firstLine}-${item.lastLine}`),
      (fault) => sink.report({ kind: '', reason: fault.reason, message: fault.message, origin: `watch ${name}:${fault.firstLine}` }),
      { maxItemBytes: this.maxItemBytes },
    );
    this.armQuietTimer(state);
    try {
      for await (const chunk of state.input.stream) {
        if (this.stopped) break;
        reader.push(chunk);
        this.armQuietTimer(state);
      }
      if (!this.stopped) reader.end();
    } catch (err) {
      if (!this.stopped) this.logger.error(`reading ${name} failed`, { error: (err as Error).message, line: reader.lines });
    }
    if (!this.stopped) this.logger.info(`end of ${name}`, { lines: reader.lines });
    this.markSynced(state, 'end of input');
  }

  private applyItem(state: InputState, sink: ObjectSink, value: unknown, origin: string): void {
    if (!isRecord(value)) {
      sink.report({ kind: '', reason: 'not-a-watch-event', message: `a watch stream item must be an object, not ${Array.isArray(value) ? 'a list' : typeof value}`, origin });
      return;
    }
    if (typeof value.type === 'string' && 'object' in value) {
      this.applyEvent(state, sink, value.type, value.object, origin);
      return;
    }
    if (value.kind === 'Status') {
      this.applyEvent(state, sink, 'ERROR', value, origin);
      return;
    }
    // A bare object as `kubectl -w -o json` prints it; its bookmarks are objects without a name.
    const metadata = isRecord(value.metadata) ? value.metadata : undefined;
    if (typeof value.kind === 'string' && metadata && metadata.name === undefined && typeof metadata.resourceVersion === 'string') {
      this.applyEvent(state, sink, 'BOOKMARK', value, origin);
      return;
    }
    if (typeof value.kind !== 'string') {
      sink.report({ kind: '', reason: 'not-a-watch-event', message: 'neither a watch event ({"type","object"}) nor a Kubernetes object', origin });
      return;
    }
    upsertDocument(sink, value, origin);
  }

  private applyEvent(state: InputState, sink: ObjectSink, type: string, object: unknown, origin: string): void {
    switch (type as WatchEventType) {
      case 'ADDED':
      case 'MODIFIED':
        sink.upsert({ object, origin });
        return;
      case 'DELETED':
        sink.delete({ object, origin });
        return;
      case 'BOOKMARK': {
        const metadata = isRecord(object) && isRecord(object.metadata) ? object.metadata : {};
        const kind = isRecord(object) && typeof object.kind === 'string' ? object.kind : '';
        if (typeof metadata.resourceVersion === 'string') state.versions.set(kind, metadata.resourceVersion);
        this.logger.debug('bookmark', { input: state.input.name, kind, resourceVersion: String(metadata.resourceVersion) });
        const annotations = isRecord(metadata.annotations) ? metadata.annotations : {};
        if (annotations[INITIAL_EVENTS_END_ANNOTATION] === 'true') this.markSynced(state, 'initial-events-end bookmark');
        return;
      }
      case 'ERROR': {
        const status = isRecord(object) ? object : {};
        const code = typeof status.code === 'number' ? status.code : undefined;
        const text = `${code ?? '?'} ${typeof status.reason === 'string' ? status.reason : ''}: ${typeof status.message === 'string' ? status.message : JSON.stringify(object)}`;
        const hint = code === 410 ? ' (the watch expired: kubectl ends here; run it again to list the current state)' : '';
        sink.report({ kind: '', reason: 'watch-error', message: `the API ended the watch with an error ${text}${hint}`, origin });
        return;
      }
      default:
        sink.report({ kind: '', reason: 'not-a-watch-event', message: `unknown watch event type ${JSON.stringify(type)}`, origin });
    }
  }
}
