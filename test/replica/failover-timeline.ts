// Where a failover's time goes. For every leader kill it records, in wall-clock ms after the kill: when the
// replica saw its connection end, every member it tried and skipped, when the surviving servers elected the new
// leader (read from their own logs: "term N: elected leader by ..."), when `_Server` made a member usable, when
// the monitors were resumed on it and when the first transaction committed. The election comes from the servers
// themselves, so the replica's share (gap - election) can be judged apart from the RAFT timer's randomness.
import { readFile } from 'node:fs/promises';
import type { LabServer } from '../../src/lab/index.js';
import type { OvsdbDatabase } from '../../src/ovsdb/database.js';
import type { NorthboundTables } from '../../src/models/ovn-northbound.js';
import { percentile } from './helpers.js';

export interface KillTimeline {
  /** Date.now() of the SIGKILL. */
  readonly killedAt: number;
  /** Each value below: ms after the kill. */
  detected?: number;
  elected?: number;
  /** A member's role looked usable (the `state` event `connecting` naming it). */
  found?: number;
  chosen?: number;
  resumed?: number;
  firstCommit?: number;
  /** Members tried and skipped between the kill and the choice (remote, reason, ms after the kill). */
  readonly skipped: { remote: string; reason: string; at: number }[];
}

/** Log sizes of every server before a kill, so only what they logged after it is read. */
export async function logMarks(servers: readonly LabServer[]): Promise<number[]> {
  return Promise.all(servers.map(async (s) => (await readFile(s.logFile, 'utf8').catch(() => '')).length));
}

/**
 * Date.now() at which a surviving server logged that it won the election after the kill, from its log
 * (`2024-01-01T00:00:00.123Z|00042|raft|INFO|term 3: elected leader by 2+ of 3 servers`).
 */
export async function electedAt(servers: readonly LabServer[], marks: readonly number[], killedAt: number): Promise<number | undefined> {
  let best: number | undefined;
  for (const [i, s] of servers.entries()) {
    const text = (await readFile(s.logFile, 'utf8').catch(() => '')).slice(marks[i]);
    for (const m of text.matchAll(/^(\S+)\|\d+\|raft\|INFO\|term \d+: elected leader/gm)) {
      const at = Date.parse(m[1]);
      if (at >= killedAt - 1 && (best === undefined || at < best)) best = at;
    }
  }
  return best;
}

/** Follows a replica's events and stamps them onto the current kill's timeline. */
export class FailoverRecorder {
  readonly kills: KillTimeline[] = [];
  private current: KillTimeline | undefined;

  constructor(db: OvsdbDatabase<NorthboundTables>) {
    const since = () => Date.now() - this.current!.killedAt;
    db.on('disconnected', () => { if (this.current && this.current.detected === undefined) this.current.detected = since(); });
    db.on('skipped', ({ remote, reason }) => {
      if (this.current && this.current.chosen === undefined) this.current.skipped.push({ remote, reason, at: since() });
    });
    db.on('state', (state, { remote }) => {
      if (this.current && state === 'connecting' && remote !== undefined && this.current.found === undefined && this.current.detected !== undefined) this.current.found = since();
    });
    db.on('chosen', () => { if (this.current && this.current.chosen === undefined) this.current.chosen = since(); });
    db.on('connected', () => { if (this.current && this.current.resumed === undefined) this.current.resumed = since(); });
  }

  begin(killedAt: number): KillTimeline {
    this.current = { killedAt, skipped: [] };
    this.kills.push(this.current);
    return this.current;
  }

  /** One line per kill, for the test log. */
  static line(k: KillTimeline, i: number): string {
    const f = (x: number | undefined) => (x === undefined ? '-' : String(Math.round(x)));
    return `kill ${i + 1}: detected ${f(k.detected)} elected ${f(k.elected)} found ${f(k.found)} chosen ${f(k.chosen)} resumed ${f(k.resumed)} `
      + `commit ${f(k.firstCommit)} (gap - election ${f(k.firstCommit !== undefined && k.elected !== undefined ? k.firstCommit - k.elected : undefined)}; `
      + `${k.skipped.length} skipped${k.skipped.length ? `: ${[...new Set(k.skipped.map((s) => s.reason))].slice(0, 3).join('; ')}` : ''})`;
  }

  /** p50/p99 of every phase over the kills. */
  summary(): Record<string, number> {
    const ks = this.kills;
    const stat = (name: string, xs: (number | undefined)[], out: Record<string, number>) => {
      const v = xs.filter((x): x is number => x !== undefined);
      out[`${name}P50Ms`] = Math.round(percentile(v, 50));
      out[`${name}P99Ms`] = Math.round(percentile(v, 99));
    };
    const out: Record<string, number> = {};
    stat('failoverGap', ks.map((k) => k.firstCommit), out);
    stat('election', ks.map((k) => k.elected), out);
    stat('gapMinusElection', ks.map((k) => (k.firstCommit !== undefined && k.elected !== undefined ? k.firstCommit - k.elected : undefined)), out);
    stat('detected', ks.map((k) => k.detected), out);
    stat('chosenAfterElection', ks.map((k) => (k.chosen !== undefined && k.elected !== undefined ? k.chosen - k.elected : undefined)), out);
    stat('resumedAfterChosen', ks.map((k) => (k.resumed !== undefined && k.chosen !== undefined ? k.resumed - k.chosen : undefined)), out);
    stat('commitAfterResumed', ks.map((k) => (k.firstCommit !== undefined && k.resumed !== undefined ? k.firstCommit - k.resumed : undefined)), out);
    stat('skippedMembers', ks.map((k) => k.skipped.length), out);
    return out;
  }
}
