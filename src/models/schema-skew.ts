// Schema skew: the generated models describe the schema installed where the code was generated; a server may
// serve an older (or newer) one. compareSchemas() lists what the server lacks (tables, columns, enum values)
// and what differs; SchemaSkewFilter removes those items from rows before they are written and records each
// removal, so callers keep working against an older server and can tell the user what was left out.
// (libovsdb refuses to start when the server lacks a modelled column, its issue #235; we degrade instead.)
import type { Json } from '../ovsdb/json.js';
import { parseSchema, type AtomValue, type BaseType, type ColumnType, type DatabaseSchema, type DatabaseSchemaJson } from '../ovsdb/schema.js';

export interface SkewColumn {
  readonly table: string;
  readonly column: string;
}

export interface SkewEnumValues extends SkewColumn {
  /** Which atom of the column the enum constrains: the key (or the scalar/set element), or a map's value. */
  readonly part: 'key' | 'value';
  /** Values the models allow and the server does not. */
  readonly values: readonly AtomValue[];
}

export interface SkewTypeMismatch extends SkewColumn {
  readonly model: string;
  readonly server: string;
}

/** What differs between the models' schema and the schema a server serves. */
export interface SchemaSkew {
  readonly database: string;
  readonly modelVersion: string;
  readonly serverVersion: string;
  /** Tables in the models that the server does not have. */
  readonly missingTables: readonly string[];
  /** Columns of tables both have that the server does not have. */
  readonly missingColumns: readonly SkewColumn[];
  /** Enum values the server's column does not accept. */
  readonly missingEnumValues: readonly SkewEnumValues[];
  /** Columns whose kind or atomic types differ (values written through the models may be refused). */
  readonly typeMismatches: readonly SkewTypeMismatch[];
  /** Tables and columns only the server has (harmless: the models never write them). */
  readonly extraTables: readonly string[];
  readonly extraColumns: readonly SkewColumn[];
  /** True when the server lacks nothing and no type differs (extra server items do not count). */
  readonly compatible: boolean;
}

function asSchema(s: DatabaseSchema | DatabaseSchemaJson | Json): DatabaseSchema {
  if (s !== null && typeof s === 'object' && 'tables' in s && s.tables instanceof Map) return s as DatabaseSchema;
  return parseSchema(s as Json);
}

function describe(t: ColumnType): string {
  const base = (b: BaseType) => b.refTable ? `${b.type}->${b.refTable}` : b.type;
  return t.kind === 'map' ? `map ${base(t.key)}=>${base(t.value as BaseType)}` : `${t.kind} ${base(t.key)}`;
}

function enumGap(model: BaseType, server: BaseType): AtomValue[] {
  if (!model.enum || !server.enum) return [];
  return [...model.enum].filter((v) => !server.enum!.has(v));
}

/**
 * Compares the models' schema (a generated `...Schema` constant, or a parsed schema) with the one a server
 * serves (`await client.getSchema(db)`, or its JSON).
 */
export function compareSchemas(
  model: DatabaseSchema | DatabaseSchemaJson, server: DatabaseSchema | Json,
): SchemaSkew {
  const m = asSchema(model);
  const s = asSchema(server);
  const missingTables: string[] = [];
  const missingColumns: SkewColumn[] = [];
  const missingEnumValues: SkewEnumValues[] = [];
  const typeMismatches: SkewTypeMismatch[] = [];
  const extraTables: string[] = [];
  const extraColumns: SkewColumn[] = [];
  for (const [tname, mt] of m.tables) {
    const st = s.tables.get(tname);
    if (!st) { missingTables.push(tname); continue; }
    for (const [cname, mc] of mt.columns) {
      const sc = st.columns.get(cname);
      if (!sc) { missingColumns.push({ table: tname, column: cname }); continue; }
      const a = mc.type;
      const b = sc.type;
      if (a.kind !== b.kind || a.key.type !== b.key.type || a.value?.type !== b.value?.type) {
        typeMismatches.push({ table: tname, column: cname, model: describe(a), server: describe(b) });
        continue;
      }
      const keyGap = enumGap(a.key, b.key);
      if (keyGap.length > 0) missingEnumValues.push({ table: tname, column: cname, part: 'key', values: keyGap });
      if (a.value && b.value) {
        const valueGap = enumGap(a.value, b.value);
        if (valueGap.length > 0) missingEnumValues.push({ table: tname, column: cname, part: 'value', values: valueGap });
      }
    }
    for (const cname of st.columns.keys()) if (!mt.columns.has(cname)) extraColumns.push({ table: tname, column: cname });
  }
  for (const tname of s.tables.keys()) if (!m.tables.has(tname)) extraTables.push(tname);
  return {
    database: m.name,
    modelVersion: m.version,
    serverVersion: s.version,
    missingTables, missingColumns, missingEnumValues, typeMismatches, extraTables, extraColumns,
    compatible: missingTables.length === 0 && missingColumns.length === 0 && missingEnumValues.length === 0
      && typeMismatches.length === 0,
  };
}

