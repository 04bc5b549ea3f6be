// Every method and every operation against the real ovsdb-server of a lab; each error type produced for real.
import test from 'ava';
import { startLab, type Lab } from '../../src/lab/index.js';
import {
  OvsdbClient, NamedUuid, ops, insert, select, update, mutate, del, wait, commit, abort, comment, assert,
  OvsdbAbortedError, OvsdbCanceledError, OvsdbConstraintViolationError, OvsdbNotOwnerError, OvsdbReferentialIntegrityError,
  OvsdbTimedOutError, OvsdbRpcError, OvsdbValidationError, OvsdbCallTimeoutError, OvsdbOperationError,
} from '../../src/ovsdb/index.js';
import type { LogicalSwitch as Logical_Switch, LogicalSwitchPort as Logical_Switch_Port, NBGlobal as NB_Global } from '../../src/models/ovn-northbound.js';

let lab: Lab;
let client: OvsdbClient;
const NB = 'OVN_Northbound';

test.before(async () => {
  lab = await startLab({ northd: false });
  client = await OvsdbClient.connect(lab.nb.servers[0].unix);
});
test.after.always(async () => {
  await client?.close();
  await lab?.stop();
});

test.serial('list_dbs, get_schema, echo, get_server_id over unix: and tcp:', async (t) => {
  const tcp = await OvsdbClient.connect(lab.nb.tcp);
  t.teardown(() => tcp.close());
  for (const c of [client, tcp]) {
    t.deepEqual((await c.listDbs()).sort(), [NB, '_Server']);
    const schema = await c.getSchema(NB);
    t.is(schema.name, NB);
    t.true(schema.tables.has('Logical_Switch'));
    t.deepEqual(await c.echo('é', 9223372036854775807n, [1, { a: null }]), ['é', 9223372036854775807n, [1, { a: null }]]);
    t.regex(await c.getServerId(), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  }
  t.is(await client.getServerId(), await tcp.getServerId(), 'the same server process');
  const e = await t.throwsAsync(client.getSchema('No_Such_Db'), { instanceOf: OvsdbRpcError });
  t.is(e.error, 'unknown database');
  const u = await t.throwsAsync(client.call('no_such_method', []), { instanceOf: OvsdbRpcError });
  t.regex(u.message, /unknown method/);
});

test.serial('every operation with typed models: insert (uuid-name, uuid), select, update, mutate, delete, wait, commit, comment', async (t) => {
  const port = new NamedUuid('port0');
  const fixed = '0c1ef0a1-0000-4000-8000-000000000001';
  const [lsp, ls, fixedLs, , sel] = await client.transact(NB, [
    insert<Logical_Switch_Port>('Logical_Switch_Port', { name: 'lsp-a', addresses: ['00:00:00:00:00:01 10.0.0.1'], tag_request: 7n }, { uuidName: 'port0' }),
    insert<Logical_Switch>('Logical_Switch', { name: 'ls-a', ports: [port], other_config: new Map([['mcast_snoop', 'true'], ['k', 'v']]) }),
    insert<Logical_Switch>('Logical_Switch', { name: 'ls-fixed' }, { uuid: fixed }),
    comment('ovn-overlay test'),
    select<Logical_Switch, 'name' | 'ports' | 'other_config'>('Logical_Switch', [['name', '==', 'ls-a']], ['name', 'ports', 'other_config']),
    commit(true),
  ]);
  t.regex(lsp.uuid, /^[0-9a-f-]{36}$/);
  t.is(fixedLs.uuid, fixed);
  t.is(sel.rows.length, 1);
  const row = sel.rows[0];
  t.is(row.name, 'ls-a');
  t.deepEqual(row.ports, [lsp.uuid]);
  t.deepEqual(row.other_config, new Map([['k', 'v'], ['mcast_snoop', 'true']]));
  // @ts-expect-error: `tag` was not selected, so it is not in the row type
  t.is(row.tag, undefined);

  const [upd, m1, m2, m3] = await client.transact(NB, [
    update<Logical_Switch_Port>('Logical_Switch_Port', [['name', '==', 'lsp-a']], { tag_request: 100n, enabled: true }),
    mutate<Logical_Switch>('Logical_Switch', [['_uuid', '==', ls.uuid]], [
      ['other_config', 'delete', ['k']], ['other_config', 'insert', new Map([['x', 'y']])], ['external_ids', 'insert', { a: '1', b: '2' }],
    ]),
    mutate<Logical_Switch>('Logical_Switch', [['_uuid', '==', ls.uuid]], [['external_ids', 'delete', new Map([['a', '1'], ['b', 'not-2']])]]),
    mutate<Logical_Switch_Port>('Logical_Switch_Port', [['tag_request', '>=', 100]], [
      ['tag_request', '+=', 20], ['tag_request', '-=', 4], ['tag_request', '*=', 3], ['tag_request', '/=', 2], ['tag_request', '%=', 1000],
    ]),
  ]);
  t.deepEqual([upd.count, m1.count, m2.count, m3.count], [1, 1, 1, 1]);
  const [after, lspAfter] = await client.transact(NB, [
    select<Logical_Switch>('Logical_Switch', [['_uuid', '==', ls.uuid]], ['other_config', 'external_ids']),
    select<Logical_Switch_Port>('Logical_Switch_Port', [['name', '==', 'lsp-a']], ['tag_request', 'enabled']),
  ]);
  t.deepEqual(after.rows[0].other_config, new Map([['mcast_snoop', 'true'], ['x', 'y']]));
  t.deepEqual(after.rows[0].external_ids, new Map([['b', '2']]), 'map delete by map removes only matching pairs');
  t.is(lspAfter.rows[0].tag_request, ((100n + 20n - 4n) * 3n / 2n) % 1000n);
  t.true(lspAfter.rows[0].enabled);

  // set mutations, includes/excludes, wait as a prerequisite, delete
  // Logical_Switch_Port is not a root table: a port must be referenced in the transaction that inserts it.
  const [ins2] = await client.transact(NB, [
    insert<Logical_Switch_Port>('Logical_Switch_Port', { name: 'lsp-b' }, { uuidName: 'b' }),
    mutate<Logical_Switch>('Logical_Switch', [['name', '==', 'ls-a']], [['ports', 'insert', [new NamedUuid('b')]]]),
  ]);
  const [inc, exc] = await client.transact(NB, [
    select<Logical_Switch, 'name'>('Logical_Switch', [['ports', 'includes', [lsp.uuid, ins2.uuid]]], ['name']),
    select<Logical_Switch, 'name'>('Logical_Switch', [['ports', 'excludes', ins2.uuid]], ['name']),
  ]);
  t.deepEqual(inc.rows.map((r) => r.name), ['ls-a']);
  t.deepEqual(exc.rows.map((r) => r.name), ['ls-fixed']);
  const [, , gone] = await client.transact(NB, [
    wait<Logical_Switch>('Logical_Switch', [['name', '==', 'ls-a']], ['name'], '==', [{ name: 'ls-a' }], 0),
    mutate<Logical_Switch>('Logical_Switch', [['name', '==', 'ls-a']], [['ports', 'delete', [ins2.uuid]]]),
    ops.delete<Logical_Switch_Port>('Logical_Switch_Port', [['name', '==', 'lsp-b']]),
  ]);
  t.is(gone.count, 1);
  const [count] = await client.transact(NB, [del('Logical_Switch', [['name', '==', 'ls-fixed']])]);
  t.is(count.count, 1);
});

test.serial('64-bit integers beyond 2^53 are stored and read back exactly', async (t) => {
  for (const v of [2n ** 53n + 1n, 2n ** 63n - 1n, -(2n ** 63n), -(2n ** 53n) - 3n]) {
    const [r] = await client.transact(NB, [insert<NB_Global>('NB_Global', { nb_cfg: v })]);
    const [s] = await client.transact(NB, [select<NB_Global, 'nb_cfg'>('NB_Global', [['_uuid', '==', r.uuid]], ['nb_cfg']), del('NB_Global', [])]);
    t.is(s.rows[0].nb_cfg, v);
    t.is(typeof s.rows[0].nb_cfg, 'bigint');
  }
  // A condition on a 64-bit value is exact too.
  const [r] = await client.transact(NB, [insert<NB_Global>('NB_Global', { nb_cfg: 2n ** 62n + 1n })]);
  const [hit, miss] = await client.transact(NB, [
    select<NB_Global, '_uuid'>('NB_Global', [['nb_cfg', '==', 2n ** 62n + 1n]], ['_uuid']),
    select<NB_Global, '_uuid'>('NB_Global', [['nb_cfg', '==', 2n ** 62n]], ['_uuid']),
  ]);
  t.deepEqual(hit.rows, [{ _uuid: r.uuid }]);
  t.deepEqual(miss.rows, []);
  await client.transact(NB, [del('NB_Global', [])]);
  await t.throwsAsync(client.transact(NB, [insert<NB_Global>('NB_Global', { nb_cfg: 2 ** 60 })]), { instanceOf: OvsdbValidationError, message: /NB_Global\.nb_cfg/ });
});

test.serial('typed errors produced by the real server', async (t) => {
  // constraint violation: a duplicate value of the Address_Set name index (a root table)
  await client.transact(NB, [insert('Address_Set', { name: 'dup' })]);
  const cv = await t.throwsAsync(client.transact(NB, [insert('Address_Set', { name: 'dup' })]), { instanceOf: OvsdbConstraintViolationError });
  t.is(cv.code, 'OVSDB_CONSTRAINT_VIOLATION');
  t.is(cv.index, 1, 'the index violation is reported by the commit, after the one operation');
  t.is(cv.op, undefined);
  t.regex(cv.details ?? '', /Address_Set/);

  // referential integrity violation: a strong reference to a row that does not exist
  const ri = await t.throwsAsync(client.transact(NB, [insert('Logical_Switch', { name: 'dangling', ports: ['11111111-2222-4333-8444-555555555555'] })]),
    { instanceOf: OvsdbReferentialIntegrityError });
  t.is(ri.code, 'OVSDB_REFERENTIAL_INTEGRITY');
  t.regex(ri.message, /referential integrity violation/);

  // timed out: a wait with timeout 0 whose condition does not hold
  const to = await t.throwsAsync(client.transact(NB, [
    insert('Logical_Switch', { name: 'never' }),
    wait('Address_Set', [['name', '==', 'dup']], ['name'], '!=', [{ name: 'dup' }], 0),
  ]), { instanceOf: OvsdbTimedOutError });
  t.like(to, { index: 1, op: 'wait', error: 'timed out' });
  t.deepEqual(to.results[0] !== null, true);

  // not owner: assert on a lock this session does not hold
  const no = await t.throwsAsync(client.transact(NB, [assert('some_lock')]), { instanceOf: OvsdbNotOwnerError });
  t.like(no, { code: 'OVSDB_NOT_OWNER', index: 0, op: 'assert' });

  // aborted
  const ab = await t.throwsAsync(client.transact(NB, [insert('Logical_Switch', { name: 'aborted' }), abort()]), { instanceOf: OvsdbAbortedError });
  t.like(ab, { code: 'OVSDB_ABORTED', index: 1, op: 'abort' });

  // canceled: a wait that would block for a minute, canceled by the `cancel` notification
  const pending = await client.transactRequest(NB, [wait('Logical_Switch', [], ['name'], '==', [{ name: 'nothing-like-this' }], 60_000)]);
  setTimeout(() => pending.cancel(), 100);
  const started = Date.now();
  const ca = await t.throwsAsync(pending.result, { instanceOf: OvsdbCanceledError });
  t.is(ca.code, 'OVSDB_CANCELED');
  t.like(ca.raw, { error: 'canceled' }, 'settled by the echo barrier: the server drops canceled requests of sessions that are not db-change-aware');
  t.true(Date.now() - started < 10_000);

  // the same through an AbortSignal, on a db-change-aware session (where the server itself answers "canceled")
  const aware = await OvsdbClient.connect(lab.nb.tcp);
  t.teardown(() => aware.close());
  await aware.setDbChangeAware(true);
  const ac = new AbortController();
  const p2 = aware.transact(NB, [wait('Logical_Switch', [], ['name'], '==', [{ name: 'x' }], 60_000)], { signal: ac.signal });
  setTimeout(() => ac.abort(), 50);
  const c2 = await t.throwsAsync(p2, { instanceOf: OvsdbCanceledError });
  t.is(c2.raw, 'canceled', 'the server\'s own "canceled" reply');

  // a per-call timeout rejects locally (and cancels the request on the server)
  await t.throwsAsync(client.transact(NB, [wait('Logical_Switch', [], ['name'], '==', [{ name: 'x' }], 60_000)], { timeoutMs: 200 }),
    { instanceOf: OvsdbCallTimeoutError, message: /"transact" got no reply within 200 ms/ });
  t.deepEqual(await client.echo('still usable'), ['still usable']);

  // nothing of the failed transactions was committed
  const [s] = await client.transact(NB, [select<Logical_Switch, 'name'>('Logical_Switch', [['name', 'includes', 'never']], ['name'])]);
  t.deepEqual(s.rows, []);
  t.true(cv instanceof OvsdbOperationError);
});

test.serial('monitor, monitor_cond, monitor_cond_change, monitor_cancel', async (t) => {
  await client.transact(NB, [insert('Logical_Switch', { name: 'mon-1' }), insert('Logical_Switch', { name: 'mon-2' })]);
  const m1 = await client.monitor(NB, { Logical_Switch: { columns: ['name', 'other_config'] } });
  const initialNames = [...(m1.initial.get('Logical_Switch')?.values() ?? [])].map((u) => u.new?.name).sort();
  t.true(initialNames.includes('mon-1') && initialNames.includes('mon-2'));

  const m2 = await client.monitorCond(NB, { Logical_Switch: { columns: ['name', 'other_config'], where: [['name', '==', 'mon-1']] } });
  const init2 = [...(m2.initial.get('Logical_Switch')?.values() ?? [])];
  // initial/insert rows omit columns that hold their default value (ovsdb-server(7) 4.1.14)
  t.deepEqual(init2, [{ type: 'initial', row: { name: 'mon-1' } }]);

  const v1 = new Promise<unknown>((resolve) => m1.once('update', (u) => resolve([...(u.get('Logical_Switch')?.values() ?? [])])));
  const v2 = new Promise<unknown>((resolve) => m2.once('update', (u) => resolve([...(u.get('Logical_Switch')?.values() ?? [])])));
  await client.transact(NB, [update('Logical_Switch', [['name', '==', 'mon-1']], { other_config: { a: 'b' } })]);
  t.deepEqual(await v1, [{ old: { other_config: new Map() }, new: { name: 'mon-1', other_config: new Map([['a', 'b']]) } }]);
  t.deepEqual(await v2, [{ type: 'modify', diff: { other_config: new Map([['a', 'b']]) } }]);

  // change the condition: mon-2 enters (insert), mon-1 leaves (delete); the update arrives before the reply
  const changed: unknown[] = [];
  m2.on('update', (u) => changed.push(...[...(u.get('Logical_Switch')?.values() ?? [])].map((x) => x.type)));
  await m2.change({ Logical_Switch: { where: [['name', '==', 'mon-2']] } }, 'renamed');
  t.deepEqual(changed.sort(), ['delete', 'insert']);
  t.is(m2.id, 'renamed');

  await m1.cancel();
  await m2.cancel();
  let after = 0;
  m1.on('update', () => after++);
  m2.on('update', () => after++);
  await client.transact(NB, [update('Logical_Switch', [], { other_config: { c: 'd' } })]);
  await client.echo();
  t.is(after, 0);
  await t.throwsAsync(client.monitorCancel('renamed'), { instanceOf: OvsdbRpcError });
  await t.throwsAsync(client.monitor(NB, { Logical_Switch: { where: [] } }), { message: /needs monitor_cond/ });
});

test.serial('monitor_cond_since: initial contents, update3 with txn ids (standalone server: found = false)', async (t) => {
  const m = await client.monitorCondSince(NB, { Logical_Switch: { columns: ['name'] } });
  t.is(m.found, false);
  t.true(m.initial.get('Logical_Switch')!.size > 0);
  const got = new Promise<[unknown, string | undefined]>((resolve) => m.once('update', (u, txn) => resolve([[...u.get('Logical_Switch')!.values()], txn])));
  await client.transact(NB, [insert('Logical_Switch', { name: 'since-1' })]);
  const [updates, txn] = await got;
  t.deepEqual(updates, [{ type: 'insert', row: { name: 'since-1' } }]);
  t.is(typeof txn, 'string');
  t.is(m.lastTxnId, txn);
  await m.cancel();
});

test.serial('locks: lock, contention, steal reported as stolen, unlock; assert with the lock held', async (t) => {
  const other = await OvsdbClient.connect(lab.nb.tcp);
  t.teardown(() => other.close());
  t.true(await client.lock('L1'));
  t.false(await other.lock('L1'));
  await client.transact(NB, [assert('L1'), comment('holding L1')]);
  const stolen = new Promise<string>((resolve) => client.once('stolen', resolve));
  await other.unlock('L1'); // a session waiting for a lock must give up waiting before it may steal
  t.true(await other.steal('L1'));
  t.is(await stolen, 'L1');
  await t.throwsAsync(client.transact(NB, [assert('L1')]), { instanceOf: OvsdbNotOwnerError });
  await other.transact(NB, [assert('L1')]);
  // client (after giving up its stolen claim) waits for it again; when `other` unlocks, client gets `locked`
  await client.unlock('L1');
  const acquired = client.acquireLock('L1');
  await other.unlock('L1');
  await acquired;
  await client.transact(NB, [assert('L1')]);
  await client.unlock('L1');
  await t.throwsAsync(client.lock('bad-name'), { instanceOf: OvsdbValidationError, message: /lock/ });
});
