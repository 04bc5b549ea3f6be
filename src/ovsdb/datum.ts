// OVSDB data <-> TypeScript values, driven by the column's type (schema.ts), so a string never passes for a
// uuid nor the other way round.
//
//   integer -> bigint (read; write bigint | safe number)    real -> number    boolean -> boolean
//   string  -> string                                         uuid -> Uuid (write: Uuid | NamedUuid)
//   min 1 max 1 -> T     min 0 max 1 -> T | undefined     max > 1 -> T[]     map -> Map<K, V>
//
// Encoding validates before anything is sent: atom type, enum, integer/real range, string length, set/map
// size, duplicates, uuid syntax and named-uuid syntax; the error names the table, column and value.
import { OvsdbProtocolError, OvsdbValidationError } from './errors.js';
import type { Json } from './json.js';
import { INT64_RANGE, type AtomValue, type BaseType, type ColumnType } from './schema.js';

/** A row's UUID in canonical form: 36 characters, lowercase. */
export type Uuid = string;

/** The all-zero UUID: a uuid column's default value, and the "no transaction yet" id of monitor_cond_since. */
export const ZERO_UUID: Uuid = '00000000-0000-0000-0000-000000000000';

/** A reference to a row inserted in the same transaction under `uuid-name` `name`. */
export class NamedUuid {
  constructor(readonly name: string) {}
  toJSON(): Json {
    return ['named-uuid', this.name];
  }
}

/** Value of a column as read: see the mapping above. */
export type Value = AtomValue | undefined | AtomValue[] | Map<AtomValue, AtomValue>;

/** A row as the schema-agnostic layer sees it. */
export type Row = Record<string, unknown>;

/**
 * The key under which a generated row type names its table and its schema indexes, as a type only: no row object
 * has it. It is what makes `select<LogicalSwitchPort>('Logical_Switch')` a compile error.
 */
export declare const ROW_TABLE: unique symbol;

/** What a row type says about itself under ROW_TABLE: its table's name and its schema indexes' names. */
export interface RowTable {
  readonly name: string;
  /** Each index named by its columns joined with "," (as the replica names them). */
  readonly indexes: string;
}

/** The table a row type belongs to; `string` for a row type that does not say (a plain Row). */
export type TableOf<R> = R extends { readonly [ROW_TABLE]?: { readonly name: infer N } } ? N & string : string;

/** The names of a row type's schema indexes; `string` for a row type that does not say. */
export type SchemaIndexOf<R> = R extends { readonly [ROW_TABLE]?: { readonly indexes: infer I } } ? I & string : string;

/** What a column of TypeScript type V accepts when written. */
export type WriteValue<V> =
  V extends bigint ? bigint | number
  : V extends string ? V | NamedUuid
  : V extends readonly (infer E)[] ? readonly WriteValue<E>[] | ReadonlySet<WriteValue<E>>
  : V extends ReadonlyMap<infer K, infer U> ? ReadonlyMap<WriteValue<K>, WriteValue<U>> | (K extends string ? Record<string, WriteValue<U>> : never)
  : V;

/** A row (or part of one) as written: every column optional, values in their write forms. */
export type WriteRow<T> = { [K in keyof T]?: WriteValue<T[K]> };

const ID_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** In unicode mode a surrogate class matches only unpaired surrogates. */
const UNSENDABLE_CHARACTER = /[\0\uD800-\uDFFF]/u;
const MIN_NORMAL_REAL = 2.2250738585072014e-308;

/** 1 for the characters of a hexadecimal digit (ASCII). */
const HEX_DIGIT = new Uint8Array(0x80);
for (const c of '0123456789abcdefABCDEF') HEX_DIGIT[c.charCodeAt(0)] = 1;

function hexDigits(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80 || HEX_DIGIT[c] === 0) return false;
  }
  return true;
}

/**
 * A UUID's text: 8-4-4-4-12 hex digits. Dashes, then digits through a table, not a RegExp: every row key and uuid
 * atom the replica decodes passes here, and this takes about half the RegExp's time (80 against 150 ns).
 */
