// Reconnect pacing. The member watch (member-watch.ts) opens every member at once and follows elections by
// `_Server` notification, so nothing here polls a cluster: the Backoff paces only what fails. When no member
// answers at all, the wait grows exponentially with equal jitter up to a cap (a fleet of clients does not come
// back in lockstep); a member that answered but was found unusable on a closer look is held off briefly
// (`nextElectionPoll`, e.g. behind on its RAFT index during an election) or with the growing wait (its setup
// failed). RemoteRotation gives the order in which members that look usable at the same moment are preferred:
// shuffled, the one that just dropped last.

export interface BackoffOptions {
  /** First wait after a failed pass (default 50 ms). */
  initialMs?: number;
  /** Upper bound of the wait (default 4000 ms). */
  maxMs?: number;
  /** Growth per failed pass (default 2). */
  multiplier?: number;
  /** Wait while live members report no eligible one (an election in progress; default 60 ms). */
  electionPollMs?: number;
}

export class Backoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly multiplier: number;
  readonly electionPollMs: number;
  private attempt = 0;

  constructor(options: BackoffOptions = {}, private readonly random: () => number = Math.random) {
    this.initialMs = options.initialMs ?? 50;
    this.maxMs = options.maxMs ?? 4000;
    this.multiplier = options.multiplier ?? 2;
    this.electionPollMs = options.electionPollMs ?? 60;
  }

  /** Failed passes since the last reset. */
  get failures(): number {
    return this.attempt;
  }

  /** The wait before the next pass: half fixed, half random ("equal jitter"), so it never collapses to zero. */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.initialMs * this.multiplier ** this.attempt);
    this.attempt++;
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }

  /** The wait while a cluster elects a leader: the poll interval with +-25 % jitter. */
  nextElectionPoll(): number {
    this.attempt++;
    return Math.round(this.electionPollMs * (0.75 + this.random() * 0.5));
  }

  reset(): void {
    this.attempt = 0;
  }
}

/** Fisher-Yates shuffle into a new array. */
export function shuffled<T>(items: readonly T[], random: () => number = Math.random): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * Walks the remote list in passes. Each pass is a fresh shuffle that starts after the remote that was last
 * connected (so a dropped leader is tried last, not first).
 */
export class RemoteRotation {
  private pass: string[] = [];
  private position = 0;

  constructor(readonly remotes: readonly string[], private readonly shuffle = true, private readonly random: () => number = Math.random) {}

  /** Starts a new pass; `avoidFirst` (the remote that just failed) is moved to the end. */
  startPass(avoidFirst?: string): void {
    const order = this.shuffle ? shuffled(this.remotes, this.random) : [...this.remotes];
    if (avoidFirst !== undefined && order.length > 1) {
      const i = order.indexOf(avoidFirst);
      if (i >= 0) { order.splice(i, 1); order.push(avoidFirst); }
    }
    this.pass = order;
    this.position = 0;
  }

  /** The next remote of the current pass, or undefined when the pass is over. */
  next(): string | undefined {
    return this.pass[this.position++];
  }
}
