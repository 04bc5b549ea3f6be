// The replica (OvsdbDatabase) behind a byte-level proxy that slips hostile messages into what a real
// ovsdb-server sends (issue 12, hostile peers). Connection-level faults must end the connection with the typed
// error, fail a transaction in flight as "outcome unknown", and leave the replica equal to the server after it
// resyncs. Impossible updates (for rows the replica lacks, inserts for uuids it has, ...) are the replica's to
// catch (issue 12 item 6): applied not at all, reported, and followed by a full resync.
import test from 'ava';
import { startLab, type Lab } from '../../src/lab/index.js';
import { waitFor } from '../../src/lab/process.js';
import {
  OvsdbClient, OvsdbDatabase, OvsdbOutcomeUnknownError, OvsdbProtocolError, ops, type OvsdbImpossibleUpdateError,
} from '../../src/ovsdb/index.js';
import type { NorthboundTables } from '../../src/models/ovn-northbound.js';
import { startHostileProxy, type HostileProxy } from './hostile-proxy.js';

let lab: Lab;
let writer: OvsdbClient;
test.before(async () => {
  lab = await startLab({ northd: false });
  writer = await OvsdbClient.connect(lab.nb.servers[0].unix);
});
test.after.always(async () => {
  await writer?.close();
  await lab?.stop();
});

async function replicaBehind(proxy: HostileProxy) {
  const db = OvsdbDatabase.connect<NorthboundTables>({ remotes: proxy.remote, database: 'OVN_Northbound', tables: { Logical_Switch: {} }, backoff: { initialMs: 20, maxMs: 100 } });
  await db.synced;
  return db;
}

async function serverNames(): Promise<string[]> {
  const [r] = await writer.transact('OVN_Northbound', [ops.select('Logical_Switch', [], ['name'])]);
  return r.rows.map((x) => String(x.name)).sort();
}

const replicaNames = (db: OvsdbDatabase<NorthboundTables>) => db.table('Logical_Switch').all().map((x) => x.name).sort();

const until = (what: string, check: () => boolean | Promise<boolean>, ms = 10_000) => waitFor(what, async () => (await check()) || undefined, ms);

const update3 = (proxy: HostileProxy, body: string) =>
  `{"id":null,"method":"update3","params":[${proxy.monitorIds.get('OVN_Northbound')!},"${proxy.lastTxnId ?? '00000000-0000-0000-0000-000000000000'}",${body}]}`;

test.serial('connection-level faults mid-stream: typed close, a transaction in flight is outcome unknown, the replica resyncs to the server', async (t) => {
  const proxy = await startHostileProxy(lab.nb.servers[0].unix.slice('unix:'.length));
  t.teardown(() => proxy.close());
  const db = await replicaBehind(proxy);
  t.teardown(() => db.close());
  const [seed] = await writer.transact('OVN_Northbound', [ops.insert('Logical_Switch', { name: 'seed' })]);
  await until('the replica has the seed row', () => db.table('Logical_Switch').get(seed.uuid) !== undefined);
  const faults: [string, string | Buffer, string][] = [
    ['garbage', '\x00\xffnot json', 'OVSDB_PROTOCOL'],
    ['invalid UTF-8', Buffer.concat([Buffer.from(update3(proxy, '{"Logical_Switch":{}}').replace('{}}]}', '{"x":"')), Buffer.from([0xc0, 0xaf]), Buffer.from('"}}]}')]), 'OVSDB_INVALID_UTF8'],
    ['an integer of 2^70', update3(proxy, `{"Logical_Switch":{"${seed.uuid}":{"modify":{"other_config":["map",[["k",1180591620717411303424]]]}}}}`), 'OVSDB_NUMBER_OUT_OF_RANGE'],
    ['a real of 1e400', update3(proxy, `{"Logical_Switch":{"${seed.uuid}":{"modify":{"other_config":["map",[["k",1e400]]]}}}}`), 'OVSDB_NUMBER_OUT_OF_RANGE'],
    ['a run of digits', `{"id":null,"method":"update3","params":[${'9'.repeat(100_000)}]}`, 'OVSDB_NUMBER_TOO_LONG'],
    ['deep nesting', `{"id":null,"method":"update3","params":${'['.repeat(5000)}`, 'OVSDB_MESSAGE_TOO_DEEP'],
  ];
  for (const [name, bytes, code] of faults) {
    const reasons: Error[] = [];
    const onDisconnect = (info: { reason: Error }) => reasons.push(info.reason);
    db.on('disconnected', onDisconnect);
    const resyncs = db.stats.resyncs;
    // A transaction the server receives and commits, whose reply the proxy holds back: then the fault.
    proxy.hold();
    const tx = db.transact([ops.insert('Logical_Switch', { name: `during-${code}-${name.length}` })]);
    await until(`${name}: the server committed the insert`, async () => (await serverNames()).includes(`during-${code}-${name.length}`));
    proxy.inject(bytes);
    proxy.release();
    const e = await t.throwsAsync(tx, { instanceOf: OvsdbOutcomeUnknownError }, name);
    await until(`${name}: disconnected`, () => reasons.length > 0);
    db.off('disconnected', onDisconnect);
    t.true(reasons[0] instanceof OvsdbProtocolError, `${name}: ${String(reasons[0])}`);
    t.is((reasons[0] as OvsdbProtocolError).code as string, code, name);
    t.true(e.message.includes(reasons[0].message), `${name}: the transaction names the fault: ${e.message}`);
    // Reconnected and resynced: the replica holds exactly the server's rows, the one committed in the dark too.
    await until(`${name}: resynced`, () => db.stats.resyncs > resyncs && db.state === 'connected');
    await until(`${name}: the replica equals the server`, async () => JSON.stringify(replicaNames(db)) === JSON.stringify(await serverNames()));
  }
});