export function isUuid(v: unknown): v is Uuid {
  return typeof v === 'string' && v.length === 36
    && v.charCodeAt(8) === 0x2d && v.charCodeAt(13) === 0x2d && v.charCodeAt(18) === 0x2d && v.charCodeAt(23) === 0x2d
    && hexDigits(v, 0, 8) && hexDigits(v, 9, 13) && hexDigits(v, 14, 18) && hexDigits(v, 19, 23) && hexDigits(v, 24, 36);
}

/** Where a value is going, for error messages. */
export interface EncodeSite {
  readonly table: string;
  readonly column: string;
  /** Collects names of NamedUuids met (name -> "table.column" of the first use), for the transaction's check. */
  readonly namedUuids?: Map<string, string>;
}

function fail(site: EncodeSite, value: unknown, reason: string): never {
  throw new OvsdbValidationError(site.table, site.column, value, reason);
}

function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) { n--; i++; }
    }
  }
  return n;
}

/** Normalizes an atom for enum membership / duplicate detection (integers as bigint). */
function atomKey(base: BaseType, v: AtomValue | NamedUuid): unknown {
  if (base.type === 'integer' && typeof v === 'number') return BigInt(v);
  if (base.type === 'uuid' && typeof v === 'string') return v.toLowerCase();
  if (v instanceof NamedUuid) return v;
  return v;
}

/** Encodes one atom with validation. `constraints` false skips enum/range/length (arithmetic mutators). */
export function encodeAtom(base: BaseType, v: unknown, site: EncodeSite, constraints = true): Json {
  switch (base.type) {
    case 'integer': {
      let big: bigint;
      if (typeof v === 'bigint') big = v;
      else if (typeof v === 'number') {
        if (!Number.isSafeInteger(v)) fail(site, v, `${v} is not a safe integer (pass a bigint for 64-bit values)`);
        if (constraints && (base.minInteger !== undefined || base.maxInteger !== undefined || base.enum)) big = BigInt(v);
        else return v;
      } else return fail(site, v, 'expected an integer (bigint or number)');
      if (big < INT64_RANGE.min || big > INT64_RANGE.max) fail(site, v, 'integer out of the 64-bit range');
      if (constraints) {
        if (base.minInteger !== undefined && big < base.minInteger) fail(site, v, `integer below the minimum ${base.minInteger}`);
        if (base.maxInteger !== undefined && big > base.maxInteger) fail(site, v, `integer above the maximum ${base.maxInteger}`);
        if (base.enum && !base.enum.has(big)) fail(site, v, `not one of ${[...base.enum].join(', ')}`);
      }
      return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
    }
    case 'real': {
      if (typeof v !== 'number' || !Number.isFinite(v)) return fail(site, v, 'expected a finite number (real)');
      // ovsdb-server refuses a subnormal ("number outside valid range") by dropping the whole connection.
      if (v !== 0 && Math.abs(v) < MIN_NORMAL_REAL) fail(site, v, 'a subnormal real (ovsdb-server refuses below 2.2250738585072014e-308)');
      if (constraints) {
        if (base.minReal !== undefined && v < base.minReal) fail(site, v, `real below the minimum ${base.minReal}`);
        if (base.maxReal !== undefined && v > base.maxReal) fail(site, v, `real above the maximum ${base.maxReal}`);
        if (base.enum && !base.enum.has(v)) fail(site, v, `not one of ${[...base.enum].join(', ')}`);
      }
      return v;
    }
    case 'boolean':
      if (typeof v !== 'boolean') fail(site, v, 'expected a boolean');
      if (constraints && base.enum && !base.enum.has(v)) fail(site, v, `not one of ${[...base.enum].join(', ')}`);
      return v;
    case 'string': {
      if (typeof v !== 'string') return fail(site, v, v instanceof NamedUuid ? 'a named-uuid in a string column' : 'expected a string');
      // ovsdb-server drops the connection on "\u0000" and on an unpaired surrogate's escape.
      if (UNSENDABLE_CHARACTER.test(v)) fail(site, v, 'a NUL character or an unpaired UTF-16 surrogate (not valid in an OVSDB string)');
      if (constraints) {
        if (base.minLength !== undefined || base.maxLength !== undefined) {
          const n = codePoints(v);
          if (base.minLength !== undefined && n < base.minLength) fail(site, v, `string shorter than ${base.minLength} characters`);
          if (base.maxLength !== undefined && n > base.maxLength) fail(site, v, `string longer than ${base.maxLength} characters`);
        }
        if (base.enum && !base.enum.has(v)) fail(site, v, `not one of ${[...base.enum].map((x) => JSON.stringify(x)).join(', ')}`);
      }
      return v;
    }
    case 'uuid':
      if (v instanceof NamedUuid) {
        if (!ID_RE.test(v.name)) fail(site, v.name, 'a named-uuid must match [a-zA-Z_][a-zA-Z0-9_]*');
        if (site.namedUuids && !site.namedUuids.has(v.name)) site.namedUuids.set(v.name, `${site.table}.${site.column}`);
        return ['named-uuid', v.name];
      }
      if (!isUuid(v)) return fail(site, v, 'expected a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx) or a NamedUuid');
      if (constraints && base.enum && !base.enum.has(v.toLowerCase())) fail(site, v, 'not one of the allowed UUIDs');
      return ['uuid', v.toLowerCase()];
  }
}

