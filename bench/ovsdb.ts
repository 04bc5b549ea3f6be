// OVSDB suite: round-trip latency of `echo` and of a one-row transact, and one transaction inserting 10,000
// Logical_Switch rows, against a real ovsdb-server (a lab's standalone NB, unix socket), side by side with:
//   - raw floor: the same JSON text written straight to the socket, the reply read until JSON.parse succeeds;
//   - the Open vSwitch Python IDL (/usr/bin/python3, bench/peers/ovsdb_python.py);
//   - `ovsdb-client transact` (one process per transaction; only where the text fits one argument, 128 KiB).
// Run alone: node --import tsx bench/ovsdb.ts [--quick]
import { execFile } from 'node:child_process';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { startLab } from '../src/lab/index.js';
import { OvsdbClient, del, insert } from '../src/index.js';
import type { LogicalSwitch } from '../src/models/ovn-northbound.js';
import { collectGarbage } from './collect-garbage.js';
import { compare, type BenchComparison, type BenchMeasurement, type BenchSuite } from './result.js';
import { figure, loadAverages, median, roundsComparison, roundsMeasurement, roundsRange } from './statistics.js';

const SUITE = 'ovsdb';
const OURS = 'ovn-overlay';
const NB = 'OVN_Northbound';
const NB_SCHEMA = '/usr/share/ovn/ovn-nb.ovsschema';
const MAX_ARG_STRLEN = 128 * 1024;
const here = dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);


/** The floor: one socket, JSON.stringify'd text out, the reply collected until JSON.parse accepts it. */
class RawSocket {
  private chunks: Buffer[] = [];
  private waiter: ((v: unknown) => void) | undefined;
  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (b: Buffer) => {
      this.chunks.push(b);
      if (this.waiter && b[b.length - 1] === 0x7d) {
        let v: unknown;
        try { v = JSON.parse(Buffer.concat(this.chunks).toString('utf8')); } catch { return; }
        this.chunks = [];
        const w = this.waiter;
        this.waiter = undefined;
        w(v);
      }
    });
  }
  static async open(path: string): Promise<RawSocket> {
    const socket = net.connect({ path });
    await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
    return new RawSocket(socket);
  }
  call(text: string): Promise<unknown> {
    const p = new Promise<unknown>((resolve) => { this.waiter = resolve; });
    this.socket.write(text);
    return p;
  }
  close(): void { this.socket.destroy(); }
}

function bulkRows(prefix: string, n: number): Partial<LogicalSwitch>[] {
  const rows: Partial<LogicalSwitch>[] = new Array(n);
  for (let i = 0; i < n; i++) rows[i] = { name: `${prefix}-${i}`, external_ids: new Map([['owner', 'bench'], ['index', String(i)]]) };
  return rows;
}

function wireRows(prefix: string, n: number): object[] {
  const ops: object[] = new Array(n);
  for (let i = 0; i < n; i++) {
    ops[i] = { op: 'insert', table: 'Logical_Switch', row: { name: `${prefix}-${i}`, external_ids: ['map', [['index', String(i)], ['owner', 'bench']]] } };
  }
  return ops;
}

