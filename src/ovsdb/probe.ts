// Inactivity probe: when nothing has arrived for half the interval, send `echo`; when nothing at all has arrived
// for the whole interval, the peer is declared dead (a SIGSTOPped server keeps its socket open and never answers,
// so only a probe notices). Any byte counts as life, so a long initial dump never trips it. The other direction
// too: bytes waiting to be written that the peer has not taken for a whole interval mean it stopped reading (it
// may still be sending), and that ends the connection as well.
//
// Whether an echo is outstanding is a state of its own, cleared by any receive (the byte counter moved), never
// inferred from two timestamps differing: a reply that lands in the same millisecond as its request (a unix
// socket) would otherwise look like no reply, stop every further echo and get the peer declared dead.
//
// A verdict of death is confirmed once more after the event loop has polled its sockets (`defer`, setImmediate):
// when this process itself was stalled (a loaded machine), timers run before pending socket reads, and the reply
// may be sitting unread in the socket.
import { OvsdbConnectionClosedError, OvsdbPeerNotReadingError } from './errors.js';

/** The probe interval of OvsdbClient and OvsdbDatabase unless given (`probeIntervalMs`). */
export const DEFAULT_PROBE_INTERVAL_MS = 5000;

/**
 * The probe interval of a connection to `remote` when none is given: as in Open vSwitch (stream_needs_probes),
 * tcp: and ssl: are probed and unix: (a named pipe on Windows) is not: a local peer that goes away closes the
 * socket, and a local server busy for seconds building a large reply must not be dropped for it.
 */
export function defaultProbeIntervalMs(remote: string): number {
  return remote.startsWith('unix:') ? 0 : DEFAULT_PROBE_INTERVAL_MS;
}

export interface ProbeTarget {
  /** `Date.now()` when bytes last arrived. */
  readonly lastReceived: number;
  /** Bytes received so far: any growth is a receive. */
  readonly bytesReceived: number;
  /** Bytes written that the peer has not taken yet (undefined: not known, never stalled). */
  readonly bytesQueued?: number;
  /** Bytes the peer has taken so far: any growth is progress. */
  readonly bytesFlushed?: number;
  /** Sends an echo request. */
  sendEcho(): void;
  /** Called once when the peer is considered dead (silent for `idleMs`). */
  dead(idleMs: number): void;
  /** Called once when the peer took none of the queued bytes for `stalledMs` (default: dead). */
  notReading?(stalledMs: number): void;
}

export class InactivityProbe {
  private timer: NodeJS.Timeout | undefined;
  /** The byte count when the outstanding echo was sent; undefined when no echo is outstanding. */
  private echoOutstandingAt: number | undefined;
  private echoes = 0;
  /** The peer was declared dead: nothing more to do. */
  private over = false;
  /** A verdict waits for its confirmation (defer). */
  private confirming = false;
  /** stop() was called: a verdict still waiting for its confirmation is dropped. */
  private stopped = false;
  /** Flushed-byte count last seen, and when it last moved (or nothing was queued). */
  private flushed = 0;
  private flushMovedAt: number;

  /**
   * `intervalMs` 0 disables the probe; `now` is the clock `target.lastReceived` is read on; `defer` runs the
   * confirmation of a verdict after pending I/O (default setImmediate).
   */
  constructor(
    private readonly target: ProbeTarget,
    readonly intervalMs: number,
    private readonly now: () => number = Date.now,
    private readonly defer: (fn: () => void) => void = setImmediate,
  ) {
    this.flushMovedAt = now();
  }

  /** Echo requests sent so far. */
  get echoesSent(): number {
    return this.echoes;
  }

  start(): void {
    if (this.intervalMs <= 0 || this.timer || this.over) return;
    this.stopped = false;
    const tick = Math.max(10, Math.floor(this.intervalMs / 8));
    this.timer = setInterval(() => this.check(), tick);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One look at the peer (the timer started by start() runs it every eighth of the interval). */
  check(): void {
    if (this.intervalMs <= 0 || this.over || this.confirming) return;
    if (this.echoOutstandingAt !== undefined && this.target.bytesReceived !== this.echoOutstandingAt) this.echoOutstandingAt = undefined;
    const now = this.now();
    const stalled = this.writeStalledFor(now);
    const idle = now - this.target.lastReceived;
    if (idle >= this.intervalMs || stalled >= this.intervalMs) {
      const received = this.target.bytesReceived;
      const flushed = this.target.bytesFlushed ?? 0;
      this.confirming = true;
      this.defer(() => this.confirm(received, flushed));
      return;
    }
    if (idle >= this.intervalMs / 2 && this.echoOutstandingAt === undefined) {
      this.echoOutstandingAt = this.target.bytesReceived;
      this.echoes++;
      this.target.sendEcho();
    }
  }

  /** How long queued bytes have waited with none taken (0 when nothing is queued or some were taken). */
  private writeStalledFor(now: number): number {
    const flushed = this.target.bytesFlushed ?? 0;
    if ((this.target.bytesQueued ?? 0) === 0 || flushed !== this.flushed) {
      this.flushed = flushed;
      this.flushMovedAt = now;
      return 0;
    }
    return now - this.flushMovedAt;
  }

  /** The verdict stands only if nothing moved meanwhile (bytes read, or bytes taken by the peer). */
  private confirm(received: number, flushed: number): void {
    this.confirming = false;
    if (this.over || this.stopped) return;
    const now = this.now();
    const idle = now - this.target.lastReceived;
    if (idle >= this.intervalMs && this.target.bytesReceived === received) {
      this.finish();
      this.target.dead(idle);
      return;
    }
    const stalled = this.writeStalledFor(now);
    if (stalled >= this.intervalMs && (this.target.bytesFlushed ?? 0) === flushed) {
      this.finish();
      if (this.target.notReading) this.target.notReading(stalled);
      else this.target.dead(stalled);
    }
  }

  private finish(): void {
    this.over = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** What a probed connection offers (an OvsdbProtocol fits): its channel's counters and close, and echo. */
export interface ProbedConnection {
  readonly channel: {
    readonly lastReceived: number;
    readonly bytesReceived: number;
    readonly bytesQueued?: number;
    readonly bytesFlushed?: number;
    close(reason: Error): void;
  };
  echo(): Promise<unknown>;
}

/**
 * Starts a probe on `connection` that closes it with OvsdbConnectionClosedError once the peer is silent, or with
 * OvsdbPeerNotReadingError once it stops taking what is sent.
 */
export function probeConnection(connection: ProbedConnection, intervalMs: number): InactivityProbe {
  const { channel } = connection;
  const probe = new InactivityProbe({
    get lastReceived() { return channel.lastReceived; },
    get bytesReceived() { return channel.bytesReceived; },
    get bytesQueued() { return channel.bytesQueued; },
    get bytesFlushed() { return channel.bytesFlushed; },
    sendEcho: () => { connection.echo().catch(() => undefined); },
    dead: (idleMs) => channel.close(new OvsdbConnectionClosedError(undefined, `inactivity probe: nothing received for ${Math.round(idleMs)} ms`)),
    notReading: (stalledMs) => channel.close(new OvsdbPeerNotReadingError(channel.bytesQueued ?? 0, 'stalled', `none taken for ${Math.round(stalledMs)} ms`)),
  }, intervalMs);
  probe.start();
  return probe;
}
