// The published package as a user gets it: the build (tsconfig.build.json) compiled into a temporary package
// directory next to a copy of package.json, so that `ovn-overlay` and its subpaths resolve through the package's
// own `exports` (self-reference), from the built JavaScript and its .d.ts files, not from the sources.
//
//   <tmp>/ovn-overlay/package.json    copy of the repository's
//   <tmp>/ovn-overlay/dist/...        tsc -p tsconfig.build.json --outDir <that>
//   <tmp>/ovn-overlay/node_modules -> the repository's (the runtime dependencies, @types/node)
import test from 'ava';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

let dir: string;
let pkg: string;

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ovn-overlay-pkg-'));
  pkg = join(dir, 'ovn-overlay');
  mkdirSync(pkg);
  copyFileSync(join(root, 'package.json'), join(pkg, 'package.json'));
  symlinkSync(join(root, 'node_modules'), join(pkg, 'node_modules'), 'dir');
  await exec(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', join(pkg, 'dist')], { cwd: root });
});
test.after.always(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

test('the built package imports as ovn-overlay and every subpath', async (t) => {
  writeFileSync(join(pkg, 'check.mjs'), `
    const entries = {};
    for (const spec of ['ovn-overlay', 'ovn-overlay/codecs', 'ovn-overlay/lab', 'ovn-overlay/models', 'ovn-overlay/k8s', 'ovn-overlay/ovsdb']) {
      const m = await import(spec);
      entries[spec] = { url: import.meta.resolve(spec), keys: Object.keys(m) };
    }
    const root = await import('ovn-overlay');
    const models = await import('ovn-overlay/models');
    entries.sameModels = root.northbound === models.northbound;
    entries.lspColumns = Object.keys(models.northbound.NorthboundSchema.tables.Logical_Switch_Port.columns).includes('up');
    console.log(JSON.stringify(entries));
  `);
  const { stdout } = await exec(process.execPath, ['check.mjs'], { cwd: pkg });
  const got = JSON.parse(stdout) as Record<string, { url: string; keys: string[] }> & { sameModels: boolean; lspColumns: boolean };
  const has = (spec: string, ...names: string[]) => {
    t.true(got[spec].url.includes('/ovn-overlay/dist/'), `${spec} resolved to the build: ${got[spec].url}`);
    for (const n of names) t.true(got[spec].keys.includes(n), `${spec} exports ${n}`);
  };
  has('ovn-overlay', 'OvsdbClient', 'OvsdbDatabase', 'ClusterNetwork', 'OvnPods', 'bindPod', 'waitForPortsUp', 'waitForHypervisors', 'northbound', 'vswitch', 'databaseSchemas', 'encodePodSandboxStats', 'podNetworkStatsFromInterfaces');
  has('ovn-overlay/codecs', 'GeneveEncoder', 'GeneveDecoder', 'readPcap');
  has('ovn-overlay/lab', 'startLab');
  has('ovn-overlay/models', 'vswitch', 'northbound', 'southbound', 'server', 'databaseSchemas');
  has('ovn-overlay/ovsdb', 'OvsdbClient', 'OvsdbProtocol', 'RpcSession', 'JsonSplitter', 'Backoff', 'parseSchema');
  has('ovn-overlay/k8s', 'InformerSource', 'WatchStreamSource', 'ManifestSource', 'ObjectCache', 'WorkQueue', 'ControllerRunner', 'AgentMetrics', 'Agent');
  t.true(got.sameModels, 'the root re-exports the same model modules');
  t.true(got.lspColumns);
});

test('the built .d.ts files type a consumer: table maps, row interfaces through the namespaces, subpaths', async (t) => {
  writeFileSync(join(pkg, 'consumer.mts'), `
    import { OvsdbDatabase, type NorthboundTables, type VSwitchTables, type northbound } from 'ovn-overlay';
    import { databaseSchemas, type southbound, type DatabaseSchemaJson } from 'ovn-overlay/models';
    import { GeneveEncoder } from 'ovn-overlay/codecs';
    import type { Lab } from 'ovn-overlay/lab';
    export const port: northbound.LogicalSwitchPort['name'] = 'default_web-0';
    export type Binding = southbound.PortBinding['tunnel_key'];
    export const up: NorthboundTables['Logical_Switch_Port']['up'] = true;
    export const schema: DatabaseSchemaJson = databaseSchemas.OVN_Northbound;
    export type Iface = VSwitchTables['Interface']['statistics'];
    export const db = (r: string) => OvsdbDatabase.connect<NorthboundTables>({ remotes: r, database: 'OVN_Northbound' });
    export const enc = GeneveEncoder;
    export type L = Lab['nb'];
    // @ts-expect-error a column the model does not have
    export const wrong: NorthboundTables['Logical_Switch']['no_such_column'] = 1;
  `);
  writeFileSync(join(pkg, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] },
    files: ['consumer.mts'],
  }));
  const r = await exec(process.execPath, [tsc, '-p', join(pkg, 'tsconfig.json')], { cwd: pkg }).then(() => '', (e: { stdout: string }) => e.stdout);
  t.is(r, '');
});

test('consumers on moduleResolution node10 find the types of the root and of every subpath (typesVersions)', async (t) => {
  // node10 knows no self-reference: the consumer is a project of its own with the package in its node_modules.
  const consumer = join(dir, 'consumer-node10');
  mkdirSync(join(consumer, 'node_modules'), { recursive: true });
  symlinkSync(pkg, join(consumer, 'node_modules', 'ovn-overlay'), 'dir');
  symlinkSync(join(root, 'node_modules', '@types'), join(consumer, 'node_modules', '@types'), 'dir');
  writeFileSync(join(consumer, 'consumer.ts'), `
    import { OvsdbDatabase, type NorthboundTables } from 'ovn-overlay';
    import { RpcSession, type RpcChannel } from 'ovn-overlay/ovsdb';
    import { databaseSchemas } from 'ovn-overlay/models';
    import { GeneveEncoder } from 'ovn-overlay/codecs';
    import type { Lab } from 'ovn-overlay/lab';
    import type { WorkQueue } from 'ovn-overlay/k8s';
    export type Db = OvsdbDatabase<NorthboundTables>;
    export type Session = typeof RpcSession;
    export type Channel = RpcChannel['remote'];
    export const nb: string = databaseSchemas.OVN_Northbound.name;
    export type Enc = typeof GeneveEncoder;
    export type L = Lab['nb'];
    export type Q = WorkQueue;
    // @ts-expect-error a name the root no longer exports (it is in ovn-overlay/ovsdb)
    import type { RpcSession as NotAtTheRoot } from 'ovn-overlay';
    export type N = NotAtTheRoot;
  `);
  writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { module: 'CommonJS', moduleResolution: 'node10', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] },
    files: ['consumer.ts'],
  }));
  const r = await exec(process.execPath, [tsc, '-p', join(consumer, 'tsconfig.json')], { cwd: consumer }).then(() => '', (e: { stdout: string }) => e.stdout);
  t.is(r, '');
});
