// The one connection type every OVSDB user here speaks through (OvsdbProtocol, protocol.ts, is built on it):
// JSON-RPC requests and notifications, server notifications, a way to notice the connection ended, and when and
// how much was last received (for the inactivity probe). A small interface over an RpcSession (rpc.ts) on a
// remote's stream (remote.ts), so the client, the replica and the member watch can be fed by anything that
// speaks it (and tested against it).
import type { Duplex } from 'node:stream';
import { OvsdbConnectionClosedError, OvsdbError, OvsdbRemoteError } from './errors.js';
import type { Json } from './json.js';
import { connectRemote, parseRemote, parseRemotes, type ConnectRemoteOptions } from './remote.js';
import { RpcSession, type CallOptions, type PendingCall, type RpcSessionOptions } from './rpc.js';

export interface RpcChannel {
  /** The remote string this channel is connected to. */
  readonly remote: string;
  /** `Date.now()` when bytes last arrived. */
  readonly lastReceived: number;
  /** Bytes received so far (grows with every receive; the inactivity probe's sign of life). */
  readonly bytesReceived: number;
  /** Bytes written that the peer has not taken yet (the probe drops a peer that stops reading); optional. */
  readonly bytesQueued?: number;
  /** Bytes the peer has taken so far; optional, with bytesQueued. */
  readonly bytesFlushed?: number;
  /** Resolves (never rejects) with the reason once the channel has ended. */
  readonly closed: Promise<Error>;
  readonly isClosed: boolean;
  /**
   * Sends a request. Its result rejects with OvsdbRpcError (server error), OvsdbConnectionClosedError or
   * OvsdbCallTimeoutError; `cancel()` asks the server to drop it.
   */
  request(method: string, params: Json[], options?: CallOptions): PendingCall;
  notify(method: string, params: Json[]): void;
  /** Server notifications (update, update2, update3, locked, stolen, monitor_canceled, ...). */
  onNotification: ((method: string, params: Json[]) => void) | undefined;
  /** Ends the channel; pending calls reject with OvsdbConnectionClosedError. */
  close(reason?: Error): void;
}

export interface RpcChannelOptions extends ConnectRemoteOptions, RpcSessionOptions {}

/** Splits a comma-separated remote list (or accepts an array), validating every entry. */
export function splitRemotes(remotes: string | readonly string[]): string[] {
  const text = typeof remotes === 'string' ? remotes : remotes.join(',');
  const list = parseRemotes(text).map((r) => r.text);
  if (list.length === 0) throw new OvsdbRemoteError(text, 'no remote given');
  return list;
}

/** An RpcChannel over one RpcSession. */
export class SessionChannel implements RpcChannel {
  onNotification: ((method: string, params: Json[]) => void) | undefined;
  readonly closed: Promise<Error>;

  constructor(readonly remote: string, readonly session: RpcSession) {
    session.on('notification', (method, params) => this.onNotification?.(method, Array.isArray(params) ? params : []));
    this.closed = session.closed.then((err) => err ?? new OvsdbConnectionClosedError(undefined, 'the connection was closed'));
  }

  get lastReceived(): number {
    return this.session.stats.lastReceiveAt;
  }

  get bytesReceived(): number {
    return this.session.stats.bytesIn;
  }

  get bytesQueued(): number {
    return this.session.bytesQueued;
  }

  get bytesFlushed(): number {
    return this.session.bytesFlushed;
  }

  get isClosed(): boolean {
    return this.session.isClosed;
  }

  request(method: string, params: Json[], options?: CallOptions): PendingCall {
    return this.session.request(method, params, options);
  }

  notify(method: string, params: Json[]): void {
    this.session.notify(method, params);
  }

  close(reason?: Error): void {
    if (!reason) this.session.close();
    else this.session.destroy(reason instanceof OvsdbError ? reason : new OvsdbConnectionClosedError(undefined, reason.message, { cause: reason }));
  }
}

/** An RpcChannel over an already connected stream (a socket from elsewhere, a test peer). */
export function channelFromStream(stream: Duplex, options: RpcSessionOptions = {}, remote = 'stream'): SessionChannel {
  return new SessionChannel(remote, new RpcSession(stream, options));
}

/** Connects to one remote (tcp:, ssl:, unix: / Windows pipe). Rejects with OvsdbConnectError. */
export async function openRpcChannel(remote: string, options: RpcChannelOptions = {}): Promise<SessionChannel> {
  const stream = await connectRemote(parseRemote(remote), options);
  return channelFromStream(stream, options, remote);
}
