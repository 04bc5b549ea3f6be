// Bench: scale-out on OVSDB's own engine (issue #15), three parts, each against its peer in the same run.
//
//   density   ovn-heater's density-heavy on NB: node topologies (switch + gateway router), pods, a Service VIP
//             for every other pod, through the pod API; time to commit, replica bytes per row, and ovn-northd's
//             time until SB has caught up (`--wait=sb`). Peer: the same rows through OVS's Python IDL.
//   fan-out   K replica clients (in a few processes) monitoring a clustered SB the way ovn-controller does
//             (conditional monitors on their own chassis and datapath), direct to the leader versus through 2
//             relays: time until all are synced, p99 propagation of one Port_Binding change to all K, and the
//             CPU seconds of the leader ovsdb-server (/proc).
//   pods up   simulated hypervisors with the real ovn-controller bound through 2 SB relays: pods/s until up=true.
//
//   node --import tsx bench/scale.ts [--quick | --full] [--parts=density,fan-out,pods-up]
//
// The default fits a loaded 2-core machine; --full is the issue's size (500 nodes, 22,500 pods, 11,250 VIPs;
// 200 clients; 10 hypervisors) and wants a quiet, bigger one.
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startLab, type Lab } from '../src/lab/index.js';
import { OvsdbClient } from '../src/ovsdb/client.js';
import type { Json } from '../src/ovsdb/json.js';
import { openNorthbound } from '../src/ovn/northbound.js';
import { ClusterNetwork } from '../src/ovn/cluster-network.js';
import { waitForPortsUp } from '../src/ovn/wait-ports-up.js';
import { compare, type BenchComparison, type BenchMeasurement, type BenchOptions, type BenchSuite, type BenchSuiteResult } from './result.js';
import { replicaHeapPerRow } from './replica-heap.js';
import { figure, loadAverages, percentile, roundsComparison, roundsRange, timedInFlight } from './statistics.js';
import { canonicalRows, rowCount, rowDifferences, type CanonicalRows } from './scale-rows.js';
import { replayRaw, TransactionLog } from './scale-floor.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const SUITE = 'scale';
const PYTHON = '/usr/bin/python3';
const NB_SCHEMA = '/usr/share/ovn/ovn-nb.ovsschema';

interface Sizes {
  nodes: number; pods: number; vips: number;
  clients: number; workers: number; marks: number;
  hypervisors: number; podsPerHypervisor: number;
}

/** --full is the issue's size; the default keeps every ratio meaningful on a loaded 2-core machine. */
export function scaleSizes(mode: 'quick' | 'default' | 'full'): Sizes {
  if (mode === 'full') return { nodes: 500, pods: 22_500, vips: 11_250, clients: 200, workers: 4, marks: 20, hypervisors: 10, podsPerHypervisor: 20 };
  if (mode === 'quick') return { nodes: 10, pods: 200, vips: 100, clients: 40, workers: 2, marks: 5, hypervisors: 2, podsPerHypervisor: 5 };
  return { nodes: 50, pods: 2_250, vips: 1_125, clients: 200, workers: 4, marks: 10, hypervisors: 4, podsPerHypervisor: 10 };
}

/** The three parts; `--parts=density,fan-out` runs some of them (all by default). */
const PARTS = ['density', 'fan-out', 'pods-up'] as const;

function scaleParts(argv: readonly string[]): ReadonlySet<string> {
  const arg = argv.find((a) => a.startsWith('--parts='));
  if (!arg) return new Set(PARTS);
  const parts = arg.slice('--parts='.length).split(',');
  const unknown = parts.filter((p) => !(PARTS as readonly string[]).includes(p));
  if (unknown.length) throw new Error(`bench/scale: unknown part ${unknown.join(', ')} (parts: ${PARTS.join(', ')})`);
  return new Set(parts);
}

/** How many calls of each kind are in flight at once in the density run (one transaction each). */
const IN_FLIGHT = { nodes: 16, pods: 256, vips: 64 } as const;

/** The node subnet layout shared with bench/peers/density_python_idl.py: 10.128.0.0/9 cut into /24s. */
const nodeSubnet = (i: number): string => `10.${128 + (i >> 8)}.${i & 255}.0/24`;

// ---------------------------------------------------------------------------------------------------------------
// Measuring tools

/** USER_HZ: Linux reports CPU times in /proc in hundredths of a second, whatever the kernel's HZ. */
const CLOCK_TICKS = 100;