export interface EncodeOptions {
  /** Ignore the column's min/max set size (mutations, includes/excludes, diffs). */
  anySize?: boolean;
  /** Skip enum/range/length checks on atoms (arithmetic mutators). */
  noConstraints?: boolean;
}

function iterableValues(v: unknown): unknown[] | undefined {
  if (Array.isArray(v)) return v;
  if (v instanceof Set) return [...v];
  return undefined;
}

/** Encodes a column value (see the mapping at the top) with validation against the column's type. */
export function encodeValue(type: ColumnType, v: unknown, site: EncodeSite, options?: EncodeOptions): Json {
  const constraints = !options?.noConstraints;
  switch (type.kind) {
    case 'scalar':
      if (!options?.anySize) {
        if (v === undefined || v === null) fail(site, v, 'a value is required (the column is not optional)');
        return encodeAtom(type.key, v, site, constraints);
      }
      break;
    case 'optional':
      if (v === undefined || v === null) return ['set', []];
      if (!Array.isArray(v) && !(v instanceof Set)) return encodeAtom(type.key, v, site, constraints);
      break;
    case 'map':
      return encodeMap(type, v, site, options);
    default:
      break;
  }
  if (type.kind !== 'scalar' && type.kind !== 'optional' && type.kind !== 'set') return fail(site, v, 'bad column kind');
  const items = iterableValues(v) ?? (options?.anySize && v !== undefined ? [v] : undefined);
  if (!items) return fail(site, v, `expected an array (set of ${type.key.type})`);
  if (!options?.anySize) {
    if (items.length < type.min) fail(site, v, `set needs at least ${type.min} element(s)`);
    if (items.length > type.max) fail(site, v, `set has ${items.length} elements, at most ${type.max} allowed`);
  }
  const out: Json[] = new Array(items.length);
  const seen = items.length > 1 ? new Set<unknown>() : undefined;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    out[i] = encodeAtom(type.key, item, site, constraints);
    if (seen) {
      const k = atomKey(type.key, item as AtomValue);
      if (seen.has(k)) fail(site, v, `duplicate element ${String(item)} in set`);
      seen.add(k);
    }
  }
  return ['set', out];
}

