// Generates typed row models and schema metadata from the real .ovsschema files: one TypeScript file per
// database and src/models/index.ts. The OVN and Open_vSwitch databases go to src/models/ (open-vswitch.ts,
// ovn-northbound.ts, ovn-southbound.ts, ovn-ic-northbound.ts, ovn-ic-southbound.ts); `_Server`, which the protocol
// layer itself reads to choose a cluster member, goes to src/ovsdb/server-db.ts (as libovsdb generates its serverdb
// inside its protocol package), so src/ovsdb needs nothing from src/models.
//
//   npm run gen                 -> writes src/models/ and src/ovsdb/server-db.ts
//   npm run gen -- --out <dir>  -> writes <dir>/models/... and <dir>/ovsdb/... instead (the regeneration test uses this)
//
// Value mapping (shared with src/ovsdb/datum.ts): integer -> bigint, real -> number, boolean -> boolean,
// string -> string (enums -> a union of string literals), uuid -> Uuid; min 0 max 1 -> optional property,
// min 1 max 1 -> the value, max > 1 -> array, maps -> Map<K, V>. The output is deterministic: the same schemas
// give byte-identical files.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, posix, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type {
  AtomicType,
  BaseTypeJson,
  ColumnSchemaJson,
  ColumnTypeJson,
  DatabaseSchemaJson,
  EnumJson,
  TableSchemaJson,
} from '../ovsdb/schema.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');
const srcDir = join(repoRoot, 'src');

/** One database to generate: where its schema is read from, the file written, and the prefix of its names. */
export interface DatabaseSource {
  /** Absolute path of the .ovsschema file. */
  readonly schemaPath: string;
  /** How the schema path is written in the generated header (stable across machines). */
  readonly displayPath: string;
  /** Output file, relative to src/, e.g. `models/ovn-northbound.ts`. */
  readonly fileName: string;
  /** Prefix of the database-level names: `${prefix}Schema`, `${prefix}Tables`, `${prefix}TableName`. */
  readonly prefix: string;
  /** Namespace under which index.ts re-exports the file. */
  readonly namespace: string;
}

export const DEFAULT_SOURCES: readonly DatabaseSource[] = [
  {
    schemaPath: '/usr/share/openvswitch/vswitch.ovsschema',
    displayPath: '/usr/share/openvswitch/vswitch.ovsschema',
    fileName: 'models/open-vswitch.ts',
    prefix: 'VSwitch',
    namespace: 'vswitch',
  },
  {
    schemaPath: '/usr/share/ovn/ovn-nb.ovsschema',
    displayPath: '/usr/share/ovn/ovn-nb.ovsschema',
    fileName: 'models/ovn-northbound.ts',
    prefix: 'Northbound',
    namespace: 'northbound',
  },
  {
    schemaPath: '/usr/share/ovn/ovn-sb.ovsschema',
    displayPath: '/usr/share/ovn/ovn-sb.ovsschema',
    fileName: 'models/ovn-southbound.ts',
    prefix: 'Southbound',
    namespace: 'southbound',
  },
  // OVN interconnect (Debian's ovn-ic-db): the global databases every zone's ovn-ic reads and writes.
  {
    schemaPath: '/usr/share/ovn/ovn-ic-nb.ovsschema',
    displayPath: '/usr/share/ovn/ovn-ic-nb.ovsschema',
    fileName: 'models/ovn-ic-northbound.ts',
    prefix: 'IcNorthbound',
    namespace: 'icNorthbound',
  },
  {
    schemaPath: '/usr/share/ovn/ovn-ic-sb.ovsschema',
    displayPath: '/usr/share/ovn/ovn-ic-sb.ovsschema',
    fileName: 'models/ovn-ic-southbound.ts',
    prefix: 'IcSouthbound',
    namespace: 'icSouthbound',
  },
  {
    schemaPath: join(repoRoot, 'fixtures', 'schemas', '_server.ovsschema'),
    displayPath: 'fixtures/schemas/_server.ovsschema',
    fileName: 'ovsdb/server-db.ts',
    prefix: 'Server',
    namespace: 'server',
  },
];