/** User + system CPU seconds of a process so far, from /proc/<pid>/stat (utime, stime in clock ticks). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

const wallClock = (): number => performance.timeOrigin + performance.now();

// ---------------------------------------------------------------------------------------------------------------
// 1. density-heavy on NB

interface DensityRun {
  commitMs: number; nodesMs: number; podsMs: number; vipsMs: number;
  /** CPU seconds of the writing process (ours: this one, replica included; the peer: the Python process) while committing. */
  writerCpuS: number;
  /** From the last commit until ovn-northd has brought SB up to date (`--wait=sb sync`). */
  northdMs: number;
  /** CPU seconds of ovn-northd and of the NB ovsdb-server from the first commit until SB caught up. */
  northdCpuS: number; nbServerCpuS: number;
  /** ovn-northd's runs that rebuilt the logical flows (its `lflow` engine node: recomputes + incremental computes). */
  northdRuns: number;
  /** The NB rows written, canonical (compared between ours and the peer). */
  rows: CanonicalRows;
}

/** The node spec of node i, the same on both sides (the node id i + 2 gives GR_<node> its join address). */
const densityNode = (i: number) => ({
  name: `node-${i}`, subnets: [nodeSubnet(i)], chassis: `chassis-${i}`, nodeIp: `172.16.${i >> 8}.${i & 255}`, clusterSubnets: ['10.128.0.0/9'], nodeId: i + 2,
});

/** NB_Global differs by run (northd's MAC prefix, timestamps); every other row must be the same on both sides. */
const NOT_COMPARED = new Set(['NB_Global']);

/** Recomputes + computes of one node of ovn-northd's incremental engine, from `inc-engine/show-stats`. */
function engineRuns(stats: string, node: string): number {
  const block = new RegExp(`Node: ${node}\\n- recompute:\\s+(\\d+)\\n- compute:\\s+(\\d+)`).exec(stats);
  if (!block) throw new Error(`ovn-northd inc-engine/show-stats has no node ${node}`);
  return Number(block[1]) + Number(block[2]);
}

/** Times one density run on a fresh lab: `write` commits everything, then ovn-northd catches SB up. */
async function densityRun(write: (lab: Lab) => Promise<Omit<DensityRun, 'northdMs' | 'northdCpuS' | 'nbServerCpuS' | 'northdRuns' | 'rows'>>): Promise<DensityRun & { lab: Lab }> {
  const lab = await startLab({});
  try {
    const northd = lab.northd!;
    await northd.appctl('inc-engine/clear-stats');
    const northd0 = cpuSeconds(northd.pid);
    const nb0 = cpuSeconds(lab.nb.servers[0].pid);
    const times = await write(lab);
    const t0 = performance.now();
    await lab.nbctl('--wait=sb', 'sync');
    const northdMs = performance.now() - t0;
    const northdCpuS = cpuSeconds(northd.pid) - northd0;
    const nbServerCpuS = cpuSeconds(lab.nb.servers[0].pid) - nb0;
    const northdRuns = engineRuns(await northd.appctl('inc-engine/show-stats'), 'lflow');
    return { ...times, northdMs, northdCpuS, nbServerCpuS, northdRuns, rows: await canonicalRows(lab.nb.unix, 'OVN_Northbound', NOT_COMPARED), lab };
  } catch (err) {
    await lab.stop();
    throw err;
  }
}

interface DensityOurs extends DensityRun { podTransactions: number; serviceTransactions: number }

/**
 * Group commit in the coalesced run: nodes, pods and Services of one turn share transactions of at most this many, so
 * that 4 transactions of each window are in flight at once (one of the whole window would leave the server idle
 * while this process builds the next).
 */
const GROUP_BATCH = { nodes: IN_FLIGHT.nodes / 4, pods: IN_FLIGHT.pods / 4, vips: IN_FLIGHT.vips / 4 } as const;

