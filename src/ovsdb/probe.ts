// Inactivity probe: when nothing has arrived for half the interval, send `echo`; when nothing at all has arrived
// for the whole interval, the peer is declared dead (a SIGSTOPped server keeps its socket open and never answers,
// so only a probe notices). Any byte counts as life, so a long initial dump never trips it.
//
// Whether an echo is outstanding is a state of its own, cleared by any receive (the byte counter moved), never
// inferred from two timestamps differing: a reply that lands in the same millisecond as its request (a unix
// socket) would otherwise look like no reply, stop every further echo and get the peer declared dead.
import { OvsdbConnectionClosedError } from './errors.js';

export interface ProbeTarget {
  /** `Date.now()` when bytes last arrived. */
  readonly lastReceived: number;
  /** Bytes received so far: any growth is a receive. */
  readonly bytesReceived: number;
  /** Sends an echo request. */
  sendEcho(): void;
  /** Called once when the peer is considered dead. */
  dead(idleMs: number): void;
}

export class InactivityProbe {
  private timer: NodeJS.Timeout | undefined;
  /** The byte count when the outstanding echo was sent; undefined when no echo is outstanding. */
  private echoOutstandingAt: number | undefined;
  private echoes = 0;
  /** The peer was declared dead: nothing more to do. */
  private over = false;

  /** `intervalMs` 0 disables the probe; `now` is the clock `target.lastReceived` is read on. */
  constructor(private readonly target: ProbeTarget, readonly intervalMs: number, private readonly now: () => number = Date.now) {}

  /** Echo requests sent so far. */
  get echoesSent(): number {
    return this.echoes;
  }

  start(): void {
    if (this.intervalMs <= 0 || this.timer || this.over) return;
    const tick = Math.max(10, Math.floor(this.intervalMs / 8));
    this.timer = setInterval(() => this.check(), tick);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One look at the peer (the timer started by start() runs it every eighth of the interval). */
  check(): void {
    if (this.intervalMs <= 0 || this.over) return;
    if (this.echoOutstandingAt !== undefined && this.target.bytesReceived !== this.echoOutstandingAt) this.echoOutstandingAt = undefined;
    const idle = this.now() - this.target.lastReceived;
    if (idle >= this.intervalMs) {
      this.over = true;
      this.stop();
      this.target.dead(idle);
      return;
    }
    if (idle >= this.intervalMs / 2 && this.echoOutstandingAt === undefined) {
      this.echoOutstandingAt = this.target.bytesReceived;
      this.echoes++;
      this.target.sendEcho();
    }
  }
}

/** What a probed connection offers (an OvsdbProtocol fits): its channel's counters and close, and echo. */
export interface ProbedConnection {
  readonly channel: {
    readonly lastReceived: number;
    readonly bytesReceived: number;
    close(reason: Error): void;
  };
  echo(): Promise<unknown>;
}

/** Starts a probe on `connection` that closes it with OvsdbConnectionClosedError once the peer is silent. */
export function probeConnection(connection: ProbedConnection, intervalMs: number): InactivityProbe {
  const { channel } = connection;
  const probe = new InactivityProbe({
    get lastReceived() { return channel.lastReceived; },
    get bytesReceived() { return channel.bytesReceived; },
    sendEcho: () => { connection.echo().catch(() => undefined); },
    dead: (idleMs) => channel.close(new OvsdbConnectionClosedError(undefined, `inactivity probe: nothing received for ${Math.round(idleMs)} ms`)),
  }, intervalMs);
  probe.start();
  return probe;
}