test.serial('an impossible update is applied not at all: typed event, connection dropped, every monitor resyncs to the server', async (t) => {
  const proxy = await startHostileProxy(lab.nb.servers[0].unix.slice('unix:'.length));
  t.teardown(() => proxy.close());
  const db = await replicaBehind(proxy);
  t.teardown(() => db.close());
  const events: OvsdbImpossibleUpdateError[] = [];
  db.on('impossibleUpdate', (e) => events.push(e));
  const [real] = await writer.transact('OVN_Northbound', [ops.insert('Logical_Switch', { name: 'real' })]);
  await until('the replica has the row', () => db.table('Logical_Switch').get(real.uuid) !== undefined);
  const ghost = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
  // Each led by a possible insert of `ghost`: none of it may land. Before the replica checked its updates, the
  // first overwrote the row (an `update` event), the second was ignored, the third stored, the fourth applied.
  const lead = `"${ghost}":{"insert":{"name":"half"}}`;
  const impossible: [string, string][] = [
    ['insert of a row the replica has', update3(proxy, `{"Logical_Switch":{${lead},"${real.uuid}":{"insert":{"name":"impostor"}}}}`)],
    ['"no_such_column" is not monitored', update3(proxy, `{"Logical_Switch":{${lead},"${real.uuid}":{"modify":{"no_such_column":"x"}}}}`)],
    ['row key is not a UUID', update3(proxy, `{"Logical_Switch":{${lead},"not-a-uuid":{"insert":{"name":"bad-key"}}}}`)],
    ['modify of a row the replica does not have', update3(proxy, `{"Logical_Switch":{${lead},"${ghost.replace('a', 'b')}":{"modify":{"name":"x"}}}}`)],
    ['"update2" for monitor', `{"id":null,"method":"update2","params":[${proxy.monitorIds.get('OVN_Northbound')!},{"Logical_Switch":{${lead}}}]}`],
  ];
  for (const [reason, bytes] of impossible) {
    const resyncs = db.stats.resyncs;
    const changes: string[] = [];
    const onChange = (cs: readonly { kind: string; uuid: string }[]) => { for (const c of cs) changes.push(`${c.kind} ${c.uuid}`); };
    db.on('change', onChange);
    proxy.inject(bytes);
    await until(`${reason}: resynced`, () => db.stats.resyncs > resyncs && db.state === 'connected');
    db.off('change', onChange);
    t.deepEqual(replicaNames(db), await serverNames(), reason);
    t.deepEqual(changes, [], `${reason}: nothing applied, and the resync found nothing to correct`);
    t.true(events.at(-1)!.message.includes(reason), `${reason}: ${events.at(-1)?.message}`);
  }
  t.is(events.length, impossible.length);
  t.is(db.stats.impossibleUpdates, impossible.length);
  t.is(db.table('Logical_Switch').get(real.uuid)?.name, 'real');
});