/** Writes the density objects through ClusterNetwork (see densityOurs) and times the phases. */
async function writeDensity(lab: Lab, size: Sizes, coalesce: boolean, log?: TransactionLog): Promise<{
  times: Pick<DensityRun, 'commitMs' | 'nodesMs' | 'podsMs' | 'vipsMs' | 'writerCpuS'>; transactions: { pods: number; services: number };
}> {
  const nb = await openNorthbound(log ? { remotes: lab.nb.unix, openChannel: log.openChannel } : lab.nb.unix);
  try {
    const net = new ClusterNetwork(nb, coalesce
      ? { nodes: { coalesce, maxBatch: GROUP_BATCH.nodes }, pods: { coalesce, maxBatch: GROUP_BATCH.pods }, services: { coalesce, maxBatch: GROUP_BATCH.vips } }
      : {});
    const started = performance.now();
    const cpu0 = process.cpuUsage();
    log?.startPhase('cluster');
    await net.ensureCluster();
    log?.startPhase('nodes');
    await timedInFlight('nodes', size.nodes, IN_FLIGHT.nodes, async (i) => { await net.nodes.ensure(densityNode(i)); });
    const nodesDone = performance.now();
    log?.startPhase('pods');
    const podIps: string[] = new Array<string>(size.pods);
    await timedInFlight('pods', size.pods, IN_FLIGHT.pods, async (i) => {
      const pod = await net.pods.ensure({ namespace: 'bench', name: `pod-${i}`, node: `node-${i % size.nodes}`, uid: `pod-${i}` });
      podIps[i] = pod.ipAddresses[0].split('/')[0];
    });
    const podsDone = performance.now();
    const transactionsBefore = nb.stats.writeTransactions;
    log?.startPhase('vips');
    // apply(): ensure() without reading the rows back, as the agent's Service controller calls it (the peer reads nothing back either).
    await timedInFlight('vips', size.vips, IN_FLIGHT.vips, async (i) => {
      await net.services.apply({
        namespace: 'bench', name: `svc-${i}`,
        vips: [{ ip: `172.30.${i >> 8}.${i & 255}`, port: 80, endpoints: [{ ip: podIps[(2 * i) % size.pods], port: 8080 }] }],
      });
    });
    const vipsDone = performance.now();
    const cpu = process.cpuUsage(cpu0);
    return {
      times: {
        commitMs: vipsDone - started, nodesMs: nodesDone - started, podsMs: podsDone - nodesDone, vipsMs: vipsDone - podsDone,
        writerCpuS: (cpu.user + cpu.system) / 1e6,
      },
      transactions: { pods: net.pods.stats.transactions, services: nb.stats.writeTransactions - transactionsBefore },
    };
  } finally {
    await nb.close();
  }
}

/** Warm-up runs of each way before the timed runs (see densityWarmUp). */
const WARM_UP_RUNS = 4;

/**
 * An agent is a long-running process, so the timed runs measure its steady state: before them, the same writes
 * WARM_UP_RUNS times each way on throwaway labs (without ovn-northd), at the default size (quick: the quick size),
 * so that no timed run pays for compiling this process's code. V8 compiles the per-object path only after
 * thousands of calls: back-to-back default-size group-commit runs in one process took 576, 443, 256, 218, 182,
 * 232 ms of CPU (one per object: 892, 711, 375, 388 ms); a single quick-size warm-up left the timed runs in the
 * second state, two runs each way in the third (the bench's group-commit writer CPU 0.35 s), four 0.26 s.
 */
async function densityWarmUp(mode: 'quick' | 'default' | 'full'): Promise<void> {
  const warmSize = scaleSizes(mode === 'quick' ? 'quick' : 'default');
  for (let run = 0; run < WARM_UP_RUNS; run++) {
    for (const coalesce of [false, true]) {
      const lab = await startLab({ northd: false });
      try {
        await writeDensity(lab, warmSize, coalesce);
      } finally {
        await lab.stop();
      }
    }
  }
}

/**
 * Ours: ClusterNetwork, one transaction per object (`coalesce`: pods and Services of one turn share
 * transactions). `log`, when given, records the transactions sent, for the server's floor. `measure` runs on the lab of what
 * was written, after the timed run.
 */
async function densityOurs(size: Sizes, coalesce: boolean, log: TransactionLog | undefined, measure?: (lab: Lab) => Promise<void>): Promise<DensityOurs> {
  let transactions = { pods: 0, services: 0 };
  const result = await densityRun(async (lab) => {
    const written = await writeDensity(lab, size, coalesce, log);
    transactions = written.transactions;
    return written.times;
  });
  try {
    await measure?.(result.lab);
    return { ...result, podTransactions: transactions.pods, serviceTransactions: transactions.services };
  } finally {
    await result.lab.stop();
  }
}

/**
 * The transactions in flight at once in the group-commit run: each phase keeps IN_FLIGHT calls going, which group
 * commit sends as IN_FLIGHT / GROUP_BATCH transactions.
 */
const GROUP_IN_FLIGHT = {
  nodes: IN_FLIGHT.nodes / GROUP_BATCH.nodes, pods: IN_FLIGHT.pods / GROUP_BATCH.pods, vips: IN_FLIGHT.vips / GROUP_BATCH.vips,
} as const;

