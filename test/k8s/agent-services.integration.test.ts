// The Agent's Service controller with src/ovn's mapping of every Service kind, against a real OVN_Northbound
// ovsdb-server, driven by a watch-event stream and read back with ovn-nbctl: a NodePort Service with
// externalTrafficPolicy Local gets ovn-kubernetes' per-node load balancers (GR_<node> balancing to the node's own
// endpoints with skip_snat, the node switches), a node that joins later gets its own as soon as its switch exists,
// and the Service turned into a plain ClusterIP keeps only its cluster-wide load balancer.
import test from 'ava';
import { startLab, type Lab } from '../../src/lab/index.js';
import { Agent } from '../../src/k8s/agent.js';
import { WatchStreamSource } from '../../src/k8s/watch-stream-source.js';
import { capturingLogger } from './helpers.js';
import { WatchFeed, endpointSlice, namespace, node, service, type Json } from './cluster-objects.js';

let lab: Lab;
let agent: Agent | undefined;
test.before(async () => { lab = await startLab({ northd: false }); });
test.after.always(async () => {
  await agent?.stop();
  await lab?.stop();
});

const loadBalancers = async (): Promise<Record<string, string>> => {
  const out = JSON.parse(await lab.nbctl('--format=json', '--columns=name,vips,options', 'list', 'Load_Balancer')) as { data: [string, [string, [string, string][]], [string, [string, string][]]][] };
  return Object.fromEntries(out.data.map(([name, [, vips], [, options]]) => [name,
    `${vips.map(([vip, backends]) => `${vip}=${backends}`).sort().join(' ')}${options.some(([k, v]) => k === 'skip_snat' && v === 'true') ? ' (skip_snat)' : ''}`]));
};
const attached = async (table: string, name: string): Promise<string[]> => {
  const uuids = (await lab.nbctl('get', table, name, 'load_balancer')).replace(/[[\]\s]/g, '').split(',').filter(Boolean);
  return uuids.length === 0 ? [] : (await lab.nbctl('--bare', '--columns=name', 'list', 'Load_Balancer', ...uuids)).split('\n').filter(Boolean).sort();
};

test.serial('NodePort + externalTrafficPolicy Local through the agent: per-node load balancers; a later node gets its own; back to ClusterIP leaves the cluster one', async (t) => {
  const feed = new WatchFeed();
  const { logger } = capturingLogger('info');
  agent = new Agent({ nb: lab.nb.unix, sources: [new WatchStreamSource([feed.input], { logger })], logger, controller: 'agent-services', clusterSubnets: ['10.244.0.0/16'] });
  await agent.start();
  const base = service('shop', 'web', '10.96.0.10', [{ name: 'http', port: 80, targetPort: 8080 }]);
  const nodePort = { ...base, spec: { ...(base.spec as Json), type: 'NodePort', externalTrafficPolicy: 'Local', ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: 30080 }] } };
  const slice = endpointSlice('shop', 'web-1', 'web', [{ name: 'http', port: 8080 }], [{ ip: '10.244.1.5', node: 'node-a', pod: 'web-a' }, { ip: '10.244.2.5', node: 'node-b', pod: 'web-b' }]);
  for (const o of [
    namespace('shop'),
    node('node-a', { subnet: '10.244.1.0/24', chassis: 'hv-a', ip: '172.18.0.2' }),
    node('node-b', { subnet: '10.244.2.0/24', ip: '172.18.0.3' }),
    nodePort, slice,
  ]) feed.event('ADDED', o);
  feed.initialEventsEnd();
  await agent.converged();

  const both = '10.244.1.5:8080,10.244.2.5:8080';
  t.deepEqual(await loadBalancers(), {
    'Service_shop/web_TCP_cluster': `10.96.0.10:80=${both}`,
    // GR_node-a (node-a has a chassis, so a gateway router): only its own endpoint, unSNATed.
    'Service_shop/web_TCP_node_local_router_node-a': '172.18.0.2:30080=10.244.1.5:8080 (skip_snat)',
    'Service_shop/web_TCP_node_switch_node-a': `169.254.169.3:30080=10.244.1.5:8080 172.18.0.2:30080=${both}`,
    // node-b has no gateway router: its switch only.
    'Service_shop/web_TCP_node_switch_node-b': `169.254.169.3:30080=10.244.2.5:8080 172.18.0.3:30080=${both}`,
  });
  t.deepEqual(await attached('Logical_Router', 'GR_node-a'), ['Service_shop/web_TCP_node_local_router_node-a']);
  t.deepEqual(await attached('Logical_Switch', 'node-b'), ['Service_shop/web_TCP_node_switch_node-b']);

  // A node joining later: its switch is made, and the Service gets a load balancer on it.
  feed.event('ADDED', node('node-c', { subnet: '10.244.3.0/24', ip: '172.18.0.4' }));
  await feed.read(agent.cache);
  await agent.converged();
  t.is((await loadBalancers())['Service_shop/web_TCP_node_switch_node-c'], `169.254.169.3:30080= 172.18.0.4:30080=${both}`, 'no local endpoint on node-c: the masquerade VIP rejects');

  // Back to a plain ClusterIP: the per-node load balancers go, the cluster one keeps its UUID.
  const uuid = (await lab.nbctl('get', 'Load_Balancer', 'Service_shop/web_TCP_cluster', '_uuid')).trim();
  feed.event('MODIFIED', base);
  await feed.read(agent.cache);
  await agent.converged();
  t.deepEqual(Object.keys(await loadBalancers()), ['Service_shop/web_TCP_cluster']);
  t.is((await lab.nbctl('get', 'Load_Balancer', 'Service_shop/web_TCP_cluster', '_uuid')).trim(), uuid);
  t.deepEqual(await attached('Logical_Switch', 'node-c'), []);
});
