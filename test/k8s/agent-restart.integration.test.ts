// Restart safety, on the two-hypervisor lab (real ovn-northd and ovn-controller), with the agent as a child process
// (test/k8s/agent-child.ts) fed only through a kubectl watch-event stream on its standard input:
//  - a random workload of nodes, namespaces, pods, services with endpoint slices and policies is streamed, and the
//    agent is SIGKILLed at random points of it; each restart reads the current state (as kubectl's list after a
//    restart) and then the rest of the stream. In the end the Northbound holds exactly the workload's rows: no port,
//    address, port group, address set or load balancer twice (ovn-nbctl);
//  - a restart with nothing changed sends no write transaction: counted by the agent's client and on the wire, in
//    ovsdb-server's own jsonrpc log of the agent's connection.
// The workload and the kill points come from a seed (AGENT_KILL_SEED to replay one; the test logs it).
import test from 'ava';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { startLab, type Lab } from '../../src/lab/index.js';
import { INITIAL_EVENTS_END_ANNOTATION } from '../../src/k8s/watch-stream-source.js';
import { endpointSlice, namespace, networkPolicy, node, pod, service, type Json } from './cluster-objects.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const seed = Number(process.env.AGENT_KILL_SEED ?? Date.now() % 1_000_000);

/** mulberry32: a small seeded generator, so a failing run can be replayed. */
function random(s: number): () => number {
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let x = Math.imul(s ^ (s >>> 15), 1 | s);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

type Event = { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: Json };
const keyOf = (o: Json): string => { const m = o.metadata as { namespace?: string; name: string }; return `${o.kind as string} ${m.namespace ?? ''}/${m.name}`; };

/** A workload as a stream of events, and the state after each event. */
function workload(rand: () => number, steps: number): { events: Event[]; stateAt: (i: number) => Json[] } {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)];
  const state = new Map<string, Json>();
  const events: Event[] = [];
  const snapshots: Map<string, Json>[] = [];
  let rv = 1;
  const emit = (type: Event['type'], object: Json): void => {
    const o = { ...object, metadata: { ...(object.metadata as Json), resourceVersion: String(++rv) } };
    if (type === 'DELETED') state.delete(keyOf(o)); else state.set(keyOf(o), o);
    events.push({ type, object: o });
    snapshots.push(new Map(state));
  };
  for (const o of [namespace('red', { env: 'prod' }), namespace('blue', { env: 'dev' }),
    node('hv1', { subnet: '10.244.1.0/24', chassis: 'hv1' }), node('hv2', { subnet: '10.244.2.0/24', chassis: 'hv2' })]) emit('ADDED', o);
  const apps = ['web', 'api', 'db'];
  let n = 0;
  const pods = () => [...state.values()].filter((o) => o.kind === 'Pod');
  const of = (kind: string) => [...state.values()].filter((o) => o.kind === kind);
  for (let i = 0; i < steps; i++) {
    const r = rand();
    if (r < 0.4 || pods().length < 3) {
      const ns = pick(['red', 'blue']);
      emit('ADDED', pod(ns, `p${++n}`, { node: pick(['hv1', 'hv2']), labels: { app: pick(apps) } }));
    } else if (r < 0.55) {
      emit('DELETED', pick(pods()));
    } else if (r < 0.7) {
      const p = pick(pods());
      emit('MODIFIED', { ...p, metadata: { ...(p.metadata as Json), labels: { app: pick(apps) } } });
    } else if (r < 0.8) {
      const ns = pick(['red', 'blue']);
      const name = `np${++n}`;
      emit('ADDED', networkPolicy(ns, name, {
        podSelector: { matchLabels: { app: pick(apps) } },
        ingress: [{ from: [{ podSelector: { matchLabels: { app: pick(apps) } } }, { namespaceSelector: { matchLabels: { env: pick(['prod', 'dev']) } } }] }],
      }));
    } else if (r < 0.85 && of('NetworkPolicy').length > 0) {
      emit('DELETED', pick(of('NetworkPolicy')));
    } else if (r < 0.95) {
      const ns = pick(['red', 'blue']);
      const name = `svc${++n}`;
      const backends = pods().filter((p) => (p.metadata as Json).namespace === ns).slice(0, 3);
      emit('ADDED', service(ns, name, `10.96.${Math.floor(n / 250)}.${n % 250}`, [{ name: 'http', port: 80, targetPort: 8080 }]));
      emit('ADDED', endpointSlice(ns, `${name}-abcde`, name, [{ name: 'http', port: 8080 }],
        backends.map((p, j) => ({ ip: `10.244.${j % 2 + 1}.${200 + j}`, node: `hv${j % 2 + 1}`, pod: (p.metadata as Json).name as string }))));
    } else if (of('Service').length > 0) {
      const svc = pick(of('Service'));
      const m = svc.metadata as { namespace: string; name: string };
      emit('DELETED', svc);
      const slice = state.get(`EndpointSlice ${m.namespace}/${m.name}-abcde`);
      if (slice) emit('DELETED', slice);
    }
  }
  return { events, stateAt: (i) => (i < 0 ? [] : [...snapshots[Math.min(i, snapshots.length - 1)].values()]) };
}

