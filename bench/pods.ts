// Bench: 1,000 pod adds (Logical_Switch_Port with IPAM, one transaction per pod) against a real ovsdb-server,
// ours one at a time and pipelined, side by side with ovn-nbctl (one process per pod) and Open vSwitch's Python
// IDL (bench/peers/pods_python_idl.py) writing the same rows. Pods/s and p50/p99 latency.
//
//   node --import tsx bench/pods.ts [--quick]
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startLab } from '../src/lab/index.js';
import { openNorthbound } from '../src/ovn/northbound.js';
import { OvnPods } from '../src/ovn/pods.js';
import { OvnNodes } from '../src/ovn/nodes.js';
import { macFromAddress } from '../src/ovn/mac.js';
import { compare, type BenchMeasurement, type BenchOptions, type BenchSuite, type BenchSuiteResult } from './result.js';
import { recordActivity, type ProcessActivity } from './process-activity.js';
import { figure, latencyMeasurements, loadAverages, percentile, rate, roundsComparison, roundsRange, timedInFlight, type LatencyRun } from './statistics.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const SUITE = 'pods';
const PYTHON = '/usr/bin/python3';
const NB_SCHEMA = '/usr/share/ovn/ovn-nb.ovsschema';

type Run = LatencyRun;

const measurements = (caseName: string, r: Run): BenchMeasurement[] => latencyMeasurements(SUITE, caseName, r, 'pods/s');

const nodeSubnet = (i: number): string => `10.${100 + i}.0.0/20`;

/** Pods added one at a time before the timed rounds (see the warm-up in runPodsBench). */
const WARM_UP_PODS = 3000;

/** Rounds of one subject as one run: their operations, time and latencies together. */
const pooled = (subject: string, rounds: readonly Run[]): Run => ({
  subject, count: rounds.reduce((n, r) => n + r.count, 0), totalMs: rounds.reduce((n, r) => n + r.totalMs, 0), latencies: rounds.flatMap((r) => r.latencies),
});

