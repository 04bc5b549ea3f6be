// Bench: the agent (issue #13), ovn-heater's density-heavy shape (a Service VIP for every other pod) as
// Kubernetes objects in a kubectl watch-event stream, against the Open vSwitch Python IDL writing the same rows.
//
//   converge   an Agent reads the stream (a file, as `kubectl get ... --watch --output-watch-events -o json`
//              writes it) and converges the Northbound: objects/s from the stream's first line to converged().
//              Peer: bench/peers/agent_python_idl.py writes exactly the rows our agent wrote (read back from the
//              Northbound), one transaction per Kubernetes object, into a fresh Northbound.
//   restart    a new Agent on the converged Northbound, the same stream (kubectl's relist after a restart):
//              time until converged, and the write transactions it sent: by its own client's count and on the
//              wire, in ovsdb-server's jsonrpc log of a second restart (the debug log would slow the timed one).
//   memory     heap of a fresh Northbound replica of the converged rows, per row.
//
//   node --import tsx bench/agent.ts [--quick | --full]
//
// The default is the issue's "scaled to this machine" size (100 nodes, 4,500 pods, 2,250 Services); --full is
// ovn-heater's (500 nodes, 22,500 pods, 11,250 Services) and wants a quiet, bigger machine.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Agent } from '../src/k8s/agent.js';
import { WatchStreamSource } from '../src/k8s/watch-stream-source.js';
import { startLab, type Lab } from '../src/lab/index.js';
import { LOAD_BALANCER_OWNER_KEY, OBJECT_NAME_KEY, OWNER_TYPE_KEY } from '../src/ovn/names.js';
import { NORTHBOUND_TABLES, openNorthbound } from '../src/ovn/northbound.js';
import { OvsdbClient } from '../src/ovsdb/client.js';
import type { Json } from '../src/ovsdb/json.js';
import { compare, type BenchComparison, type BenchMeasurement, type BenchOptions, type BenchSuite, type BenchSuiteResult } from './result.js';
import { replicaHeapPerRow } from './replica-heap.js';
import { loadAverages } from './statistics.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const SUITE = 'agent';
const PYTHON = '/usr/bin/python3';
const NB_SCHEMA = '/usr/share/ovn/ovn-nb.ovsschema';
/** The owner controller of the bench agent's rows. */
const CONTROLLER = 'bench-agent';
/** The pod network the node subnets are cut from (the layout of bench/scale.ts). */
const CLUSTER_SUBNET = '10.128.0.0/9';

export interface AgentBenchSize { nodes: number; pods: number; services: number }

/** quick: seconds, for the test; default: the issue's size scaled to this machine; full: ovn-heater's. */
export function agentBenchSize(mode: 'quick' | 'default' | 'full'): AgentBenchSize {
  if (mode === 'full') return { nodes: 500, pods: 22_500, services: 11_250 };
  if (mode === 'quick') return { nodes: 4, pods: 60, services: 30 };
  return { nodes: 100, pods: 4_500, services: 2_250 };
}

// ---------------------------------------------------------------------------------------------------------------
// The workload, as kubectl prints it

const nodeName = (i: number): string => `node-${i}`;
const nodeSubnet = (i: number): string => `10.${128 + (i >> 8)}.${i & 255}.0/24`;
/** Where pod i lands: nodes round-robin, and on its node the address the node switch's IPAM hands out in order
 * (.1 the router port, .2 the management port, then .3, .4...): the address its EndpointSlice names. */
const podNode = (size: AgentBenchSize, i: number): number => i % size.nodes;
const podIp = (size: AgentBenchSize, i: number): string => {
  const n = podNode(size, i);
  return `10.${128 + (n >> 8)}.${n & 255}.${3 + Math.floor(i / size.nodes)}`;
};
const NAMESPACE = 'density';

/**
 * The density-heavy objects in a watch-event stream (one ADDED line each, every object with its resourceVersion):
 * the namespace, nodes (ovn-kubernetes' node-subnets and node-chassis-id annotations), pods spread over the nodes,
 * and a ClusterIP Service with one EndpointSlice for every other pod (its one endpoint that pod, ready).
 */
