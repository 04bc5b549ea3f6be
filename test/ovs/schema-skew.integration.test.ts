// Schema skew: an ovsdb-server serving an older Open_vSwitch schema (made here from the installed one by removing
// a table, a column and an enum value) still works through the node API, which reports what it left out.
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand, waitForUnixListener } from '../../src/lab/process.js';
import { OvsdbClient } from '../../src/ovsdb/client.js';
import { parseSchema } from '../../src/ovsdb/schema.js';
import { VSwitchSchema } from '../../src/models/open-vswitch.js';
import { SchemaSkewError, SchemaSkewFilter, compareSchemas, describeSchemaSkew } from '../../src/models/schema-skew.js';
import { configureNode } from '../../src/ovs/node-config.js';
import { bindPod, unbindPod } from '../../src/ovs/pod-binding.js';
import { ensureBridge } from '../../src/ovs/bridge.js';

const INSTALLED = '/usr/share/openvswitch/vswitch.ovsschema';

interface SchemaDoc {
  name: string;
  version: string;
  cksum?: string;
  tables: Record<string, { columns: Record<string, { type: { key: { enum?: [string, string[]] } } }> }>;
}

/** The installed schema minus table Flow_Sample_Collector_Set, column Interface.mtu_request, vlan_mode "dot1q-tunnel". */
function olderSchema(): SchemaDoc {
  const doc = JSON.parse(readFileSync(INSTALLED, 'utf8')) as SchemaDoc;
  delete doc.tables.Flow_Sample_Collector_Set;
  delete doc.tables.Interface.columns.mtu_request;
  const vlanMode = doc.tables.Port.columns.vlan_mode.type.key.enum!;
  vlanMode[1] = vlanMode[1].filter((v) => v !== 'dot1q-tunnel');
  doc.version = '8.0.0';
  delete doc.cksum;
  return doc;
}

let dir: string;
let server: ChildProcess | undefined;
let remote: string;

test.before(async () => {
  dir = mkdtempSync('/tmp/ovsskew-');
  const schemaFile = join(dir, 'old.ovsschema');
  writeFileSync(schemaFile, JSON.stringify(olderSchema()));
  const db = join(dir, 'conf.db');
  await runCommand('ovsdb-tool', ['create', db, schemaFile]);
  const sock = join(dir, 'db.sock');
  server = spawn('ovsdb-server', [db, `--remote=punix:${sock}`, `--unixctl=${join(dir, 'ctl')}`, '--no-chdir', `--log-file=${join(dir, 'log')}`],
    { stdio: 'ignore' });
  await waitForUnixListener(sock, 5000);
  remote = `unix:${sock}`;
});

