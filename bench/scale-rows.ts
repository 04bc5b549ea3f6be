// The rows of a database as `ovsdb-client dump` sees them, in a form two runs can be compared in: the density
// bench writes the same objects through the pod API and through the Python IDL, and holds both databases to
// having the same rows, column for column, before it compares their times.
//
// A row's canonical form is its columns (but _uuid and _version) with every reference replaced by the name of
// the row it points to (or its table, for rows without a name) and sets and maps sorted, so two databases
// built by different clients, with different UUIDs, compare equal exactly when they hold the same rows.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Per table, the canonical form of each row (sorted). */
export type CanonicalRows = Map<string, string[]>;

interface DumpedTable { caption: string; headings: string[]; data: unknown[][] }

type Datum = unknown;

/** Reads every table of `database` with `ovsdb-client dump` and returns its rows canonically (`skip`: tables left out). */
export async function canonicalRows(remote: string, database: string, skip: ReadonlySet<string> = new Set()): Promise<CanonicalRows> {
  const { stdout } = await run('ovsdb-client', ['-f', 'json', 'dump', remote, database], { maxBuffer: 1 << 30 });
  return canonicalDump(stdout, skip);
}

/** The rows of `ovsdb-client -f json dump` output (one JSON object per table, one per line), canonically. */
export function canonicalDump(dump: string, skip: ReadonlySet<string> = new Set()): CanonicalRows {
  const tables = dump.trim().split('\n').map((line) => JSON.parse(line) as DumpedTable);
  const nameOf = new Map<string, string>();
  for (const t of tables) {
    const table = t.caption.replace(/ table$/, '');
    const uuidAt = t.headings.indexOf('_uuid');
    const nameAt = t.headings.indexOf('name');
    for (const row of t.data) {
      const uuid = (row[uuidAt] as [string, string])[1];
      nameOf.set(uuid, nameAt >= 0 && typeof row[nameAt] === 'string' ? `${table}:${row[nameAt] as string}` : table);
    }
  }
  const canonical = (value: Datum): string => {
    if (!Array.isArray(value)) return JSON.stringify(value);
    const [kind, body] = value as [string, unknown];
    if (kind === 'uuid') return JSON.stringify(nameOf.get(body as string) ?? 'dangling');
    if (kind === 'set') return `[${(body as Datum[]).map(canonical).sort().join(',')}]`;
    if (kind === 'map') return `{${(body as [Datum, Datum][]).map(([k, v]) => `${canonical(k)}:${canonical(v)}`).sort().join(',')}}`;
    return JSON.stringify(value);
  };
  const out: CanonicalRows = new Map();
  for (const t of tables) {
    const table = t.caption.replace(/ table$/, '');
    if (skip.has(table) || t.data.length === 0) continue;
    const columns = t.headings.map((h, i) => [h, i] as const).filter(([h]) => h !== '_uuid' && h !== '_version');
    out.set(table, t.data.map((row) => columns.map(([h, i]) => `${h}=${canonical(row[i])}`).join(' ')).sort());
  }
  return out;
}

/** Where two databases' rows differ (at most `limit` lines), or an empty list when they hold the same rows. */
export function rowDifferences(a: CanonicalRows, b: CanonicalRows, limit = 5): string[] {
  const out: string[] = [];
  for (const table of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const left = a.get(table) ?? [];
    const right = b.get(table) ?? [];
    if (left.length !== right.length) out.push(`${table}: ${left.length} rows against ${right.length}`);
    const rightSet = new Set(right);
    for (const row of left) {
      if (out.length >= limit) return out;
      if (!rightSet.has(row)) out.push(`${table}: only in the first: ${row}`);
    }
    const leftSet = new Set(left);
    for (const row of right) {
      if (out.length >= limit) return out;
      if (!leftSet.has(row)) out.push(`${table}: only in the second: ${row}`);
    }
  }
  return out;
}

/** Rows in all tables. */
export function rowCount(rows: CanonicalRows): number {
  let n = 0;
  for (const list of rows.values()) n += list.length;
  return n;
}