export function densityStream(size: AgentBenchSize): { text: string; objects: number } {
  const lines: string[] = [];
  let version = 1;
  const added = (object: Record<string, unknown>): void => {
    const metadata = { ...(object.metadata as Record<string, unknown>), resourceVersion: String(++version), uid: `bench-${version}` };
    lines.push(JSON.stringify({ type: 'ADDED', object: { ...object, metadata } }));
  };
  added({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE, labels: { 'kubernetes.io/metadata.name': NAMESPACE } }, status: { phase: 'Active' } });
  for (let i = 0; i < size.nodes; i++) {
    added({
      apiVersion: 'v1', kind: 'Node',
      metadata: {
        name: nodeName(i), labels: { 'kubernetes.io/hostname': nodeName(i) },
        annotations: { 'k8s.ovn.org/node-subnets': JSON.stringify({ default: [nodeSubnet(i)] }), 'k8s.ovn.org/node-chassis-id': `chassis-${i}` },
      },
      spec: {},
      status: { addresses: [{ type: 'InternalIP', address: `172.16.${i >> 8}.${i & 255}` }] },
    });
  }
  for (let i = 0; i < size.pods; i++) {
    added({
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: `pod-${i}`, namespace: NAMESPACE, labels: { app: `app-${i >> 1}` } },
      spec: { nodeName: nodeName(podNode(size, i)), containers: [{ name: 'main', image: 'registry.k8s.io/pause:3.10', ports: [{ containerPort: 8080, protocol: 'TCP' }] }] },
      status: { phase: 'Running' },
    });
  }
  for (let i = 0; i < size.services; i++) {
    const name = `svc-${i}`;
    const backend = (2 * i) % size.pods;
    added({
      apiVersion: 'v1', kind: 'Service',
      metadata: { name, namespace: NAMESPACE },
      spec: {
        type: 'ClusterIP', clusterIP: `172.30.${i >> 8}.${i & 255}`, clusterIPs: [`172.30.${i >> 8}.${i & 255}`], ipFamilies: ['IPv4'],
        selector: { app: `app-${i}` }, ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 }],
      },
    });
    added({
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
      metadata: { name: `${name}-bench`, namespace: NAMESPACE, labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      endpoints: [{
        addresses: [podIp(size, backend)], conditions: { ready: true, serving: true, terminating: false },
        nodeName: nodeName(podNode(size, backend)), targetRef: { kind: 'Pod', namespace: NAMESPACE, name: `pod-${backend}` },
      }],
      ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
    });
  }
  return { text: lines.join('\n') + '\n', objects: lines.length };
}

// ---------------------------------------------------------------------------------------------------------------
// Measuring tools

interface AgentRunFigures {
  ms: number; writes: number; transactions: number; problems: number;
  /** Keys waiting out a retry backoff when converged() resolved (it does not wait for them): 0 when converged for real. */
  retryPending: number;
}

/** An Agent reading the stream file into the lab's Northbound; resolves once converged, with its figures. */
async function agentRun(lab: Lab, streamFile: string): Promise<AgentRunFigures> {
  const started = performance.now();
  // The file's end is the end of its initial state: no quiet period is waited for.
  const source = WatchStreamSource.fromPaths([streamFile]);
  const agent = new Agent({ nb: lab.nb.unix, sources: [source], controller: CONTROLLER, clusterSubnets: [CLUSTER_SUBNET], podAnnotations: false, resyncIntervalMs: 0 });
  try {
    await agent.start();
    await agent.converged();
    const ms = performance.now() - started;
    const stats = agent.stats();
    const retryPending = Object.values(stats.queues).reduce((n, q) => n + q.retryPending, 0);
    return { ms, writes: stats.nb.writeTransactions, transactions: stats.nb.transactions, problems: stats.problems, retryPending };
  } finally {
    await agent.stop();
  }
}