/** One line per item the server lacks or types differently, for logs. */
export function describeSchemaSkew(skew: SchemaSkew): string[] {
  const head = `${skew.database} server schema ${skew.serverVersion} (models ${skew.modelVersion})`;
  const lines: string[] = [];
  for (const t of skew.missingTables) lines.push(`${head}: no table ${t}`);
  for (const c of skew.missingColumns) lines.push(`${head}: no column ${c.table}.${c.column}`);
  for (const e of skew.missingEnumValues) {
    lines.push(`${head}: ${e.table}.${e.column}${e.part === 'value' ? ' (map value)' : ''} does not accept ${e.values.map((v) => JSON.stringify(typeof v === 'bigint' ? Number(v) : v)).join(', ')}`);
  }
  for (const x of skew.typeMismatches) lines.push(`${head}: ${x.table}.${x.column} is ${x.server}, models say ${x.model}`);
  return lines;
}

/** Something a caller wanted written that the server's schema cannot hold, left out of the transaction. */
export interface DroppedItem {
  readonly table: string;
  /** Absent when the whole table is missing. */
  readonly column?: string;
  /** The enum value refused (for `enum-value`), or the column's value that was left out. */
  readonly value?: unknown;
  readonly reason: 'missing-table' | 'missing-column' | 'enum-value' | 'type-mismatch';
  /** A sentence for people. */
  readonly message: string;
}

/** The server lacks something the operation cannot do without (e.g. the `Interface` table itself). */
export class SchemaSkewError extends Error {
  readonly missing: readonly string[];
  constructor(database: string, serverVersion: string, missing: readonly string[], what: string) {
    super(`${what}: the ${database} server (schema ${serverVersion}) lacks ${missing.join(', ')}`);
    this.name = 'SchemaSkewError';
    this.missing = missing;
  }
}

/**
 * Filters what is about to be written against a server's schema. Rows keep their shape; columns the server
 * lacks, enum values it refuses and columns typed differently are removed and recorded in `dropped`.
 */
export class SchemaSkewFilter {
  readonly dropped: DroppedItem[] = [];
  private readonly missingTables: ReadonlySet<string>;
  private readonly missingColumns: ReadonlySet<string>;
  private readonly mismatched: ReadonlySet<string>;
  private readonly seen = new Set<string>();

  constructor(readonly skew: SchemaSkew, readonly server: DatabaseSchema) {
    this.missingTables = new Set(skew.missingTables);
    this.missingColumns = new Set(skew.missingColumns.map((c) => `${c.table}.${c.column}`));
    this.mismatched = new Set(skew.typeMismatches.map((c) => `${c.table}.${c.column}`));
  }

  /** Builds the filter from the models' schema and the server's (e.g. `await client.schema(db)`). */
  static of(model: DatabaseSchema | DatabaseSchemaJson, server: DatabaseSchema): SchemaSkewFilter {
    return new SchemaSkewFilter(compareSchemas(model, server), server);
  }

  hasTable(table: string): boolean {
    return !this.missingTables.has(table) && this.server.tables.has(table);
  }

