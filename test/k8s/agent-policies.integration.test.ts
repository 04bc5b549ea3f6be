// The Agent's NetworkPolicy controller against a real OVN_Northbound ovsdb-server, driven by a watch-event stream,
// read back with ovn-nbctl: port groups of the selected pods, peer address sets, ACLs; a pod relabeled moves in and
// out of exactly the policies it concerns, with mutations of the elements that changed (seen on the wire); a
// namespace relabeled flips a namespaceSelector; a pod's new address follows it into the address sets; two policies
// on one pod are a union; a namespace deleted takes every row it owned; a port group made by ovn-nbctl is left alone.
import test from 'ava';
import { startLab, type Lab } from '../../src/lab/index.js';
import { Agent } from '../../src/k8s/agent.js';
import { WatchStreamSource } from '../../src/k8s/watch-stream-source.js';
import type { InputProblem } from '../../src/k8s/events.js';
import { defaultDenyPortGroupName, peerAddressSetName, policyPortGroupName } from '../../src/ovn/acl-match.js';
import { SentTransactions } from '../ovn/helpers.js';
import { WatchFeed, namespace, networkPolicy, node, pod, withLabels, type Json } from './cluster-objects.js';

let lab: Lab;
let agent: Agent;
let feed: WatchFeed;
const sent = new SentTransactions();
const problems: InputProblem[] = [];

const settled = async (): Promise<void> => { await feed.read(agent.cache); await agent.converged(); };
// The cluster as the stream told it (for the restart).
const state = new Map<string, Json>();
const keyOf = (o: Json): string => { const m = o.metadata as { namespace?: string; name: string }; return `${o.kind as string} ${m.namespace ?? ''}/${m.name}`; };
const put = (...objects: Json[]): void => { for (const o of objects) { feed.event(state.has(keyOf(o)) ? 'MODIFIED' : 'ADDED', o); state.set(keyOf(o), o); } };
const remove = (...objects: Json[]): void => { for (const o of objects) { feed.deleted(o); state.delete(keyOf(o)); } };
const nbctl = (...args: string[]) => lab.nbctl(...args);
/** A set column of a row, as a sorted list. */
async function setColumn(table: string, row: string, column: string): Promise<string[]> {
  const out = JSON.parse(await nbctl('--format=json', `--columns=${column}`, 'find', table, `name="${row}"`)) as { data: unknown[][] };
  if (out.data.length === 0) return [];
  const value = out.data[0][0] as [string, unknown] | string;
  const list = Array.isArray(value) && value[0] === 'set' ? (value[1] as unknown[]) : [value];
  return list.map((v) => (Array.isArray(v) ? String(v[1]) : String(v))).sort();
}
const portNames = async (pg: string): Promise<string[]> => {
  const uuids = await setColumn('Port_Group', pg, 'ports');
  const names: string[] = [];
  for (const u of uuids) names.push((await nbctl('get', 'Logical_Switch_Port', u, 'name')).trim().replace(/"/g, ''));
  return names.sort();
};
const addresses = (set: string) => setColumn('Address_Set', set, 'addresses');
const ipOf = (key: string): string => JSON.parse(agent.podNetwork(key)!.annotation!).default.ip_addresses[0].split('/')[0];

const web = pod('shop', 'web', { node: 'n1', labels: { app: 'web' }, ports: [{ name: 'http', containerPort: 8080 }] });
const api = pod('shop', 'api', { node: 'n2', labels: { app: 'api' } });
const client = pod('tools', 'client', { node: 'n1', labels: { role: 'client' } });
const stranger = pod('tools', 'stranger', { node: 'n2', labels: { role: 'other' } });
const allowClients = networkPolicy('shop', 'allow-clients', {
  podSelector: { matchLabels: { app: 'web' } },
  ingress: [{ from: [{ namespaceSelector: { matchLabels: { trusted: 'yes' } }, podSelector: { matchLabels: { role: 'client' } } }], ports: [{ port: 'http' }] }],
});
const allowApi = networkPolicy('shop', 'allow-api', {
  podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'api'] }] },
  ingress: [{ from: [{ podSelector: { matchLabels: { app: 'api' } } }] }, { from: [{ ipBlock: { cidr: '192.168.0.0/16', except: ['192.168.7.0/24'] } }] }],
});
const webPg = policyPortGroupName('shop', 'allow-clients');
const apiPg = policyPortGroupName('shop', 'allow-api');
const clientsSet = peerAddressSetName('shop', 'allow-clients', 'ingress', 0, 4);