test.after.always(() => {
  if (server?.pid !== undefined && server.exitCode === null) server.kill('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('compareSchemas lists what an older schema lacks, and nothing for the same schema', (t) => {
  const same = compareSchemas(VSwitchSchema, JSON.parse(readFileSync(INSTALLED, 'utf8')));
  t.true(same.compatible);
  t.deepEqual([same.missingTables, same.missingColumns, same.missingEnumValues, same.typeMismatches, same.extraTables, same.extraColumns], [[], [], [], [], [], []]);

  const skew = compareSchemas(VSwitchSchema, olderSchema() as never);
  t.false(skew.compatible);
  t.deepEqual(skew.missingTables, ['Flow_Sample_Collector_Set']);
  t.deepEqual(skew.missingColumns, [{ table: 'Interface', column: 'mtu_request' }]);
  t.deepEqual(skew.missingEnumValues, [{ table: 'Port', column: 'vlan_mode', part: 'key', values: ['dot1q-tunnel'] }]);
  t.deepEqual(skew.typeMismatches, []);
  t.is(skew.serverVersion, '8.0.0');
  t.deepEqual(describeSchemaSkew(skew), [
    'Open_vSwitch server schema 8.0.0 (models 8.3.1): no table Flow_Sample_Collector_Set',
    'Open_vSwitch server schema 8.0.0 (models 8.3.1): no column Interface.mtu_request',
    'Open_vSwitch server schema 8.0.0 (models 8.3.1): Port.vlan_mode does not accept "dot1q-tunnel"',
  ]);
  // A newer server (a column the models lack) is compatible: nothing the models write is missing.
  const newer = JSON.parse(readFileSync(INSTALLED, 'utf8')) as SchemaDoc;
  newer.tables.Interface.columns.future_knob = { type: { key: {} } } as never;
  (newer.tables.Interface.columns.future_knob as unknown as { type: string }).type = 'string';
  const n = compareSchemas(VSwitchSchema, newer as never);
  t.true(n.compatible);
  t.deepEqual(n.extraColumns, [{ table: 'Interface', column: 'future_knob' }]);
  // A column whose type changed is a mismatch.
  const changed = JSON.parse(readFileSync(INSTALLED, 'utf8')) as SchemaDoc;
  (changed.tables.Interface.columns.ofport as unknown as { type: string }).type = 'string';
  t.deepEqual(compareSchemas(VSwitchSchema, changed as never).typeMismatches, [{ table: 'Interface', column: 'ofport', model: 'optional integer', server: 'scalar string' }]);
});

test('SchemaSkewFilter leaves out missing columns and refused enum values, once each, and requires essentials', (t) => {
  const server = parseSchema(olderSchema() as never);
  const f = SchemaSkewFilter.of(VSwitchSchema, server);
  t.deepEqual(f.row('Interface', { name: 'x', mtu_request: 1400 }), { name: 'x' });
  t.deepEqual(f.row('Interface', { name: 'y', mtu_request: 9000 }), { name: 'y' });
  t.deepEqual(f.row('Port', { name: 'p', vlan_mode: 'dot1q-tunnel' }), { name: 'p' });
  t.deepEqual(f.row('Port', { name: 'p', vlan_mode: 'access' }), { name: 'p', vlan_mode: 'access' });
  t.false(f.table('Flow_Sample_Collector_Set'));
  t.deepEqual(f.dropped.map((d) => [d.reason, d.table, d.column, d.value]), [
    ['missing-column', 'Interface', 'mtu_request', 1400],
    ['enum-value', 'Port', 'vlan_mode', 'dot1q-tunnel'],
    ['missing-table', 'Flow_Sample_Collector_Set', undefined, undefined],
  ]);
  t.notThrows(() => f.require('x', ['Interface.name', 'Port']));
  const e = t.throws(() => f.require('bind', ['Interface.mtu_request', 'Flow_Sample_Collector_Set']), { instanceOf: SchemaSkewError });
  t.deepEqual(e?.missing, ['Interface.mtu_request', 'Flow_Sample_Collector_Set']);
});

test('the node API works against the older server and reports what it dropped', async (t) => {
  const client = await OvsdbClient.connect(remote);
  t.teardown(() => client.close());
  const served = compareSchemas(VSwitchSchema, await client.getSchema('Open_vSwitch'));
  t.deepEqual(served.missingColumns, [{ table: 'Interface', column: 'mtu_request' }]);

  // A database `ovs-vsctl init` never touched: configureNode creates the Open_vSwitch row and br-int.
  const node = await configureNode(client, {
    systemId: 'old-node', hostname: 'old-node', ovnRemote: 'tcp:10.0.0.1:6642', encapType: 'geneve', encapIp: '10.0.0.21',
  });
  t.true(node.changed);
  t.true(node.createdRow);
  t.true(node.bridge?.created);
  t.deepEqual(node.dropped, []);

  const spec = {
    namespace: 'default', pod: 'legacy-0', sandbox: '99aa88bb77cc66dd55ee', mac: '0a:58:0a:f4:03:04',
    ipAddresses: ['10.244.3.4/24'], mtu: 1400,
  };
  const bound = await bindPod(client, spec);
  t.true(bound.created);
  t.deepEqual(bound.dropped.map((d) => `${d.reason} ${d.table}.${d.column}`), ['missing-column Interface.mtu_request']);
  t.regex(bound.dropped[0].message, /Interface\.mtu_request left out: the server's Open_vSwitch schema 8\.0\.0 has no such column/);
  const again = await bindPod(client, spec);
  t.false(again.changed, 'the dropped column does not make every call look like a change');
  t.is(again.dropped.length, 1, 'and each call still says what it left out');

  // The rows are there, as a schema-agnostic client sees them.
  const dump = await runCommand('ovsdb-client', ['dump', remote, 'Open_vSwitch', 'Interface', 'name', 'external_ids']);
  t.regex(dump, /\{[^}]*iface-id=default_legacy-0[^}]*\}\s+"99aa88bb77cc66d"/);
  t.true((await ensureBridge(client)).changed === false);
  t.true((await unbindPod(client, { namespace: 'default', pod: 'legacy-0', sandbox: spec.sandbox })).removed);
});
