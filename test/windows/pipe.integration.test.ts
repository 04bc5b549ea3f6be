// The Windows leg, OVSDB over a named pipe: the built package under a real Windows node.exe (Wine), a real Linux
// ovsdb-server, and between them a real Windows named pipe served by the pipe bridge (src/lab/windows-pipe-bridge.ts,
// the one part that is not Open vSwitch: byte for byte to ovsdb-server's TCP port). docs/windows.md.
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { WindowsRuntime } from '../../src/lab/windows.js';
import { runCodecCheck, runSttCheck, type CodecCheck, type SttCheck } from './win/codec-check.js';
import {
  DriverError, INSTALLED_VSWITCH_SCHEMA, startVswitchServer, startWindowsLeg, type VswitchServer, type WindowsDriver,
} from './helpers.js';

let runtime: WindowsRuntime;
let driver: WindowsDriver;
let db: VswitchServer;

// The names OVS on Windows gives these `unix:` paths (lib/stream-windows.c: relative paths go under OVS_RUNDIR,
// then every '/' and '\' is removed and \\.\pipe\ put in front), written out by hand from that rule.
const ANTREA_DB_PATH = 'C:/openvswitch/var/run/openvswitch/db.sock'; // Antrea's default OVS run dir + db.sock
const ANTREA_DB_PIPE = '\\\\.\\pipe\\C:openvswitchvarrunopenvswitchdb.sock';

test.before(async () => {
  ({ runtime, driver } = await startWindowsLeg());
  db = await startVswitchServer(INSTALLED_VSWITCH_SCHEMA);
});

test.after.always(async () => {
  await driver?.stop();
  await runtime?.stop();
  await db?.stop();
});

test.serial('node.exe runs as Windows: win32, the pinned Node 22', (t) => {
  t.is(driver.hello.platform, 'win32');
  t.is(driver.hello.version, `v${runtime.pins.nodeWinX64.version}`);
  t.regex(driver.hello.version, /^v22\./);
});

test.serial('unix: paths map to the pipe names OVS on Windows uses, under node.exe', async (t) => {
  const cases = [
    { path: ANTREA_DB_PATH },
    { path: 'C:\\ProgramData\\openvswitch\\db.sock' },
    { path: 'C:\\\\a//b\\/c.sock' },
    { path: 'db.sock', runDir: 'C:/ovs/run' },
    { path: 'sub/ovnnb_db.sock', runDir: 'D:\\ovn\\run' },
    { path: 'db.sock' }, // OVS_RUNDIR unset: the default run dir
    { path: 'C:/run/db*.sock' },
    { path: 'C:/run/a|b.sock' },
    { path: 'C:/run/\u0001.sock' },
    { path: `C:/${'x'.repeat(245)}` },
    { path: `C:/${'x'.repeat(246)}` },
  ];
  const got = await driver.call<({ name: string } | { error: { code: string; message: string } })[]>('pipeNames', { cases });
  t.deepEqual(got.slice(0, 6), [
    { name: ANTREA_DB_PIPE },
    { name: '\\\\.\\pipe\\C:ProgramDataopenvswitchdb.sock' },
    { name: '\\\\.\\pipe\\C:abc.sock' },
    { name: '\\\\.\\pipe\\C:ovsrundb.sock' },
    { name: '\\\\.\\pipe\\D:ovnrunsubovnnb_db.sock' },
    { name: ANTREA_DB_PIPE },
  ]);
  for (const [i, shown] of [[6, '"*"'], [7, '"|"'], [8, '"\\u0001"']] as const) {
    const r = got[i] as { error: { code: string; message: string } };
    t.is(r.error?.code, 'OVSDB_BAD_REMOTE', JSON.stringify(r));
    t.true(r.error.message.includes(`"unix:${cases[i].path}"`) && r.error.message.includes(`${shown} cannot be part of a Windows path`), r.error.message);
  }
  t.deepEqual(got[9], { name: `\\\\.\\pipe\\C:${'x'.repeat(245)}` }, '256 characters is the longest name');
  t.is((got[9] as { name: string }).name.length, 256);
  t.is((got[10] as { error: { code: string } }).error?.code, 'OVSDB_BAD_REMOTE');
});

test.serial('OVS_RUNDIR of the Windows process names relative paths; empty counts as unset', async (t) => {
  const got = await driver.call<{ name: string }[]>('pipeNames', {
    cases: [{ path: 'ovnsb_db.sock' }, { path: 'ovnsb_db.sock', runDir: '' }], env: { OVS_RUNDIR: 'E:\\ovs\\var\\run' },
  });
  t.deepEqual(got, [{ name: '\\\\.\\pipe\\E:ovsvarrunovnsb_db.sock' }, { name: '\\\\.\\pipe\\E:ovsvarrunovnsb_db.sock' }]);
  const unset = await driver.call<{ name: string }[]>('pipeNames', { cases: [{ path: 'db.sock' }], env: { OVS_RUNDIR: '' } });
  t.deepEqual(unset, [{ name: ANTREA_DB_PIPE }]);
});

