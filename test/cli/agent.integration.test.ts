// `ovn-overlay agent` as a process against a real OVN_Northbound ovsdb-server: a kubectl watch stream on stdin,
// metrics on /metrics, and SIGTERM while a transaction is in flight (the server SIGSTOPped, so the transaction
// stays unanswered): the agent waits for the answer, exits 0, and OVN holds exactly the ports it reported.
// Then a --once restart that completes the stream, one with nothing changed (no write, SIGINT exits 0), and the
// informer source through --kubeconfig against the recorded API replay.
import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, type Lab } from '../../src/lab/index.js';
import { INITIAL_EVENTS_END_ANNOTATION } from '../../src/k8s/watch-stream-source.js';
import { namespace, node, pod, type Json } from '../k8s/cluster-objects.js';
import { loadExchanges, startReplayServer } from '../k8s/replay-server.js';
import { CliProcess, runCli } from './helpers.js';

let lab: Lab;
let dir: string;
test.before(async () => {
  lab = await startLab({ northd: false });
  dir = await mkdtemp(join(tmpdir(), 'ovn-overlay-agent-'));
});
test.after.always(async () => {
  lab?.nb.servers[0]?.resume();
  await lab?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

let version = 100;
const event = (type: 'ADDED' | 'MODIFIED' | 'DELETED', object: Json): string =>
  JSON.stringify({ type, object: { ...object, metadata: { ...(object.metadata as Json), resourceVersion: String(++version) } } });
const initialEventsEnd = (): string =>
  JSON.stringify({ type: 'BOOKMARK', object: { kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: String(version), annotations: { [INITIAL_EVENTS_END_ANNOTATION]: 'true' } } } });

const NODES = ['node-1', 'node-2'];
const setup = [
  event('ADDED', namespace('shop')),
  // node-2 names a chassis that is not registered until the second test adds it.
  ...NODES.map((n, i) => event('ADDED', node(n, { subnet: `10.128.${i + 1}.0/24`, ...(i === 1 ? { chassis: 'chassis-late' } : {}) }))),
];
const pods = Array.from({ length: 120 }, (_, i) => pod('shop', `web-${i}`, { node: NODES[i % 2] }));

const agentArgs = (...more: string[]): string[] => ['agent', '--nb', lab.nb.unix, '--cluster-subnet', '10.128.0.0/16', '--controller', 'agent-cli', ...more];

/** Pod ports in NB: name -> addresses. */
async function podPorts(): Promise<Map<string, string>> {
  const out = JSON.parse(await lab.nbctl('--format=json', '--columns=name,addresses', 'find', 'Logical_Switch_Port', 'external_ids:pod=true')) as { data: [string, unknown][] };
  return new Map(out.data.map(([name, addresses]) => [name, JSON.stringify(addresses)]));
}

/** `pod network pod=shop/web-3 ...` debug lines: the pods whose transaction the agent saw committed. */
const reportedPods = (log: string): Set<string> => new Set([...log.matchAll(/pod network pod=(\S+)/g)].map((m) => m[1].replace('/', '_')));

async function scrape(url: string, path = '/metrics'): Promise<{ status: number; text: string }> {
  const response = await fetch(new URL(path, url));
  return { status: response.status, text: await response.text() };
}
const writes = (metrics: string): number => Number(/^ovn_overlay_nb_transactions_total\{kind="write"\} (\d+)/m.exec(metrics)?.[1] ?? Number.NaN);

test.serial('SIGTERM with a transaction in flight: it is answered first, then exit 0 with OVN holding what was reported', async (t) => {
  const agent = new CliProcess(agentArgs('--watch', '-', '--log-level', 'debug', '--metrics-address', '127.0.0.1:0'));
  agent.write(setup.map((l) => l + '\n').join('') + initialEventsEnd() + '\n');
  const url = (await agent.waitFor(/metrics served url=(\S+)/))[1];
  await agent.waitFor(/info {2}converged /);
  const metrics = await scrape(url);
  t.is(metrics.status, 200);
  t.regex(metrics.text, /^# TYPE ovn_overlay_workqueue_depth gauge/m);
  t.regex(metrics.text, /^ovn_overlay_k8s_objects\{kind="Node"\} 2$/m);
  t.is((await scrape(url, '/')).status, 404);
  const before = writes(metrics.text);

  // The server stops answering; the pods' transaction goes out and waits.
  const server = lab.nb.servers[0];
  server.pause();
  let resumed = false;
  try {
    agent.write(pods.map((p) => event('ADDED', p) + '\n').join(''));
    const deadline = Date.now() + 20_000;
    while (writes((await scrape(url)).text) <= before) {
      if (Date.now() > deadline) throw new Error(`no transaction sent:\n${agent.output}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    agent.child.kill('SIGTERM');
    await agent.waitFor(/SIGTERM: stopping/);
    await new Promise((r) => setTimeout(r, 300));
    t.is(agent.child.exitCode, null, 'still waiting for the answer to the transaction in flight');
    server.resume();
    resumed = true;
  } finally {
    if (!resumed) server.resume();
  }
  t.is(await agent.exited, 0, agent.output);
  t.regex(agent.output, /info {2}stopped transactions=\d+ writes=\d+/);

  const ports = await podPorts();
  const reported = reportedPods(agent.output);
  t.true(reported.size > 0, 'the transaction in flight committed and was reported');
  t.log(`${reported.size} of ${pods.length} pods had their ports when the agent stopped`);
  t.deepEqual([...ports.keys()].sort(), [...reported].sort(), 'OVN holds exactly the ports the agent reported');
  t.is(new Set(ports.values()).size, ports.size, 'no address twice');
});

test.serial('a --once restart completes the stream; a restart with nothing changed writes nothing; --sb names a missing chassis; SIGINT exits 0', async (t) => {
  const file = join(dir, 'events.jsonl');
  await writeFile(file, [...setup, ...pods.map((p) => event('ADDED', p))].join('\n') + '\n');
  const once = await runCli(agentArgs('--watch', file, '--once'), { timeoutMs: 60_000 });
  t.is(once.code, 0, once.stderr);
  t.regex(once.stderr, /info {2}converged .*objects=Namespace:1,Node:2,Pod:120/);
  const ports = await podPorts();
  t.is(ports.size, 120);
  t.is(new Set(ports.values()).size, 120, 'no address twice');

  const again = new CliProcess(agentArgs('--watch', file, '--sb', lab.sb.unix));
  const converged = await again.waitFor(/info {2}converged .* writes=(\d+)/);
  t.is(converged[1], '0', 'nothing changed: no write transaction');
  // --sb: node-2's chassis is not in the Southbound until ovn-controller (here ovn-sbctl) registers it.
  // The Southbound replica syncs on its own: the warning may come before or after the Northbound converged.
  const missing = /warn {2}chassis: node names a chassis the Southbound does not have .* node=node-2 chassis=chassis-late/;
  for (let waited = 0; waited < 30_000 && !missing.test(again.output); waited += 20) await new Promise((r) => setTimeout(r, 20));
  t.regex(again.output, missing);
  await lab.sbctl('chassis-add', 'chassis-late', 'geneve', '192.168.0.9');
  await again.waitFor(/info {2}chassis: node chassis registered node=node-2 chassis=chassis-late/);
  again.child.kill('SIGINT');
  t.is(await again.exited, 0, again.output);
  t.deepEqual(await podPorts(), ports);
});

test.serial('--kubeconfig: informers against the API replay, pod-networks PATCHed back; SIGTERM exits 0', async (t) => {
  const server = await startReplayServer(loadExchanges('agent.exchanges.json'));
  try {
    const kubeconfig = join(dir, 'kubeconfig.yaml');
    await writeFile(kubeconfig, JSON.stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'replay',
      clusters: [{ name: 'replay', cluster: { server: server.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'agent', user: { token: 'replay-token' } }],
      contexts: [{ name: 'replay', context: { cluster: 'replay', user: 'agent' } }],
    }));
    const agent = new CliProcess(['agent', '--nb', lab.nb.unix, '--kubeconfig', kubeconfig, '--controller', 'agent-informer']);
    await agent.waitFor(/info {2}converged /);
    const deadline = Date.now() + 20_000;
    while (server.requests.filter((r) => r.method === 'PATCH').length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    t.is(server.requests.filter((r) => r.method === 'PATCH').length, 4, agent.output);
    t.deepEqual(server.mismatches, []);
    agent.child.kill('SIGTERM');
    t.is(await agent.exited, 0, agent.output);
  } finally {
    await server.close();
  }
});

test('an unreadable input: one line, exit 1, before connecting anywhere', async (t) => {
  const missing = await runCli(['agent', '--nb', 'unix:/nonexistent.sock', '--watch', join(dir, 'missing.jsonl')]);
  t.is(missing.code, 1);
  t.regex(missing.stderr, /^ovn-overlay: agent: --watch \S+missing\.jsonl: ENOENT\n$/);
});
