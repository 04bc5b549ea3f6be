// Replica bench: initial sync of N Logical_Switch_Port rows (time to synced, memory per row) against the raw
// monitor_cond floor, `ovsdb-client dump`, `ovsdb-client monitor-cond` and the Python IDL; 10,000 single-row
// updates in one transaction until applied, against the Python IDL and `ovsdb-client monitor-cond` (until its
// output shows the last update); index lookups by a non-key column in 200,000
// rows against a scan; and the leader failover gap against the Python IDL with leader_only=True.
// `node --import tsx bench/replica.ts [--quick]`
import { spawn } from 'node:child_process';
import { connect as netConnect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { electedAt, logMarks } from '../test/replica/failover-timeline.js';
import { runInNewContext } from 'node:vm';
import { startLab, type Lab } from '../src/lab/index.js';
import { OvsdbClient } from '../src/ovsdb/client.js';
import { OvsdbDatabase } from '../src/ovsdb/database.js';
import { NamedUuid } from '../src/ovsdb/datum.js';
import { JsonSplitter } from '../src/ovsdb/framing.js';
import { ops, type OperationBase } from '../src/ovsdb/operations.js';
import { Replica } from '../src/ovsdb/replica.js';
import { parseSchema } from '../src/ovsdb/schema.js';
import type { Json } from '../src/ovsdb/json.js';
import { NorthboundSchema, type NorthboundTables } from '../src/models/ovn-northbound.js';
import { compare, type BenchComparison, type BenchMeasurement, type BenchOptions, type BenchSuite, type BenchSuiteResult } from './result.js';
import { figure, loadAverages, median, percentile, roundsComparison, roundsMeasurement, roundsRange } from './statistics.js';

const SUITE = 'replica';
const here = dirname(fileURLToPath(import.meta.url));
const PY = '/usr/bin/python3';
const PEER = join(here, 'peers', 'replica_python_idl.py');

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * The replica on the lab's unix socket set as OVS's own clients are there (no probe on unix sockets, as
 * stream_or_pstream_needs_probes decides for the Python IDL and ovsdb-client) and with a setup timeout above the
 * time the server takes to build a 100,000-row reply: on a loaded machine ovsdb-server spent 11-13 s in one poll
 * building it, and with the defaults (5 s probe, 5 s setup timeout) the replica dropped the connection and asked
 * again forever (seen in the server's log: "Unreasonably long 11330ms poll interval", then "Broken pipe").
 */
const UNIX_LIKE_OVS = { probeIntervalMs: 0, setupTimeoutMs: 300_000 } as const;
// The writers (OvsdbClient, probed like the replica since it got the replica's probe) likewise: the server is
// silent for seconds while it commits 10,000 updates on a loaded machine.

/** Runs a command; resolves with stdout; `onLine` sees each stdout line as it arrives. */
function run(cmd: string, args: string[], onLine?: (line: string, kill: () => void) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let partial = '';
    child.stdout.on('data', (c: Buffer) => {
      const s = c.toString();
      out += s;
      if (!onLine) return;
      partial += s;
      const lines = partial.split('\n');
      partial = lines.pop()!;
      for (const l of lines) onLine(l, () => child.kill('SIGKILL'));
    });
    child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    child.on('error', reject);
    child.on('close', (code, signal) => (code === 0 || signal === 'SIGKILL' ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')}: ${code} ${err.slice(0, 500)}`))));
  });
}

/** Fills NB with `n` ports on one switch, 5,000 per transaction. */
async function populate(remote: string, n: number): Promise<void> {
  const client = await OvsdbClient.connect(remote, { probeIntervalMs: 0 });
  await client.transact('OVN_Northbound', [ops.insert('Logical_Switch', { name: 'bench' })]);
  for (let base = 0; base < n; base += 5000) {
    const batch: OperationBase<unknown>[] = [];
    const names: NamedUuid[] = [];
    for (let i = base; i < Math.min(n, base + 5000); i++) {
      const mac = `0a:58:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}:01`;
      const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      batch.push(ops.insert('Logical_Switch_Port', {
        name: `ns_pod${i}`, addresses: [`${mac} ${ip}`], port_security: [`${mac} ${ip}`],
        external_ids: { namespace: 'ns', pod: `pod${i}`, 'iface-id': `ns_pod${i}` }, options: { 'requested-chassis': `node${i % 50}` },
      }, { uuidName: `p${i}` }));
      names.push(new NamedUuid(`p${i}`));
    }
    batch.push(ops.mutate('Logical_Switch', [['name', '==', 'bench']], [['ports', 'insert', names]]));
    await client.transact('OVN_Northbound', batch);
  }
  await client.close();
}

/**
 * The columns the replica asks for when it monitors every column of a table: all but `_uuid` and `_version`
 * (a monitor request without "columns" gets `_version` too, a UUID more per row to build, send and parse).
 */
function replicatedColumns(table: string): string[] {
  const schema = parseSchema(NorthboundSchema as unknown as Json);
  return new Replica(schema).addTable(table).columnNames;
}

/**
 * The floor: the same monitor_cond request on a raw socket (the same columns as the replica's), its reply read to
 * the last byte and JSON.parse'd (no replica work): what reading and parsing the same bytes costs in this process.
 */
async function rawMonitorFloor(socketPath: string): Promise<{ ms: number; cpuMs: number }> {
  const columns = replicatedColumns('Logical_Switch_Port');
  gc(); // as ours: neither clock runs while an earlier run's garbage is collected
  return new Promise((resolve, reject) => {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const s = netConnect({ path: socketPath }, () => {
      s.write(JSON.stringify({ id: 1, method: 'monitor_cond', params: ['OVN_Northbound', null, { Logical_Switch_Port: [{ columns }] }] }));
    });
    const splitter = new JsonSplitter({ maxMessageBytes: 2 ** 30 });
    s.on('data', (c: Buffer) => splitter.push(c, (bytes) => {
      const reply = JSON.parse(bytes.toString('utf8')) as { result?: unknown };
      const ms = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      s.destroy();
      if (reply.result === undefined) reject(new Error('monitor_cond failed'));
      else resolve({ ms, cpuMs: (cpu.user + cpu.system) / 1000 });
    }));
    s.on('error', reject);
  });
}

async function oursSync(remote: string): Promise<{ ms: number; cpuMs: number; bytesPerRow: number; rows: number }> {
  gc();
  const before = process.memoryUsage().heapUsed;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const db = OvsdbDatabase.connect<NorthboundTables>({ remotes: remote, database: 'OVN_Northbound', tables: { Logical_Switch_Port: {} }, ...UNIX_LIKE_OVS });
  await db.synced;
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  gc();
  const table = db.table('Logical_Switch_Port');
  const rows = table.size;
  const bytesPerRow = (process.memoryUsage().heapUsed - before) / rows;
  if (table.get(table.all()[0]._uuid) === undefined) throw new Error('replica lost its rows');
  await db.close();
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, bytesPerRow, rows };
}

async function monitorCondSync(remote: string, rows: number): Promise<number> {
  const t0 = performance.now();
  let lines = 0;
  let ms = NaN;
  await run('ovsdb-client', ['--format=csv', 'monitor-cond', remote, 'OVN_Northbound', '[true]', 'Logical_Switch_Port'], (_l, kill) => {
    if (++lines >= rows + 1 && Number.isNaN(ms)) { ms = performance.now() - t0; kill(); }
  });
  return ms;
}

async function timed(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

/** 10,000 single-row updates in one transaction, written by another client; ms until our replica applied them. */
async function oursUpdates(remote: string, n: number, tag: string): Promise<number> {
  const db = OvsdbDatabase.connect<NorthboundTables>({ remotes: remote, database: 'OVN_Northbound', tables: { Logical_Switch_Port: {} }, ...UNIX_LIKE_OVS });
  await db.synced;
  const uuids = db.table('Logical_Switch_Port').all().slice(0, n).map((r) => r._uuid);
  const writer = await OvsdbClient.connect(remote, { probeIntervalMs: 0 });
  let seen = 0;
  let doneAt = 0;
  const done = new Promise<void>((resolve) => db.on('change', (c) => {
    for (const x of c) if (x.table === 'Logical_Switch_Port' && x.kind === 'update' && x.new.external_ids.get('bench') === tag) seen++;
    if (seen >= n && !doneAt) { doneAt = performance.now(); resolve(); }
  }));
  const t0 = performance.now();
  await writer.transact('OVN_Northbound', uuids.map((u) => ops.mutate('Logical_Switch_Port', [['_uuid', '==', u]], [['external_ids', 'delete', ['bench']], ['external_ids', 'insert', new Map([['bench', tag]])]])));
  await done;
  await writer.close();
  await db.close();
  return doneAt - t0;
}

async function pythonUpdates(remote: string, n: number): Promise<number> {
  let t0 = 0;
  let result = NaN;
  const writer = await OvsdbClient.connect(remote, { probeIntervalMs: 0 });
  const select = await writer.transact('OVN_Northbound', [ops.select('Logical_Switch_Port', [], ['_uuid'])]);
  const uuids = select[0].rows.slice(0, n).map((r) => r._uuid as string);
  await run(PY, [PEER, 'updates', remote, String(n)], (line) => {
    if (line === 'ready') {
      t0 = Date.now();
      void writer.transact('OVN_Northbound', uuids.map((u) => ops.mutate('Logical_Switch_Port', [['_uuid', '==', u]], [['external_ids', 'delete', ['bench']], ['external_ids', 'insert', new Map([['bench', 'v2']])]])));
    } else if (line.startsWith('{')) {
      result = (JSON.parse(line) as { done_at_ms: number }).done_at_ms - t0;
    }
  });
  await writer.close();
  return result;
}

/** Counts occurrences of `needle` in a stream of chunks (an occurrence may straddle two chunks). */
function occurrences(needle: string): { push(chunk: string): void; readonly count: number } {
  let tail = '';
  let count = 0;
  return {
    push(chunk: string) {
      const text = tail + chunk;
      for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + needle.length)) count++;
      tail = text.slice(-(needle.length - 1));
    },
    get count() { return count; },
  };
}

