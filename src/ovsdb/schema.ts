// The schema model (RFC 7047 section 3.2 with OVS's extensions) parsed from a `get_schema` reply or an
// .ovsschema file. Column types are normalized so that encoding, decoding and validation (datum.ts) can be
// driven by them: integers bounds as bigint, enums as sets, `max: "unlimited"` as Infinity.
import { OvsdbSchemaError } from './errors.js';
import type { Json, JsonObject } from './json.js';

export type AtomicType = 'integer' | 'real' | 'boolean' | 'string' | 'uuid';
/** An atom as a TypeScript value: integer -> bigint, real -> number, uuid -> string. */
export type AtomValue = bigint | number | boolean | string;

/** The constraints a base type has in the JSON and in the parsed model alike. */
export interface BaseTypeConstraints {
  readonly minReal?: number;
  readonly maxReal?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly refTable?: string;
  readonly refType?: 'strong' | 'weak';
}

export interface BaseType extends BaseTypeConstraints {
  readonly type: AtomicType;
  /** Allowed values (integers as bigint). */
  readonly enum?: ReadonlySet<AtomValue>;
  readonly minInteger?: bigint;
  readonly maxInteger?: bigint;
}

// The schema as JSON (what `get_schema` returns and .ovsschema files hold), typed for the generated models'
// metadata (src/models/*.ts check theirs with `satisfies DatabaseSchemaJson`) and for the generator.

/** An enum as the schema writes it: a single atom, or `["set", [atoms...]]`. */
export type EnumJson = string | number | boolean | readonly ['set', readonly (string | number | boolean)[]];

/** `<base-type>`: an atomic type name, or an object with constraints. */
export type BaseTypeJson = AtomicType | (BaseTypeConstraints & {
  readonly type: AtomicType;
  readonly enum?: EnumJson;
  readonly minInteger?: number;
  readonly maxInteger?: number;
});

/** `<type>`: an atomic type name, or key (+ value for a map) with min/max cardinality. */
export type ColumnTypeJson = AtomicType | {
  readonly key: BaseTypeJson;
  readonly value?: BaseTypeJson;
  readonly min?: number;
  readonly max?: number | 'unlimited';
};

export interface ColumnSchemaJson {
  readonly type: ColumnTypeJson;
  readonly ephemeral?: boolean;
  readonly mutable?: boolean;
}

/**
 * `<table-schema>`. In the generated metadata `indexes` is always present (`[]` when the schema has none) and
 * `isRoot` is always the effective value: RFC 7047 / OVS treat every table as a root table when no table of the
 * schema says `isRoot`, otherwise an omitted `isRoot` means false.
 */
export interface TableSchemaJson {
  readonly columns: { readonly [column: string]: ColumnSchemaJson };
  readonly indexes: readonly (readonly string[])[];
  readonly isRoot: boolean;
  readonly maxRows?: number;
}

export interface DatabaseSchemaJson {
  readonly name: string;
  readonly version: string;
  readonly cksum?: string;
  readonly tables: { readonly [table: string]: TableSchemaJson };
}

/** How a column maps to TypeScript: scalar T, optional T | undefined, set T[], map Map<K, V>. */
export type ColumnKind = 'scalar' | 'optional' | 'set' | 'map';

export interface ColumnType {
  readonly key: BaseType;
  readonly value?: BaseType;
  readonly min: number;
  /** Infinity for "unlimited". */
  readonly max: number;
  readonly kind: ColumnKind;
}

export interface ColumnSchema {
  readonly name: string;
  readonly type: ColumnType;
  readonly ephemeral: boolean;
  readonly mutable: boolean;
}

export interface TableSchema {
  readonly name: string;
  /** Every column including the implicit `_uuid` and `_version`. */
  readonly columns: ReadonlyMap<string, ColumnSchema>;
  readonly isRoot: boolean;
  readonly maxRows?: number;
  readonly indexes: readonly (readonly string[])[];
}

export interface DatabaseSchema {
  readonly name: string;
  readonly version: string;
  readonly cksum?: string;
  readonly tables: ReadonlyMap<string, TableSchema>;
  /** The schema document as received (for `convert` and for code generation). */
  readonly json: JsonObject;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
export const INT64_RANGE = { min: INT64_MIN, max: INT64_MAX } as const;

const UUID_TYPE: ColumnType = { key: { type: 'uuid' }, min: 1, max: 1, kind: 'scalar' };

function isObject(v: Json | undefined): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const ATOMIC = new Set<string>(['integer', 'real', 'boolean', 'string', 'uuid']);

function num(where: string, v: Json | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  throw new OvsdbSchemaError(`${where}: expected a number, got ${JSON.stringify(String(v))}`);
}

function int(where: string, v: Json | undefined): bigint | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  throw new OvsdbSchemaError(`${where}: expected an integer`);
}

function parseEnumAtom(where: string, type: AtomicType, v: Json): AtomValue {
  switch (type) {
    case 'integer': {
      const i = int(where, v);
      if (i === undefined) throw new OvsdbSchemaError(`${where}: bad enum value`);
      return i;
    }
    case 'real': if (typeof v === 'number' || typeof v === 'bigint') return Number(v); break;
    case 'boolean': if (typeof v === 'boolean') return v; break;
    case 'string': if (typeof v === 'string') return v; break;
    case 'uuid': if (Array.isArray(v) && v[0] === 'uuid' && typeof v[1] === 'string') return v[1]; break;
  }
  throw new OvsdbSchemaError(`${where}: enum value ${JSON.stringify(String(v))} is not of type ${type}`);
}

