// The Agent's Node and Pod controllers against a real OVN_Northbound ovsdb-server, driven by a kubectl-style
// watch-event stream, read back with ovn-nbctl: node switches and gateway routers from Node annotations, pod ports
// with addresses and the pod-networks annotation reported; pods waiting for their node; a node without a subnet
// skipped with one log line and one problem; deleted and finished pods losing their ports; a restart collecting what
// went while it was down, never touching rows made by ovn-nbctl, and a restart with nothing changed sending no
// transaction at all (counted on the wire by the channel).
import test from 'ava';
import { startLab, type Lab } from '../../src/lab/index.js';
import { Agent } from '../../src/k8s/agent.js';
import { WatchStreamSource } from '../../src/k8s/watch-stream-source.js';
import type { InputProblem } from '../../src/k8s/events.js';
import type { PodNetworkReport } from '../../src/k8s/controllers/pod-controller.js';
import { SentTransactions } from '../ovn/helpers.js';
import { capturingLogger } from './helpers.js';
import { WatchFeed, namespace, node, pod, type Json } from './cluster-objects.js';

let lab: Lab;
const agents: Agent[] = [];
test.before(async () => { lab = await startLab({ northd: false }); });
test.after.always(async () => {
  for (const agent of agents) await agent.stop();
  await lab?.stop();
});

interface Running { agent: Agent; feed: WatchFeed; sent: SentTransactions; problems: InputProblem[]; networks: PodNetworkReport[]; lines: string[] }

async function startAgent(): Promise<Running> {
  const feed = new WatchFeed();
  const sent = new SentTransactions();
  const { logger, lines } = capturingLogger('info');
  const agent = new Agent({
    nb: { remotes: lab.nb.unix, openChannel: sent.openChannel }, sources: [new WatchStreamSource([feed.input], { logger })],
    logger, controller: 'agent-test', clusterSubnets: ['10.244.0.0/16'],
  });
  const problems: InputProblem[] = [];
  const networks: PodNetworkReport[] = [];
  agent.on('problem', (p) => problems.push(p));
  agent.on('podNetwork', (r) => networks.push(r));
  agents.push(agent);
  await agent.start();
  return { agent, feed, sent, problems, networks, lines };
}

const nbctlJson = async (...args: string[]): Promise<Record<string, unknown>[]> => {
  const out = JSON.parse(await lab.nbctl('--format=json', ...args)) as { headings: string[]; data: unknown[][] };
  return out.data.map((row) => Object.fromEntries(out.headings.map((h, i) => [h, row[i]])));
};
const names = async (table: string): Promise<string[]> => (await nbctlJson('--columns=name', 'list', table)).map((r) => r.name as string).sort();
const portAddresses = async (port: string): Promise<string> => (await lab.nbctl('get', 'Logical_Switch_Port', port, 'addresses')).trim();

// The cluster as the stream tells it; what the test keeps current for the restarts.
const state = new Map<string, Json>();
const keyOf = (o: Json): string => { const m = o.metadata as { namespace?: string; name: string }; return `${o.kind as string} ${m.namespace ?? ''}/${m.name}`; };
const put = (feed: WatchFeed, ...objects: Json[]): void => {
  for (const o of objects) { feed.event(state.has(keyOf(o)) ? 'MODIFIED' : 'ADDED', o); state.set(keyOf(o), o); }
};
const remove = (feed: WatchFeed, ...objects: Json[]): void => { for (const o of objects) { feed.deleted(o); state.delete(keyOf(o)); } };

let first: Running;
/** Everything written to the agent's stream is read and reconciled. */
const settled = async (r: Running): Promise<void> => { await r.feed.read(r.agent.cache); await r.agent.converged(); };

test.serial('nodes and pods from a watch stream: node switches, a gateway router on the chassis, pod ports with addresses, annotations reported', async (t) => {
  first = await startAgent();
  const { agent, feed } = first;
  put(feed,
    namespace('default'),
    node('node-a', { subnet: '10.244.1.0/24', chassis: 'hv-a', ip: '172.18.0.2' }),
    node('node-b', { podCidr: '10.244.2.0/24' }),
    pod('default', 'p1', { node: 'node-a' }), pod('default', 'p2', { node: 'node-b' }),
    pod('default', 'host', { node: 'node-a', hostNetwork: true }), pod('default', 'pending'),
    pod('default', 'early', { node: 'node-c' }));
  feed.initialEventsEnd();
  await agent.converged();

  t.deepEqual(await names('Logical_Switch'), ['join', 'node-a', 'node-b']);
  t.deepEqual(await names('Logical_Router'), ['GR_node-a', 'ovn_cluster_router'], 'a gateway router only for the node with a chassis');
  t.is((await lab.nbctl('get', 'Logical_Router', 'GR_node-a', 'options:chassis')).trim(), 'hv-a');
  const nat = await nbctlJson('--columns=type,logical_ip,external_ip', 'list', 'NAT');
  t.deepEqual(nat, [{ type: 'snat', logical_ip: '10.244.1.0/24', external_ip: '172.18.0.2' }], 'SNAT of the node subnet to its InternalIP');
  const ports = (await names('Logical_Switch_Port')).filter((n) => n.startsWith('default_'));
  t.deepEqual(ports, ['default_p1', 'default_p2'], 'no port for the host-network pod, the pending pod, or the pod whose node is unknown');
  t.regex(await portAddresses('default_p1'), /^\["0a:58:0a:f4:01:03 10\.244\.1\.3"\]$/);
  t.regex(await portAddresses('default_p2'), /^\["0a:58:0a:f4:02:03 10\.244\.2\.3"\]$/);

  const p1 = agent.podNetwork('default/p1');
  t.deepEqual(JSON.parse(p1?.annotation ?? '{}'), {
    default: { ip_addresses: ['10.244.1.3/24'], mac_address: '0a:58:0a:f4:01:03', gateway_ips: ['10.244.1.1'], ip_address: '10.244.1.3/24', gateway_ip: '10.244.1.1', role: 'primary' },
  });
  t.deepEqual(first.networks.map((r) => r.key).sort(), ['default/p1', 'default/p2'], 'one podNetwork event per pod');
  t.is(first.problems.length, 0);

  // node-c arrives: the pod waiting for it gets its port without a retry.
  put(feed, node('node-c', { subnet: '10.244.3.0/24' }));
  await settled(first);
  t.regex(await portAddresses('default_early'), /10\.244\.3\.3/);
  t.is(agent.stats().queues.pods.retries, 0, 'waited for its node, not retried');
});