test.before(async () => {
  lab = await startLab({ northd: false });
  feed = new WatchFeed();
  agent = new Agent({ nb: { remotes: lab.nb.unix, openChannel: sent.openChannel }, sources: [new WatchStreamSource([feed.input])], controller: 'agent-policies' });
  agent.on('problem', (p) => problems.push(p));
  await agent.start();
  put(
    namespace('shop'), namespace('tools', { trusted: 'yes' }),
    node('n1', { subnet: '10.244.1.0/24' }), node('n2', { subnet: '10.244.2.0/24' }),
    web, api, client, stranger, allowClients, allowApi,
  );
  feed.initialEventsEnd();
  await agent.converged();
});
test.after.always(async () => {
  await agent?.stop();
  await lab?.stop();
});

test.serial('port groups of the selected pods, peer address sets of the selected peers, ACLs with the named port resolved', async (t) => {
  t.deepEqual(await portNames(webPg), ['shop_web']);
  t.deepEqual(await portNames(apiPg), ['shop_api', 'shop_web']);
  t.deepEqual(await addresses(clientsSet), [ipOf('tools/client')], 'role=client in a trusted namespace');
  t.deepEqual(await addresses(peerAddressSetName('shop', 'allow-api', 'ingress', 0, 4)), [ipOf('shop/api')]);
  const acls = JSON.parse(await nbctl('--format=json', '--columns=priority,match', 'list', 'ACL')) as { data: [number, string][] };
  const matches = acls.data.map(([priority, match]) => `${priority} ${match}`).sort();
  t.true(matches.includes(`1001 outport == @${webPg} && ip4.src == {$${clientsSet}} && ip4.dst == ${ipOf('shop/web')} && tcp && tcp.dst == 8080`), matches.join('\n'));
  t.true(matches.includes(`1010 outport == @${apiPg} && ip4.src == 192.168.0.0/16 && ip4.src != {192.168.7.0/24}`), matches.join('\n'));
  // Two policies on web: a union, and one default deny for the namespace with every selected pod once.
  t.deepEqual(await portNames(defaultDenyPortGroupName('shop', 'ingress')), ['shop_api', 'shop_web']);
  t.deepEqual(problems, []);
});

test.serial('a pod relabeled moves in and out of exactly the policies it concerns, by mutations of what changed', async (t) => {
  const before = sent.count;
  put(withLabels(stranger, { role: 'client' }));
  await settled();
  t.deepEqual(await addresses(clientsSet), [ipOf('tools/client'), ipOf('tools/stranger')].sort());
  const written = sent.sent.slice(before);
  t.is(written.length, 1, 'one transaction: allow-clients only');
  const ops = written[0].slice(1) as { op: string; table: string; mutations?: unknown[] }[];
  t.deepEqual(ops.map((o) => `${o.op} ${o.table}`), ['mutate Address_Set'], JSON.stringify(ops));
  t.deepEqual(ops[0].mutations, [['addresses', 'insert', ['set', [ipOf('tools/stranger')]]]]);

  const mark = sent.count;
  put(withLabels(api, { app: 'batch' }));
  await settled();
  t.deepEqual(await portNames(apiPg), ['shop_web'], 'api left allow-api\'s port group');
  t.deepEqual(await addresses(peerAddressSetName('shop', 'allow-api', 'ingress', 0, 4)), [], 'and its peer set');
  t.deepEqual(await portNames(defaultDenyPortGroupName('shop', 'ingress')), ['shop_web'], 'and the default deny: no policy selects it');
  t.is(sent.count - mark, 1, 'one transaction');

  // A label no policy reads: no transaction at all.
  const quiet = sent.count;
  put(withLabels(web, { app: 'web', version: 'v2' }));
  await settled();
  t.is(sent.count, quiet);
});