function parseBaseType(where: string, json: Json | undefined): BaseType {
  if (typeof json === 'string') {
    if (!ATOMIC.has(json)) throw new OvsdbSchemaError(`${where}: unknown atomic type "${json}"`);
    return { type: json as AtomicType };
  }
  if (!isObject(json) || typeof json.type !== 'string' || !ATOMIC.has(json.type)) {
    throw new OvsdbSchemaError(`${where}: expected a base type`);
  }
  const type = json.type as AtomicType;
  const base: { -readonly [K in keyof BaseType]: BaseType[K] } = { type };
  if (json.enum !== undefined) {
    const e = json.enum;
    const atoms = Array.isArray(e) && e[0] === 'set' && Array.isArray(e[1]) ? e[1] : [e];
    base.enum = new Set(atoms.map((a) => parseEnumAtom(`${where}.enum`, type, a)));
  }
  if (type === 'integer') {
    base.minInteger = int(`${where}.minInteger`, json.minInteger);
    base.maxInteger = int(`${where}.maxInteger`, json.maxInteger);
  } else if (type === 'real') {
    base.minReal = num(`${where}.minReal`, json.minReal);
    base.maxReal = num(`${where}.maxReal`, json.maxReal);
  } else if (type === 'string') {
    base.minLength = num(`${where}.minLength`, json.minLength);
    base.maxLength = num(`${where}.maxLength`, json.maxLength);
  } else if (type === 'uuid') {
    if (typeof json.refTable === 'string') {
      base.refTable = json.refTable;
      base.refType = json.refType === 'weak' ? 'weak' : 'strong';
    }
  }
  for (const k of Object.keys(base) as (keyof BaseType)[]) if (base[k] === undefined) delete base[k];
  return base;
}

export function columnKind(key: BaseType, value: BaseType | undefined, min: number, max: number): ColumnKind {
  if (value) return 'map';
  if (min === 1 && max === 1) return 'scalar';
  if (min === 0 && max === 1) return 'optional';
  return 'set';
}

/** Parses a column type (`"integer"`, or `{key, value, min, max}`). */
export function parseColumnType(where: string, json: Json | undefined): ColumnType {
  if (typeof json === 'string' || (isObject(json) && json.key === undefined)) {
    return { key: parseBaseType(where, json), min: 1, max: 1, kind: 'scalar' };
  }
  if (!isObject(json)) throw new OvsdbSchemaError(`${where}: expected a column type`);
  const key = parseBaseType(`${where}.key`, json.key);
  const value = json.value === undefined ? undefined : parseBaseType(`${where}.value`, json.value);
  const min = json.min === undefined ? 1 : num(`${where}.min`, json.min) ?? 1;
  const max = json.max === undefined ? 1 : json.max === 'unlimited' ? Infinity : num(`${where}.max`, json.max) ?? 1;
  if (!(min === 0 || min === 1) || max < 1 || min > max) {
    throw new OvsdbSchemaError(`${where}: bad min/max (${min}, ${max})`);
  }
  const t: ColumnType = value ? { key, value, min, max, kind: 'map' } : { key, min, max, kind: columnKind(key, value, min, max) };
  return t;
}

/** Parses a database schema document (the result of `get_schema`). */
export function parseSchema(json: Json): DatabaseSchema {
  if (!isObject(json) || typeof json.name !== 'string' || !isObject(json.tables)) {
    throw new OvsdbSchemaError('schema: expected an object with "name" and "tables"');
  }
  const tables = new Map<string, TableSchema>();
  for (const [tname, tjson] of Object.entries(json.tables)) {
    if (!isObject(tjson) || !isObject(tjson.columns)) throw new OvsdbSchemaError(`schema table ${tname}: expected "columns"`);
    const columns = new Map<string, ColumnSchema>();
    columns.set('_uuid', { name: '_uuid', type: UUID_TYPE, ephemeral: false, mutable: false });
    columns.set('_version', { name: '_version', type: UUID_TYPE, ephemeral: false, mutable: false });
    for (const [cname, cjson] of Object.entries(tjson.columns)) {
      if (!isObject(cjson)) throw new OvsdbSchemaError(`schema column ${tname}.${cname}: expected an object`);
      columns.set(cname, {
        name: cname,
        type: parseColumnType(`${tname}.${cname}`, cjson.type),
        ephemeral: cjson.ephemeral === true,
        mutable: cjson.mutable !== false,
      });
    }
    const indexes: string[][] = [];
    if (Array.isArray(tjson.indexes)) {
      for (const idx of tjson.indexes) if (Array.isArray(idx)) indexes.push(idx.filter((c): c is string => typeof c === 'string'));
    }
    const table: { -readonly [K in keyof TableSchema]: TableSchema[K] } = {
      name: tname, columns, isRoot: tjson.isRoot === true, indexes,
    };
    const maxRows = num(`${tname}.maxRows`, tjson.maxRows);
    if (maxRows !== undefined) table.maxRows = maxRows;
    tables.set(tname, table);
  }
  const schema: { -readonly [K in keyof DatabaseSchema]: DatabaseSchema[K] } = {
    name: json.name, version: typeof json.version === 'string' ? json.version : '', tables, json,
  };
  if (typeof json.cksum === 'string') schema.cksum = json.cksum;
  return schema;
}

/** The table's schema, or OvsdbSchemaError naming the database and table. */
export function getTable(schema: DatabaseSchema, table: string): TableSchema {
  const t = schema.tables.get(table);
  if (!t) throw new OvsdbSchemaError(`database ${schema.name} has no table "${table}"`);
  return t;
}

/** The column's schema, or OvsdbSchemaError naming the table and column. */
export function getColumn(table: TableSchema, column: string): ColumnSchema {
  const c = table.columns.get(column);
  if (!c) throw new OvsdbSchemaError(`table ${table.name} has no column "${column}"`);
  return c;
}