export const runPodsBench: BenchSuite = async (options: BenchOptions): Promise<BenchSuiteResult> => {
  const count = options.quick ? 200 : 1000;
  const nbctlCount = options.quick ? 50 : 1000;
  const window = 64;
  const coalescedWindow = 256;
  const warmUpPods = options.quick ? 200 : WARM_UP_PODS;
  const lab = await startLab({ northd: false });
  const notes: string[] = [];
  let coalescedStats = { transactions: 0, conflicts: 0 };
  const runs = new Map<string, Run>();
  const steps = 5;
  const rounds = options.quick ? 2 : 4;
  const loads: string[] = [];
  const oursRoundsP99: number[] = [];
  const pythonRoundsP99: number[] = [];
  const oursActivity: ProcessActivity[] = [];
  let slowCalls = '';
  let step = 0;
  const progress = (label: string): void => options.progress?.(step++, steps, label);
  try {
    const db = await openNorthbound({ remotes: lab.nb.unix });
    const pods = new OvnPods(db);
    const nodes = new OvnNodes(db);

    // Each subject gets a fresh node switch, removed afterwards, so every run starts from the same database size.
    const withNode = async <T>(i: number, body: (node: string) => Promise<T>): Promise<T> => {
      const node = `bench-${i}`;
      await nodes.ensure({ name: node, subnets: [nodeSubnet(i)] });
      try { return await body(node); } finally { await nodes.delete({ name: node }); }
    };

    // An agent is a long-running process: the rounds measure its steady state. Before them, WARM_UP_PODS pods
    // added one at a time on a throwaway node switch (untimed), because V8 compiles the per-pod path only after
    // thousands of calls, on background threads that take one of this machine's two cores from ovsdb-server.
    progress('ovn-overlay warm-up');
    await withNode(9, async (node) => {
      for (let i = 0; i < warmUpPods; i++) await pods.ensure({ namespace: 'warm-up', name: `pod-${i}`, node, uid: `warm-up-${i}` });
    });
    progress('ovn-overlay one at a time');
    const pipelinedRun = (agent: OvnPods, subject: string, inFlight: number) => (node: string): Promise<Run> =>
      timedInFlight(subject, count, inFlight, async (i) => {
        await agent.ensure({ namespace: 'bench', name: `pod-${i}`, node, uid: `pod-${i}` });
      });
    // One at a time, ours and the Python IDL in interleaved rounds (who goes first alternates), each round on a
    // fresh node switch: the p99 target is judged on the per-round p99s, so one noisy stretch decides nothing.
    const perRound = Math.ceil(count / rounds);
    const oursRounds: Run[] = [];
    const pythonRounds: Run[] = [];
    // What our process did during each of its rounds besides the calls' own work (notes only; read at the round's
    // ends, nothing per call): the tail of one-at-a-time calls follows our background threads and GC pauses.
    const oursRound = (r: number) => withNode(10 + 2 * r, async (node) => {
      const stop = recordActivity();
      const timed = await timedInFlight('ovn-overlay', perRound, 1, async (i) => {
        await pods.ensure({ namespace: 'bench', name: `pod-${i}`, node, uid: `pod-${r}-${i}` });
      });
      oursActivity.push(stop());
      return timed;
    });
    const pythonRound = (r: number) => withNode(11 + 2 * r, async (node) => {
      const { stdout } = await run(PYTHON, [join(here, 'peers', 'pods_python_idl.py'), lab.nb.unix, NB_SCHEMA, node, nodeSubnet(11 + 2 * r), String(perRound), 'bench'],
        { maxBuffer: 64 * 1024 * 1024 });
      const out = JSON.parse(stdout.trim().split('\n').pop() as string) as { latencies_ms: number[]; total_ms: number };
      return { subject: 'python-idl', count: perRound, totalMs: out.total_ms, latencies: out.latencies_ms };
    });
    for (let r = 0; r < rounds; r++) {
      if (r % 2 === 0) { oursRounds.push(await oursRound(r)); pythonRounds.push(await pythonRound(r)); } else { pythonRounds.push(await pythonRound(r)); oursRounds.push(await oursRound(r)); }
    }
    loads.push(loadAverages());
    oursRoundsP99.push(...oursRounds.map((x) => percentile(x.latencies, 99)));
    pythonRoundsP99.push(...pythonRounds.map((x) => percentile(x.latencies, 99)));
    const overOneMs = (rs: readonly Run[]) => rs.map((x) => x.latencies.filter((ms) => ms > 1).length).join(', ');
    slowCalls = `calls over 1 ms per round: ours ${overOneMs(oursRounds)}, python-idl ${overOneMs(pythonRounds)}`;
    runs.set('sequential', pooled('ovn-overlay', oursRounds));
    runs.set('python-idl', pooled('python-idl', pythonRounds));
    progress('ovn-overlay pipelined');
    runs.set('pipelined', await withNode(1, pipelinedRun(pods, 'ovn-overlay', window)));
    progress('ovn-overlay pipelined, coalesced');
    const coalescing = new OvnPods(db, { coalesce: true });
    runs.set('coalesced', await withNode(4, pipelinedRun(coalescing, 'ovn-overlay coalesced', coalescedWindow)));
    coalescedStats = { ...coalescing.stats };

    progress('ovn-nbctl');
    runs.set('ovn-nbctl', await withNode(3, async (node) => {
      const latencies: number[] = [];
      const started = performance.now();
      const base = 10 * 256 ** 3 + 103 * 256 ** 2;
      for (let i = 0; i < nbctlCount; i++) {
        const offset = 3 + i;
        const ip = [base + offset].map((v) => `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`)[0];
        const address = `${macFromAddress(ip)} ${ip}`;
        const port = `bench_pod-${i}`;
        const t0 = performance.now();
        await run('ovn-nbctl', [`--db=${lab.nb.unix}`, '--', 'lsp-add', node, port, '--', 'lsp-set-addresses', port, address,
          '--', 'lsp-set-port-security', port, address, '--', 'set', 'Logical_Switch_Port', port, 'external_ids:namespace=bench', 'external_ids:pod=true',
          `options:iface-id-ver=pod-${i}`, `options:requested-chassis=${node}`]);
        latencies.push(performance.now() - t0);
      }
      return { subject: 'ovn-nbctl', count: nbctlCount, totalMs: performance.now() - started, latencies };
    }));
    options.progress?.(steps, steps, 'done');
    await db.close();
  } finally {
    await lab.stop();
  }

  const p99Rounds = roundsComparison(SUITE, 'one at a time', 'p99 latency', 'python-idl (same rounds)',
    oursRoundsP99, pythonRoundsP99, false, { text: 'p99 <= the Python IDL p99', minAdvantage: 1 }, 'ms');
  notes.push(`one at a time: ${rounds} interleaved rounds of ${Math.ceil(count / rounds)} pods each, ours and the Python IDL (who goes first alternates, a fresh node switch per round), ours after ${warmUpPods} untimed pods added one at a time (an agent's steady state: V8 compiles the per-pod path only after thousands of calls); `
    + `per-round p99 ours ${oursRoundsP99.map(figure).join(', ')} ms, python-idl ${pythonRoundsP99.map(figure).join(', ')} ms; p99 ratio ${roundsRange(p99Rounds)}; `
    + `pooled p99 ours ${figure(percentile((runs.get('sequential') as Run).latencies, 99))} ms, python-idl ${figure(percentile((runs.get('python-idl') as Run).latencies, 99))} ms; load average ${loads.join(', ')}`);
  const cpu = (pick: (a: ProcessActivity) => number | undefined) => oursActivity.map((a) => { const v = pick(a); return v === undefined ? '?' : figure(v); }).join(', ');
  notes.push(`one at a time, the tail: ${slowCalls}; during each of our rounds our main thread ran ${cpu((a) => a.mainCpuMs)} ms, our other threads `
    + `(V8's optimizing compiler warming up the call path, GC helpers; the Python IDL has none) ${cpu((a) => a.backgroundCpuMs)} ms, `
    + `GC paused us ${oursActivity.map((a) => `${a.gcPauses}x (${figure(a.gcPauseMs)} ms)`).join(', ')}; `
    + 'a wakeup of ovsdb-server or of our main thread that queues behind one of our background threads waits out its scheduler slice (1-4 ms)');
  const sequential = runs.get('sequential') as Run;
  const pipelined = runs.get('pipelined') as Run;
  const coalesced = runs.get('coalesced') as Run;
  const python = runs.get('python-idl') as Run;
  const nbctl = runs.get('ovn-nbctl') as Run;
  const measured = [
    ...measurements(`${count} pod adds, one at a time`, sequential),
    ...measurements(`${count} pod adds, pipelined (${window} in flight)`, pipelined),
    ...measurements(`${count} pod adds, pipelined (${coalescedWindow} in flight), coalesced`, coalesced),
    ...measurements(`${count} pod adds, one at a time`, python),
    ...measurements(`${nbctlCount} pod adds, one process per pod`, nbctl),
  ];
  const comparisons = [
    compare(SUITE, 'one at a time', 'pods/s', 'python-idl', rate(sequential), rate(python), true, { text: '>= the Python IDL', minAdvantage: 1 }),
    compare(SUITE, 'pipelined, one transaction per pod', 'pods/s', 'python-idl', rate(pipelined), rate(python), true),
    compare(SUITE, 'pipelined, coalesced', 'pods/s', 'python-idl', rate(coalesced), rate(python), true, { text: '>= 5x the Python IDL', minAdvantage: 5 }),
    compare(SUITE, 'one at a time', 'pods/s', 'ovn-nbctl', rate(sequential), rate(nbctl), true),
    compare(SUITE, 'one at a time', 'p50 latency', 'python-idl', percentile(sequential.latencies, 50), percentile(python.latencies, 50), false, undefined, 'ms'),
  ];
  comparisons.push(p99Rounds);
  notes.push(`ovsdb-server standalone on a unix socket, no ovn-northd; every pod is one transaction (ours: the port's UUID derived from its address offset guards it against other agents, checked by ovsdb-server in O(1)), a plain insert (python-idl, ovn-nbctl)`);
  notes.push(`coalesced: pods.ensure calls made in the same event-loop turn share one transaction (group commit, at most 64 pods each, sent back to back; each pod all-or-nothing, conflicts retried pod by pod): ${coalescedStats.transactions} transactions for ${count} pods (${(count / coalescedStats.transactions).toFixed(1)} per transaction), ${coalescedStats.conflicts} conflicts`);
  notes.push(`ovn-nbctl gets its addresses precomputed (it has no IPAM); ${nbctlCount} pods`);
  return { suite: SUITE, measurements: measured, comparisons, notes };
};

const invokedDirectly = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (invokedDirectly) {
  const result = await runPodsBench({ quick: process.argv.includes('--quick') });
  for (const m of result.measurements) console.log(`${m.case.padEnd(42)} ${m.subject.padEnd(12)} ${m.metric.padEnd(6)} ${m.value.toFixed(m.unit === 'ms' ? 3 : 0)} ${m.unit}`);
  for (const c of result.comparisons) console.log(`${c.case} ${c.metric} vs ${c.peer}: ${c.advantage.toFixed(2)}x${c.target ? ` (target ${c.target}: ${c.met ? 'met' : 'NOT met'})` : ''}`);
  for (const n of result.notes) console.log(`note: ${n}`);
}