test.serial('a namespace relabeled flips a namespaceSelector; a pod\'s new address follows it into the address sets', async (t) => {
  put(namespace('tools', { trusted: 'no' }));
  await settled();
  t.deepEqual(await addresses(clientsSet), []);
  put(namespace('tools', { trusted: 'yes' }));
  await settled();
  t.is((await addresses(clientsSet)).length, 2);

  // The client pod is recreated on the other node: a new port, a new address, in the set.
  const old = ipOf('tools/client');
  remove(client);
  put(pod('tools', 'client', { node: 'n2', labels: { role: 'client' }, uid: 'client-2' }));
  await settled();
  const now = ipOf('tools/client');
  t.not(now, old);
  t.true(now.startsWith('10.244.2.'));
  t.deepEqual(await addresses(clientsSet), [now, ipOf('tools/stranger')].sort());
});

test.serial('a port group of a policy\'s name made by ovn-nbctl is left alone, and the policy reported', async (t) => {
  const pg = policyPortGroupName('shop', 'squatted');
  await nbctl('pg-add', pg);
  put(networkPolicy('shop', 'squatted', { podSelector: {} }));
  await settled();
  t.is((await nbctl('get', 'Port_Group', pg, 'external_ids')).trim(), '{}');
  t.like(problems.find((p) => p.key === 'shop/squatted'), { kind: 'NetworkPolicy', reason: 'not-owned' });
  await nbctl('pg-del', pg);
  remove(networkPolicy('shop', 'squatted', { podSelector: {} }));
  await settled();
});

test.serial('a restart with nothing changed sends no transaction', async (t) => {
  await agent.stop();
  const again = new SentTransactions();
  feed = new WatchFeed();
  agent = new Agent({ nb: { remotes: lab.nb.unix, openChannel: again.openChannel }, sources: [new WatchStreamSource([feed.input])], controller: 'agent-policies' });
  await agent.start();
  feed.added(...state.values());
  feed.initialEventsEnd();
  await agent.converged();
  t.is(agent.stats().objects.NetworkPolicy, 2);
  t.is(again.count, 0, JSON.stringify(again.sent).slice(0, 300));
});

test.serial('a namespace deleted takes every row it owned: ports, port groups, address sets, ACLs, default deny', async (t) => {
  const owned = async (): Promise<number> => {
    let n = 0;
    for (const table of ['Logical_Switch_Port', 'Port_Group', 'Address_Set', 'ACL']) {
      const rows = JSON.parse(await nbctl('--format=json', '--columns=external_ids', 'list', table)) as { data: [['map', [string, string][]]][] };
      n += rows.data.filter((r) => { const ids = Object.fromEntries(r[0][1]); return ids['k8s.ovn.org/name']?.startsWith('shop') || ids.namespace === 'shop'; }).length;
    }
    return n;
  };
  t.true(await owned() > 5);
  // The API's order: the namespace's objects first, then the namespace. Here only the namespace: the cache takes the rest.
  remove(namespace('shop'));
  await settled();
  t.is(await owned(), 0);
  t.deepEqual(await setColumn('Port_Group', defaultDenyPortGroupName('shop', 'ingress'), 'ports'), []);
  t.deepEqual((await nbctl('--bare', '--columns=name', 'list', 'Port_Group')).trim(), '', 'no port group left');
  t.deepEqual((await nbctl('--bare', '--columns=name', 'list', 'Address_Set')).trim(), '', 'no address set left (the tools pods were only peers)');
});

