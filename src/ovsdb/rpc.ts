// A JSON-RPC 1.0 session over one connected stream (RFC 7047 section 4): request ids, pending calls with
// per-call timeouts, notifications dispatched by method, replies to the server's `echo` probe, and `cancel` sent
// as a notification. One RpcSession is one connection: when the stream ends, every pending call is rejected with
// OvsdbConnectionClosedError and the session emits `close`. Reconnecting means a new session (client.ts).
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import {
  OvsdbCallTimeoutError, OvsdbCanceledError, OvsdbConnectionClosedError, OvsdbError, OvsdbPeerNotReadingError, OvsdbProtocolError, OvsdbRpcError, OvsdbUnencodableRequestError,
} from './errors.js';
import { JsonFramer, type FramerOptions } from './framing.js';
import { stringifyJson, type Json, type JsonObject } from './json.js';

export interface RpcSessionOptions extends FramerOptions {
  /** Timeout for calls that pass none; 0 (default) waits forever. */
  defaultTimeoutMs?: number;
  /**
   * The most bytes that may wait to be written (the peer not reading them) when a message is to be sent; above
   * it the session ends with OvsdbPeerNotReadingError instead of queueing more (default 64 MiB; 0 = no bound).
   * Checked before each message, so one message of any size still goes out on a connection that keeps up.
   */
  maxWriteBacklogBytes?: number;
}

/** Default of RpcSessionOptions.maxWriteBacklogBytes. */
export const DEFAULT_MAX_WRITE_BACKLOG_BYTES = 64 * 1024 * 1024;

export interface CallOptions {
  /** Rejects with OvsdbCallTimeoutError after this many ms (and sends `cancel` for the id). 0 = no timeout. */
  timeoutMs?: number;
  /** Aborting sends `cancel` for the request; the server then answers it with the error "canceled". */
  signal?: AbortSignal;
}

/** A request in flight. */
export interface PendingCall {
  readonly id: number;
  readonly method: string;
  /** Resolves with the reply's `result`; rejects with a typed OvsdbError. */
  readonly result: Promise<Json>;
  /** Sends the `cancel` notification for this request (ovsdb-server then replies with error "canceled"). */
  cancel(): void;
}

export interface RpcSessionEvents {
  /** A notification from the server (update, update2, update3, locked, stolen, monitor_canceled, ...). */
  notification: [method: string, params: Json];
  /** A request from the server other than echo (answered with "unknown method"). */
  request: [method: string, params: Json];
  /** Any message received (for inactivity probes). */
  activity: [];
  /** The session ended: `error` is the protocol/transport error, undefined for a clean close. */
  close: [error: OvsdbError | undefined];
}

interface Pending {
  readonly method: string;
  resolve(v: Json): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout | undefined;
  cleanup: (() => void) | undefined;
}

export class RpcSession extends EventEmitter<RpcSessionEvents> {
  private readonly stream: Duplex;
  private readonly framer: JsonFramer;
  private readonly pending = new Map<number, Pending>();
  private readonly handlers = new Map<string, Set<(params: Json) => void>>();
  private readonly defaultTimeoutMs: number;
  private readonly maxWriteBacklogBytes: number;
  private nextId = 1;
  private closeError: OvsdbError | undefined;
  private ended = false;
  /** Resolves when the session has ended (never rejects). */
  readonly closed: Promise<OvsdbError | undefined>;
  /** Counters for probes and diagnostics. */
  readonly stats = { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0, lastReceiveAt: Date.now() };

  constructor(stream: Duplex, options: RpcSessionOptions = {}) {
    super();
    this.stream = stream;
    this.framer = new JsonFramer(options);
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? 0;
    this.maxWriteBacklogBytes = options.maxWriteBacklogBytes ?? DEFAULT_MAX_WRITE_BACKLOG_BYTES;
    let resolveClosed!: (e: OvsdbError | undefined) => void;
    this.closed = new Promise((r) => { resolveClosed = r; });
    this.once('close', (e) => resolveClosed(e));
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('error', (err: Error) => this.end(err instanceof OvsdbError ? err
      : new OvsdbConnectionClosedError(undefined, err.message, { cause: err })));
    stream.on('end', () => this.end(undefined, 'the server closed the connection'));
    stream.on('close', () => this.end(undefined, 'the connection was closed'));
  }

