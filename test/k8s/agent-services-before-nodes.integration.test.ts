// The Agent's Service controller on an empty OVN_Northbound (a real ovsdb-server): Services and EndpointSlices
// that arrive before any Node (whose transaction would make the cluster's rows) get their load balancers at once,
// in the cluster load balancer group the agent makes for them, with nothing left waiting for a retry; the Node
// that comes later uses that group.
import test from 'ava';
import { startLab, type Lab } from '../../src/lab/index.js';
import { Agent } from '../../src/k8s/agent.js';
import { WatchStreamSource } from '../../src/k8s/watch-stream-source.js';
import { WatchFeed, endpointSlice, namespace, node, service } from './cluster-objects.js';

let lab: Lab;
test.before(async () => { lab = await startLab({ northd: false }); });
test.after.always(async () => { await lab?.stop(); });

test('Services before any Node: load balancers in the cluster group at once, no retry pending', async (t) => {
  const feed = new WatchFeed();
  const agent = new Agent({ nb: lab.nb.unix, sources: [new WatchStreamSource([feed.input])], controller: 'agent-test', podAnnotations: false });
  try {
    await agent.start();
    feed.added(namespace('shop'), service('shop', 'web', '10.96.0.10', [{ name: 'http', port: 80, targetPort: 8080 }]),
      endpointSlice('shop', 'web-a', 'web', [{ name: 'http', port: 8080 }], [{ ip: '10.244.1.3' }]));
    feed.initialEventsEnd();
    await agent.converged();
    t.is(agent.stats().queues.services.retryPending, 0, 'converged for real: no Service waiting out a backoff');
    t.is(agent.stats().queues.services.errors, 0);
    const vips = await lab.nbctl('--bare', '--columns=vips', 'find', 'Load_Balancer', 'name="Service_shop/web_TCP_cluster"');
    t.is(vips.trim(), '10.96.0.10:80=10.244.1.3:8080');
    const group = await lab.nbctl('--bare', '--columns=load_balancer', 'find', 'Load_Balancer_Group', 'name=clusterLBGroup');
    const lb = await lab.nbctl('--bare', '--columns=_uuid', 'find', 'Load_Balancer', 'name="Service_shop/web_TCP_cluster"');
    t.is(group.trim(), lb.trim());

    feed.added(node('hv1', { subnet: '10.244.1.0/24', chassis: 'hv1' }));
    await feed.read(agent.cache);
    await agent.converged();
    t.is((await lab.nbctl('--bare', '--columns=load_balancer_group', 'find', 'Logical_Switch', 'name=hv1')).trim(),
      (await lab.nbctl('--bare', '--columns=_uuid', 'find', 'Load_Balancer_Group', 'name=clusterLBGroup')).trim());
    t.is((await lab.nbctl('--bare', '--columns=_uuid', 'find', 'Load_Balancer_Group', 'name=clusterLBGroup')).trim().split('\n').length, 1, 'one group');
  } finally {
    await agent.stop();
  }
});