interface Child {
  readonly process: ChildProcessWithoutNullStreams;
  /** Resolves with the next news line of this kind. */
  next(event: string): Promise<Record<string, unknown>>;
  write(line: string): Promise<void>;
  stderr: string;
}

function startChild(lab: Lab): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/k8s/agent-child.ts', lab.nb.tcp], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
  const news: Record<string, unknown>[] = [];
  const waiters: { event: string; resolve: (n: Record<string, unknown>) => void }[] = [];
  const state: Child = {
    process: child, stderr: '',
    next: (event) => new Promise((resolve, reject) => {
      const found = news.findIndex((n) => n.event === event);
      if (found >= 0) { resolve(news.splice(found, 1)[0]); return; }
      waiters.push({ event, resolve });
      child.once('exit', (code, signal) => reject(new Error(`agent exited (${code ?? signal}) waiting for "${event}": ${state.stderr.slice(-2000)}`)));
    }),
    write: (line) => new Promise((resolve) => { if (!child.stdin.write(line + '\n')) child.stdin.once('drain', resolve); else resolve(); }),
  };
  child.stderr.on('data', (d: Buffer) => { state.stderr += d.toString(); });
  child.stdin.on('error', () => undefined); // writes to a killed agent
  createInterface({ input: child.stdout }).on('line', (line) => {
    const n = JSON.parse(line) as Record<string, unknown>;
    const w = waiters.findIndex((x) => x.event === n.event);
    if (w >= 0) waiters.splice(w, 1)[0].resolve(n); else news.push(n);
  });
  return state;
}

const bookmark = JSON.stringify({ type: 'BOOKMARK', object: { kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: '1', annotations: { [INITIAL_EVENTS_END_ANNOTATION]: 'true' } } } });

async function relist(child: Child, objects: readonly Json[]): Promise<void> {
  for (const o of objects) await child.write(JSON.stringify({ type: 'ADDED', object: o }));
  await child.write(bookmark);
}

const killed = (child: Child): Promise<void> => new Promise((resolve) => {
  if (child.process.exitCode !== null || child.process.signalCode !== null) { resolve(); return; }
  child.process.once('exit', () => resolve());
  child.process.kill('SIGKILL');
});

interface Row { name: string; [column: string]: unknown }
async function rows(lab: Lab, table: string, columns: string): Promise<Row[]> {
  const out = JSON.parse(await lab.nbctl('--format=json', `--columns=${columns}`, 'list', table)) as { headings: string[]; data: unknown[][] };
  return out.data.map((r) => Object.fromEntries(out.headings.map((h, i) => [h, r[i]])) as Row);
}
const ids = (value: unknown): Record<string, string> => Object.fromEntries((value as ['map', [string, string][]])[1]);
const list = (value: unknown): unknown[] => (Array.isArray(value) && value[0] === 'set' ? value[1] as unknown[] : [value]);

let lab: Lab;
const children: Child[] = [];
test.before(async () => { lab = await startLab({ hypervisors: 2 }); });
test.after.always(async () => {
  for (const c of children) await killed(c);
  await lab?.stop();
});