/**
 * `ovsdb-client monitor-cond` on the same table while another client writes the same transaction of `n`
 * single-row updates: ms from sending it until the client's output shows the last update (its csv prints one
 * `modify` line per row carrying the changed key, `bench=<tag>`). The clock starts once the initial rows are out.
 */
async function monitorCondUpdates(remote: string, n: number, tag: string): Promise<number> {
  const writer = await OvsdbClient.connect(remote, { probeIntervalMs: 0 });
  try {
    const select = await writer.transact('OVN_Northbound', [ops.select('Logical_Switch_Port', [], ['_uuid'])]);
    const all = select[0].rows.map((r) => r._uuid as string);
    const uuids = all.slice(0, n);
    return await new Promise<number>((resolve, reject) => {
      const child = spawn('ovsdb-client', ['--format=csv', 'monitor-cond', remote, 'OVN_Northbound', '[true]', 'Logical_Switch_Port'], { stdio: ['ignore', 'pipe', 'pipe'] });
      const initial = occurrences(',initial,');
      const updated = occurrences(`bench=${tag}`);
      let t0 = 0;
      let err = '';
      child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
      child.on('error', reject);
      child.on('close', (code) => reject(new Error(`ovsdb-client monitor-cond ended (${code}) before ${n} updates: ${err.slice(0, 300)}`)));
      child.stdout.on('data', (c: Buffer) => {
        const text = c.toString('latin1');
        if (!t0) {
          initial.push(text);
          if (initial.count >= all.length) {
            t0 = performance.now();
            writer.transact('OVN_Northbound', uuids.map((u) => ops.mutate('Logical_Switch_Port', [['_uuid', '==', u]],
              [['external_ids', 'delete', ['bench']], ['external_ids', 'insert', new Map([['bench', tag]])]]))).catch(reject);
          }
          return;
        }
        updated.push(text);
        if (updated.count >= n) {
          const ms = performance.now() - t0;
          child.removeAllListeners('close');
          child.kill('SIGKILL');
          resolve(ms);
        }
      });
    });
  } finally {
    await writer.close();
  }
}