test.serial('an OvsdbClient session through the pipe: list_dbs, transact with 64-bit values, monitor', async (t) => {
  const bridge = await runtime.startPipeBridge({ pipeName: ANTREA_DB_PIPE, tcpPort: db.port, markerPath: ANTREA_DB_PATH });
  try {
    const handle = await driver.call<number>('connect', { remote: `unix:${ANTREA_DB_PATH}` });
    t.deepEqual((await driver.call<string[]>('listDbs', { handle })).sort(), ['Open_vSwitch', '_Server']);

    // 2^63-1 and -2^53-1: neither fits a double.
    const nextCfg = 9223372036854775807n;
    const curCfg = -9007199254740993n;
    t.is(await driver.call<number>('writeCfg', { handle, nextCfg, curCfg }), 1, 'one row updated');
    t.deepEqual(await driver.call('readCfg', { handle }), { next_cfg: nextCfg, cur_cfg: curCfg });
    // ovsdb-server holds exactly what node.exe sent.
    t.is((await db.vsctl('get', 'Open_vSwitch', '.', 'next_cfg')).trim(), nextCfg.toString());
    t.is((await db.vsctl('get', 'Open_vSwitch', '.', 'cur_cfg')).trim(), curCfg.toString());

    t.deepEqual(await driver.call('monitorBridges', { handle }), []);
    const mark = driver.seen.length;
    await db.vsctl('add-br', 'br-win');
    const seen = await driver.waitForEvent<{ handle: number; names: string[] }>('bridges', (d) => d.handle === handle && d.names.includes('br-win'), 20_000, mark);
    t.deepEqual(seen.names, ['br-win']);
    await db.vsctl('del-br', 'br-win');
    await driver.waitForEvent<{ handle: number; names: string[] }>('bridges', (d) => d.handle === handle && d.names.length === 0, 20_000, mark);
    await driver.call('close', { handle });
    t.regex(bridge.process.output(), /open 1\b/);
  } finally {
    await bridge.stop();
  }
});

test.serial('the replica reconnects when the pipe server goes away and comes back, and sees what it missed', async (t) => {
  const pipeName = '\\\\.\\pipe\\C:ovsrundb.sock';
  let bridge = await runtime.startPipeBridge({ pipeName, tcpPort: db.port, name: 'bridge-a' });
  const handle = await driver.call<number>('replicaOpen', { remote: 'unix:db.sock', probeIntervalMs: 0, runDir: 'C:/ovs/run' });
  try {
    t.deepEqual(await driver.call('replicaSynced', { handle }), []);
    let mark = driver.seen.length;
    await db.vsctl('add-br', 'br-before');
    await driver.waitForEvent<{ handle: number; names: string[] }>('replica-bridges', (d) => d.handle === handle && d.names.includes('br-before'), 20_000, mark);

    mark = driver.seen.length;
    await bridge.process.stop(); // the pipe server goes away (ended by PID): every pipe connection closes
    await driver.waitForEvent<{ handle: number; state: string }>('replica-state', (d) => d.handle === handle && d.state === 'backoff', 20_000, mark);
    await db.vsctl('add-br', 'br-while-away');
    await db.vsctl('del-br', 'br-before');

    mark = driver.seen.length;
    bridge = await runtime.startPipeBridge({ pipeName, tcpPort: db.port, name: 'bridge-b' });
    const back = await driver.waitForEvent<{ handle: number; names: string[] }>('replica-bridges',
      (d) => d.handle === handle && d.names.includes('br-while-away'), 20_000, mark);
    t.deepEqual(back.names, ['br-while-away']);
    const status = await driver.call<{ state: string; stats: { connects: number; disconnects: number } }>('replicaStatus', { handle });
    t.is(status.state, 'connected');
    t.is(status.stats.connects, 2);
    t.is(status.stats.disconnects, 1);
  } finally {
    await driver.call('replicaClose', { handle });
    await bridge.stop();
    await db.vsctl('--if-exists', 'del-br', 'br-while-away');
  }
});