test.serial(`SIGKILL at random points of the stream, then restarts: converged, nothing twice (seed ${seed})`, async (t) => {
  t.log(`AGENT_KILL_SEED=${seed}`);
  const rand = random(seed);
  const { events, stateAt } = workload(rand, 60);
  const kills = [...new Set([0, 1, 2].map(() => 4 + Math.floor(rand() * (events.length - 4))))].sort((a, b) => a - b);
  t.log(`${events.length} events; SIGKILL after events ${kills.join(', ')}`);
  let from = 0;
  for (const at of kills) {
    const child = startChild(lab);
    children.push(child);
    await child.next('started');
    await relist(child, stateAt(from - 1));
    for (let i = from; i < at; i++) {
      await child.write(JSON.stringify(events[i]));
      if (rand() < 0.2) await new Promise((resolve) => setTimeout(resolve, Math.floor(rand() * 20)));
    }
    // Somewhere in what it is doing with the lines it has: reading, reconciling, waiting for a reply.
    await new Promise((resolve) => setTimeout(resolve, Math.floor(rand() * 300)));
    await killed(child);
    from = at;
  }
  const last = startChild(lab);
  children.push(last);
  await last.next('started');
  await relist(last, stateAt(from - 1));
  for (let i = from; i < events.length; i++) await last.write(JSON.stringify(events[i]));
  // The rest of the stream, then a relist of the final state: converged on it.
  const final = stateAt(events.length - 1);
  await relist(last, final);
  await last.next('converged');
  last.process.stdin.end();
  await last.next('exit');

  const podsExpected = final.filter((o) => o.kind === 'Pod').map((o) => `${(o.metadata as Json).namespace as string}_${(o.metadata as Json).name as string}`).sort();
  const lsps = (await rows(lab, 'Logical_Switch_Port', 'name,addresses,external_ids')).filter((r) => ids(r.external_ids)['k8s.ovn.org/owner-controller'] === 'agent-child');
  const podPorts = lsps.filter((r) => ids(r.external_ids)['k8s.ovn.org/owner-type'] === 'Pod');
  t.deepEqual(podPorts.map((r) => r.name).sort(), podsExpected, 'exactly the pods of the final state');
  const addresses = podPorts.map((r) => String(list(r.addresses)[0]).split(' ')[1]);
  t.is(new Set(addresses).size, addresses.length, `no address twice: ${addresses.sort().join(' ')}`);
  const switches = await rows(lab, 'Logical_Switch', 'name,ports');
  const holders = new Map<string, number>();
  for (const s of switches) for (const p of list(s.ports)) holders.set(String((p as [string, string])[1]), (holders.get(String((p as [string, string])[1])) ?? 0) + 1);
  t.true([...holders.values()].every((n) => n === 1), 'every port on one switch');
  t.deepEqual(switches.map((s) => s.name).sort(), ['hv1', 'hv2', 'join']);

  const servicesExpected = final.filter((o) => o.kind === 'Service').map((o) => `Service_${(o.metadata as Json).namespace as string}/${(o.metadata as Json).name as string}_TCP_cluster`).sort();
  const lbs = (await rows(lab, 'Load_Balancer', 'name,external_ids')).filter((r) => ids(r.external_ids)['k8s.ovn.org/owner-controller'] === 'agent-child');
  t.deepEqual(lbs.map((r) => r.name).sort(), servicesExpected, 'one load balancer per service, none twice');

  const policiesExpected = final.filter((o) => o.kind === 'NetworkPolicy').map((o) => `${(o.metadata as Json).namespace as string}:${(o.metadata as Json).name as string}`).sort();
  const pgs = (await rows(lab, 'Port_Group', 'name,external_ids')).filter((r) => ids(r.external_ids)['k8s.ovn.org/owner-type'] === 'NetworkPolicy');
  t.deepEqual(pgs.map((r) => ids(r.external_ids)['k8s.ovn.org/name']).sort(), policiesExpected, 'one port group per policy');
  const sets = await rows(lab, 'Address_Set', 'name,external_ids');
  t.is(new Set(sets.map((s) => s.name)).size, sets.length, 'no address set twice');
  t.true(sets.every((s) => policiesExpected.includes(ids(s.external_ids)['k8s.ovn.org/name'])), 'no address set of a policy that is gone');
  t.true(lsps.length > 0 && lsps.every((r) => typeof r.name === 'string'));

  // A restart with nothing changed: no write, by the agent's count and by ovsdb-server's log of its connection.
  const server = lab.nb.servers[0];
  await server.appctl('vlog/set', 'jsonrpc:file:dbg');
  const logStart = (await readFile(server.logFile, 'utf8')).length;
  const again = startChild(lab);
  children.push(again);
  await again.next('started');
  await relist(again, final);
  const converged = await again.next('converged');
  t.is(converged.writes, 0, `the agent wrote ${String(converged.writes)} transactions`);
  const wire = (await readFile(server.logFile, 'utf8')).slice(logStart).split('\n').filter((l) => /\|jsonrpc\|DBG\|tcp:[^|]*: received request, method="(transact|monitor_cond_since)"/.test(l));
  const transacts = wire.filter((l) => l.includes('method="transact"'));
  t.true(wire.length > 0, 'the agent\'s connection is in the log (its monitor request)');
  t.deepEqual(transacts.map((l) => l.slice(0, 200)), [], 'no transact request on the agent\'s connection');
  await server.appctl('vlog/set', 'jsonrpc:file:info');
  again.process.stdin.end();
  await again.next('exit');
});