// ---------------------------------------------------------------------------------------------------------------
// Schema normalisation

interface Base {
  readonly type: AtomicType;
  readonly enumValues?: readonly (string | number | boolean)[];
  readonly json: BaseTypeJson;
}

interface ColumnType {
  readonly key: Base;
  readonly value?: Base;
  readonly min: number;
  readonly max: number | 'unlimited';
}

function enumValues(e: EnumJson): readonly (string | number | boolean)[] {
  if (Array.isArray(e)) {
    if (e[0] !== 'set' || !Array.isArray(e[1])) throw new Error(`bad enum ${JSON.stringify(e)}`);
    return e[1] as readonly (string | number | boolean)[];
  }
  return [e as string | number | boolean];
}

function parseBase(b: BaseTypeJson): Base {
  if (typeof b === 'string') return { type: b, json: b };
  return b.enum === undefined ? { type: b.type, json: b } : { type: b.type, enumValues: enumValues(b.enum), json: b };
}

/** The effective column type: a bare atomic type name means exactly one atom. */
export function columnType(t: ColumnTypeJson): ColumnType {
  if (typeof t === 'string') return { key: parseBase(t), min: 1, max: 1 };
  const key = parseBase(t.key);
  const min = t.min ?? 1;
  const max = t.max ?? 1;
  return t.value === undefined ? { key, min, max } : { key, value: parseBase(t.value), min, max };
}

/**
 * The table metadata as emitted: columns verbatim, `indexes` always present, `isRoot` the effective value
 * (every table is a root table when no table of the schema mentions isRoot).
 */
