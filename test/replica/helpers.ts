// Shared by the replica fault tests: read a table with the real `ovsdb-client dump`, compare it with the replica,
// and a continuous writer whose every transaction carries a unique marker (a Logical_Switch name), so lost and
// duplicated commits can be counted from the database itself.
import { runCommand } from '../../src/lab/process.js';
import { decodeValue } from '../../src/ovsdb/datum.js';
import { parseJsonBig, type Json } from '../../src/ovsdb/json.js';
import type { DatabaseSchema } from '../../src/ovsdb/schema.js';
import { ops } from '../../src/ovsdb/operations.js';
import { OvsdbDatabase } from '../../src/ovsdb/database.js';
import { OvsdbOutcomeUnknownError } from '../../src/ovsdb/errors.js';
import type { NorthboundTables } from '../../src/models/ovn-northbound.js';

/** A canonical, order-independent text of a decoded value. */
export function canon(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (Array.isArray(v)) return `[${v.map(canon).sort().join(',')}]`;
  if (v instanceof Map) return `{${[...v].map(([k, x]) => `${canon(k)}:${canon(x)}`).sort().join(',')}}`;
  return JSON.stringify(v) ?? 'undefined';
}

/** `ovsdb-client dump` of one table (columns given), decoded with the schema: uuid -> canonical row text. */
export async function dumpTable(remote: string, schema: DatabaseSchema, table: string, columns: readonly string[]): Promise<Map<string, string>> {
  const out = await runCommand('ovsdb-client', ['--no-leader-only', '--timeout=20', 'dump', '--format=json', remote, schema.name, table, '_uuid', ...columns]);
  const parsed = parseJsonBig(out) as Json[];
  const t = (Array.isArray(parsed) ? parsed[0] : parsed) as { headings: string[]; data: Json[][] };
  const ts = schema.tables.get(table)!;
  const rows = new Map<string, string>();
  for (const cells of t.data) {
    const row: Record<string, unknown> = {};
    t.headings.forEach((h, i) => { row[h] = decodeValue(ts.columns.get(h)!.type, cells[i]); });
    rows.set(row._uuid as string, columns.map((c) => `${c}=${canon(row[c])}`).join(' '));
  }
  return rows;
}

/** The replica's rows of a table in the same canonical form. */
export function replicaTable(db: OvsdbDatabase<NorthboundTables>, table: keyof NorthboundTables & string, columns: readonly string[]): Map<string, string> {
  const rows = new Map<string, string>();
  for (const row of db.table(table)) {
    const r = row as unknown as Record<string, unknown>;
    rows.set(r._uuid as string, columns.map((c) => `${c}=${canon(r[c])}`).join(' '));
  }
  return rows;
}

/** Differences between two canonical tables (empty = equal). */
export function tableDiff(a: Map<string, string>, b: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of a) if (b.get(k) !== v) out.push(`${k}: ${v} != ${b.get(k)}`);
  for (const k of b.keys()) if (!a.has(k)) out.push(`${k}: missing != ${b.get(k)}`);
  return out.slice(0, 5);
}

/** Writes one Logical_Switch named `<prefix><n>` every `intervalMs`, counting what was committed. */
export class MarkerWriter {
  committed = new Set<string>();
  unknown = new Set<string>();
  failed = 0;
  /** The errors of the failed transactions (neither committed nor outcome-unknown), for the test's message. */
  readonly failures: string[] = [];
  /** performance.now() of every successful commit, and when that transaction was sent. */
  commitTimes: number[] = [];
  sentTimes: number[] = [];
  private running = false;
  private paused = false;
  private loop: Promise<void> | undefined;
  private n = 0;

  constructor(private readonly db: OvsdbDatabase<NorthboundTables>, private readonly prefix: string, private readonly intervalMs = 10) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (this.running) {
      if (this.paused) { await sleep(5); continue; }
      const name = `${this.prefix}${this.n++}`;
      try {
        const sentAt = performance.now();
        await this.db.transact([ops.insert('Logical_Switch', { name, external_ids: { marker: name } })]);
        this.committed.add(name);
        this.commitTimes.push(performance.now());
        this.sentTimes.push(sentAt);
      } catch (err) {
        if (err instanceof OvsdbOutcomeUnknownError) this.unknown.add(name);
        else {
          this.failed++;
          this.failures.push(`${name}: ${err instanceof Error ? `${err.constructor.name} ${err.message}` : String(err)}`);
        }
      }
      await sleep(this.intervalMs);
    }
  }

  /** Resolves once no transaction is in flight and the writer waits. */
  async pause(): Promise<void> {
    this.paused = true;
    const n = this.n;
    // the loop checks `paused` before starting the next transaction; wait for one loop turn
    const started = Date.now();
    while (Date.now() - started < 30_000) {
      await sleep(this.intervalMs + 5);
      if (this.n === n) return;
    }
  }

  resume(): void {
    this.paused = false;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** First commit after time `t` (performance.now()). */
  firstCommitAfter(t: number): number | undefined {
    return this.commitTimes.find((x) => x > t);
  }

  /** When the first transaction sent after `t` committed (a commit racing a kill was the old leader's). */
  firstCommitSentAfter(t: number): number | undefined {
    const i = this.sentTimes.findIndex((x) => x > t);
    return i < 0 ? undefined : this.commitTimes[i];
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function waitUntil(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Counts of each marker name in the dumped Logical_Switch table. */
export async function markerCounts(remote: string, schema: DatabaseSchema): Promise<Map<string, number>> {
  const out = await runCommand('ovsdb-client', ['--no-leader-only', '--timeout=20', 'dump', '--format=json', remote, schema.name, 'Logical_Switch', 'name']);
  const parsed = parseJsonBig(out);
  const t = (Array.isArray(parsed) ? parsed[0] : parsed) as { data: Json[][] };
  const counts = new Map<string, number>();
  for (const [name] of t.data) counts.set(name as string, (counts.get(name as string) ?? 0) + 1);
  return counts;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}