/** 40 lookups by a non-key column (external_ids:pod) in `rows` rows: the index against a scan. */
function lookups(rows: number): { indexMs: number; scanMs: number } {
  const schema = parseSchema(NorthboundSchema as unknown as Json);
  const replica = new Replica(schema);
  const t = replica.addTable('Logical_Switch_Port', { indexes: { byPod: { column: 'external_ids', key: 'pod' } } });
  const updates: Record<string, Json> = {};
  for (let i = 0; i < rows; i++) {
    const uuid = `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
    updates[uuid] = { initial: { name: `ns_pod${i}`, external_ids: ['map', [['pod', `pod${i}`], ['namespace', 'ns']]] } };
  }
  replica.replaceTables(2, { Logical_Switch_Port: updates }, ['Logical_Switch_Port'], undefined);
  const idx = t.indexes.get('byPod')!;
  const keys = Array.from({ length: 40 }, (_, k) => `pod${Math.floor((k * rows) / 40)}`);
  let t0 = performance.now();
  let found = 0;
  for (const k of keys) found += idx.lookup(k).length;
  const indexMs = performance.now() - t0;
  t0 = performance.now();
  for (const k of keys) for (const r of t.rows.values()) if ((r.external_ids as Map<string, string>).get('pod') === k) found++;
  const scanMs = performance.now() - t0;
  if (found !== 80) throw new Error(`lookups found ${found}`);
  return { indexMs, scanMs };
}

/**
 * Each kill's gaps (ms from the SIGKILL to the first commit) and the election the servers logged (kill to
 * "elected leader"; undefined when no surviving server logged one), index k of each for kill k.
 */
interface FailoverGaps { ours: number[]; python: number[]; elections: (number | undefined)[] }

/**
 * Leader kills under two writers at once, ours (OvsdbDatabase, leader-only) and the Python IDL (leader_only=True),
 * each inserting a row every ~10 ms: both see the same kill and the same election, so each kill is one
 * interleaved round. Gap = kill to the writer's first commit after it; the election time (kill to "elected
 * leader" in a surviving server's log) is the servers' share of it.
 */
async function failover(kills: number, electionTimerMs: number): Promise<FailoverGaps> {
  const lab = await startLab({ clustered: true, northd: false, electionTimerMs });
  const gaps: FailoverGaps = { ours: [], python: [], elections: [] };
  let stopPython: (() => void) | undefined;
  try {
    const db = OvsdbDatabase.connect<NorthboundTables>({ remotes: lab.nb.tcp, database: 'OVN_Northbound', tables: { Logical_Switch: { columns: ['name'] } } });
    await db.synced;
    const commits: number[] = [];
    const pyCommits: number[] = [];
    let running = true;
    let i = 0;
    const loop = (async () => {
      while (running) {
        try { await db.transact([ops.insert('Logical_Switch', { name: `o${i++}` })]); commits.push(Date.now()); } catch { /* outcome unknown */ }
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const py = run(PY, [PEER, 'failover', lab.nb.tcp, String(kills * 30 + 30)], (line, kill) => {
      stopPython = kill;
      if (line.startsWith('{')) pyCommits.push((JSON.parse(line) as { commit_at_ms: number }).commit_at_ms);
    });
    const after = (xs: number[], at: number) => xs.find((c) => c > at);
    while (pyCommits.length < 20 || commits.length < 20) await new Promise((r) => setTimeout(r, 20));
    for (let k = 0; k < kills; k++) {
      const leader = await lab.nb.leader();
      const survivors = lab.nb.servers.filter((s) => s !== leader);
      const marks = await logMarks(survivors);
      const at = Date.now();
      await leader.kill();
      const deadline = at + 20_000;
      while ((after(commits, at) === undefined || after(pyCommits, at) === undefined) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      gaps.ours.push((after(commits, at) ?? Date.now()) - at);
      gaps.python.push((after(pyCommits, at) ?? Date.now()) - at);
      const elected = await electedAt(survivors, marks, at);
      gaps.elections.push(elected === undefined ? undefined : elected - at);
      await leader.restart();
      // both writers commit again through the restarted cluster before the next kill
      const settled = Date.now();
      while ((after(commits, settled) === undefined || after(pyCommits, settled) === undefined) && Date.now() < settled + 20_000) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 300));
    }
    running = false;
    await loop;
    stopPython?.();
    await py;
    await db.close();
    return gaps;
  } finally {
    stopPython?.();
    await lab.stop();
  }
}

export const runReplicaBench: BenchSuite = async (options: BenchOptions): Promise<BenchSuiteResult> => {
  const quick = options.quick;
  const rows = quick ? 10_000 : 100_000;
  const updates = quick ? 2_000 : 10_000;
  const lookupRows = quick ? 50_000 : 200_000;
  const kills = quick ? 1 : 8;
  const rounds = quick ? 2 : 5;
  const measurements: BenchMeasurement[] = [];
  const comparisons: BenchComparison[] = [];
  const notes: string[] = [];
  const m = (c: string, subject: string, metric: string, value: number, unit: string) => measurements.push({ suite: SUITE, case: c, subject, metric, value, unit });
  const total = 6;
  let step = 0;
  const progress = (label: string) => options.progress?.(step++, total, label);

  let lab: Lab | undefined;
  try {
    progress('populate');
    lab = await startLab({ northd: false });
    const remote = lab.nb.unix;
    await populate(remote, rows);

    progress('initial sync');
    const syncCase = `initial sync ${rows} Logical_Switch_Port`;
    // Interleaved rounds, the order rotating, so each round's ratios compare runs made under the same load.
    const floorMs: number[] = [];
    const oursMs: number[] = [];
    const mcMs: number[] = [];
    // This process's CPU time over each run of ours and the floor: the client's own work, whatever the load.
    const oursCpu: number[] = [];
    const floorCpu: number[] = [];
    let bytesPerRow = NaN;
    const subjects: Array<() => Promise<void>> = [
      async () => {
        const r = await rawMonitorFloor(remote.slice('unix:'.length));
        floorMs.push(r.ms);
        floorCpu.push(r.cpuMs);
      },
      async () => {
        const r = await oursSync(remote);
        oursMs.push(r.ms);
        oursCpu.push(r.cpuMs);
        // memory from the first run alone: a later baseline may still hold an earlier replica
        if (Number.isNaN(bytesPerRow)) bytesPerRow = r.bytesPerRow;
      },
      async () => { mcMs.push(await monitorCondSync(remote, rows)); },
    ];
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < subjects.length; k++) await subjects[(round + k) % subjects.length]();
    }
    const dumpMs = await timed(() => run('ovsdb-client', ['dump', remote, 'OVN_Northbound', 'Logical_Switch_Port']));
    const py = JSON.parse((await run(PY, [PEER, 'sync', remote])).trim()) as { sync_ms: number; rss_kib: number; rows: number };
    const oursMedian = median(oursMs);
    measurements.push(
      roundsMeasurement(SUITE, syncCase, 'ovn-overlay', 'time to synced', oursMs, 'ms'),
      roundsMeasurement(SUITE, syncCase, 'raw monitor_cond floor', 'time to the reply parsed', floorMs, 'ms'),
      roundsMeasurement(SUITE, syncCase, 'ovsdb-client monitor-cond', 'time to initial rows', mcMs, 'ms'),
    );
    m(syncCase, 'ovn-overlay', 'memory per row', bytesPerRow, 'B');
    m(syncCase, 'ovsdb-client dump', 'time', dumpMs, 'ms');
    m(syncCase, 'python-idl', 'time to synced', py.sync_ms, 'ms');
    m(syncCase, 'python-idl', 'memory per row (RSS)', (py.rss_kib * 1024) / py.rows, 'B');
    const vsFloor = roundsComparison(SUITE, syncCase, 'time to synced', 'raw monitor_cond floor (read + JSON.parse)', oursMs, floorMs, false,
      { text: '>= 0.9x the raw floor', minAdvantage: 0.9 }, 'ms');
    const vsMonitorCond = roundsComparison(SUITE, syncCase, 'time to synced', 'ovsdb-client monitor-cond', oursMs, mcMs, false,
      { text: 'faster than ovsdb-client monitor-cond', minAdvantage: 1 }, 'ms');
    comparisons.push(
      vsFloor, vsMonitorCond,
      compare(SUITE, syncCase, 'time to synced', 'ovsdb-client dump', oursMedian, dumpMs, false),
      compare(SUITE, syncCase, 'time to synced', 'python-idl', oursMedian, py.sync_ms, false, { text: 'faster than the Python IDL', minAdvantage: 1 }),
      compare(SUITE, syncCase, 'memory per row', 'python-idl', bytesPerRow, (py.rss_kib * 1024) / py.rows, false, { text: 'less memory than the Python IDL', minAdvantage: 1 }),
    );
    notes.push(`initial sync: ${rounds} interleaved rounds of the floor, ours and ovsdb-client monitor-cond (order rotating); the floor asks for the columns the replica asks for (every one but _uuid and _version); `
      + `ours ${figure(oursMedian)} ms (${figure(Math.min(...oursMs))}..${figure(Math.max(...oursMs))}), floor ${figure(median(floorMs))} ms, monitor-cond ${figure(median(mcMs))} ms; `
      + `ours/floor ${roundsRange(vsFloor)}, vs monitor-cond ${roundsRange(vsMonitorCond)}; `
      + `this process's CPU time per run: ours ${figure(median(oursCpu))} ms (${figure(Math.min(...oursCpu))}..${figure(Math.max(...oursCpu))}), floor ${figure(median(floorCpu))} ms `
      + `(${figure(Math.min(...floorCpu))}..${figure(Math.max(...floorCpu))}), the rest of each run is ovsdb-server's; load average ${loadAverages()}`);
    notes.push(`memory per row: ours = V8 heap growth after GC / rows; Python = RSS growth / rows (includes the interpreter's allocator slack).`);

    progress('updates');
    const updCase = `${updates} single-row updates in one transaction`;
    // Ours and ovsdb-client monitor-cond in interleaved rounds (who goes first alternates), as the initial sync.
    const oursUpds: number[] = [];
    const mcUpds: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const oursRun = async () => { oursUpds.push(await oursUpdates(remote, updates, `a${round}`)); };
      const mcRun = async () => { mcUpds.push(await monitorCondUpdates(remote, updates, `c${round}`)); };
      if (round % 2 === 0) { await oursRun(); await mcRun(); } else { await mcRun(); await oursRun(); }
    }
    const oursUpd = median(oursUpds);
    const pyUpd = await pythonUpdates(remote, updates);
    measurements.push(
      roundsMeasurement(SUITE, updCase, 'ovn-overlay', 'time until applied', oursUpds, 'ms'),
      roundsMeasurement(SUITE, updCase, 'ovsdb-client monitor-cond', 'time until the last update printed', mcUpds, 'ms'),
    );
    m(updCase, 'python-idl', 'time until applied', pyUpd, 'ms');
    const updVsMonitorCond = roundsComparison(SUITE, updCase, 'time until applied', 'ovsdb-client monitor-cond', oursUpds, mcUpds, false,
      { text: 'faster than ovsdb-client monitor-cond', minAdvantage: 1 }, 'ms');
    comparisons.push(
      compare(SUITE, updCase, 'time until applied', 'python-idl', oursUpd, pyUpd, false, { text: 'faster than the Python IDL', minAdvantage: 1 }),
      updVsMonitorCond,
    );
    notes.push('updates: ours = until the change events of all rows were emitted (applied to the replica); ovsdb-client monitor-cond = until its csv output shows the last modify line (it prints, it keeps no replica); both with every column monitored, the clock starting when the writing transaction is sent; '
      + `${rounds} interleaved rounds of ours and monitor-cond (who goes first alternates), ours ${figure(oursUpd)} ms (${figure(Math.min(...oursUpds))}..${figure(Math.max(...oursUpds))}), `
      + `monitor-cond ${figure(median(mcUpds))} ms; vs monitor-cond ${roundsRange(updVsMonitorCond)}; the Python IDL once; load average ${loadAverages()}`);
    await lab.stop();
    lab = undefined;

    progress('lookups');
    const lkCase = `40 lookups by external_ids:pod in ${lookupRows} rows`;
    const lk = lookups(lookupRows);
    m(lkCase, 'ovn-overlay', 'total time (index)', lk.indexMs, 'ms');
    m(lkCase, 'linear scan', 'total time', lk.scanMs, 'ms');
    comparisons.push(compare(SUITE, lkCase, 'total time', 'linear scan (predicate lookup)', lk.indexMs, lk.scanMs, false, undefined, 'ms'));

    progress('failover');
    // The lab's lowest election timer (the one its RAFT tests use) and ovsdb-server's default.
    for (const electionTimerMs of [250, 1000]) {
      const fo = await failover(kills, electionTimerMs);
      const foCase = `leader failover gap (${electionTimerMs} ms election timer, ${kills} kills)`;
      // The issue's target is "gap p99 <= election + 0.5 s": each kill's gap against that kill's own election.
      // ovsdb-server's election cannot be held to the timer: raft.c's raft_reset_election_timer (OVS 3.1) starts
      // one after election_timer + random_range(ELECTION_RANGE_MSEC), ELECTION_RANGE_MSEC = 1000, so the election
      // alone takes up to the timer + 1 s and no client meets "timer + 0.5 s". The client's share is gap - election.
      const elections = fo.elections.filter((e): e is number => e !== undefined);
      const share = fo.ours.flatMap((g, k) => (fo.elections[k] === undefined ? [] : [g - fo.elections[k]!]));
      m(foCase, 'ovn-overlay', 'gap p50', median(fo.ours), 'ms');
      m(foCase, 'ovn-overlay', 'gap p99', percentile(fo.ours, 99), 'ms');
      m(foCase, 'python-idl', 'gap p50', median(fo.python), 'ms');
      m(foCase, 'python-idl', 'gap p99', percentile(fo.python, 99), 'ms');
      if (elections.length) m(foCase, 'ovsdb-server election (log)', 'p99', percentile(elections, 99), 'ms');
      if (share.length) {
        m(foCase, 'ovn-overlay', 'gap - election p50', median(share), 'ms');
        m(foCase, 'ovn-overlay', 'gap - election p99', percentile(share, 99), 'ms');
        // A share at or below 0 (the writer committed before the election was logged: the kill hit a leader
        // whose last commit was already on its way) counts as 1 ms, so the ratio stays a ratio.
        comparisons.push(compare(SUITE, foCase, 'gap - election p99', 'election + 0.5 s (the client\'s share)', Math.max(1, percentile(share, 99)), 500, false,
          { text: 'gap - election p99 <= 500 ms (gap p99 <= election + 0.5 s)', minAdvantage: 1 }, 'ms'));
      }
      if (elections.length) comparisons.push(compare(SUITE, foCase, 'gap p99', 'election p99 (logged by the servers)', percentile(fo.ours, 99), percentile(elections, 99), false, undefined, 'ms'));
      comparisons.push(
        compare(SUITE, foCase, 'gap p99', 'python-idl leader_only=True (same kills)', percentile(fo.ours, 99), percentile(fo.python, 99), false,
          { text: 'no slower than the Python IDL', minAdvantage: 1 }, 'ms'),
      );
      notes.push(`failover (${electionTimerMs} ms timer): gaps ours ${fo.ours.map(figure).join(', ')} ms; python-idl ${fo.python.map(figure).join(', ')} ms; `
        + `election logged by the servers ${fo.elections.map((e) => (e === undefined ? 'none' : figure(e))).join(', ')} ms after the kill`
        + (share.length ? `; ours after the election (gap - election) ${share.map(figure).join(', ')} ms` : '')
        + `; the target is per kill, gap - election <= 500 ms at p99, as the issue words it (gap <= election + 0.5 s): ovsdb-server starts an election `
        + `after the timer plus random_range(1000) ms (OVS 3.1 ovsdb/raft.c, raft_reset_election_timer, ELECTION_RANGE_MSEC), so the election alone `
        + `may take the timer + 1 s and "timer + 0.5 s" is no client's to meet; load average ${loadAverages()}`);
    }
    progress('done');
  } finally {
    await lab?.stop();
  }
  return { suite: SUITE, measurements, comparisons, notes };
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await runReplicaBench({ quick: process.argv.includes('--quick'), progress: (d, t, l) => console.error(`[${d}/${t}] ${l}`) });
  for (const x of result.measurements) console.log(`${x.case} | ${x.subject} | ${x.metric}: ${x.value.toFixed(1)} ${x.unit}`);
  for (const c of result.comparisons) console.log(`${c.case} | ${c.metric} vs ${c.peer}: ours ${c.ours.toFixed(1)} theirs ${c.theirs.toFixed(1)} -> ${c.advantage.toFixed(2)}x${c.target ? ` (${c.target}: ${c.met ? 'met' : 'NOT met'})` : ''}`);
  for (const n of result.notes) console.log(`note: ${n}`);
}
