// The one thing the resilient layer needs from a single OVSDB connection: raw JSON-RPC calls, notifications,
// a way to notice the connection ended, and when bytes last arrived (for the inactivity probe). Kept as a small
// interface so the replica does not depend on the shape of the full protocol client; `openRpcChannel` is a
// lean implementation over node:net / node:tls and the shared framer.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { readFileSync } from 'node:fs';
import { JsonFramer } from './framing.js';
import { stringifyJson, type Json, type JsonObject } from './json.js';
import { OvsdbCallTimeoutError, OvsdbConnectError, OvsdbConnectionClosedError, OvsdbProtocolError, OvsdbRemoteError, OvsdbRpcError } from './errors.js';

export interface RpcChannel {
  /** The remote string this channel is connected to. */
  readonly remote: string;
  /** `performance.now()` when bytes last arrived. */
  readonly lastReceived: number;
  /** Resolves (never rejects) with the reason once the channel has ended. */
  readonly closed: Promise<Error>;
  readonly isClosed: boolean;
  /** Sends a request; rejects with OvsdbRpcError (server error), OvsdbConnectionClosedError or OvsdbCallTimeoutError. */
  call(method: string, params: Json[], timeoutMs?: number): Promise<Json>;
  notify(method: string, params: Json[]): void;
  /** Server notifications (update, update2, update3, locked, stolen, monitor_canceled, ...). */
  onNotification: ((method: string, params: Json[]) => void) | undefined;
  close(reason?: Error): void;
}

/** TLS material for `ssl:` remotes: PEM file paths. */
export interface ChannelTlsOptions {
  readonly caCert: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

export interface RpcChannelOptions {
  tls?: ChannelTlsOptions;
  connectTimeoutMs?: number;
  maxMessageBytes?: number;
}

interface ParsedRemote {
  kind: 'tcp' | 'ssl' | 'unix';
  host: string;
  port: number;
  path: string;
}

/** Parses one active remote (`tcp:H:P`, `tcp:[v6]:P`, `ssl:H:P`, `unix:PATH`); the default port is 6640. */
export function parseActiveRemote(remote: string): ParsedRemote {
  const colon = remote.indexOf(':');
  const kind = remote.slice(0, colon);
  const rest = remote.slice(colon + 1);
  if (kind === 'unix') {
    if (!rest) throw new OvsdbRemoteError(remote, 'missing path');
    return { kind, host: '', port: 0, path: rest };
  }
  if (kind !== 'tcp' && kind !== 'ssl') throw new OvsdbRemoteError(remote, 'expected tcp:, ssl: or unix:');
  let host: string;
  let portText: string | undefined;
  if (rest.startsWith('[')) {
    const end = rest.indexOf(']');
    if (end < 0) throw new OvsdbRemoteError(remote, 'unterminated IPv6 address');
    host = rest.slice(1, end);
    portText = rest[end + 1] === ':' ? rest.slice(end + 2) : undefined;
  } else {
    const i = rest.lastIndexOf(':');
    host = i < 0 ? rest : rest.slice(0, i);
    portText = i < 0 ? undefined : rest.slice(i + 1);
  }
  const port = portText === undefined || portText === '' ? 6640 : Number(portText);
  if (!host || !Number.isInteger(port) || port <= 0 || port > 65535) throw new OvsdbRemoteError(remote, 'bad host or port');
  return { kind, host, port, path: '' };
}

/** Splits a comma-separated remote list (or accepts an array). */
export function splitRemotes(remotes: string | readonly string[]): string[] {
  const list = typeof remotes === 'string' ? remotes.split(',') : [...remotes];
  const out = list.map((r) => r.trim()).filter((r) => r.length > 0);
  if (out.length === 0) throw new OvsdbRemoteError(String(remotes), 'no remote given');
  for (const r of out) parseActiveRemote(r);
  return out;
}

interface Pending {
  method: string;
  resolve: (v: Json) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

class SocketChannel implements RpcChannel {
  lastReceived = performance.now();
  isClosed = false;
  onNotification: ((method: string, params: Json[]) => void) | undefined;
  readonly closed: Promise<Error>;
  private resolveClosed!: (e: Error) => void;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private readonly framer: JsonFramer;