/** The server's floor: `log`'s transactions sent raw to a fresh lab, in the same windows (scale-floor.ts). */
async function densityFloor(log: TransactionLog, windows: Readonly<Record<string, number>>): Promise<DensityRun> {
  const result = await densityRun(async (lab) => {
    const cpu0 = process.cpuUsage();
    const times = await replayRaw(lab.nb.unix, log, windows);
    const cpu = process.cpuUsage(cpu0);
    const ms = (phase: string): number => times.get(phase) ?? 0;
    return {
      commitMs: ms('cluster') + ms('nodes') + ms('pods') + ms('vips'), nodesMs: ms('cluster') + ms('nodes'), podsMs: ms('pods'), vipsMs: ms('vips'),
      writerCpuS: (cpu.user + cpu.system) / 1e6,
    };
  });
  await result.lab.stop();
  return result;
}

async function densityPython(size: Sizes): Promise<DensityRun> {
  const result = await densityRun(async (lab) => {
    const { stdout } = await run(PYTHON, [join(here, 'peers', 'density_python_idl.py'), lab.nb.unix, NB_SCHEMA,
      String(size.nodes), String(size.pods), String(size.vips)], { maxBuffer: 16 * 1024 * 1024, timeout: 60 * 60 * 1000 });
    const out = JSON.parse(stdout.trim().split('\n').pop() as string) as { total_ms: number; nodes_ms: number; pods_ms: number; vips_ms: number; cpu_ms: number };
    return { commitMs: out.total_ms, nodesMs: out.nodes_ms, podsMs: out.pods_ms, vipsMs: out.vips_ms, writerCpuS: out.cpu_ms / 1000 };
  });
  await result.lab.stop();
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// 2. SB fan-out, direct versus through relays

interface FanoutRun { syncMs: number; propagation: number[]; leaderCpuS: number; membersCpuS: number }

/**
 * The SB rows ovn-controller-like clients monitor, written directly (no northd, so nothing rewrites them): one
 * datapath with a port per client and 10 logical flows per port.
 */
async function fillSouthbound(lab: Lab, clients: number): Promise<string> {
  const ops: unknown[] = [{ op: 'insert', table: 'Datapath_Binding', row: { tunnel_key: 1, external_ids: ['map', [['name', 'fanout']]] }, 'uuid-name': 'dp' }];
  for (let i = 0; i < clients; i++) {
    ops.push({ op: 'insert', table: 'Port_Binding', row: { logical_port: `fanout-${i}`, tunnel_key: i + 1, datapath: ['named-uuid', 'dp'] } });
    for (let f = 0; f < 10; f++) {
      ops.push({ op: 'insert', table: 'Logical_Flow', row: {
        logical_datapath: ['named-uuid', 'dp'], pipeline: 'ingress', table_id: f, priority: 50,
        match: `inport == "fanout-${i}" && eth.src == 0a:58:0a:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`,
        actions: 'next;', external_ids: ['map', [['stage-name', `ls_in_stage_${f}`]]],
      } });
    }
  }
  // Our client, not ovsdb-client: the transaction is far longer than one command-line argument may be.
  const client = await OvsdbClient.connect((await lab.sb.leader()).unix);
  try {
    const results = await client.transactRaw('OVN_Southbound', ops as Json[]);
    const failed = results.find((r) => r !== null && typeof r === 'object' && 'error' in r);
    if (failed) throw new Error(`filling SB failed: ${JSON.stringify(failed)}`);
  } finally {
    await client.close();
  }
  return (await lab.sbctl('--bare', '--columns=_uuid', 'find', 'Datapath_Binding', 'external_ids:name=fanout')).trim();
}

async function fanout(lab: Lab, size: Sizes, datapath: string, relayed: boolean): Promise<FanoutRun> {
  const leader = await lab.sb.leader();
  const members = lab.sb.servers.map((s) => s.pid);
  const cpuBefore = cpuSeconds(leader.pid);
  const membersBefore = members.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const remotes = relayed ? lab.sb.relays!.unix : lab.sb.unix;
  const synced = new Map<number, number>();
  const seen = new Map<number, Map<number, number>>();
  const perWorker = Math.ceil(size.clients / size.workers);
  const started = wallClock();
  let onEvent: () => void = () => undefined;
  const workers = Array.from({ length: size.workers }, (_, w) => {
    const first = w * perWorker;
    const count = Math.max(0, Math.min(perWorker, size.clients - first));
    // ovn-controller talks to any member (leader_only false); our replica's default is the leader: "direct" puts
    // every client on the leader, the load relays exist to take away.
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'scale-fanout-worker.ts'),
      JSON.stringify({ remotes, leaderOnly: !relayed, first, count, datapath })], { stdio: ['ignore', 'pipe', 'inherit'] });
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const event = JSON.parse(buffer.slice(0, nl)) as { synced?: number; seen?: number; mark?: number; at: number };
        buffer = buffer.slice(nl + 1);
        if (event.synced !== undefined) synced.set(event.synced, event.at);
        if (event.seen !== undefined) {
          const byClient = seen.get(event.mark!) ?? new Map<number, number>();
          byClient.set(event.seen, event.at);
          seen.set(event.mark!, byClient);
        }
        onEvent();
      }
    });
    return child;
  });
  const until = (what: string, done: () => boolean, timeoutMs: number) => new Promise<void>((resolve, reject) => {
    if (done()) { resolve(); return; }
    const timer = setTimeout(() => reject(new Error(`fan-out: timed out waiting for ${what}`)), timeoutMs);
    onEvent = () => { if (done()) { clearTimeout(timer); resolve(); } };
  });
  try {
    await until(`${size.clients} clients synced`, () => synced.size === size.clients, 300_000);
    const syncMs = Math.max(...synced.values()) - started;
    const propagation: number[] = [];
    for (let mark = 1; mark <= size.marks; mark++) {
      const sent = wallClock();
      await lab.sbctl('set', 'Port_Binding', 'fanout-0', `external_ids:bench-mark=${mark}`);
      await until(`mark ${mark} at every client`, () => (seen.get(mark)?.size ?? 0) === size.clients, 60_000);
      for (const at of seen.get(mark)!.values()) propagation.push(at - sent);
    }
    return {
      syncMs, propagation, leaderCpuS: cpuSeconds(leader.pid) - cpuBefore,
      membersCpuS: members.reduce((sum, pid) => sum + cpuSeconds(pid), 0) - membersBefore,
    };
  } finally {
    for (const child of workers) child.kill('SIGTERM');
    await Promise.all(workers.map((child) => new Promise((resolve) => { if (child.exitCode !== null) resolve(undefined); else child.once('exit', resolve); })));
    // The marks go back to nothing, so the next phase starts from the same rows.
    await lab.sbctl('remove', 'Port_Binding', 'fanout-0', 'external_ids', 'bench-mark');
  }
}

