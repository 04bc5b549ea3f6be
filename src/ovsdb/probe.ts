// Inactivity probe: when nothing has arrived for half the interval, send `echo`; when nothing at all has arrived
// for the whole interval, the peer is declared dead (a SIGSTOPped server keeps its socket open and never answers,
// so only a probe notices). Any byte counts as life, so a long initial dump never trips it.

export interface ProbeTarget {
  /** `Date.now()` when bytes last arrived. */
  readonly lastReceived: number;
  /** Sends an echo request (its reply, like any message, updates lastReceived). */
  sendEcho(): void;
  /** Called once when the peer is considered dead. */
  dead(idleMs: number): void;
}

export class InactivityProbe {
  private timer: NodeJS.Timeout | undefined;
  private echoSentAt = -1;

  /** `intervalMs` 0 disables the probe. */
  constructor(private readonly target: ProbeTarget, readonly intervalMs: number) {}

  start(): void {
    if (this.intervalMs <= 0 || this.timer) return;
    const tick = Math.max(10, Math.floor(this.intervalMs / 8));
    this.timer = setInterval(() => this.check(), tick);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private check(): void {
    const now = Date.now();
    const idle = now - this.target.lastReceived;
    if (idle >= this.intervalMs) {
      this.stop();
      this.target.dead(idle);
      return;
    }
    if (idle >= this.intervalMs / 2 && this.echoSentAt < this.target.lastReceived) {
      this.echoSentAt = now;
      this.target.sendEcho();
    }
  }
}
