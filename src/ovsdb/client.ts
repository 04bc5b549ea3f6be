// The OVSDB client: one connection to one server you open yourself, with every OVSDB method (protocol.ts) on it.
// Reconnection, leader-only and probes are the replica's (database.ts); the client exposes its per-connection
// `session`, emits `state`/`close`, and the protocol's notification events.
import type { Duplex } from 'node:stream';
import { OvsdbConnectError, OvsdbError } from './errors.js';
import { OvsdbProtocol, type ProtocolEvents } from './protocol.js';
import { defaultProbeIntervalMs, probeConnection } from './probe.js';
import { connectRemote, parseRemotes, type ConnectRemoteOptions } from './remote.js';
import type { RpcSession, RpcSessionOptions } from './rpc.js';
import { channelFromStream, type SessionChannel } from './rpc-channel.js';

export { Monitor } from './protocol.js';
export type { MonitorEvents, PendingTransaction } from './protocol.js';
export type {
  MonitorMethod, MonitorRequest, MonitorRequests, MonitorCondChangeRequests, RowUpdate, RowUpdate2, TableUpdates,
} from './monitor-format.js';

/** Options of one client connection (the transport's, the session's, and the probe). */
export interface ClientOptions extends RpcSessionOptions {
  /**
   * Inactivity probe, as the replica's: `echo` after half this idle time; the connection is dropped after this
   * much silence, or when the peer takes none of what waits to be sent for this long (0 = off; default as Open
   * vSwitch: 5000 on tcp: and ssl:, off on unix:, see defaultProbeIntervalMs).
   * Pending calls then reject (a transaction that writes as outcome unknown). A frozen server is noticed this
   * way; `defaultTimeoutMs` (opt-in) bounds each call as well.
   */
  probeIntervalMs?: number;
}

export interface ConnectOptions extends ConnectRemoteOptions, ClientOptions {}

export type ConnectionState = 'connected' | 'closed';

export interface OvsdbClientEvents extends ProtocolEvents {
  state: [state: ConnectionState];
  /** The connection ended (error undefined for a close by the client). */
  close: [error: OvsdbError | undefined];
}

export class OvsdbClient extends OvsdbProtocol<OvsdbClientEvents> {
  /** Connects to the first reachable remote of a comma-separated list (or array) of remotes. */
  static async connect(remotes: string | readonly string[], options: ConnectOptions = {}): Promise<OvsdbClient> {
    const list = parseRemotes(typeof remotes === 'string' ? remotes : remotes.join(','));
    const failures: string[] = [];
    let lastError: unknown;
    for (const remote of list) {
      try {
        const stream = await connectRemote(remote, options);
        return new OvsdbClient(channelFromStream(stream, options, remote.text), options);
      } catch (err) {
        lastError = err;
        failures.push((err as Error).message);
      }
    }
    if (list.length === 1 && lastError instanceof OvsdbError) throw lastError;
    throw new OvsdbConnectError(list.map((r) => r.text).join(','), failures.join('; '), { cause: lastError });
  }

  /** Wraps an already connected stream (a socket from elsewhere, a test peer). */
  static fromStream(stream: Duplex, options: ClientOptions = {}, remote = 'stream'): OvsdbClient {
    return new OvsdbClient(channelFromStream(stream, options, remote), options);
  }

  /** The JSON-RPC session of this connection. */
  readonly session: RpcSession;

  private constructor(channel: SessionChannel, options: ClientOptions) {
    super(channel);
    this.session = channel.session;
    const probe = probeConnection(this, options.probeIntervalMs ?? defaultProbeIntervalMs(channel.remote));
    this.session.once('close', (err) => {
      probe.stop();
      this.emit('state', 'closed');
      this.emit('close', err);
    });
  }

  get state(): ConnectionState {
    return this.session.isClosed ? 'closed' : 'connected';
  }

  /** Cancels a pending request by id (`cancel` notification); it rejects with OvsdbCanceledError. See RpcSession.cancel. */
  cancel(id: number): void {
    this.session.cancel(id);
  }
}