function encodeMap(type: ColumnType, v: unknown, site: EncodeSite, options?: EncodeOptions): Json {
  const valueType = type.value as BaseType;
  const constraints = !options?.noConstraints;
  let entries: Iterable<[unknown, unknown]>;
  let size: number;
  if (v instanceof Map) { entries = v; size = v.size; } else if (v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Set) && !(v instanceof NamedUuid)) {
    if (type.key.type !== 'string') fail(site, v, `a plain object can only be used for maps with string keys; use a Map`);
    const list = Object.entries(v);
    entries = list;
    size = list.length;
  } else if (v === undefined || v === null) { entries = []; size = 0; } else return fail(site, v, `expected a Map (map of ${type.key.type} to ${valueType.type})`);
  if (!options?.anySize) {
    if (size < type.min) fail(site, v, `map needs at least ${type.min} pair(s)`);
    if (size > type.max) fail(site, v, `map has ${size} pairs, at most ${type.max} allowed`);
  }
  const out: Json[] = new Array(size);
  const seen = size > 1 && type.key.type === 'integer' ? new Set<unknown>() : undefined;
  let i = 0;
  for (const [k, x] of entries) {
    const kj = encodeAtom(type.key, k, site, constraints);
    if (seen) {
      const key = atomKey(type.key, k as AtomValue);
      if (seen.has(key)) fail(site, v, `duplicate key ${String(k)} in map`);
      seen.add(key);
    }
    out[i++] = [kj, encodeAtom(valueType, x, site, constraints)];
  }
  return ['map', out];
}

/** Encodes a set of the column's key type of any size (mutate insert/delete, map delete by keys). */
export function encodeKeySet(type: ColumnType, v: unknown, site: EncodeSite): Json {
  return encodeValue({ key: type.key, min: 0, max: Infinity, kind: 'set' }, v, site, { anySize: true });
}

// ---------------------------------------------------------------------------------------------------------
// Decoding (server -> TypeScript). The server is trusted to send values of the column's type; shapes are still
// checked so a mismatch is a protocol error naming the column rather than a wrong value.

function bad(where: string, json: Json, what: string): never {
  throw new OvsdbProtocolError(`${where}: expected ${what}, got ${truncate(json)}`);
}

function truncate(json: Json): string {
  if (typeof json === 'bigint' || typeof json === 'number') return String(json);
  let s: string;
  // String(): JSON.stringify writes Infinity and NaN as null.
  try { s = JSON.stringify(json, (_k, v: unknown) => (typeof v === 'bigint' || (typeof v === 'number' && !Number.isFinite(v)) ? String(v) : v)); } catch { s = String(json); }
  return s.length > 120 ? `${s.slice(0, 120)}...` : s;
}

export function decodeAtom(base: BaseType, json: Json, where = 'value'): AtomValue {
  switch (base.type) {
    case 'integer':
      if (typeof json === 'number') {
        if (!Number.isInteger(json)) bad(where, json, 'an integer');
        return BigInt(json);
      }
      if (typeof json === 'bigint') {
        if (json < INT64_RANGE.min || json > INT64_RANGE.max) bad(where, json, 'a 64-bit integer');
        return json;
      }
      return bad(where, json, 'an integer');
    case 'real':
      if (typeof json === 'number') {
        if (!Number.isFinite(json)) bad(where, json, 'a finite real');
        return json;
      }
      if (typeof json === 'bigint') return Number(json);
      return bad(where, json, 'a real');
    case 'boolean':
      if (typeof json !== 'boolean') bad(where, json, 'a boolean');
      return json;
    case 'string':
      if (typeof json !== 'string') bad(where, json, 'a string');
      return json;
    case 'uuid':
      if (Array.isArray(json) && json.length === 2 && json[0] === 'uuid' && isUuid(json[1])) return json[1];
      return bad(where, json, '["uuid", <a UUID>]');
  }
}

function setElements(json: Json): Json[] | undefined {
  if (Array.isArray(json) && json.length === 2 && json[0] === 'set' && Array.isArray(json[1])) return json[1];
  return undefined;
}

/** Decodes a column value sent by the server. */
export function decodeValue(type: ColumnType, json: Json, where = 'value'): Value {
  switch (type.kind) {
    case 'scalar':
      return decodeAtom(type.key, json, where);
    case 'optional': {
      const els = setElements(json);
      if (!els) return decodeAtom(type.key, json, where);
      if (els.length === 0) return undefined;
      if (els.length === 1) return decodeAtom(type.key, els[0], where);
      return bad(where, json, 'at most one element');
    }
    case 'set': {
      const els = setElements(json);
      if (!els) return [decodeAtom(type.key, json, where)];
      const out: AtomValue[] = new Array(els.length);
      for (let i = 0; i < els.length; i++) out[i] = decodeAtom(type.key, els[i], where);
      return out;
    }
    case 'map': {
      if (!(Array.isArray(json) && json.length === 2 && json[0] === 'map' && Array.isArray(json[1]))) bad(where, json, '["map", [...]]');
      const valueType = type.value as BaseType;
      const m = new Map<AtomValue, AtomValue>();
      for (const pair of json[1] as Json[]) {
        if (!Array.isArray(pair) || pair.length !== 2) bad(where, pair, 'a [key, value] pair');
        m.set(decodeAtom(type.key, pair[0], where), decodeAtom(valueType, pair[1], where));
      }
      return m;
    }
  }
}