  hasColumn(table: string, column: string): boolean {
    return this.hasTable(table) && this.server.tables.get(table)!.columns.has(column)
      && !this.missingColumns.has(`${table}.${column}`) && !this.mismatched.has(`${table}.${column}`);
  }

  /** Throws SchemaSkewError unless the server has every listed table and `table.column`. */
  require(what: string, items: readonly string[]): void {
    const missing = items.filter((item) => {
      const [table, column] = item.split('.');
      return column === undefined ? !this.hasTable(table) : !this.hasColumn(table, column);
    });
    if (missing.length > 0) throw new SchemaSkewError(this.skew.database, this.skew.serverVersion, missing, what);
  }

  /** Records a drop once per table/column (per value for refused enum values), however often it is met. */
  private drop(item: DroppedItem): void {
    const key = `${item.table}.${item.column ?? ''}.${item.reason}${item.reason === 'enum-value' ? `.${String(item.value)}` : ''}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.dropped.push(item);
  }

  /** Whether a table can be written; records the drop when it cannot. */
  table(table: string): boolean {
    if (this.hasTable(table)) return true;
    this.drop({ table, reason: 'missing-table', message: `table ${table} left out: the server's ${this.skew.database} schema ${this.skew.serverVersion} has no such table` });
    return false;
  }

  /**
   * Whether `table.column` may be written with `value`; records the drop when not. Enum values are checked
   * against the server's enum (set elements and map keys/values one by one: one refused element drops the
   * whole value, as writing a partial value would be wrong).
   */
  column(table: string, column: string, value?: unknown): boolean {
    if (!this.table(table)) return false;
    const v = this.skew.serverVersion;
    if (this.mismatched.has(`${table}.${column}`)) {
      this.drop({ table, column, value, reason: 'type-mismatch', message: `${table}.${column} left out: its type differs on the server (schema ${v})` });
      return false;
    }
    const col = this.server.tables.get(table)!.columns.get(column);
    if (!col || this.missingColumns.has(`${table}.${column}`)) {
      this.drop({ table, column, value, reason: 'missing-column', message: `${table}.${column} left out: the server's ${this.skew.database} schema ${v} has no such column` });
      return false;
    }
    if (value === undefined) return true;
    const refused = refusedEnumValue(col.type, value);
    if (refused !== undefined) {
      this.drop({ table, column, value: refused, reason: 'enum-value', message: `${table}.${column} left out: the server (schema ${v}) does not accept ${JSON.stringify(String(refused))}` });
      return false;
    }
    return true;
  }

  /** The row with every column the server cannot take removed (each removal recorded). */
  row<R extends object>(table: string, row: R): Partial<R> {
    const out: Partial<R> = {};
    for (const key of Object.keys(row) as (keyof R & string)[]) {
      if (this.column(table, key, row[key])) out[key] = row[key];
    }
    return out;
  }
}

function refusedEnumValue(type: ColumnType, value: unknown): AtomValue | undefined {
  const check = (base: BaseType | undefined, v: unknown): AtomValue | undefined => {
    if (!base?.enum || v === undefined || v === null || typeof v === 'object') return undefined;
    const atom = base.type === 'integer' && typeof v === 'number' ? BigInt(v) : v as AtomValue;
    return base.enum.has(atom) ? undefined : atom;
  };
  if (value instanceof Map) {
    for (const [k, x] of value) {
      const r = check(type.key, k) ?? check(type.value, x);
      if (r !== undefined) return r;
    }
    return undefined;
  }
  if (Array.isArray(value) || value instanceof Set) {
    for (const x of value) {
      const r = check(type.key, x);
      if (r !== undefined) return r;
    }
    return undefined;
  }
  if (type.kind === 'map' && value !== null && typeof value === 'object') {
    for (const [k, x] of Object.entries(value)) {
      const r = check(type.key, k) ?? check(type.value, x);
      if (r !== undefined) return r;
    }
    return undefined;
  }
  return check(type.key, value);
}