test.serial('inactivity probe: an idle peer that answers echo stays connected; a frozen pipe server is dropped and rejoined', async (t) => {
  const pipeName = '\\\\.\\pipe\\C:probedb.sock';
  const bridge = await runtime.startPipeBridge({ pipeName, tcpPort: db.port, name: 'bridge-probe' });
  // Long enough that a loaded 2-core machine (load average 35 seen) answers an echo within half of it: at 600 ms an
  // idle connection was once dropped in a full run, the reply having taken over 300 ms through Wine.
  const probeIntervalMs = 2000;
  const handle = await driver.call<number>('replicaOpen', { remote: 'unix:C:/probe/db.sock', probeIntervalMs });
  try {
    await driver.call('replicaSynced', { handle });
    // Idle for three intervals: echo requests go out after half an interval of silence and ovsdb-server answers.
    const idleFrom = driver.seen.length;
    await new Promise((r) => setTimeout(r, 3 * probeIntervalMs));
    const idle = await driver.call<{ state: string; stats: { disconnects: number } }>('replicaStatus', { handle });
    const drops = driver.seen.slice(idleFrom).filter((e) => e.name === 'replica-disconnected');
    t.is(idle.state, 'connected');
    t.is(idle.stats.disconnects, 0, `answered probes keep the connection; dropped: ${JSON.stringify(drops)}`);

    // SIGSTOP the pipe server: the pipe stays open and nothing moves, as with a hung ovsdb-server.
    const mark = driver.seen.length;
    const frozenAt = Date.now();
    bridge.process.freeze();
    let reason: { reason: { message: string } };
    try {
      reason = await driver.waitForEvent<{ handle: number; reason: { message: string } }>('replica-disconnected', (d) => d.handle === handle, 5 * probeIntervalMs, mark);
    } finally {
      bridge.process.thaw();
    }
    t.regex(reason.reason.message, /inactivity probe/);
    t.true(Date.now() - frozenAt < 4 * probeIntervalMs, `dropped after ${Date.now() - frozenAt} ms`);
    await driver.waitForEvent<{ handle: number; state: string }>('replica-state', (d) => d.handle === handle && d.state === 'connected', 20_000, mark);
    await db.vsctl('add-br', 'br-after-probe');
    await driver.waitForEvent<{ handle: number; names: string[] }>('replica-bridges', (d) => d.handle === handle && d.names.includes('br-after-probe'), 20_000, mark);
    t.pass();
  } finally {
    await driver.call('replicaClose', { handle });
    await bridge.stop();
    await db.vsctl('--if-exists', 'del-br', 'br-after-probe');
  }
});

test.serial('a pipe that does not exist: one error naming the pipe and the unix: remote', async (t) => {
  const e = await driver.call<{ name: string; code: string; message: string; remote: string }>('connectError', { remote: 'unix:C:/nowhere/db.sock' });
  t.is(e.name, 'OvsdbConnectError');
  t.is(e.code, 'OVSDB_CONNECT');
  t.is(e.remote, 'unix:C:/nowhere/db.sock');
  t.is(e.message, 'cannot connect to unix:C:/nowhere/db.sock: named pipe \\\\.\\pipe\\C:nowheredb.sock does not exist (no OVSDB server serves it)');
});

test.serial('a unix: path that cannot name a pipe is refused before connecting', async (t) => {
  const e = await driver.call<{ name: string; code: string; message: string }>('connectError', { remote: 'unix:C:/run/ovs?.sock' });
  t.is(e.name, 'OvsdbRemoteError');
  t.is(e.code, 'OVSDB_BAD_REMOTE');
  t.regex(e.message, /unix:C:\/run\/ovs\?\.sock/);
  const err = await t.throwsAsync(driver.call('connect', { remote: `unix:C:/${'y'.repeat(300)}` }), { instanceOf: DriverError });
  t.is(err?.code, 'OVSDB_BAD_REMOTE');
});

test.serial('the codecs produce the same bytes under node.exe as on Linux (Geneve, VXLAN, STT), and as OVS', async (t) => {
  const fixtures = fileURLToPath(new URL('../../fixtures/codecs/', import.meta.url));
  const got = await driver.call<{ ovs: CodecCheck[]; stt: SttCheck }>('codecs', { fixtures: `Z:${fixtures.replace(/\//g, '\\')}` });
  const windows = got.ovs;
  t.deepEqual(windows, runCodecCheck(fixtures));
  t.deepEqual(got.stt, runSttCheck());
  t.is(got.stt.reason, 'Ok');
  t.is(got.stt.segments.length, 3, '3000 bytes + the STT header over an MSS of 1448');
  t.deepEqual(got.stt.reassembly, { simdChecksum: true, reasons: ['Pending', 'Pending', 'Ok'], innerMatches: true, corrupted: 'BadL4Checksum' },
    'node.exe reassembles with the WebAssembly SIMD checksum, and it refuses a corrupted segment');
  t.true(windows.length >= 5);
  for (const c of windows) {
    t.is(c.decoded.reason, 'Ok', c.name);
    t.is(c.encoded, c.ovs, `${c.name}: re-encoded under node.exe equals the frame ovs-vswitchd made`);
  }
});

test.serial('stopping the runtime leaves no Wine process of its prefix', async (t) => {
  // A second runtime (no build: a script of its own that serves a pipe), stopped here, so the check does not
  // depend on this file's own after() hook.
  const other = await WindowsRuntime.start({ build: false });
  const server = other.runNode(`${other.dir}/serve.cjs`, [], { name: 'serve' },
    "require('net').createServer(() => {}).listen('\\\\\\\\.\\\\pipe\\\\leak-check', () => console.log('listening'));");
  await server.waitForOutput(/listening/);
  t.true(other.prefixProcesses().includes(server.pid));
  t.true(other.prefixProcesses().length > 1, 'wineserver and the services Wine starts run too');
  await other.stop();
  t.deepEqual(other.prefixProcesses(), []);
});
