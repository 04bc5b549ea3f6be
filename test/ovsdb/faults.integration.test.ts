// Connection faults. The real server where it can produce the fault (a dropped connection, an oversized reply,
// RBAC's permission error); a fake peer of ours only for byte-level garbage and half-written messages.
import test from 'ava';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, type Lab } from '../../src/lab/index.js';
import { runCommand, readPidFile, terminate, waitForUnixListener } from '../../src/lab/process.js';
import {
  OvsdbClient, NamedUuid, insert, wait, OvsdbCallTimeoutError, OvsdbConnectionClosedError, OvsdbOutcomeUnknownError, OvsdbMessageTooLargeError, OvsdbPermissionError, OvsdbProtocolError,
} from '../../src/ovsdb/index.js';

let lab: Lab;
test.before(async () => { lab = await startLab({ northd: false }); });
test.after.always(async () => { await lab?.stop(); });

test.serial('a dropped connection rejects every pending call with OvsdbConnectionClosedError', async (t) => {
  const server = lab.ovs.servers[0];
  const client = await OvsdbClient.connect(server.unix);
  const closed = new Promise<unknown>((resolve) => client.once('close', resolve));
  const states: string[] = [];
  client.on('state', (s) => states.push(s));
  const calls = [1, 2, 3].map((i) => client.transact('Open_vSwitch', [wait('Open_vSwitch', [], ['ovs_version'], '==', [{ ovs_version: `never-${i}` }], 60_000)]));
  // A write held up behind the same kind of wait: the server may have committed it or not.
  const write = client.transact('Open_vSwitch', [
    wait('Open_vSwitch', [], ['ovs_version'], '==', [{ ovs_version: 'never' }], 60_000), insert('Bridge', { name: 'br-unknown' }),
  ]);
  await client.echo(); // the waits are on the server now
  await server.kill();
  for (const c of calls) {
    const e = await t.throwsAsync(c, { instanceOf: OvsdbConnectionClosedError });
    t.is(e.method, 'transact');
    t.false(e instanceof OvsdbOutcomeUnknownError, 'a read-only transaction has no unknown outcome');
  }
  const unknown = await t.throwsAsync(write, { instanceOf: OvsdbOutcomeUnknownError });
  t.is(unknown.code, 'OVSDB_CONNECTION_CLOSED');
  await closed;
  t.deepEqual(states, ['closed']);
  await t.throwsAsync(client.echo(), { instanceOf: OvsdbConnectionClosedError, message: /session is closed/ });
  await server.restart();
});

test.serial('a reply larger than maxMessageBytes ends the session with a protocol error (real server)', async (t) => {
  const client = await OvsdbClient.connect(lab.nb.servers[0].unix, { maxMessageBytes: 4096 });
  t.deepEqual(await client.echo('small'), ['small']);
  const e = await t.throwsAsync(client.getSchema('OVN_Northbound'), { instanceOf: OvsdbConnectionClosedError });
  t.true(e.cause instanceof OvsdbMessageTooLargeError);
  t.is(await client.session.closed instanceof OvsdbMessageTooLargeError, true);
});

test.serial('OvsdbClient on a frozen (SIGSTOPped) server: the probe drops it, calls without a timeout reject; defaultTimeoutMs bounds a call', async (t) => {
  const server = lab.ovs.servers[0];
  const probed = await OvsdbClient.connect(server.unix, { probeIntervalMs: 1000 });
  const timed = await OvsdbClient.connect(server.unix, { probeIntervalMs: 0, defaultTimeoutMs: 700 });
  t.teardown(async () => { await probed.close(); await timed.close(); });
  await probed.getSchema('Open_vSwitch'); // so the transaction goes out at once
  server.pause();
  try {
    const write = probed.transact('Open_vSwitch', [insert('Bridge', { name: 'br-frozen' })]);
    const read = probed.call('list_dbs', []);
    const timedRead = timed.call('list_dbs', []);
    const closed = await probed.session.closed;
    t.regex(String(closed?.message), /inactivity probe: nothing received for \d+ ms/);
    await t.throwsAsync(write, { instanceOf: OvsdbOutcomeUnknownError });
    const e = await t.throwsAsync(read, { instanceOf: OvsdbConnectionClosedError });
    t.false(e instanceof OvsdbOutcomeUnknownError);
    await t.throwsAsync(timedRead, { instanceOf: OvsdbCallTimeoutError });
  } finally {
    server.resume();
  }
  // Without the probe and a timeout the frozen server was simply waited for: the thawed one answers.
  t.deepEqual(await timed.echo('thawed'), ['thawed']);
});

