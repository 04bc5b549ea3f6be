// Cross-checks with the real ovsdb-client, TLS, schema conversion with set_db_change_aware.
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { startLab, type Lab } from '../../src/lab/index.js';
import { runCommand } from '../../src/lab/process.js';
import {
  OvsdbClient, NamedUuid, insert, select, del, OvsdbConnectError, OvsdbConnectionClosedError, parseSchema,
  type Json, type RowUpdate2, type TableUpdates,
} from '../../src/ovsdb/index.js';
import type { LogicalSwitch, LogicalSwitchPort } from '../../src/models/ovn-northbound.js';

let lab: Lab;
const NB = 'OVN_Northbound';
const children: ChildProcess[] = [];

test.before(async () => {
  lab = await startLab({ northd: false, tls: true });
});
test.after.always(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await lab?.stop();
});

test.serial('what we write, ovsdb-client dump reads back (UTF-8, maps, references, 64-bit)', async (t) => {
  const client = await OvsdbClient.connect(lab.nb.tcp);
  t.teardown(() => client.close());
  await client.transact(NB, [
    insert<LogicalSwitchPort>('Logical_Switch_Port', { name: 'dump-p', tag_request: 4095n, external_ids: new Map([['ü', '日本🚀']]) }, { uuidName: 'p' }),
    insert<LogicalSwitch>('Logical_Switch', { name: 'dump-ls', ports: [new NamedUuid('p')] }),
    insert('NB_Global', { nb_cfg: 2n ** 63n - 1n }),
  ]);
  const dump = await runCommand('ovsdb-client', ['-f', 'json', 'dump', lab.nb.servers[0].unix, NB]);
  t.regex(dump, /dump-ls/);
  t.regex(dump, /"\\u00fc"|"ü"/);
  t.true(dump.includes('9223372036854775807'), 'the 64-bit value is stored exactly');
  const [ls] = await client.transact(NB, [select<LogicalSwitch, 'ports'>('Logical_Switch', [['name', '==', 'dump-ls']], ['ports'])]);
  t.true(dump.includes(ls.rows[0].ports[0]), 'the reference names the port row');
  const tableDump = await runCommand('ovsdb-client', ['dump', lab.nb.servers[0].unix, NB, 'Logical_Switch_Port']);
  t.regex(tableDump, /dump-p/);
  t.regex(tableDump, /4095/);
});

test.serial('what ovsdb-client transact writes, our monitor sees', async (t) => {
  const client = await OvsdbClient.connect(lab.nb.servers[0].unix);
  t.teardown(() => client.close());
  const m = await client.monitorCond(NB, { Logical_Switch: { columns: ['name', 'other_config'], where: [['name', '==', 'from-cli']] } });
  const seen = new Promise<TableUpdates<RowUpdate2>>((resolve) => m.once('update', resolve));
  await runCommand('ovsdb-client', ['transact', lab.nb.tcp,
    JSON.stringify([NB, { op: 'insert', table: 'Logical_Switch', row: { name: 'from-cli', other_config: ['map', [['big', '9007199254740993']]] } }])]);
  const updates = await seen;
  const rows = [...updates.get('Logical_Switch')!.values()];
  t.deepEqual(rows, [{ type: 'insert', row: { name: 'from-cli', other_config: new Map([['big', '9007199254740993']]) } }]);
});