// ---------------------------------------------------------------------------------------------------------------
// 3. pods up on simulated hypervisors through relays

async function podsUp(size: Sizes): Promise<{ pods: number; ms: number }> {
  const lab = await startLab({ hypervisors: size.hypervisors, relays: { sb: 2 } });
  try {
    const nb = await openNorthbound(lab.nb.unix);
    const net = new ClusterNetwork(nb, { pods: { coalesce: true } });
    for (const hv of lab.hypervisors) await net.nodes.ensure({ name: hv.name, subnets: [nodeSubnet(hv.index)], chassis: hv.name });
    await lab.nbctl('--wait=hv', 'sync');
    const count = size.hypervisors * size.podsPerHypervisor;
    const started = performance.now();
    const ports = await Promise.all(Array.from({ length: count }, async (_, i) => {
      const hv = lab.hypervisors[i % lab.hypervisors.length];
      const uid = `uid-${i}`;
      const pod = await net.pods.ensure({ namespace: 'bench', name: `pod-${i}`, node: hv.name, uid });
      const vif = await hv.addVif(`vif${i}`, { ifaceId: pod.portName, mac: pod.mac });
      await hv.vsctl('set', 'Interface', vif.name, `external_ids:iface-id-ver=${uid}`);
      return pod.portName;
    }));
    await waitForPortsUp(nb, ports, { timeoutMs: 120_000 });
    const ms = performance.now() - started;
    await nb.close();
    return { pods: count, ms };
  } finally {
    await lab.stop();
  }
}

// ---------------------------------------------------------------------------------------------------------------