  get isClosed(): boolean {
    return this.ended;
  }

  /** Bytes written to the stream that it has not handed on yet (the peer is not reading, or is slower). */
  get bytesQueued(): number {
    return this.ended ? 0 : this.stream.writableLength;
  }

  /** Bytes the stream has handed on so far (grows as the peer reads). */
  get bytesFlushed(): number {
    return this.stats.bytesOut - this.bytesQueued;
  }

  /** Number of calls waiting for a reply. */
  get pendingCount(): number {
    return this.pending.size;
  }

  private onData(chunk: Buffer): void {
    if (this.ended) return;
    this.stats.bytesIn += chunk.length;
    this.stats.lastReceiveAt = Date.now();
    try {
      this.framer.push(chunk, (msg) => this.onMessage(msg));
    } catch (err) {
      this.end(err instanceof OvsdbError ? err : new OvsdbProtocolError(String(err), { cause: err }));
    }
  }

  private onMessage(msg: Json): void {
    this.stats.messagesIn++;
    if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) {
      throw new OvsdbProtocolError('a JSON-RPC message must be an object');
    }
    this.emit('activity');
    const method = msg.method;
    if (typeof method === 'string') {
      const params = msg.params ?? null;
      if (msg.id === null || msg.id === undefined) {
        this.dispatch(method, params);
        return;
      }
      if (method === 'echo') {
        this.send({ id: msg.id, result: params, error: null });
      } else {
        this.send({ id: msg.id, result: null, error: 'unknown method' });
        this.emit('request', method, params);
      }
      return;
    }
    if (!('id' in msg)) throw new OvsdbProtocolError(`a JSON-RPC message without "method" or "id": ${stringifyJson(msg).slice(0, 200)}`);
    const id = msg.id;
    const p = typeof id === 'number' ? this.pending.get(id) : undefined;
    if (!p) return; // a reply to a call that timed out (or an id we never sent): nothing waits for it
    this.pending.delete(id as number);
    p.cleanup?.();
    if (p.timer) clearTimeout(p.timer);
    const error = msg.error;
    if (error !== null && error !== undefined) {
      const text = typeof error === 'string' ? error : (typeof error === 'object' && !Array.isArray(error) ? error.error : undefined);
      p.reject(text === 'canceled' ? new OvsdbCanceledError(p.method, error) : new OvsdbRpcError(p.method, error));
    } else {
      p.resolve(msg.result ?? null);
    }
  }

  private dispatch(method: string, params: Json): void {
    const set = this.handlers.get(method);
    if (set) {
      for (const h of set) {
        try { h(params); } catch (err) { queueMicrotask(() => { throw err; }); }
      }
    }
    this.emit('notification', method, params);
  }

  /** Calls `handler` for every notification with this method; returns the unsubscribe function. */
  onNotification(method: string, handler: (params: Json) => void): () => void {
    let set = this.handlers.get(method);
    if (!set) { set = new Set(); this.handlers.set(method, set); }
    set.add(handler);
    return () => { set.delete(handler); };
  }

  private send(msg: JsonObject): void {
    if (this.ended) return;
    this.sendEncoded(Buffer.from(stringifyJson(msg), 'utf8'));
  }

  private sendEncoded(bytes: Buffer): void {
    if (this.ended) return;
    const queued = this.stream.writableLength;
    if (this.maxWriteBacklogBytes > 0 && queued > this.maxWriteBacklogBytes) {
      // A peer that sends (echo requests, say) but never reads would have us queue replies without end.
      this.end(new OvsdbPeerNotReadingError(queued, 'backlog', `over maxWriteBacklogBytes ${this.maxWriteBacklogBytes}`));
      return;
    }
    this.stats.messagesOut++;
    this.stats.bytesOut += bytes.length;
    this.stream.write(bytes);
  }

  /** Sends a notification (`id: null`). */
  notify(method: string, params: Json[]): void {
    this.send({ method, params, id: null });
  }

  /** Sends a request and returns the pending call (its id, a result promise, cancel()). */
  request(method: string, params: Json, options: CallOptions = {}): PendingCall {
    const id = this.nextId++;
    let resolve!: (v: Json) => void;
    let reject!: (e: Error) => void;
    const result = new Promise<Json>((res, rej) => { resolve = res; reject = rej; });
    const cancel = () => this.cancel(id);
    if (this.ended) {
      reject(new OvsdbConnectionClosedError(method, 'the session is closed', { cause: this.closeError }));
      return { id, method, result, cancel };
    }
    let bytes: Buffer;
    try {
      bytes = Buffer.from(stringifyJson({ id, method, params }), 'utf8');
    } catch (error) {
      // Encoded before the call is registered, so a request that cannot be written leaves nothing pending.
      reject(new OvsdbUnencodableRequestError(method, error));
      return { id, method, result, cancel };
    }
    const p: Pending = { method, resolve, reject, timer: undefined, cleanup: undefined };
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    if (timeoutMs > 0) {
      p.timer = setTimeout(() => {
        if (!this.pending.has(id)) return;
        this.notify('cancel', [id]);
        this.pending.delete(id);
        p.cleanup?.();
        reject(new OvsdbCallTimeoutError(method, timeoutMs));
      }, timeoutMs);
    }
    const signal = options.signal;
    if (signal) {
      if (signal.aborted) queueMicrotask(cancel);
      else {
        signal.addEventListener('abort', cancel, { once: true });
        p.cleanup = () => signal.removeEventListener('abort', cancel);
      }
    }
    this.pending.set(id, p);
    this.sendEncoded(bytes);
    return { id, method, result, cancel };
  }

  /**
   * Cancels a pending request: sends the `cancel` notification, then an `echo` as a barrier. ovsdb-server answers
   * a canceled request with the error "canceled" only on db-change-aware sessions; on others it drops the request
   * silently. Either way the request is settled once the echo reply arrives (the server answers in order): if it
   * is still pending then, it rejects with OvsdbCanceledError. A request already answered is not affected.
   */
  cancel(id: number): void {
    const p = this.pending.get(id);
    if (!p || this.ended) return;
    this.notify('cancel', [id]);
    const settle = () => {
      if (this.pending.get(id) !== p) return;
      this.pending.delete(id);
      if (p.timer) clearTimeout(p.timer);
      p.cleanup?.();
      p.reject(new OvsdbCanceledError(p.method, { error: 'canceled', details: 'the server dropped the request without a reply' }));
    };
    this.request('echo', ['cancel-barrier']).result.then(settle, () => undefined);
  }

  /** Sends a request and waits for its result. */
  call(method: string, params: Json, options?: CallOptions): Promise<Json> {
    return this.request(method, params, options).result;
  }

  /** Ends the session: pending calls reject with OvsdbConnectionClosedError. */
  close(): void {
    this.end(undefined, 'closed by the client');
  }

  /** Ends the session with an error (e.g. a failed probe). */
  destroy(error: OvsdbError): void {
    this.end(error);
  }

  private end(error: OvsdbError | undefined, reason?: string): void {
    if (this.ended) return;
    this.ended = true;
    this.closeError = error;
    const why = error?.message ?? reason ?? 'closed';
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      if (p.timer) clearTimeout(p.timer);
      p.cleanup?.();
      // (A transact's outcome unknown or not is decided by OvsdbProtocol, which knows whether it writes.)
      p.reject(new OvsdbConnectionClosedError(p.method, why, { cause: error }));
    }
    this.stream.destroy();
    this.emit('close', error);
  }
}