/** Decodes one column's values as the server sends them: decodeValue for one column type, made once. */
export type ColumnDecoder = (json: Json, where: string) => Value;

/**
 * decodeValue specialized once per column. String columns, sets of strings and string-to-string maps (most of
 * OVN's columns) are checked and built without the per-atom dispatch, and a set keeps the element array of the
 * parsed message instead of copying it; anything else, and any value the fast paths do not accept, goes through
 * decodeValue, which decodes it or names what is wrong.
 */
export function columnDecoder(type: ColumnType): ColumnDecoder {
  const strings = type.key.type === 'string';
  if (type.key.type === 'uuid') {
    // References (a switch's ports, a group's load balancers): ["uuid", text] atoms, checked and unwrapped here.
    if (type.kind === 'set') {
      return (json, where) => {
        const one = uuidAtom(json);
        if (one !== undefined) return [one];
        const els = setElements(json);
        if (!els) return decodeValue(type, json, where);
        const out = new Array<AtomValue>(els.length);
        for (let i = 0; i < els.length; i++) {
          const u = uuidAtom(els[i]);
          if (u === undefined) return decodeValue(type, json, where);
          out[i] = u;
        }
        return out;
      };
    }
    if (type.kind !== 'map') return (json, where) => uuidAtom(json) ?? decodeValue(type, json, where);
  }
  if (type.kind === 'scalar' && strings) return (json, where) => (typeof json === 'string' ? json : decodeValue(type, json, where));
  if (type.kind === 'set' && strings) {
    return (json, where) => {
      if (typeof json === 'string') return [json];
      const els = setElements(json);
      if (!els) return decodeValue(type, json, where);
      for (let i = 0; i < els.length; i++) if (typeof els[i] !== 'string') return decodeValue(type, json, where);
      return els as string[];
    };
  }
  if (type.kind === 'map' && strings && type.value?.type === 'string') {
    return (json, where) => {
      if (!(Array.isArray(json) && json.length === 2 && json[0] === 'map' && Array.isArray(json[1]))) return decodeValue(type, json, where);
      const pairs = json[1];
      const m = new Map<string, string>();
      for (let i = 0; i < pairs.length; i++) {
        const pair = pairs[i];
        if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') return decodeValue(type, json, where);
        m.set(pair[0], pair[1]);
      }
      return m;
    };
  }
  return (json, where) => decodeValue(type, json, where);
}

/** The text of a uuid atom as sent (`["uuid", text]`, text a UUID); undefined for anything else. */
function uuidAtom(json: Json): string | undefined {
  if (Array.isArray(json) && json.length === 2 && json[0] === 'uuid') {
    const text = json[1];
    if (isUuid(text)) return text;
  }
  return undefined;
}

/** decodeDiff for one column type, made once (a columnDecoder of the type its diffs have). */
export function diffDecoder(type: ColumnType): ColumnDecoder {
  return columnDecoder(type.kind === 'set' ? { key: type.key, min: 0, max: Infinity, kind: 'set' } : type);
}

/**
 * Decodes the value of a column in an update2/update3 `modify`. ovsdb-server(7): "For columns with single value,
 * the difference is the value of the new column" -- scalar and optional (min 0, max 1) columns carry their new
 * value (`["set", []]` when an optional column became empty), as lib/ovsdb-data.c `ovsdb_datum_diff` makes it
 * (it clones `new` unless n_max > 1). Set columns carry the elements to toggle (symmetric difference), maps the
 * pairs to toggle: a pair equal to the current one is removed, any other is set.
 */