test.serial('a node without a pod subnet: one log line and one problem naming it, skipped; a resync does not report it again', async (t) => {
  const { agent, feed } = first;
  put(feed, node('node-x'));
  await settled(first);
  await agent.runner('nodes')?.fullResync();
  await agent.converged();
  const mine = first.problems.filter((p) => p.key === 'node-x');
  t.is(mine.length, 1);
  t.like(mine[0], { kind: 'Node', key: 'node-x', reason: 'missing-field' });
  t.regex(mine[0].message, /no pod subnet/);
  t.is(first.lines.filter((l) => l.includes('node-x')).length, 1, first.lines.join('\n'));
  t.false((await names('Logical_Switch')).includes('node-x'));
  t.true(agent.cache.rejected().has('Node node-x'));
  // Given a subnet, it maps: the problem is forgotten.
  put(feed, node('node-x', { subnet: '10.244.9.0/24' }));
  await settled(first);
  t.true((await names('Logical_Switch')).includes('node-x'));
  t.false(agent.cache.rejected().has('Node node-x'));
});

test.serial('a deleted pod and a finished pod lose their ports; a deleted node its switch', async (t) => {
  const { feed } = first;
  remove(feed, state.get('Pod default/p2')!);
  put(feed, pod('default', 'early', { node: 'node-c', phase: 'Succeeded' }));
  remove(feed, state.get('Node /node-x')!);
  await settled(first);
  const ports = (await names('Logical_Switch_Port')).filter((n) => n.startsWith('default_'));
  t.deepEqual(ports, ['default_p1']);
  t.false((await names('Logical_Switch')).includes('node-x'));
  const gone = first.networks.filter((r) => r.network === undefined && r.annotation === undefined).map((r) => r.key).sort();
  t.deepEqual(gone, ['default/early', 'default/p2'], 'their networks reported gone');
});

test.serial('restart: what went while it was down is collected, ovn-nbctl rows are never touched, and an unchanged restart sends no transaction', async (t) => {
  await first.agent.stop();
  // While the agent is down: rows made by hand, one of them with the name a pod's port would take, and a pod deleted.
  await lab.nbctl('ls-add', 'by-hand', '--', 'lsp-add', 'node-a', 'hand-made', '--', 'lsp-add', 'node-a', 'default_squatter');
  const deleted = state.get('Pod default/p1')!;
  state.delete('Pod default/p1');
  state.set('Pod default/squatter', pod('default', 'squatter', { node: 'node-a' }));
  state.set('Pod default/p6', pod('default', 'p6', { node: 'node-b' }));

  const second = await startAgent();
  second.feed.added(...state.values());
  second.feed.initialEventsEnd();
  await second.agent.converged();
  const ports = (await names('Logical_Switch_Port')).filter((n) => n.startsWith('default_') || n === 'hand-made');
  t.deepEqual(ports, ['default_p6', 'default_squatter', 'hand-made'], `p1 (${JSON.stringify(deleted.metadata)}) collected`);
  t.deepEqual(await names('Logical_Switch'), ['by-hand', 'join', 'node-a', 'node-b', 'node-c']);
  t.is((await lab.nbctl('get', 'Logical_Switch_Port', 'default_squatter', 'external_ids')).trim(), '{}', 'the ovn-nbctl port keeps no owner');
  t.is((await lab.nbctl('get', 'Logical_Switch_Port', 'default_squatter', 'addresses')).trim(), '[]', 'and its own (empty) addresses');
  const squatter = second.problems.filter((p) => p.key === 'default/squatter');
  t.is(squatter.length, 1);
  t.like(squatter[0], { kind: 'Pod', reason: 'not-owned' });
  t.regex(squatter[0].message, /Logical_Switch_Port default_squatter/);
  t.true(second.sent.count >= 2, 'the collection and the new pod were written');
  await second.agent.stop();

  // Nothing changed: no transaction at all (reads come from the replica).
  const third = await startAgent();
  third.feed.added(...state.values());
  third.feed.initialEventsEnd();
  await third.agent.converged();
  t.is(third.sent.count, 0, `transactions sent: ${JSON.stringify(third.sent.sent).slice(0, 400)}`);
  t.is(third.agent.stats().nb.writeTransactions, 0);
  t.deepEqual(third.networks.map((r) => r.key).sort(), ['default/p6'], 'the pod networks reported again (the squatter has none)');
  t.regex(await third.agent.metrics.text(), /ovn_overlay_nb_transactions_total\{kind="write"\} 0/);
  await third.agent.stop();
});
