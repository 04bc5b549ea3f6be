// A Service and its EndpointSlices as the load balancers the Service controller writes (src/ovn's mapping of every
// kind, planned without a database): slice ports matched by name and protocol (a named targetPort can be another
// number in each slice), each VIP with the slices of its family, the endpoints ovn-kubernetes chooses by their
// conditions; a NodePort per node on the nodes whose switch exists; headless and ExternalName Services have none.
import test from 'ava';
import type { V1Node, V1Service } from '@kubernetes/client-node';
import { serviceKeyOfSlice, serviceNodes, serviceSpecOf, serviceUsesNodes } from '../../src/k8s/controllers/service-spec.js';
import { buildServiceLoadBalancers } from '../../src/ovn/service-load-balancers.js';
import { validateServiceSpec } from '../../src/ovn/service-spec.js';
import type { ServiceNode } from '../../src/ovn/service-spec.js';
import { cacheOf, endpointSlice, node, service, type Json } from './cluster-objects.js';

const web = service('shop', 'web', '10.96.0.10', [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'dns', port: 53, protocol: 'UDP' }]);
const sliceA = endpointSlice('shop', 'web-a', 'web', [{ name: 'http', port: 8080 }, { name: 'dns', port: 5353, protocol: 'UDP' }], [
  { ip: '10.244.1.3', node: 'node-a' }, { ip: '10.244.1.4', node: 'node-a', ready: false, serving: false, terminating: false },
]);
const sliceB = endpointSlice('shop', 'web-b', 'web', [{ name: 'http', port: 8081 }], [{ ip: '10.244.2.3', node: 'node-b' }, { ip: '10.244.2.4', node: 'node-b', ready: false, serving: true, terminating: true }]);

/** name -> vips of the load balancers the objects compute to. */
function planned(objects: Json[], nodes: readonly ServiceNode[] = []): Record<string, Record<string, string>> {
  const cache = cacheOf(...objects);
  const svc = cache.store('Service').list()[0];
  const spec = serviceSpecOf(svc, cache.store('EndpointSlice').list(), nodes);
  validateServiceSpec(spec);
  const lbNodes = nodes.map((n) => ({ name: n.name, switchName: n.name, gatewayRouter: `GR_${n.name}`, addresses: n.addresses }));
  return Object.fromEntries(buildServiceLoadBalancers(spec, lbNodes).map((lb) => [lb.name, Object.fromEntries(lb.vips)]));
}

test('named ports per slice, ready endpoints only, one VIP per cluster IP and port in the load balancer of its protocol', (t) => {
  t.is(serviceKeyOfSlice(cacheOf(sliceB).get('EndpointSlice', 'shop/web-b')!), 'shop/web');
  t.deepEqual(planned([web, sliceA, sliceB]), {
    'Service_shop/web_TCP_cluster': { '10.96.0.10:80': '10.244.1.3:8080,10.244.2.3:8081' },
    'Service_shop/web_UDP_cluster': { '10.96.0.10:53': '10.244.1.3:5353' },
  });
});

test('no ready endpoint: the serving and terminating ones; publishNotReadyAddresses: every one', (t) => {
  const draining = endpointSlice('shop', 'web-b', 'web', [{ name: 'http', port: 8081 }], [
    { ip: '10.244.2.3', ready: false, serving: true, terminating: true }, { ip: '10.244.2.4', ready: false, serving: false, terminating: true },
    { ip: '10.244.2.5', ready: false, serving: false, terminating: false },
  ]);
  t.deepEqual(planned([web, draining]), {
    'Service_shop/web_TCP_cluster': { '10.96.0.10:80': '10.244.2.3:8081' },
    'Service_shop/web_UDP_cluster': { '10.96.0.10:53': '' },
  }, 'only the one still serving while it terminates; no slice has the dns port');
  const published = { ...web, spec: { ...(web.spec as Json), publishNotReadyAddresses: true } };
  t.is(planned([published, draining])['Service_shop/web_TCP_cluster']['10.96.0.10:80'], '10.244.2.3:8081,10.244.2.4:8081,10.244.2.5:8081');
});

test('dual-stack: each cluster IP with the slices of its family; headless and ExternalName: no load balancer', (t) => {
  const dual = { ...web, spec: { ...(web.spec as Json), clusterIPs: ['10.96.0.10', 'fd00:10:96::a'], ipFamilies: ['IPv4', 'IPv6'], ipFamilyPolicy: 'RequireDualStack' } };
  const v6 = { ...endpointSlice('shop', 'web-v6', 'web', [{ name: 'http', port: 8080 }], [{ ip: 'fd00:10:244:1::3' }]), addressType: 'IPv6' };
  t.deepEqual(planned([dual, sliceA, v6])['Service_shop/web_TCP_cluster'], { '10.96.0.10:80': '10.244.1.3:8080', '[fd00:10:96::a]:80': '[fd00:10:244:1::3]:8080' });
  t.deepEqual(planned([{ ...web, spec: { ...(web.spec as Json), clusterIP: 'None', clusterIPs: ['None'] } }]), {});
  t.deepEqual(planned([{ ...web, spec: { type: 'ExternalName', externalName: 'example.com' } }]), {});
});

test('NodePort: per node on the nodes whose switch exists, at their InternalIP; such Services are queued again when nodes change', (t) => {
  const np = { ...web, spec: { ...(web.spec as Json), type: 'NodePort', ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 'http', nodePort: 30080 }] } };
  const nodes = cacheOf(node('node-a', { ip: '172.18.0.2' }), node('node-b', { ip: '172.18.0.3' }), node('node-c', { ip: '172.18.0.4' })).store('Node').list() as V1Node[];
  const ready = serviceNodes(nodes, (name) => name !== 'node-c');
  t.deepEqual(ready, [{ name: 'node-a', addresses: ['172.18.0.2'] }, { name: 'node-b', addresses: ['172.18.0.3'] }], 'node-c has no switch yet');
  t.deepEqual(planned([np, sliceA, sliceB], ready), {
    'Service_shop/web_TCP_cluster': { '10.96.0.10:80': '10.244.1.3:8080,10.244.2.3:8081' },
    'Service_shop/web_TCP_node_router+switch_node-a': { '172.18.0.2:30080': '10.244.1.3:8080,10.244.2.3:8081' },
    'Service_shop/web_TCP_node_router+switch_node-b': { '172.18.0.3:30080': '10.244.1.3:8080,10.244.2.3:8081' },
  });
  t.true(serviceUsesNodes(np as V1Service));
  t.true(serviceUsesNodes({ ...web, spec: { ...(web.spec as Json), internalTrafficPolicy: 'Local' } } as V1Service));
  t.false(serviceUsesNodes(web as V1Service));
});
