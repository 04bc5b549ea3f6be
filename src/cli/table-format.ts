// Rows as text: OVSDB values the way ovsdb-client and ovn-nbctl print them (sets in [], maps in {}, strings
// quoted only when they need it, 64-bit integers exact), and rows as aligned tables.

const BARE = /^[A-Za-z0-9_.:/@+-]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** One OVSDB atom: numbers and bigints as digits, strings bare when safe, else JSON-quoted. */
export function formatAtom(value: unknown): string {
  switch (typeof value) {
    case 'bigint': case 'number': case 'boolean': return String(value);
    case 'string': return value !== '' && BARE.test(value) ? value : JSON.stringify(value);
    case 'undefined': return '[]';
    default:
      if (value === null) return 'null';
      return formatValue(value);
  }
}

/** A column value: scalar, optional (undefined -> []), set ([a, b]) or map ({k=v}). */
export function formatValue(value: unknown): string {
  if (value instanceof Map) return `{${[...value].map(([k, v]) => `${formatAtom(k)}=${formatAtom(v)}`).join(', ')}}`;
  if (value instanceof Set) return formatValue([...value]);
  if (Array.isArray(value)) return `[${value.map(formatAtom).join(', ')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value);
    return `{${entries.map(([k, v]) => `${k}=${formatAtom(v)}`).join(', ')}}`;
  }
  return formatAtom(value);
}

/** True for a plain object (a row) as opposed to arrays, Maps, class instances with methods, errors. */
export function isRowLike(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Map || value instanceof Set) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null || (proto !== null && Object.getPrototypeOf(proto) === null);
}

/** Column order: _uuid, name, then the others alphabetically; _version left out. */
export function orderColumns(rows: readonly Record<string, unknown>[]): string[] {
  const seen = new Set<string>();
  for (const row of rows) for (const k of Object.keys(row)) seen.add(k);
  seen.delete('_version');
  const first = ['_uuid', 'name'].filter((c) => seen.has(c));
  return [...first, ...[...seen].filter((c) => !first.includes(c)).sort()];
}

export interface TableFormatOptions {
  /** Cells longer than this are cut with "…" (default 60; 0 = never). */
  maxCellWidth?: number;
  /** Column order (default: orderColumns). */
  columns?: readonly string[];
  /** Print "(N rows)" after the table (default true). */
  footer?: boolean;
}

function cut(text: string, max: number): string {
  return max > 0 && text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Rows as an aligned table with a header and a dashed rule, like `ovsdb-client dump`. */
export function formatTable(rows: readonly Record<string, unknown>[], options: TableFormatOptions = {}): string {
  const max = options.maxCellWidth ?? 60;
  const columns = options.columns ? [...options.columns] : orderColumns(rows);
  const cells = rows.map((row) => columns.map((c) => cut(c in row ? formatValue(row[c]) : '', max)));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i].length)));
  const line = (parts: readonly string[]) => parts.map((p, i) => (i === parts.length - 1 ? p : p.padEnd(widths[i]))).join('  ').trimEnd();
  const out = [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)];
  if (options.footer ?? true) out.push(`(${rows.length} row${rows.length === 1 ? '' : 's'})`);
  return out.join('\n');
}

/** One row vertically: `column : value`, values uncut. */
export function formatRecord(row: Record<string, unknown>): string {
  const columns = orderColumns([row]);
  const width = Math.max(0, ...columns.map((c) => c.length));
  return columns.map((c) => `${c.padEnd(width)} : ${formatValue(row[c])}`).join('\n');
}

/** True for an array the REPL should print as a table: non-empty, every element a row-like object. */
export function isRowArray(value: unknown): value is Record<string, unknown>[] {
  return Array.isArray(value) && value.length > 0 && value.every(isRowLike);
}

/** Whether a string is a canonical UUID (for display decisions). */
export function isUuidText(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}
