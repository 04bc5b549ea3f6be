// `where` conditions evaluated on replica rows, with RFC 7047's semantics (5.1 "Notation", condition): the
// conditions are first validated and encoded exactly as a transaction would send them (so a bad column or value
// fails with the same OvsdbValidationError), then decoded back to the column's canonical values and compared.
//
//   ==, !=        whole-value equality (a set or map compares as a set of elements / pairs)
//   <, <=, >, >=  integer and real columns with at most one value (an empty optional matches none)
//   includes      every element (pair) of the argument is in the column; excludes: none is
import { decodeValue, type Value } from '../ovsdb/datum.js';
import type { Json } from '../ovsdb/json.js';
import { encodeConditions, type Condition } from '../ovsdb/operations.js';
import type { ColumnType, DatabaseSchema } from '../ovsdb/schema.js';

export type RowPredicate = (row: Readonly<Record<string, unknown>>) => boolean;

function elements(v: unknown): unknown[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

function sameAtom(a: unknown, b: unknown): boolean {
  return a === b || (typeof a === 'bigint' && typeof b === 'bigint' && a === b);
}

function includesAll(column: unknown, arg: unknown): boolean {
  if (arg instanceof Map) {
    if (!(column instanceof Map)) return arg.size === 0;
    for (const [k, v] of arg) if (!column.has(k) || !sameAtom(column.get(k), v)) return false;
    return true;
  }
  const have = new Set(elements(column));
  return elements(arg).every((e) => have.has(e));
}

function excludesAll(column: unknown, arg: unknown): boolean {
  if (arg instanceof Map) {
    if (!(column instanceof Map)) return true;
    for (const [k, v] of arg) if (column.has(k) && sameAtom(column.get(k), v)) return false;
    return true;
  }
  const have = new Set(elements(column));
  return elements(arg).every((e) => !have.has(e));
}

function equal(column: unknown, arg: unknown): boolean {
  if (column instanceof Map || arg instanceof Map) {
    const a = column instanceof Map ? column : new Map();
    const b = arg instanceof Map ? arg : new Map();
    return a.size === b.size && includesAll(a, b);
  }
  const a = elements(column);
  const b = elements(arg);
  return a.length === b.length && includesAll(a, b);
}

function compare(column: unknown, fn: string, arg: unknown): boolean {
  if (column === undefined) return false;
  const x = column as number | bigint;
  const y = arg as number | bigint;
  switch (fn) {
    case '<': return x < y;
    case '<=': return x <= y;
    case '>': return x > y;
    default: return x >= y;
  }
}

/** The argument of an encoded condition as a canonical value (sets as arrays, maps as Maps, integers as bigint). */
function decodeArgument(type: ColumnType, fn: string, json: Json): Value {
  if (fn === '<' || fn === '<=' || fn === '>' || fn === '>=') return decodeValue({ ...type, kind: 'scalar', min: 1, max: 1 }, json);
  if (type.kind === 'map') return decodeValue(type, json);
  return decodeValue({ ...type, kind: 'set', min: 0, max: Infinity }, json);
}

/** A predicate for `where` over rows of `table`; throws OvsdbValidationError for what the server would refuse. */
export function rowPredicate(schema: DatabaseSchema, table: string, where: readonly Condition[]): RowPredicate {
  const encoded = encodeConditions(schema, table, where);
  const columns = schema.tables.get(table)!.columns;
  const tests: RowPredicate[] = encoded.map((c) => {
    if (typeof c === 'boolean') return () => c;
    const [name, fn, json] = c as [string, string, Json];
    const arg = decodeArgument(columns.get(name)!.type, fn, json);
    switch (fn) {
      case '==': return (row) => equal(row[name], arg);
      case '!=': return (row) => !equal(row[name], arg);
      case 'includes': return (row) => includesAll(row[name], arg);
      case 'excludes': return (row) => excludesAll(row[name], arg);
      default: return (row) => compare(row[name], fn, arg);
    }
  });
  return (row) => tests.every((t) => t(row));
}