export const runScaleBench: BenchSuite = async (options: BenchOptions): Promise<BenchSuiteResult> => {
  const mode = options.quick ? 'quick' : process.argv.includes('--full') ? 'full' : 'default';
  const size = scaleSizes(mode);
  /** Rounds of the group-commit run with the Python IDL (the target's comparison). */
  const DENSITY_ROUNDS = mode === 'quick' ? 1 : 3;
  const parts = scaleParts(process.argv);
  const measurements: BenchMeasurement[] = [];
  const comparisons: BenchComparison[] = [];
  const notes: string[] = [];
  const steps = (parts.has('density') ? 4 + 2 * DENSITY_ROUNDS - 1 : 0) + (parts.has('fan-out') ? 1 : 0) + (parts.has('pods-up') ? 1 : 0);
  let step = 0;
  const progress = (label: string): void => options.progress?.(step++, steps, label);
  const m = (caseName: string, subject: string, metric: string, value: number, unit: string): void => {
    measurements.push({ suite: SUITE, case: caseName, subject, metric, value, unit });
  };

  // 1. density-heavy
  if (parts.has('density')) {
    const densityCase = `density-heavy: ${size.nodes} nodes, ${size.pods} pods, ${size.vips} VIPs`;
    progress('density, ovn-overlay');
    const loadBefore = loadAverages();
    await densityWarmUp(mode);
    const log = new TransactionLog();
    const ours = await densityOurs(size, false, log);
    progress('density, python-idl');
    const python = await densityPython(size);
    const differences = rowDifferences(ours.rows, python.rows);
    if (differences.length > 0) throw new Error(`density: the pod API and the Python IDL wrote different rows:\n${differences.join('\n')}`);
    // Group commit, the target's run, in DENSITY_ROUNDS rounds with the Python IDL (who goes first alternates; the
    // Python IDL's first round is the run above): the target is judged on the median of the per-round ratios, so
    // one noisy run decides nothing. The first round's transactions are the group-commit floor's.
    const coalescedLog = new TransactionLog();
    let bytesPerRow = 0;
    let coalesced: DensityOurs | undefined;
    const groupCommitMs: number[] = [];
    const pythonCommitMs: number[] = [python.commitMs];
    for (let round = 0; round < DENSITY_ROUNDS; round++) {
      const last = round === DENSITY_ROUNDS - 1;
      const groupRun = async (): Promise<void> => {
        progress(`density, ovn-overlay with group commit (round ${round + 1} of ${DENSITY_ROUNDS})`);
        // Replica bytes per row only after the last timed run of ours (see replicaHeapPerRow).
        const run = await densityOurs(size, true, round === 0 ? coalescedLog : undefined,
          last ? async (lab) => { bytesPerRow = await replicaHeapPerRow(lab.nb.unix); } : undefined);
        const rowsDiffer = rowDifferences(run.rows, python.rows);
        if (rowsDiffer.length > 0) throw new Error(`density: group commit wrote other rows than the Python IDL:\n${rowsDiffer.join('\n')}`);
        coalesced ??= run;
        groupCommitMs.push(run.commitMs);
      };
      const pythonRun = async (): Promise<void> => {
        progress(`density, python-idl (round ${round + 1} of ${DENSITY_ROUNDS})`);
        const run = await densityPython(size);
        const rowsDiffer = rowDifferences(run.rows, python.rows);
        if (rowsDiffer.length > 0) throw new Error(`density: the Python IDL wrote other rows than in its first run:\n${rowsDiffer.join('\n')}`);
        pythonCommitMs.push(run.commitMs);
      };
      if (round === 0) await groupRun();
      else if (round % 2 === 1) { await groupRun(); await pythonRun(); } else { await pythonRun(); await groupRun(); }
    }
    if (!coalesced) throw new Error('density: no group-commit run');
    progress('density, server floor');
    const floor = await densityFloor(log, IN_FLIGHT);
    const floorDifferences = rowDifferences(floor.rows, python.rows);
    if (floorDifferences.length > 0) throw new Error(`density: the replayed transactions wrote other rows than the Python IDL:\n${floorDifferences.join('\n')}`);
    // The same for the group-commit run: how far that shape can go on this machine.
    progress('density, group commit server floor');
    const coalescedFloor = await densityFloor(coalescedLog, GROUP_IN_FLIGHT);
    const coalescedFloorDifferences = rowDifferences(coalescedFloor.rows, python.rows);
    if (coalescedFloorDifferences.length > 0) throw new Error(`density: the replayed group-commit transactions wrote other rows than the Python IDL:\n${coalescedFloorDifferences.join('\n')}`);
    const loadAfter = loadAverages();
    for (const [subject, r] of [['ovn-overlay', ours], ['ovn-overlay, group commit', coalesced], ['server floor', floor], ['group commit server floor', coalescedFloor], ['python-idl', python]] as const) {
      m(densityCase, subject, 'commit', r.commitMs, 'ms');
      m(densityCase, subject, 'nodes', r.nodesMs, 'ms');
      m(densityCase, subject, 'pods', r.podsMs, 'ms');
      m(densityCase, subject, 'vips', r.vipsMs, 'ms');
      m(densityCase, subject, 'northd after the last commit until SB caught up', r.northdMs, 'ms');
      m(densityCase, subject, 'first commit until SB caught up', r.commitMs + r.northdMs, 'ms');
      m(densityCase, subject, 'writer CPU', r.writerCpuS, 's');
      m(densityCase, subject, 'ovn-northd CPU', r.northdCpuS, 's');
      m(densityCase, subject, 'NB ovsdb-server CPU', r.nbServerCpuS, 's');
      m(densityCase, subject, 'ovn-northd runs', r.northdRuns, 'runs');
    }
    m(densityCase, 'ovn-overlay', 'replica bytes per row', bytesPerRow, 'B');
    // The target is judged on group commit: the issue does not prescribe one transaction per object, and that
    // shape's own server floor (below) stays under 5x on this machine, so no client could meet it that way.
    comparisons.push(compare(SUITE, densityCase, 'time to commit', 'python-idl', ours.commitMs, python.commitMs, false));
    const groupRounds = roundsComparison(SUITE, `${densityCase}, group commit`, 'time to commit', 'python-idl (same rounds)', groupCommitMs, pythonCommitMs, false,
      { text: '>= 5x faster than the Python IDL (group commit through the pod API)', minAdvantage: 5 }, 'ms');
    comparisons.push(groupRounds);
    comparisons.push(compare(SUITE, `${densityCase}, server floor`, 'time to commit', 'python-idl', floor.commitMs, python.commitMs, false));
    comparisons.push(compare(SUITE, `${densityCase}, group commit server floor`, 'time to commit', 'python-idl', coalescedFloor.commitMs, python.commitMs, false));
    comparisons.push(compare(SUITE, `${densityCase}, group commit`, 'time to commit', 'group commit server floor', coalesced.commitMs, coalescedFloor.commitMs, false));
    comparisons.push(compare(SUITE, densityCase, 'time to commit', 'server floor', ours.commitMs, floor.commitMs, false));
    for (const [phase, key] of [['node topologies', 'nodesMs'], ['pods', 'podsMs'], ['Service VIPs', 'vipsMs']] as const) {
      comparisons.push(compare(SUITE, densityCase, `${phase}: time to commit`, 'python-idl', ours[key], python[key], false, undefined, 'ms'));
    }
    comparisons.push(compare(SUITE, densityCase, 'writer CPU s', 'python-idl', ours.writerCpuS, python.writerCpuS, false));
    comparisons.push(compare(SUITE, densityCase, 'first commit until SB caught up', 'python-idl', ours.commitMs + ours.northdMs, python.commitMs + python.northdMs, false));
    notes.push(`density: both sides write the same ${rowCount(ours.rows)} NB rows (compared row for row with ovsdb-client dump after each run), `
      + `ours in its steady state, after ${WARM_UP_RUNS} warm-up runs each way on throwaway labs (an agent is a long-running process; the first runs of a cold one pay for compiling its code), `
      + `one transaction per object as ovn-kubernetes sends them: node topologies (${IN_FLIGHT.nodes} in flight, GR join address from the node id), `
      + `pods (${IN_FLIGHT.pods} in flight), Service VIPs (${IN_FLIGHT.vips} in flight); the Python IDL commits one at a time (its IDL allows one transaction in flight). `
      + `Group commit (nodes, pods and Services of one turn share transactions of at most ${GROUP_BATCH.nodes}, ${GROUP_BATCH.pods} and ${GROUP_BATCH.vips}): ${coalesced.podTransactions} transactions for ${size.pods} pods, `
      + `${coalesced.serviceTransactions} for ${size.vips} Services; the 5x target is judged on this run (the same rows through the same pod API; the issue does not prescribe one transaction per object, and that shape's server floor stays under 5x here), `
      + `in ${DENSITY_ROUNDS} rounds with the Python IDL (who goes first alternates): commit ours ${groupCommitMs.map(figure).join(', ')} ms, python-idl ${pythonCommitMs.map(figure).join(', ')} ms, ratio ${roundsRange(groupRounds)}; the other rows of the table are from the first round. `
      + `Server floor: the ${log.transactions} transactions of our one-per-object run, sent again raw to a fresh lab in the same windows (no replica, no row building): `
      + `${figure(floor.commitMs)} ms, ${(python.commitMs / floor.commitMs).toFixed(2)}x the Python IDL's time, the most that shape allows on this machine; ours ${(ours.commitMs / floor.commitMs).toFixed(2)}x the floor. `
      + `Group commit server floor: the ${coalescedLog.transactions} transactions of the group-commit run sent again raw the same way (${GROUP_IN_FLIGHT.nodes}, ${GROUP_IN_FLIGHT.pods} and ${GROUP_IN_FLIGHT.vips} in flight): `
      + `${figure(coalescedFloor.commitMs)} ms, ${(python.commitMs / coalescedFloor.commitMs).toFixed(2)}x the Python IDL's time; group commit ${(coalesced.commitMs / coalescedFloor.commitMs).toFixed(2)}x its floor. `
      + `ovn-northd after the last commit: ${figure(ours.northdMs)} ms after ours, ${figure(python.northdMs)} ms after the peer's (over the whole run: CPU ${ours.northdCpuS.toFixed(1)} s and ${python.northdCpuS.toFixed(1)} s, `
      + `${ours.northdRuns} and ${python.northdRuns} runs rebuilding the logical flows: the same rows arriving faster are taken in fewer, larger runs, `
      + `and more of them are still to do when the last commit returns); `
      + `replica ${bytesPerRow.toFixed(0)} bytes of heap per row; load average ${loadBefore} before, ${loadAfter} after`);
  }

  // 2. fan-out
  if (parts.has('fan-out')) {
    progress('fan-out');
    const fanLab = await startLab({ clustered: true, northd: false, relays: { sb: 2 } });
    let direct: FanoutRun;
    let relayed: FanoutRun;
    const fanLoad = loadAverages();
    try {
      const datapath = await fillSouthbound(fanLab, size.clients);
      direct = await fanout(fanLab, size, datapath, false);
      relayed = await fanout(fanLab, size, datapath, true);
    } finally {
      await fanLab.stop();
    }
    const fanCase = `SB fan-out: ${size.clients} clients in ${size.workers} processes`;
    for (const [subject, r] of [['through 2 relays', relayed], ['direct to the leader', direct]] as const) {
      m(fanCase, subject, 'time until all synced', r.syncMs, 'ms');
      m(fanCase, subject, 'p99 propagation', percentile(r.propagation, 99), 'ms');
      m(fanCase, subject, 'leader CPU', r.leaderCpuS, 's');
      m(fanCase, subject, 'all members CPU', r.membersCpuS, 's');
    }
    comparisons.push(compare(SUITE, fanCase, 'leader CPU s', 'direct to the leader', relayed.leaderCpuS, direct.leaderCpuS, false,
      { text: 'relays cut the leader CPU >= 3x', minAdvantage: 3 }));
    comparisons.push(compare(SUITE, fanCase, 'time until all synced', 'direct to the leader', relayed.syncMs, direct.syncMs, false));
    comparisons.push(compare(SUITE, `${fanCase}, through 2 relays`, 'p99 propagation ms', '1 s (target)', percentile(relayed.propagation, 99), 1000, false,
      { text: 'p99 < 1 s', minAdvantage: 1 }));
    comparisons.push(compare(SUITE, `${fanCase}, direct to the leader`, 'p99 propagation ms', '1 s (target)', percentile(direct.propagation, 99), 1000, false,
      { text: 'p99 < 1 s', minAdvantage: 1 }));
    notes.push(`fan-out: 3-member SB cluster; each client monitors Chassis (its own name), Port_Binding and Logical_Flow (its datapath: ${size.clients} ports, ${size.clients * 10} flows) with conditions; direct = every client on the leader (leader-only), relays = clients spread over 2 relays; propagation: ${size.marks} changes of one Port_Binding by ovn-sbctl (its own start included) until seen by all ${size.clients}; leader CPU over sync + propagation; load average ${fanLoad}`);
  }

  // 3. pods up
  if (parts.has('pods-up')) {
    progress('pods up on hypervisors');
    const upLoad = loadAverages();
    const up = await podsUp(size);
    const upCase = `${size.hypervisors} hypervisors (real ovn-controller) through 2 SB relays`;
    m(upCase, 'ovn-overlay', 'pods/s until up=true', (up.pods * 1000) / up.ms, 'pods/s');
    m(upCase, 'ovn-overlay', 'total', up.ms, 'ms');
    notes.push(`pods up: ${up.pods} pods (pod API, coalesced), each bound as a dummy VIF on its hypervisor, until every port is up=true in NB: `
      + `${figure((up.pods * 1000) / up.ms)} pods/s (${figure(up.ms)} ms); load average ${upLoad}`);
  }
  options.progress?.(steps, steps, 'done');
  return { suite: SUITE, measurements, comparisons, notes };
};

const invokedDirectly = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (invokedDirectly) {
  const result = await runScaleBench({ quick: process.argv.includes('--quick') });
  for (const x of result.measurements) console.log(`${x.case.padEnd(60)} ${x.subject.padEnd(22)} ${x.metric.padEnd(28)} ${x.value.toFixed(x.unit === 'B' ? 0 : 2)} ${x.unit}`);
  for (const c of result.comparisons) console.log(`${c.case} ${c.metric} vs ${c.peer}: ${c.advantage.toFixed(2)}x${c.target ? ` (target ${c.target}: ${c.met ? 'met' : 'NOT met'})` : ''}`);
  for (const n of result.notes) console.log(`note: ${n}`);
}