test.serial('a lock held by ovsdb-client lock is contended for us; our steal is reported to it as stolen', async (t) => {
  const client = await OvsdbClient.connect(lab.nb.tcp);
  t.teardown(() => client.close());
  const holder = spawn('ovsdb-client', ['lock', lab.nb.servers[0].unix, 'cli_lock'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(holder);
  let out = '';
  const waitOut = (re: RegExp) => new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ovsdb-client printed ${JSON.stringify(out)}`)), 10_000);
    const check = () => { if (re.test(out)) { clearTimeout(timer); resolve(); } };
    holder.stdout!.on('data', (b: Buffer) => { out += b.toString(); check(); });
    check();
  });
  await waitOut(/"locked":true/);
  t.false(await client.lock('cli_lock'), 'contended: ovsdb-client holds it');
  await client.unlock('cli_lock');
  t.true(await client.steal('cli_lock'));
  await waitOut(/stolen\s*\n\s*\["cli_lock"\]/);
  // When we release it, ovsdb-client (still waiting) gets it back.
  await client.unlock('cli_lock');
  await waitOut(/locked\s*\n\s*\["cli_lock"\]/);
  holder.kill('SIGTERM');
});

test.serial('TLS: connects with the lab certificates, refuses a server certificate from another CA', async (t) => {
  const tls = lab.tls!;
  const client = await OvsdbClient.connect(lab.nb.ssl!, { tls: { ca: tls.caCert, cert: tls.clientCert, key: tls.clientKey } });
  t.teardown(() => client.close());
  t.deepEqual((await client.listDbs()).sort(), [NB, '_Server']);
  const [r] = await client.transact(NB, [insert('Logical_Switch', { name: 'over-tls' })]);
  t.regex(r.uuid, /^[0-9a-f-]{36}$/);
  // PEM contents work as well as paths.
  const pem = await OvsdbClient.connect(lab.nb.ssl!, { tls: { ca: readFileSync(tls.caCert, 'utf8'), cert: readFileSync(tls.clientCert), key: readFileSync(tls.clientKey) } });
  await pem.close();

  const wrongCa = await t.throwsAsync(OvsdbClient.connect(lab.nb.ssl!, { tls: { ca: tls.otherCaCert, cert: tls.clientCert, key: tls.clientKey }, connectTimeoutMs: 5000 }),
    { instanceOf: OvsdbConnectError });
  t.regex(wrongCa.message, /certificate/i);
  await t.throwsAsync(OvsdbClient.connect(lab.nb.ssl!), { instanceOf: OvsdbConnectError, message: /needs TLS options/ });
  // The server refuses our client certificate from an untrusted CA: the session ends, nothing is answered.
  const untrusted = await OvsdbClient.connect(lab.nb.ssl!, { tls: { ca: tls.caCert, cert: tls.otherClientCert, key: tls.otherClientKey } })
    .then((c) => c.listDbs().finally(() => c.close())).catch((e: Error) => e);
  t.true(untrusted instanceof OvsdbConnectError || untrusted instanceof OvsdbConnectionClosedError, String(untrusted));
  // A wrong server name is refused when the name is checked.
  await t.throwsAsync(OvsdbClient.connect(lab.nb.ssl!, { tls: { ca: tls.caCert, cert: tls.clientCert, key: tls.clientKey, checkServerName: 'db.example.org' } }),
    { instanceOf: OvsdbConnectError });
});

test.serial('convert: a db-change-aware session gets monitor_canceled, another is disconnected', async (t) => {
  const DB = 'Open_vSwitch';
  const converter = await OvsdbClient.connect(lab.ovs.servers[0].unix);
  const aware = await OvsdbClient.connect(lab.ovs.servers[0].unix);
  const plain = await OvsdbClient.connect(lab.ovs.servers[0].unix);
  t.teardown(async () => { await converter.close(); await aware.close(); await plain.close(); });
  await aware.setDbChangeAware(true);
  const m = await aware.monitorCond(DB, { Open_vSwitch: { columns: ['ovs_version'] } });
  await plain.monitorCond(DB, { Open_vSwitch: { columns: ['ovs_version'] } });
  const canceled = new Promise<void>((resolve) => m.once('canceled', resolve));
  const plainClosed = plain.session.closed;

  // A new schema made from the installed one: one more column in Open_vSwitch.
  const json = JSON.parse(readFileSync('/usr/share/openvswitch/vswitch.ovsschema', 'utf8')) as {
    version: string; tables: { Open_vSwitch: { columns: Record<string, unknown> } };
  };
  json.version = '99.0.0';
  json.tables.Open_vSwitch.columns.overlay_test = { type: { key: 'string', min: 0, max: 1 } };
  await converter.convert(DB, parseSchema(json as unknown as Json));
  await canceled;
  t.false(m.active);
  await plainClosed;
  t.is(plain.state, 'closed');
  // The converted database has the new column, and the aware session goes on with the new schema.
  const schema = await aware.getSchema(DB);
  t.is(schema.version, '99.0.0');
  t.true(schema.tables.get('Open_vSwitch')!.columns.has('overlay_test'));
  await aware.transact(DB, [{ op: 'update', table: 'Open_vSwitch', where: [], row: { overlay_test: 'yes' } } as const]);
  const [s] = await aware.transact(DB, [select('Open_vSwitch', [], ['overlay_test']), del('Flow_Sample_Collector_Set', [])]);
  t.is(s.rows[0].overlay_test, 'yes');
  const version = await runCommand('ovsdb-client', ['get-schema-version', lab.ovs.servers[0].unix, DB]);
  t.is(version.trim(), '99.0.0');
});