async function fakePeer(script: (socket: net.Socket) => void): Promise<{ path: string; close(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'ovsdb-fake-'));
  const path = join(dir, 'fake.sock');
  const server = net.createServer(script);
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return { path, close: () => { server.close(); rmSync(dir, { recursive: true, force: true }); } };
}

test.serial('garbage from the peer ends the session with a protocol error, pending calls rejected', async (t) => {
  const peer = await fakePeer((s) => s.once('data', () => s.write('{"id":1,"result":[],"error":null} \x00\xff garbage')));
  t.teardown(() => peer.close());
  const client = await OvsdbClient.connect(`unix:${peer.path}`);
  const first = client.call('echo', []);
  const second = client.call('echo', []);
  t.deepEqual(await first, []);
  const e = await t.throwsAsync(second, { instanceOf: OvsdbConnectionClosedError });
  t.true(e.cause instanceof OvsdbProtocolError);
  t.regex((e.cause as Error).message, /unexpected byte 0x00/);
});

test.serial('a half-written message followed by EOF rejects the call; replies of the wrong shape are protocol errors', async (t) => {
  const half = await fakePeer((s) => s.once('data', () => s.end('{"id":1,"result":["trunc')));
  t.teardown(() => half.close());
  const c1 = await OvsdbClient.connect(`unix:${half.path}`);
  await t.throwsAsync(c1.call('echo', []), { instanceOf: OvsdbConnectionClosedError, message: /closed/ });

  const notObject = await fakePeer((s) => s.once('data', () => s.write('[1,2,3]')));
  t.teardown(() => notObject.close());
  const c2 = await OvsdbClient.connect(`unix:${notObject.path}`);
  const e = await t.throwsAsync(c2.call('echo', []), { instanceOf: OvsdbConnectionClosedError });
  t.regex((e.cause as Error).message, /must be an object/);

  // The server's own echo requests are answered with their params, in the same session.
  const prober = await fakePeer((s) => {
    s.write('{"id":"probe","method":"echo","params":["x",9007199254740993]}');
    s.once('data', (b) => s.end(`{"id":null,"method":"seen","params":[${JSON.stringify(b.toString())}]}`));
  });
  t.teardown(() => prober.close());
  const c3 = await OvsdbClient.connect(`unix:${prober.path}`);
  const seen = await new Promise<unknown>((resolve) => c3.session.onNotification('seen', resolve));
  t.deepEqual(seen, ['{"id":"probe","result":["x",9007199254740993],"error":null}']);
});

test.serial('RBAC: a connection with a role gets the real "permission error"', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ovsdb-rbac-'));
  const db = join(dir, 'sb.db');
  await runCommand('ovsdb-tool', ['create', db, '/usr/share/ovn/ovn-sb.ovsschema']);
  const admin = join(dir, 'admin.sock');
  const role = join(dir, 'role.sock');
  await runCommand('ovsdb-server', ['--detach', '--no-chdir', `--pidfile=${join(dir, 'pid')}`, `--unixctl=${join(dir, 'ctl')}`,
    `--log-file=${join(dir, 'log')}`, `--remote=punix:${admin}`, '--remote=db:OVN_Southbound,SB_Global,connections', db]);
  const pid = await readPidFile(join(dir, 'pid'));
  t.teardown(async () => { await terminate(pid); rmSync(dir, { recursive: true, force: true }); });
  const adminClient = await OvsdbClient.connect(`unix:${admin}`);
  t.teardown(() => adminClient.close());
  await adminClient.transact('OVN_Southbound', [
    insert('Connection', { target: `punix:${role}`, role: 'ovn-controller' }, { uuidName: 'c' }),
    insert('SB_Global', { connections: [new NamedUuid('c')] }),
  ]);
  await waitForUnixListener(role, 10_000);
  const restricted = await OvsdbClient.connect(`unix:${role}`);
  t.teardown(() => restricted.close());
  const e = await t.throwsAsync(restricted.transact('OVN_Southbound', [insert('Chassis', { name: 'hv-x', hostname: 'h' })]), { instanceOf: OvsdbPermissionError });
  t.is(e.code, 'OVSDB_PERMISSION');
  t.regex(e.details ?? '', /prohibit row insertion into table "Chassis"/);
});