export function normaliseTables(schema: DatabaseSchemaJson): Record<string, TableSchemaJson> {
  type RawTable = Omit<TableSchemaJson, 'indexes' | 'isRoot'> & { indexes?: TableSchemaJson['indexes']; isRoot?: boolean };
  const raw = schema.tables as Record<string, RawTable>;
  const anyRoot = Object.values(raw).some((t) => t.isRoot !== undefined);
  const out: Record<string, TableSchemaJson> = {};
  for (const [name, t] of Object.entries(raw)) {
    const table: { -readonly [K in keyof TableSchemaJson]: TableSchemaJson[K] } = {
      columns: t.columns,
      indexes: t.indexes ?? [],
      isRoot: anyRoot ? t.isRoot === true : true,
    };
    if (t.maxRows !== undefined) table.maxRows = t.maxRows;
    out[name] = table;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Names

const RESERVED_TYPE_NAMES = new Set([
  'Uuid', 'Map', 'Set', 'Array', 'Object', 'String', 'Number', 'Boolean', 'BigInt', 'Symbol', 'Date', 'Error',
  'Record', 'Partial', 'Required', 'Readonly', 'Pick', 'Omit', 'Promise', 'Function',
]);

/** `Logical_Switch_Port` -> `LogicalSwitchPort`, `Open_vSwitch` -> `OpenVSwitch`, `ACL` -> `ACL`. */
export function pascal(name: string): string {
  return name
    .split(/[_-]+/)
    .filter((s) => s.length > 0)
    .map((s) => s[0].toUpperCase() + s.slice(1))
    .join('');
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function propertyName(name: string): string {
  return IDENT.test(name) ? name : JSON.stringify(name);
}

function sorted(names: Iterable<string>): string[] {
  return [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------------------------
// Descriptions (JSDoc)

function describeBase(b: Base): string {
  const j = typeof b.json === 'string' ? { type: b.json } : b.json;
  let s: string = b.type;
  if (b.enumValues !== undefined) s += ` enum ${b.enumValues.map((v) => JSON.stringify(v)).join(' | ')}`;
  if (j.minInteger !== undefined || j.maxInteger !== undefined) {
    s += ` in [${j.minInteger ?? '-2^63'}, ${j.maxInteger ?? '2^63-1'}]`;
  }
  if (j.minReal !== undefined || j.maxReal !== undefined) s += ` in [${j.minReal ?? '-inf'}, ${j.maxReal ?? 'inf'}]`;
  if (j.minLength !== undefined || j.maxLength !== undefined) {
    s += ` of length [${j.minLength ?? 0}, ${j.maxLength ?? 'unlimited'}]`;
  }
  if (j.refTable !== undefined) s += ` -> ${j.refTable} (${j.refType ?? 'strong'} reference)`;
  return s;
}

function describeColumn(col: ColumnSchemaJson): string {
  const t = columnType(col.type);
  let s: string;
  if (t.value !== undefined) {
    s = `map ${describeBase(t.key)} => ${describeBase(t.value)}; min ${t.min}, max ${t.max}`;
  } else if (t.min === 1 && t.max === 1) {
    s = `${describeBase(t.key)}; exactly one`;
  } else if (t.min === 0 && t.max === 1) {
    s = `${describeBase(t.key)}; optional (min 0, max 1)`;
  } else {
    s = `set of ${describeBase(t.key)}; min ${t.min}, max ${t.max}`;
  }
  const flags: string[] = [];
  if (col.mutable === false) flags.push('immutable');
  if (col.ephemeral === true) flags.push('ephemeral');
  return flags.length > 0 ? `${s}; ${flags.join(', ')}` : s;
}

function escapeDoc(s: string): string {
  return s.replace(/\*\//g, '*\\/');
}

// ---------------------------------------------------------------------------------------------------------------
// Rendering

function atomicTs(type: AtomicType): string {
  switch (type) {
    case 'integer':
      return 'bigint';
    case 'real':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'string':
      return 'string';
    case 'uuid':
      return 'Uuid';
  }
}

function enumLiteral(type: AtomicType, v: string | number | boolean): string {
  if (type === 'integer') return `${String(v)}n`;
  return JSON.stringify(v);
}

/** The ESM import specifier of `target` from `from` (both relative to src/). */
function importPath(from: string, target: string): string {
  const rel = posix.relative(posix.dirname(from), target).replace(/\.ts$/, '.js');
  return rel.startsWith('.') ? rel : `./${rel}`;
}

/** Renders one database schema as a TypeScript module. */
export function renderDatabase(schema: DatabaseSchemaJson, source: DatabaseSource): string {
  const tables = normaliseTables(schema);
  const tableNames = sorted(Object.keys(tables));
  const used = new Map<string, string>();
  const claim = (tsName: string, what: string): string => {
    if (!IDENT.test(tsName)) throw new Error(`${what}: "${tsName}" is not a TypeScript identifier`);
    if (RESERVED_TYPE_NAMES.has(tsName)) throw new Error(`${what}: "${tsName}" shadows a built-in or imported name`);
    const prev = used.get(tsName);
    if (prev !== undefined) throw new Error(`${what}: "${tsName}" is already used by ${prev}`);
    used.set(tsName, what);
    return tsName;
  };
  const p = source.prefix;
  claim(`${p}Schema`, 'the schema metadata');
  claim(`${p}SchemaVersion`, 'the schema version');
  claim(`${p}DatabaseName`, 'the database name');
  claim(`${p}Tables`, 'the table map');
  claim(`${p}TableName`, 'the table-name union');

  const out: string[] = [];
  out.push(
    `// Generated by src/models/generate.ts from ${source.displayPath}`,
    `// (${schema.name} schema version ${schema.version}). Do not edit: run \`npm run gen\`.`,
    `import type { ROW_TABLE, Uuid } from '${importPath(source.fileName, 'ovsdb/datum.ts')}';`,
    `import type { DatabaseSchemaJson } from '${importPath(source.fileName, 'ovsdb/schema.ts')}';`,
    '',
    `/** The database name, \`${schema.name}\`. */`,
    `export const ${p}DatabaseName = ${JSON.stringify(schema.name)};`,
    '',
    `/** The schema version these models were generated from. */`,
    `export const ${p}SchemaVersion = ${JSON.stringify(schema.version)};`,
    '',
  );

  const interfaces: string[] = [];
  const enums: string[] = [];
  for (const tableName of tableNames) {
    const table = tables[tableName];
    const iface = claim(pascal(tableName), `table ${tableName}`);
    const doc = [`OVSDB table \`${tableName}\` (${schema.name}).`];
    const facts = [table.isRoot ? 'root table' : 'non-root table (garbage-collected when unreferenced)'];
    if (table.maxRows !== undefined) facts.push(`at most ${table.maxRows} row${table.maxRows === 1 ? '' : 's'}`);
    if (table.indexes.length > 0) facts.push(`indexes: ${table.indexes.map((ix) => `(${ix.join(', ')})`).join(', ')}`);
    doc.push(`${facts.join('; ')}.`);
    const lines: string[] = [];
    lines.push('/**', ...doc.map((d) => ` * ${escapeDoc(d)}`), ' */', `export interface ${iface} {`);
    const indexNames = table.indexes.map((ix) => JSON.stringify(ix.join(','))).join(' | ') || 'never';
    lines.push(
      '  /** Type only (no row has it): the table this row type belongs to, and its schema indexes. */',
      `  readonly [ROW_TABLE]?: { readonly name: ${JSON.stringify(tableName)}; readonly indexes: ${indexNames} };`,
    );
    lines.push('  /** The row\'s UUID (every row has one). */', '  _uuid: Uuid;');
    for (const colName of sorted(Object.keys(table.columns))) {
      const col = table.columns[colName];
      const t = columnType(col.type);
      const baseTs = (b: Base, role: string): string => {
        if (b.enumValues === undefined) return atomicTs(b.type);
        const enumName = claim(`${iface}${pascal(colName)}${role}`, `enum of ${tableName}.${colName}${role ? ` ${role.toLowerCase()}` : ''}`);
        enums.push(
          `/** Values of \`${tableName}.${colName}\`${role ? ` (${role.toLowerCase()})` : ''}. */`,
          `export type ${enumName} = ${b.enumValues.map((v) => enumLiteral(b.type, v)).join(' | ')};`,
          '',
        );
        return enumName;
      };
      let ts: string;
      let optional = false;
      if (t.value !== undefined) {
        ts = `Map<${baseTs(t.key, 'Key')}, ${baseTs(t.value, 'Value')}>`;
      } else {
        const k = baseTs(t.key, '');
        if (t.min === 1 && t.max === 1) ts = k;
        else if (t.max === 1) {
          ts = k;
          optional = true;
        } else ts = `${k}[]`;
      }
      lines.push(`  /** ${escapeDoc(describeColumn(col))} */`, `  ${propertyName(colName)}${optional ? '?' : ''}: ${ts};`);
    }
    lines.push('}', '');
    interfaces.push(...lines);
  }
  out.push(...enums, ...interfaces);

  out.push(
    `/** Row type by OVSDB table name, e.g. \`${p}Tables['${tableNames[0]}']\`. */`,
    `export interface ${p}Tables {`,
    ...tableNames.map((t) => `  ${propertyName(t)}: ${pascal(t)};`),
    '}',
    '',
    `/** The tables of ${schema.name}. */`,
    `export type ${p}TableName =`,
    ...tableNames.map((t, i) => `  | ${JSON.stringify(t)}${i === tableNames.length - 1 ? ';' : ''}`),
    '',
  );

  out.push(
    `/**`,
    ` * The ${schema.name} schema as JSON-shaped metadata: per table the column type descriptors exactly as in the`,
    ` * .ovsschema file, indexes (\`[]\` when none) and the effective isRoot.`,
    ` */`,
    `export const ${p}Schema = {`,
    `  name: ${JSON.stringify(schema.name)},`,
    `  version: ${JSON.stringify(schema.version)},`,
  );
  if (schema.cksum !== undefined) out.push(`  cksum: ${JSON.stringify(schema.cksum)},`);
  out.push('  tables: {');
  for (const tableName of tableNames) {
    const table = tables[tableName];
    out.push(`    ${propertyName(tableName)}: {`, '      columns: {');
    for (const colName of sorted(Object.keys(table.columns))) {
      out.push(`        ${propertyName(colName)}: ${JSON.stringify(table.columns[colName])},`);
    }
    out.push('      },');
    out.push(`      indexes: ${JSON.stringify(table.indexes)},`);
    out.push(`      isRoot: ${String(table.isRoot)},`);
    if (table.maxRows !== undefined) out.push(`      maxRows: ${table.maxRows},`);
    out.push('    },');
  }
  out.push('  },', '} as const satisfies DatabaseSchemaJson;', '');
  return out.join('\n');
}

/** Where the index of every model goes, relative to src/. */
const INDEX_FILE = 'models/index.ts';

/** Renders models/index.ts: each database under a namespace, plus the metadata by database name. */
export function renderIndex(schemas: readonly { schema: DatabaseSchemaJson; source: DatabaseSource }[]): string {
  const out = [
    '// Generated by src/models/generate.ts. Do not edit: run `npm run gen`.',
    '// Each database is re-exported under a namespace because table names repeat across databases',
    '// (SSL, Connection, Load_Balancer, ...); import a database file directly for flat names.',
  ];
  for (const { source } of schemas) {
    out.push(`export * as ${source.namespace} from '${importPath(INDEX_FILE, source.fileName)}';`);
  }
  for (const { source } of schemas) {
    out.push(`import { ${source.prefix}Schema } from '${importPath(INDEX_FILE, source.fileName)}';`);
  }
  out.push(
    "export type { BaseTypeJson, ColumnSchemaJson, ColumnTypeJson, DatabaseSchemaJson, EnumJson, TableSchemaJson } from '../ovsdb/schema.js';",
    '',
    '/** Schema metadata by database name. */',
    'export const databaseSchemas = {',
    ...schemas.map(({ schema, source }) => `  ${propertyName(schema.name)}: ${source.prefix}Schema,`),
    '} as const;',
    '',
    '/** The databases models exist for. */',
    'export type DatabaseName = keyof typeof databaseSchemas;',
    '',
  );
  return out.join('\n');
}

/** Reads the schemas and returns the generated files by path relative to src/ (nothing is written). */
export function generateFiles(sources: readonly DatabaseSource[] = DEFAULT_SOURCES): Map<string, string> {
  const schemas = sources.map((source) => ({
    source,
    schema: JSON.parse(readFileSync(source.schemaPath, 'utf8')) as DatabaseSchemaJson,
  }));
  const files = new Map<string, string>();
  for (const { schema, source } of schemas) files.set(source.fileName, renderDatabase(schema, source));
  files.set(INDEX_FILE, renderIndex(schemas));
  return files;
}

/** Generates into `outDir` (the src/ directory, or one standing in for it) and returns the paths written. */
export function generate(outDir: string, sources: readonly DatabaseSource[] = DEFAULT_SOURCES): string[] {
  const written: string[] = [];
  for (const [name, text] of generateFiles(sources)) {
    const path = join(outDir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    written.push(path);
  }
  return written;
}

function main(argv: readonly string[]): void {
  const i = argv.indexOf('--out');
  const outDir = i >= 0 && argv[i + 1] !== undefined ? resolve(argv[i + 1]) : srcDir;
  for (const path of generate(outDir)) console.log(`wrote ${path}`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2));
}
