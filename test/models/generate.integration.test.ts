import test from 'ava';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_SOURCES, generate, pascal, renderDatabase, type DatabaseSource } from '../../src/models/generate.js';
import { VSwitchSchema, VSwitchSchemaVersion } from '../../src/models/open-vswitch.js';
import { NorthboundSchema } from '../../src/models/ovn-northbound.js';
import { SouthboundSchema } from '../../src/models/ovn-southbound.js';
import { IcNorthboundSchema } from '../../src/models/ovn-ic-northbound.js';
import { IcSouthboundSchema } from '../../src/models/ovn-ic-southbound.js';
import { ServerSchema } from '../../src/ovsdb/server-db.js';
import { databaseSchemas } from '../../src/models/index.js';
import type { DatabaseSchemaJson } from '../../src/ovsdb/schema.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const srcDir = join(root, 'src');

test('regenerating from the installed schemas is byte-identical to the committed files', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'models-gen-'));
  try {
    const written = generate(dir).map((p) => p.slice(dir.length + 1)).sort();
    t.deepEqual(written, ['models/index.ts', 'models/open-vswitch.ts', 'models/ovn-ic-northbound.ts', 'models/ovn-ic-southbound.ts',
      'models/ovn-northbound.ts', 'models/ovn-southbound.ts', 'ovsdb/server-db.ts']);
    for (const name of written) {
      const fresh = readFileSync(join(dir, name), 'utf8');
      const committed = readFileSync(join(srcDir, name), 'utf8');
      t.true(fresh === committed, `src/${name} differs from the committed copy: run npm run gen`);
    }
    // Every generated model of src/models is in the list (a stale file would be missed by the comparison).
    t.deepEqual(readdirSync(join(srcDir, 'models')).filter((f) => !['generate.ts', 'schema-skew.ts'].includes(f)).sort(),
      written.filter((p) => p.startsWith('models/')).map((p) => p.slice('models/'.length)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The normalisation rules, written independently of the generator. */
function expected(file: string): unknown {
  const s = JSON.parse(readFileSync(file, 'utf8')) as {
    name: string; version: string; cksum?: string;
    tables: Record<string, { columns: unknown; indexes?: unknown; isRoot?: boolean; maxRows?: number }>;
  };
  const someRoot = Object.values(s.tables).some((x) => 'isRoot' in x);
  const tables: Record<string, unknown> = {};
  for (const [name, tb] of Object.entries(s.tables)) {
    tables[name] = {
      columns: tb.columns,
      indexes: tb.indexes ?? [],
      isRoot: someRoot ? tb.isRoot === true : true,
      ...(tb.maxRows === undefined ? {} : { maxRows: tb.maxRows }),
    };
  }
  return { name: s.name, version: s.version, ...(s.cksum === undefined ? {} : { cksum: s.cksum }), tables };
}

const metadata: Record<string, DatabaseSchemaJson> = {
  'models/open-vswitch.ts': VSwitchSchema,
  'models/ovn-northbound.ts': NorthboundSchema,
  'models/ovn-southbound.ts': SouthboundSchema,
  'models/ovn-ic-northbound.ts': IcNorthboundSchema,
  'models/ovn-ic-southbound.ts': IcSouthboundSchema,
  'ovsdb/server-db.ts': ServerSchema,
};

for (const source of DEFAULT_SOURCES) {
  test(`metadata in ${source.fileName} matches ${source.displayPath}`, (t) => {
    // JSON round trip: compares plain data, key order ignored by deepEqual
    t.deepEqual(JSON.parse(JSON.stringify(metadata[source.fileName])), expected(source.schemaPath));
  });
}

test('metadata facts: names, versions, root tables, indexes', (t) => {
  t.is(VSwitchSchema.name, 'Open_vSwitch');
  t.is(VSwitchSchema.version, VSwitchSchemaVersion);
  t.true(VSwitchSchema.tables.Open_vSwitch.isRoot);
  t.false(VSwitchSchema.tables.Interface.isRoot);
  t.deepEqual(VSwitchSchema.tables.Interface.indexes, [['name']]);
  t.is(VSwitchSchema.tables.Open_vSwitch.maxRows, 1);
  t.deepEqual(NorthboundSchema.tables.Logical_Switch_Port.indexes, [['name']]);
  t.true(ServerSchema.tables.Database.isRoot, '_Server names no isRoot, so every table is a root table');
  t.deepEqual(IcNorthboundSchema.tables.Transit_Switch.indexes, [['name']]);
  t.is(IcSouthboundSchema.tables.IC_SB_Global.maxRows, 1);
  t.deepEqual(Object.keys(databaseSchemas).sort(),
    ['OVN_IC_Northbound', 'OVN_IC_Southbound', 'OVN_Northbound', 'OVN_Southbound', 'Open_vSwitch', '_Server']);
});

test('the committed _Server schema is the one the installed ovsdb-server serves', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'server-schema-'));
  try {
    // run a copy of the script so it writes into the temp dir, not over the fixture
    copyFileSync(join(root, 'fixtures/schemas/fetch-server-schema.sh'), join(dir, 'fetch.sh'));
    execFileSync('sh', [join(dir, 'fetch.sh')], { stdio: 'pipe', timeout: 15_000 });
    t.deepEqual(JSON.parse(readFileSync(join(dir, '_server.ovsschema'), 'utf8')),
      JSON.parse(readFileSync(join(root, 'fixtures/schemas/_server.ovsschema'), 'utf8')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const synthetic: DatabaseSchemaJson = {
  name: 'Test_DB',
  version: '1.0.0',
  tables: {
    My_Table: {
      columns: {
        count: { type: 'integer' },
        ratio: { type: 'real' },
        flag: { type: { key: 'boolean', min: 0, max: 1 } },
        names: { type: { key: 'string', min: 0, max: 'unlimited' } },
        pair: { type: { key: 'string', min: 2, max: 2 } },
        kind: { type: { key: { type: 'string', enum: ['set', ['a', 'b-c']] } } },
        level: { type: { key: { type: 'integer', enum: ['set', [1, 2]] }, min: 0, max: 1 } },
        only: { type: { key: { type: 'string', enum: 'x' } } },
        target: { type: { key: { type: 'uuid', refTable: 'Other', refType: 'weak' }, min: 0, max: 1 } },
        others: { type: { key: { type: 'uuid', refTable: 'Other' }, min: 1, max: 'unlimited' }, mutable: false },
        opts: { type: { key: { type: 'string', enum: ['set', ['k1', 'k2']] }, value: 'integer', min: 0, max: 'unlimited' }, ephemeral: true },
        'odd-name': { type: 'string' },
      },
      indexes: [],
      isRoot: true,
    },
    Other: { columns: { vlan: { type: { key: { type: 'integer', minInteger: 0, maxInteger: 4095 } } } }, indexes: [], isRoot: false },
  },
};
const syntheticSource: DatabaseSource = {
  schemaPath: '/dev/null', displayPath: 'test', fileName: 'test-db.ts', prefix: 'Test', namespace: 'test',
};

test('value mapping: integer bigint, real number, optional, arrays, maps, enums, refs', (t) => {
  const text = renderDatabase(synthetic, syntheticSource);
  const has = (line: string) => t.true(text.includes(line), `missing: ${line}`);
  has('export interface MyTable {');
  has('  _uuid: Uuid;');
  has('  count: bigint;');
  has('  ratio: number;');
  has('  flag?: boolean;');
  has('  names: string[];');
  has('  pair: string[];');
  has('export type MyTableKind = "a" | "b-c";');
  has('  kind: MyTableKind;');
  has('export type MyTableLevel = 1n | 2n;');
  has('  level?: MyTableLevel;');
  has('export type MyTableOnly = "x";');
  has('  target?: Uuid;');
  has('  others: Uuid[];');
  has('  opts: Map<MyTableOptsKey, bigint>;');
  has('  "odd-name": string;');
  has('uuid -> Other (weak reference); optional (min 0, max 1)');
  has('set of uuid -> Other (strong reference); min 1, max unlimited; immutable');
  has('map string enum "k1" | "k2" => integer; min 0, max unlimited; ephemeral');
  has('integer in [0, 4095]; exactly one');
  has('export interface TestTables {\n  My_Table: MyTable;\n  Other: Other;\n}');
  has('export type TestTableName =\n  | "My_Table"\n  | "Other";');
  has('non-root table (garbage-collected when unreferenced)');
});

test('name clashes and reserved names are refused, not silently merged', (t) => {
  const clash: DatabaseSchemaJson = {
    name: 'Clash', version: '1.0.0',
    tables: { A_B: { columns: {}, indexes: [], isRoot: true }, AB: { columns: {}, indexes: [], isRoot: true } },
  };
  t.throws(() => renderDatabase(clash, syntheticSource), { message: /already used/ });
  const reserved: DatabaseSchemaJson = { name: 'R', version: '1.0.0', tables: { Map: { columns: {}, indexes: [], isRoot: true } } };
  t.throws(() => renderDatabase(reserved, syntheticSource), { message: /shadows/ });
});

test('pascal names', (t) => {
  t.is(pascal('Logical_Switch_Port'), 'LogicalSwitchPort');
  t.is(pascal('Open_vSwitch'), 'OpenVSwitch');
  t.is(pascal('ACL'), 'ACL');
  t.is(pascal('DHCPv6_Options'), 'DHCPv6Options');
});