export const runOvsdbBench: BenchSuite = async ({ quick, progress }) => {
  const echoN = quick ? 300 : 3000;
  const txnN = quick ? 50 : 500;
  const bulkN = 10_000;
  const bulkRuns = quick ? 2 : 9;
  const pythonBulkRuns = quick ? 2 : 5;
  const measurements: BenchMeasurement[] = [];
  const comparisons: BenchComparison[] = [];
  const notes: string[] = [];
  const total = 4;
  let done = 0;
  const step = (label: string) => progress?.(++done, total, label);
  const add = (caseName: string, subject: string, metric: string, value: number, unit: string) =>
    measurements.push({ suite: SUITE, case: caseName, subject, metric, value, unit });

  const lab = await startLab({ northd: false });
  try {
    const path = lab.nb.servers[0].unix.slice('unix:'.length);
    const client = await OvsdbClient.connect(lab.nb.servers[0].unix);
    const raw = await RawSocket.open(path);
    const clear = () => client.transact(NB, [del('Logical_Switch', [])]);
    await clear();

    // echo round trip
    const ours: number[] = [];
    const floor: number[] = [];
    for (let i = 0; i < echoN; i++) {
      let t0 = performance.now();
      await client.echo('x');
      ours.push((performance.now() - t0) * 1000);
      t0 = performance.now();
      await raw.call(JSON.stringify({ id: i, method: 'echo', params: ['x'] }));
      floor.push((performance.now() - t0) * 1000);
    }
    step('echo');

    // one-row transact
    const oursTxn: number[] = [];
    const floorTxn: number[] = [];
    for (let i = 0; i < txnN; i++) {
      let t0 = performance.now();
      await client.transact(NB, [insert<LogicalSwitch>('Logical_Switch', { name: `one-${i}`, external_ids: new Map([['owner', 'bench']]) })]);
      oursTxn.push(performance.now() - t0);
      t0 = performance.now();
      await raw.call(JSON.stringify({ id: i, method: 'transact', params: [NB, ...wireRows(`raw-one-${i}`, 1)] }));
      floorTxn.push(performance.now() - t0);
    }
    await clear();
    const cliTxn: number[] = [];
    for (let i = 0; i < Math.min(txnN, quick ? 10 : 50); i++) {
      const t0 = performance.now();
      await run('ovsdb-client', ['transact', lab.nb.servers[0].unix, JSON.stringify([NB, ...wireRows(`cli-one-${i}`, 1)])]);
      cliTxn.push(performance.now() - t0);
    }
    await clear();
    step('one-row transact');

    // 10,000-row insert: ours and the floor in interleaved rounds (which goes first alternates), after one
    // untimed round of each (the floor's work is the engine's native JSON.stringify/parse, warm from the start;
    // ours is JavaScript the JIT compiles on its first large run). The floor's text is ready before its clock
    // starts: it only sends the bytes and awaits (and parses) the reply. Each timed run starts from a collected
    // heap, so neither side's clock runs while the other's garbage (10,000 rows, 1.2 MB of text) is collected.
    // Each run's CPU time of this process is kept too: what the client itself spent, whatever the load.
    const gc = collectGarbage();
    const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
    const oursBulk: number[] = [];
    const floorBulk: number[] = [];
    const oursCpu: number[] = [];
    const floorCpu: number[] = [];
    const oursOnce = async (r: number, times: number[], cpu: number[] = []) => {
      const rows = bulkRows(`ours-${r}`, bulkN);
      gc();
      const c0 = cpuMs();
      const t0 = performance.now();
      const results = await client.transact(NB, rows.map((row) => insert<LogicalSwitch>('Logical_Switch', row)));
      times.push(performance.now() - t0);
      cpu.push(cpuMs() - c0);
      if (results.length !== bulkN) throw new Error('short result');
      await clear();
    };
    const floorOnce = async (r: number, times: number[], cpu: number[] = []) => {
      const text = JSON.stringify({ id: `bulk-${r}`, method: 'transact', params: [NB, ...wireRows(`raw-${r}`, bulkN)] });
      gc();
      const c0 = cpuMs();
      const t0 = performance.now();
      const reply = await raw.call(text) as { result: unknown[] };
      times.push(performance.now() - t0);
      cpu.push(cpuMs() - c0);
      if (reply.result.length !== bulkN) throw new Error('short raw result');
      await clear();
    };
    await oursOnce(-1, []);
    await floorOnce(-1, []);
    for (let r = 0; r < bulkRuns; r++) {
      if (r % 2 === 0) { await oursOnce(r, oursBulk, oursCpu); await floorOnce(r, floorBulk, floorCpu); } else { await floorOnce(r, floorBulk, floorCpu); await oursOnce(r, oursBulk, oursCpu); }
    }
    const bulkText = JSON.stringify([NB, ...wireRows('cli', bulkN)]);
    notes.push(`ovsdb-client transact: the 10,000-row transaction is ${(bulkText.length / 1024).toFixed(0)} KiB of JSON, over Linux's ${MAX_ARG_STRLEN / 1024} KiB limit for one argument: not measured`);
    step('10,000-row insert');

    // Python IDL
    const { stdout } = await run('/usr/bin/python3', [join(here, 'peers', 'ovsdb_python.py'), lab.nb.servers[0].unix, NB_SCHEMA,
      String(quick ? 300 : 2000), String(txnN), String(bulkN), String(pythonBulkRuns)], { maxBuffer: 64 << 20 });
    const py = JSON.parse(stdout) as { echo_us: number[]; transact_ms: number[]; bulk_ms: number[] };
    step('python idl');
    raw.close();
    await client.close();

    const ECHO = 'echo round trip';
    const TXN = 'one-row transact round trip';
    const BULK = '10,000-row insert transaction';
    add(ECHO, OURS, 'median', median(ours), 'us');
    add(ECHO, 'raw floor', 'median', median(floor), 'us');
    add(ECHO, 'python-idl (ovs.jsonrpc)', 'median', median(py.echo_us), 'us');
    add(TXN, OURS, 'median', median(oursTxn), 'ms');
    add(TXN, 'raw floor', 'median', median(floorTxn), 'ms');
    add(TXN, 'python-idl', 'median', median(py.transact_ms), 'ms');
    add(TXN, 'ovsdb-client transact', 'median', median(cliTxn), 'ms');
    measurements.push(roundsMeasurement(SUITE, BULK, OURS, 'median', oursBulk, 'ms'), roundsMeasurement(SUITE, BULK, 'raw floor', 'median', floorBulk, 'ms'));
    add(BULK, 'python-idl', 'median', median(py.bulk_ms), 'ms');

    comparisons.push(compare(SUITE, ECHO, 'median', 'raw floor', median(ours), median(floor), false));
    comparisons.push(compare(SUITE, ECHO, 'median', 'python-idl (ovs.jsonrpc)', median(ours), median(py.echo_us), false));
    comparisons.push(compare(SUITE, TXN, 'median', 'raw floor', median(oursTxn), median(floorTxn), false));
    comparisons.push(compare(SUITE, TXN, 'median', 'python-idl', median(oursTxn), median(py.transact_ms), false));
    comparisons.push(compare(SUITE, TXN, 'median', 'ovsdb-client transact', median(oursTxn), median(cliTxn), false));
    const bulkVsFloor = roundsComparison(SUITE, BULK, 'median', 'raw floor (same transact bytes, reply awaited)', oursBulk, floorBulk, false,
      { text: '>= 0.9x the raw floor', minAdvantage: 0.9 }, 'ms');
    comparisons.push(bulkVsFloor);
    notes.push(`10,000-row insert: ${bulkRuns} interleaved rounds after an untimed one (ours, then the floor sending the same bytes; who goes first alternates; the table emptied and the heap collected before each run); ours/floor ${roundsRange(bulkVsFloor)}; `
      + `this process's CPU time per run (the client's own work, whatever the load): ours ${figure(median(oursCpu))} ms (${figure(Math.min(...oursCpu))}..${figure(Math.max(...oursCpu))}), `
      + `floor ${figure(median(floorCpu))} ms (${figure(Math.min(...floorCpu))}..${figure(Math.max(...floorCpu))}); the rest of each run is ovsdb-server's; load average ${loadAverages()}`);
    comparisons.push(compare(SUITE, BULK, 'median', 'python-idl', median(oursBulk), median(py.bulk_ms), false,
      { text: '>= 3x faster than the Python IDL', minAdvantage: 3 }));
    notes.push(`standalone ovsdb-server (${(await run('ovsdb-server', ['--version'])).stdout.split('\n')[0]}), unix socket; ours includes building, validating and encoding the operations and decoding the results`);
    notes.push(`runs: echo ${echoN}, one-row transact ${txnN}, 10,000-row insert ${bulkRuns} (median; the Python IDL ${pythonBulkRuns})`);
  } finally {
    await lab.stop();
  }
  return { suite: SUITE, measurements, comparisons, notes };
};

function fmt(v: number): string {
  const a = Math.abs(v);
  return a >= 1000 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toPrecision(3);
}

async function main(): Promise<void> {
  const res = await runOvsdbBench({ quick: process.argv.includes('--quick') });
  for (const m of res.measurements) console.log(`${m.case.padEnd(32)} ${m.subject.padEnd(26)} ${fmt(m.value).padStart(8)} ${m.unit}`);
  console.log('');
  for (const c of res.comparisons) {
    console.log(`${c.case} vs ${c.peer}: ${fmt(c.advantage)}x${c.target ? ` (target ${c.target}: ${c.met ? 'met' : 'NOT met'})` : ''}`);
  }
  for (const n of res.notes) console.log(`note: ${n}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => { console.error(e); process.exitCode = 1; });
}