  constructor(readonly remote: string, private readonly socket: Socket, maxMessageBytes: number | undefined) {
    this.closed = new Promise((resolve) => { this.resolveClosed = resolve; });
    this.framer = new JsonFramer(maxMessageBytes ? { maxMessageBytes } : {});
    socket.setNoDelay?.(true);
    socket.on('data', (chunk: Buffer) => {
      this.lastReceived = performance.now();
      try {
        this.framer.push(chunk, (msg) => this.dispatch(msg));
      } catch (err) {
        this.close(err instanceof Error ? err : new OvsdbProtocolError(String(err)));
      }
    });
    socket.on('error', (err) => this.close(err));
    socket.on('close', () => this.close(new OvsdbConnectionClosedError(undefined, 'connection closed by peer')));
  }

  private dispatch(msg: Json): void {
    if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) throw new OvsdbProtocolError('JSON-RPC message is not an object');
    const m = msg as JsonObject;
    if (typeof m.method === 'string') {
      const params = Array.isArray(m.params) ? m.params : [];
      if (m.id === null || m.id === undefined) {
        this.onNotification?.(m.method, params);
      } else if (m.method === 'echo') {
        this.send({ id: m.id, result: params, error: null });
      } else {
        this.send({ id: m.id, result: null, error: 'unknown method' });
      }
      return;
    }
    if (typeof m.id !== 'number') return; // a reply to a notification-like call we never made
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (p.timer) clearTimeout(p.timer);
    if (m.error !== null && m.error !== undefined) p.reject(new OvsdbRpcError(p.method, m.error));
    else p.resolve(m.result ?? null);
  }

  private send(msg: Json): void {
    if (this.isClosed) return;
    this.socket.write(stringifyJson(msg));
  }

  call(method: string, params: Json[], timeoutMs?: number): Promise<Json> {
    if (this.isClosed) return Promise.reject(new OvsdbConnectionClosedError(method, 'connection already closed'));
    const id = this.nextId++;
    return new Promise<Json>((resolve, reject) => {
      const p: Pending = { method, resolve, reject, timer: undefined };
      if (timeoutMs !== undefined && timeoutMs > 0) {
        p.timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new OvsdbCallTimeoutError(method, timeoutMs));
        }, timeoutMs);
      }
      this.pending.set(id, p);
      this.send({ id, method, params });
    });
  }

  notify(method: string, params: Json[]): void {
    this.send({ id: null, method, params });
  }

  close(reason: Error = new OvsdbConnectionClosedError(undefined, 'closed by client')): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.socket.destroy();
    for (const p of this.pending.values()) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(new OvsdbConnectionClosedError(p.method, reason.message, { cause: reason }));
    }
    this.pending.clear();
    this.resolveClosed(reason);
  }
}

/** Connects to one active remote. Rejects with OvsdbConnectError. */
export function openRpcChannel(remote: string, options: RpcChannelOptions = {}): Promise<RpcChannel> {
  const r = parseActiveRemote(remote);
  return new Promise<RpcChannel>((resolve, reject) => {
    let socket: Socket;
    const readyEvent = r.kind === 'ssl' ? 'secureConnect' : 'connect';
    if (r.kind === 'unix') socket = netConnect({ path: r.path });
    else if (r.kind === 'tcp') socket = netConnect({ host: r.host, port: r.port });
    else {
      const tls = options.tls;
      if (!tls) { reject(new OvsdbConnectError(remote, 'ssl: remote needs tls options (CA, certificate, key)')); return; }
      socket = tlsConnect({
        host: r.host, port: r.port, ca: readFileSync(tls.caCert), cert: readFileSync(tls.clientCert),
        key: readFileSync(tls.clientKey), servername: /^[\d.:]+$/.test(r.host) ? undefined : r.host,
      });
    }
    const timer = setTimeout(() => fail(new Error(`no connection within ${options.connectTimeoutMs} ms`)), options.connectTimeoutMs ?? 5000);
    const fail = (err: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new OvsdbConnectError(remote, err.message, { cause: err }));
    };
    socket.once('error', fail);
    socket.once(readyEvent, () => {
      clearTimeout(timer);
      socket.off('error', fail);
      resolve(new SocketChannel(remote, socket, options.maxMessageBytes));
    });
  });
}
