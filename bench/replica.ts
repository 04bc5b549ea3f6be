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
import { figure, median, percentile } from './statistics.js';

const SUITE = 'replica';
const here = dirname(fileURLToPath(import.meta.url));
const PY = '/usr/bin/python3';
const PEER = join(here, 'peers', 'replica_python_idl.py');

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

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
  const client = await OvsdbClient.connect(remote);
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

/** The floor: one raw monitor_cond on a socket until the last byte of its reply. */
async function rawMonitorFloor(socketPath: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const s = netConnect({ path: socketPath }, () => {
      s.write(JSON.stringify({ id: 1, method: 'monitor_cond', params: ['OVN_Northbound', null, { Logical_Switch_Port: [{}] }] }));
    });
    const splitter = new JsonSplitter({ maxMessageBytes: 2 ** 30 });
    s.on('data', (c: Buffer) => splitter.push(c, () => { const ms = performance.now() - t0; s.destroy(); resolve(ms); }));
    s.on('error', reject);
  });
}

async function oursSync(remote: string): Promise<{ ms: number; bytesPerRow: number; rows: number }> {
  gc();
  const before = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  const db = OvsdbDatabase.connect<NorthboundTables>({ remotes: remote, database: 'OVN_Northbound', tables: { Logical_Switch_Port: {} } });
  await db.synced;
  const ms = performance.now() - t0;
  gc();
  const table = db.table('Logical_Switch_Port');
  const rows = table.size;
  const bytesPerRow = (process.memoryUsage().heapUsed - before) / rows;
  if (table.get(table.all()[0]._uuid) === undefined) throw new Error('replica lost its rows');
  await db.close();
  return { ms, bytesPerRow, rows };
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
  const db = OvsdbDatabase.connect<NorthboundTables>({ remotes: remote, database: 'OVN_Northbound', tables: { Logical_Switch_Port: {} } });
  await db.synced;
  const uuids = db.table('Logical_Switch_Port').all().slice(0, n).map((r) => r._uuid);
  const writer = await OvsdbClient.connect(remote);
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
  const writer = await OvsdbClient.connect(remote);
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
  const writer = await OvsdbClient.connect(remote);
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

/** Commit gaps after leader kills: ours (write every ~10 ms) and the Python IDL's (same loop, leader_only=True). */
async function failover(kills: number): Promise<{ ours: number[]; python: number[] }> {
  const lab = await startLab({ clustered: true, northd: false });
  try {
    const ours: number[] = [];
    const db = OvsdbDatabase.connect<NorthboundTables>({ remotes: lab.nb.tcp, database: 'OVN_Northbound', tables: { Logical_Switch: { columns: ['name'] } } });
    await db.synced;
    const commits: number[] = [];
    let running = true;
    let i = 0;
    const loop = (async () => {
      while (running) {
        try { await db.transact([ops.insert('Logical_Switch', { name: `o${i++}` })]); commits.push(Date.now()); } catch { /* outcome unknown */ }
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    for (let k = 0; k < kills; k++) {
      await new Promise((r) => setTimeout(r, 500));
      const leader = await lab.nb.leader();
      const at = Date.now();
      await leader.kill();
      while (!commits.some((c) => c > at)) await new Promise((r) => setTimeout(r, 5));
      ours.push(commits.find((c) => c > at)! - at);
      await leader.restart();
    }
    running = false;
    await loop;
    await db.close();

    const python: number[] = [];
    const pyCommits: number[] = [];
    const seconds = kills * 12 + 5;
    const py = run(PY, [PEER, 'failover', lab.nb.tcp, String(seconds)], (line) => {
      if (line.startsWith('{')) pyCommits.push((JSON.parse(line) as { commit_at_ms: number }).commit_at_ms);
    });
    while (pyCommits.length < 20) await new Promise((r) => setTimeout(r, 20));
    for (let k = 0; k < kills; k++) {
      const leader = await lab.nb.leader();
      const at = Date.now();
      await leader.kill();
      const deadline = Date.now() + 10_000;
      while (!pyCommits.some((c) => c > at) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      python.push((pyCommits.find((c) => c > at) ?? Date.now()) - at);
      await leader.restart();
      await new Promise((r) => setTimeout(r, 500));
    }
    await py;
    return { ours, python };
  } finally {
    await lab.stop();
  }
}

export const runReplicaBench: BenchSuite = async (options: BenchOptions): Promise<BenchSuiteResult> => {
  const quick = options.quick;
  const rows = quick ? 10_000 : 100_000;
  const updates = quick ? 2_000 : 10_000;
  const lookupRows = quick ? 50_000 : 200_000;
  const kills = quick ? 1 : 3;
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
    const floor = median([await rawMonitorFloor(remote.slice(5)), await rawMonitorFloor(remote.slice(5))]);
    const oursRuns = [await oursSync(remote), await oursSync(remote)];
    // Time: the better of two runs; memory: the first run (the second's baseline may still hold the first replica).
    const ours = { ...oursRuns.reduce((a, b) => (a.ms < b.ms ? a : b)), bytesPerRow: oursRuns[0].bytesPerRow };
    const dumpMs = await timed(() => run('ovsdb-client', ['dump', remote, 'OVN_Northbound', 'Logical_Switch_Port']));
    const mcMs = await monitorCondSync(remote, rows);
    const py = JSON.parse((await run(PY, [PEER, 'sync', remote])).trim()) as { sync_ms: number; rss_kib: number; rows: number };
    m(syncCase, 'ovn-overlay', 'time to synced', ours.ms, 'ms');
    m(syncCase, 'ovn-overlay', 'memory per row', ours.bytesPerRow, 'B');
    m(syncCase, 'raw monitor_cond floor', 'time to last byte', floor, 'ms');
    m(syncCase, 'ovsdb-client dump', 'time', dumpMs, 'ms');
    m(syncCase, 'ovsdb-client monitor-cond', 'time to initial rows', mcMs, 'ms');
    m(syncCase, 'python-idl', 'time to synced', py.sync_ms, 'ms');
    m(syncCase, 'python-idl', 'memory per row (RSS)', (py.rss_kib * 1024) / py.rows, 'B');
    comparisons.push(
      compare(SUITE, syncCase, 'time to synced', 'raw monitor_cond floor', ours.ms, floor, false, { text: 'within 1.3x of the floor', minAdvantage: 1 / 1.3 }),
      compare(SUITE, syncCase, 'time to synced', 'ovsdb-client monitor-cond', ours.ms, mcMs, false, { text: 'faster than ovsdb-client monitor-cond', minAdvantage: 1 }),
      compare(SUITE, syncCase, 'time to synced', 'ovsdb-client dump', ours.ms, dumpMs, false),
      compare(SUITE, syncCase, 'time to synced', 'python-idl', ours.ms, py.sync_ms, false, { text: 'faster than the Python IDL', minAdvantage: 1 }),
      compare(SUITE, syncCase, 'memory per row', 'python-idl', ours.bytesPerRow, (py.rss_kib * 1024) / py.rows, false, { text: 'less memory than the Python IDL', minAdvantage: 1 }),
    );
    notes.push(`memory per row: ours = V8 heap growth after GC / rows; Python = RSS growth / rows (includes the interpreter's allocator slack).`);

    progress('updates');
    const updCase = `${updates} single-row updates in one transaction`;
    const oursUpd = median([await oursUpdates(remote, updates, 'a'), await oursUpdates(remote, updates, 'b')]);
    const pyUpd = await pythonUpdates(remote, updates);
    const mcUpd = median([await monitorCondUpdates(remote, updates, 'c'), await monitorCondUpdates(remote, updates, 'd')]);
    m(updCase, 'ovn-overlay', 'time until applied', oursUpd, 'ms');
    m(updCase, 'python-idl', 'time until applied', pyUpd, 'ms');
    m(updCase, 'ovsdb-client monitor-cond', 'time until the last update printed', mcUpd, 'ms');
    comparisons.push(
      compare(SUITE, updCase, 'time until applied', 'python-idl', oursUpd, pyUpd, false, { text: 'faster than the Python IDL', minAdvantage: 1 }),
      compare(SUITE, updCase, 'time until applied', 'ovsdb-client monitor-cond', oursUpd, mcUpd, false, { text: 'faster than ovsdb-client monitor-cond', minAdvantage: 1 }),
    );
    notes.push('updates: ours = until the change events of all rows were emitted (applied to the replica); ovsdb-client monitor-cond = until its csv output shows the last modify line (it prints, it keeps no replica); both with every column monitored, the clock starting when the writing transaction is sent.');
    await lab.stop();
    lab = undefined;

    progress('lookups');
    const lkCase = `40 lookups by external_ids:pod in ${lookupRows} rows`;
    const lk = lookups(lookupRows);
    m(lkCase, 'ovn-overlay', 'total time (index)', lk.indexMs, 'ms');
    m(lkCase, 'linear scan', 'total time', lk.scanMs, 'ms');
    comparisons.push(compare(SUITE, lkCase, 'total time', 'linear scan (predicate lookup)', lk.indexMs, lk.scanMs, false, undefined, 'ms'));

    progress('failover');
    const fo = await failover(kills);
    const foCase = `leader failover gap (default 1 s election timer, ${kills} kills)`;
    m(foCase, 'ovn-overlay', 'gap p50', median(fo.ours), 'ms');
    m(foCase, 'ovn-overlay', 'gap max', Math.max(...fo.ours), 'ms');
    m(foCase, 'python-idl', 'gap p50', median(fo.python), 'ms');
    m(foCase, 'python-idl', 'gap max', Math.max(...fo.python), 'ms');
    comparisons.push(compare(SUITE, foCase, 'gap p99', 'python-idl leader_only=True', percentile(fo.ours, 99), percentile(fo.python, 99), false, { text: 'faster than the Python IDL', minAdvantage: 1 }, 'ms'));
    notes.push(`failover gaps ours: ${fo.ours.map(figure).join(', ')} ms; python-idl: ${fo.python.map(figure).join(', ')} ms (gap = kill to first successful commit)`);
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