export function decodeDiff(type: ColumnType, json: Json, where = 'value'): Value {
  if (type.kind !== 'set') return decodeValue(type, json, where);
  return decodeValue({ key: type.key, min: 0, max: Infinity, kind: 'set' }, json, where);
}

/** Sets at least this large keep a Set of their elements beside them (setMembers). */
const MEMBERS_FROM = 64;

/**
 * The elements of large set values as a Set, for applyDiff's membership tests: without it adding one element to
 * a set of n (a load balancer to the cluster group) scans all n, and n such changes cost n^2. The Set moves to
 * the value a diff makes (the replica only applies diffs to its current value); a value left without one (an
 * older value used again) gets a fresh one.
 */
const setMembers = new WeakMap<readonly AtomValue[], Set<AtomValue>>();

function membersOf(value: readonly AtomValue[]): Set<AtomValue> {
  let members = setMembers.get(value);
  if (!members) setMembers.set(value, members = new Set(value));
  return members;
}

/**
 * `before` with `toggled` appended when none of them is in it (the diff only adds), its members Set moved to the
 * new value; undefined otherwise, with nothing changed. With a members Set, an element listed twice (no server
 * sends that) is also left to the toggling.
 */
function appended(before: readonly AtomValue[], toggled: readonly AtomValue[], members: Set<AtomValue> | undefined): AtomValue[] | undefined {
  for (let i = 0; i < toggled.length; i++) if (members ? members.has(toggled[i]) : before.includes(toggled[i])) return undefined;
  const after = before.concat(toggled);
  if (members) {
    for (let i = 0; i < toggled.length; i++) members.add(toggled[i]);
    if (members.size !== after.length) {
      for (let i = 0; i < toggled.length; i++) members.delete(toggled[i]);
      return undefined;
    }
    setMembers.delete(before);
    setMembers.set(after, members);
  }
  return after;
}

/**
 * Applies a `modify` diff (from decodeDiff) to a column's old value, giving the new value. `note`, for a caller
 * that asks (the replica's indexes): `appended` is set (never cleared) when the new set value is the old one with
 * the diff's elements appended, nothing removed and the order kept.
 */
export function applyDiff(type: ColumnType, old: Value, diff: Value, note?: { appended: boolean }): Value {
  switch (type.kind) {
    case 'scalar':
    case 'optional':
      return diff;
    case 'map': {
      const out = new Map(old as Map<AtomValue, AtomValue> | undefined);
      for (const [k, v] of diff as Map<AtomValue, AtomValue>) {
        if (out.has(k) && out.get(k) === v) out.delete(k);
        else out.set(k, v);
      }
      return out;
    }
    case 'set': {
      const before = (old as AtomValue[] | undefined) ?? [];
      const toggled = diff as AtomValue[];
      // Membership in a large set is asked of its Set, handed from each value to the next.
      const members = before.length >= MEMBERS_FROM ? membersOf(before) : undefined;
      if (toggled.length <= 4 || members) {
        // The common change (a port added to a switch, a batch of load balancers to the cluster group): only
        // additions, one concat.
        const after = appended(before, toggled, members);
        if (after) {
          if (note) note.appended = true;
          return after;
        }
      }
      if (toggled.length <= 4) {
        // A few elements toggled in a set of any size: one copy, no Set of every element built per change.
        const has = (e: AtomValue): boolean => (members ? members.has(e) : before.includes(e));
        const removed = toggled.filter(has);
        const after = before.filter((e) => !removed.includes(e));
        for (const e of toggled) if (!removed.includes(e)) after.push(e);
        if (members) {
          for (const e of toggled) {
            if (removed.includes(e)) members.delete(e);
            else members.add(e);
          }
          setMembers.delete(before);
          setMembers.set(after, members);
        }
        return after;
      }
      const set = new Set(before);
      for (const e of toggled) {
        if (set.has(e)) set.delete(e);
        else set.add(e);
      }
      const after = [...set];
      if (after.length >= MEMBERS_FROM) setMembers.set(after, set);
      return after;
    }
  }
}