/** Transact requests ovsdb-server received while `during` ran, from its jsonrpc debug log. */
async function transactsOnTheWire(lab: Lab, during: () => Promise<void>): Promise<{ transacts: number; requests: number }> {
  const server = lab.nb.servers[0];
  await server.appctl('vlog/set', 'jsonrpc:file:dbg');
  const from = (await readFile(server.logFile, 'utf8')).length;
  try {
    await during();
  } finally {
    await server.appctl('vlog/set', 'jsonrpc:file:info');
  }
  const received = (await readFile(server.logFile, 'utf8')).slice(from).split('\n').filter((l) => /\|jsonrpc\|DBG\|[^|]*: received request, method="/.test(l));
  return { transacts: received.filter((l) => l.includes('method="transact"')).length, requests: received.length };
}

interface DumpedRow { table: string; uuid: string; row: Record<string, Json> }
const uuidOf = (value: Json): string => (value as [string, string])[1];

/**
 * The rows the agent wrote, grouped as one transaction per Kubernetes object for the Python peer: a row that names
 * its owner (owner type and name, or a load balancer's Service) goes with it; any other row with the first group
 * that refers to it (a router port with its router); the cluster's rows first, then nodes, pods, Services.
 */
async function dumpRowsByOwner(lab: Lab): Promise<{ groups: { owner: string; rows: DumpedRow[] }[]; rows: number; perTable: Record<string, number> }> {
  const client = await OvsdbClient.connect(lab.nb.unix);
  const rows: DumpedRow[] = [];
  try {
    // The tables the library writes (NORTHBOUND_TABLES: NB_Global and the connection tables are not among them).
    const tables = NORTHBOUND_TABLES;
    const results = await client.transactRaw('OVN_Northbound', tables.map((table) => ({ op: 'select', table, where: [] })) as Json[]);
    results.forEach((result, i) => {
      for (const row of (result as { rows: Record<string, Json>[] }).rows) rows.push({ table: tables[i], uuid: uuidOf(row._uuid), row });
    });
  } finally {
    await client.close();
  }
  const rank: Record<string, number> = { Cluster: 0, Node: 1, Pod: 2, Service: 3, NetworkPolicy: 4 };
  const ownerOf = (r: DumpedRow): string | undefined => {
    const ids = r.row.external_ids;
    const map = new Map(Array.isArray(ids) && ids[0] === 'map' ? (ids[1] as [string, string][]) : []);
    const type = map.get(OWNER_TYPE_KEY);
    if (type === 'Cluster') return 'Cluster'; // the cluster's rows are one transaction (ensureCluster)
    if (type !== undefined) return `${type} ${map.get(OBJECT_NAME_KEY) ?? ''}`;
    if (map.has(LOAD_BALANCER_OWNER_KEY)) return `Service ${map.get(LOAD_BALANCER_OWNER_KEY)}`;
    return undefined;
  };
  const owner = new Map<string, string>();
  for (const r of rows) { const o = ownerOf(r); if (o !== undefined) owner.set(r.uuid, o); }
  // A row without an owner of its own goes with what refers to it (a few passes reach children of children); one
  // that several objects refer to (the cluster load balancer group), or none, is the cluster's.
  const referrers = new Map<string, string[]>();
  const refsIn = (value: Json, into: string[]): void => {
    if (!Array.isArray(value)) return;
    if (value[0] === 'uuid') into.push(value[1] as string);
    else if (value[0] === 'set' || value[0] === 'map') for (const item of value[1] as Json[]) refsIn(item, into);
    else for (const item of value) refsIn(item, into);
  };
  for (const r of rows) {
    const targets: string[] = [];
    for (const [column, value] of Object.entries(r.row)) if (!column.startsWith('_')) refsIn(value, targets);
    for (const t of targets) referrers.set(t, [...(referrers.get(t) ?? []), r.uuid]);
  }
  for (let pass = 0; pass < 4; pass++) {
    for (const r of rows) {
      if (owner.has(r.uuid)) continue;
      const referring = referrers.get(r.uuid) ?? [];
      const groups = new Set(referring.map((u) => owner.get(u)));
      if (groups.has(undefined) && pass < 3) continue; // a referrer not placed yet
      if (groups.size === 1 && !groups.has(undefined)) owner.set(r.uuid, [...groups][0]!);
      else if (pass === 3 || groups.size > 1) owner.set(r.uuid, 'Cluster');
    }
  }
  const groupRank = (o: string): number => rank[o.split(' ')[0]] ?? 9;
  const groups = new Map<string, DumpedRow[]>();
  for (const r of rows) {
    const o = owner.get(r.uuid) ?? 'Cluster';
    groups.set(o, [...(groups.get(o) ?? []), r]);
  }
  const order = (o: string): [number, number] => [groupRank(o), Number(/-(\d+)$/.exec(o)?.[1] ?? 0)];
  const sorted = [...groups].sort(([a], [b]) => { const [ra, na] = order(a); const [rb, nb] = order(b); return ra - rb || na - nb; });
  const perTable: Record<string, number> = {};
  for (const r of rows) perTable[r.table] = (perTable[r.table] ?? 0) + 1;
  return { groups: sorted.map(([o, list]) => ({ owner: o, rows: list })), rows: rows.length, perTable };
}

/** Rows per table the library writes in a Northbound, to check the peer wrote the same rows. */
async function rowCounts(lab: Lab): Promise<Record<string, number>> {
  const nb = await openNorthbound(lab.nb.unix);
  try {
    const counts: Record<string, number> = {};
    for (const table of NORTHBOUND_TABLES) {
      const n = nb.table(table).size;
      if (n > 0) counts[table] = n;
    }
    return counts;
  } finally {
    await nb.close();
  }
}

export interface AgentBenchRun {
  size: AgentBenchSize;
  objects: number;
  /** First start: stream to converged Northbound. */
  convergeMs: number;
  convergeWrites: number;
  problems: number;
  /** Keys of any run left waiting for a retry when it said converged (0 when every run converged for real). */
  retryPending: number;
  rows: number;
  perTable: Record<string, number>;
  /** Restart with nothing changed: time to converged, and writes by the agent's count. */
  restartMs: number;
  restartWrites: number;
  /** A second unchanged restart with ovsdb-server's jsonrpc log on: its transact requests, and all requests. */
  restartWireTransacts: number;
  restartWireRequests: number;
  restartLoggedWrites: number;
  bytesPerRow: number;
  /** Where the rows dump for the peer is (removed by the caller). */
  rowsFile: string;
  dir: string;
}

/** Our side of the bench: converge, two unchanged restarts, replica memory. Used by the bench and by its test. */
export async function runAgentSide(size: AgentBenchSize): Promise<AgentBenchRun> {
  const dir = await mkdtemp(join(tmpdir(), 'ovn-overlay-bench-agent-'));
  const streamFile = join(dir, 'density.jsonl');
  const stream = densityStream(size);
  await writeFile(streamFile, stream.text);
  const lab = await startLab({ northd: false });
  try {
    const first = await agentRun(lab, streamFile);
    const restart = await agentRun(lab, streamFile);
    let logged: AgentRunFigures = { ms: 0, writes: 0, transactions: 0, problems: 0, retryPending: 0 };
    const wire = await transactsOnTheWire(lab, async () => { logged = await agentRun(lab, streamFile); });
    const dump = await dumpRowsByOwner(lab);
    const rowsFile = join(dir, 'rows.json');
    await writeFile(rowsFile, JSON.stringify({ groups: dump.groups }));

    const bytesPerRow = await replicaHeapPerRow(lab.nb.unix);
    return {
      size, objects: stream.objects, convergeMs: first.ms, convergeWrites: first.writes, problems: first.problems,
      retryPending: first.retryPending + restart.retryPending + logged.retryPending,
      rows: dump.rows, perTable: dump.perTable,
      restartMs: restart.ms, restartWrites: restart.writes,
      restartWireTransacts: wire.transacts, restartWireRequests: wire.requests, restartLoggedWrites: logged.writes,
      bytesPerRow, rowsFile, dir,
    };
  } finally {
    await lab.stop();
  }
}

/** The peer: the Python IDL writes the dumped rows into a fresh Northbound; its time and the rows it holds then. */
export async function runPythonSide(rowsFile: string): Promise<{ ms: number; transactions: number; perTable: Record<string, number> }> {
  const lab = await startLab({ northd: false });
  try {
    const { stdout } = await run(PYTHON, [join(here, 'peers', 'agent_python_idl.py'), lab.nb.unix, NB_SCHEMA, rowsFile],
      { maxBuffer: 16 * 1024 * 1024, timeout: 60 * 60 * 1000 });
    const out = JSON.parse(stdout.trim().split('\n').pop() as string) as { total_ms: number; transactions: number };
    return { ms: out.total_ms, transactions: out.transactions, perTable: await rowCounts(lab) };
  } finally {
    await lab.stop();
  }
}

// ---------------------------------------------------------------------------------------------------------------

export const runAgentBench: BenchSuite = async (options: BenchOptions): Promise<BenchSuiteResult> => {
  const mode = options.quick ? 'quick' : process.argv.includes('--full') ? 'full' : 'default';
  const size = agentBenchSize(mode);
  const measurements: BenchMeasurement[] = [];
  const comparisons: BenchComparison[] = [];
  const notes: string[] = [];
  const m = (caseName: string, subject: string, metric: string, value: number, unit: string): void => {
    measurements.push({ suite: SUITE, case: caseName, subject, metric, value, unit });
  };
  const caseName = `density-heavy: ${size.nodes} nodes, ${size.pods} pods, ${size.services} Services`;

  options.progress?.(0, 2, 'agent: converge and restarts');
  const loadBefore = loadAverages();
  const ours = await runAgentSide(size);
  try {
    options.progress?.(1, 2, 'agent: python-idl');
    const loadPeer = loadAverages();
    const python = await runPythonSide(ours.rowsFile);
    const same = JSON.stringify(python.perTable) === JSON.stringify(Object.fromEntries(Object.entries(ours.perTable).filter(([, n]) => n > 0)));

    m(caseName, 'ovn-overlay', 'stream to converged NB', ours.convergeMs, 'ms');
    m(caseName, 'ovn-overlay', 'objects/s', (ours.objects * 1000) / ours.convergeMs, 'objects/s');
    m(caseName, 'ovn-overlay', 'write transactions', ours.convergeWrites, 'transactions');
    m(caseName, 'python-idl', 'stream to converged NB', python.ms, 'ms');
    m(caseName, 'python-idl', 'objects/s', (ours.objects * 1000) / python.ms, 'objects/s');
    m(caseName, 'python-idl', 'write transactions', python.transactions, 'transactions');
    m(caseName, 'ovn-overlay', 'restart unchanged', ours.restartMs, 'ms');
    m(caseName, 'ovn-overlay', 'restart writes (agent count)', ours.restartWrites, 'transactions');
    m(caseName, 'ovn-overlay', 'restart transacts (ovsdb-server log)', ours.restartWireTransacts, 'transactions');
    m(caseName, 'ovn-overlay', 'replica bytes per row', ours.bytesPerRow, 'B');
    comparisons.push(compare(SUITE, caseName, 'stream to converged NB', 'python-idl', ours.convergeMs, python.ms, false,
      { text: '>= 3x faster than the Python IDL', minAdvantage: 3 }));
    comparisons.push(compare(SUITE, `${caseName}, restart unchanged`, 'time to converged ms', '2 s (target)', ours.restartMs, 2000, false,
      { text: '< 2 s', minAdvantage: 1 }));
    notes.push(`agent: ${ours.objects} objects (1 namespace, nodes, pods, a ClusterIP Service + EndpointSlice per other pod) in a watch-event file; ours = an Agent from its start (replica connect included) until converged(), ${ours.convergeWrites} write transactions, ${ours.problems} objects skipped; python-idl = the same ${ours.rows} rows (read back from our NB; same rows per table: ${same ? 'yes' : `NO: ours ${JSON.stringify(ours.perTable)}, theirs ${JSON.stringify(python.perTable)}`}) written one transaction per Kubernetes object into a fresh NB, timed from its IDL's sync; load average ${loadBefore} (ours), ${loadPeer} (peer)`);
    notes.push(`agent restart with nothing changed: ${ours.restartMs.toFixed(0)} ms to converged, ${ours.restartWrites} write transactions by the agent's count; a second unchanged restart with ovsdb-server's jsonrpc debug log on: ${ours.restartWireTransacts} transact requests of ${ours.restartWireRequests} requests received (agent count ${ours.restartLoggedWrites}); replica: ${ours.bytesPerRow.toFixed(0)} bytes of heap per row`);
    if (ours.restartWrites !== 0 || ours.restartWireTransacts !== 0) notes.push('agent: TARGET MISSED: an unchanged restart wrote');
    if (ours.retryPending !== 0) notes.push(`agent: NOT CONVERGED: ${ours.retryPending} keys were waiting for a retry when converged() resolved`);
  } finally {
    await rm(ours.dir, { recursive: true, force: true });
  }
  options.progress?.(2, 2, 'done');
  return { suite: SUITE, measurements, comparisons, notes };
};

const invokedDirectly = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (invokedDirectly) {
  const result = await runAgentBench({ quick: process.argv.includes('--quick') });
  for (const x of result.measurements) console.log(`${x.case.padEnd(56)} ${x.subject.padEnd(12)} ${x.metric.padEnd(38)} ${x.value.toFixed(x.unit === 'ms' ? 1 : 0)} ${x.unit}`);
  for (const c of result.comparisons) console.log(`${c.case} ${c.metric} vs ${c.peer}: ${c.advantage.toFixed(2)}x${c.target ? ` (target ${c.target}: ${c.met ? 'met' : 'NOT met'})` : ''}`);
  for (const n of result.notes) console.log(`note: ${n}`);
}
