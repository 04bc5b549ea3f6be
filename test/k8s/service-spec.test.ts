// A Service and its EndpointSlices as ClusterIP load-balancer VIPs: slice ports matched by name and protocol (a named
// targetPort can be another number in each slice), each VIP with the slices of its family, and the endpoints
// ovn-kubernetes chooses by their conditions (ready; serving and terminating when none is ready; every one with
// publishNotReadyAddresses). Headless and ExternalName Services have no VIP.
import test from 'ava';
import { clusterIpServiceSpec, serviceKeyOfSlice } from '../../src/k8s/controllers/service-spec.js';
import { cacheOf, endpointSlice, service, type Json } from './cluster-objects.js';

const web = service('shop', 'web', '10.96.0.10', [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'dns', port: 53, protocol: 'UDP' }]);
const sliceA = endpointSlice('shop', 'web-a', 'web', [{ name: 'http', port: 8080 }, { name: 'dns', port: 5353, protocol: 'UDP' }], [
  { ip: '10.244.1.3' }, { ip: '10.244.1.4', ready: false, serving: false, terminating: false },
]);
const sliceB = endpointSlice('shop', 'web-b', 'web', [{ name: 'http', port: 8081 }], [{ ip: '10.244.2.3' }, { ip: '10.244.2.4', ready: false, serving: true, terminating: true }]);

test('named ports per slice, ready endpoints only, one VIP per cluster IP and port with its protocol', (t) => {
  const cache = cacheOf(web, sliceA, sliceB);
  t.is(serviceKeyOfSlice(cache.get('EndpointSlice', 'shop/web-b')!), 'shop/web');
  t.deepEqual(clusterIpServiceSpec(cache.get('Service', 'shop/web')!, cache.store('EndpointSlice').list()), {
    namespace: 'shop', name: 'web', vips: [
      { ip: '10.96.0.10', port: 80, protocol: 'tcp', endpoints: [{ ip: '10.244.1.3', port: 8080 }, { ip: '10.244.2.3', port: 8081 }] },
      { ip: '10.96.0.10', port: 53, protocol: 'udp', endpoints: [{ ip: '10.244.1.3', port: 5353 }] },
    ],
  });
});

test('no ready endpoint: the serving and terminating ones; publishNotReadyAddresses: every one', (t) => {
  const draining = endpointSlice('shop', 'web-b', 'web', [{ name: 'http', port: 8081 }], [
    { ip: '10.244.2.3', ready: false, serving: true, terminating: true }, { ip: '10.244.2.4', ready: false, serving: false, terminating: true },
    { ip: '10.244.2.5', ready: false, serving: false, terminating: false },
  ]);
  const cache = cacheOf(web, draining);
  const spec = clusterIpServiceSpec(cache.get('Service', 'shop/web')!, cache.store('EndpointSlice').list());
  t.deepEqual(spec.vips[0].endpoints, [{ ip: '10.244.2.3', port: 8081 }], 'only the one still serving while it terminates');
  t.deepEqual(spec.vips[1].endpoints, [], 'no slice has the dns port');
  const published = { ...web, spec: { ...(web.spec as Json), publishNotReadyAddresses: true } };
  const all = cacheOf(published, draining);
  t.deepEqual(clusterIpServiceSpec(all.get('Service', 'shop/web')!, all.store('EndpointSlice').list()).vips[0].endpoints.map((e) => e.ip), ['10.244.2.3', '10.244.2.4', '10.244.2.5']);
});

test('dual-stack: each cluster IP with the slices of its family; headless and ExternalName: no VIP', (t) => {
  const dual = { ...web, spec: { ...(web.spec as Json), clusterIPs: ['10.96.0.10', 'fd00:10:96::a'], ipFamilies: ['IPv4', 'IPv6'], ipFamilyPolicy: 'RequireDualStack' } };
  const v6 = { ...endpointSlice('shop', 'web-v6', 'web', [{ name: 'http', port: 8080 }], [{ ip: 'fd00:10:244:1::3' }]), addressType: 'IPv6' };
  const cache = cacheOf(dual, sliceA, v6);
  const vips = clusterIpServiceSpec(cache.get('Service', 'shop/web')!, cache.store('EndpointSlice').list()).vips.filter((v) => v.port === 80);
  t.deepEqual(vips.map((v) => `${v.ip} -> ${v.endpoints.map((e) => e.ip).join(',')}`), ['10.96.0.10 -> 10.244.1.3', 'fd00:10:96::a -> fd00:10:244:1::3']);
  const headless = cacheOf({ ...web, spec: { ...(web.spec as Json), clusterIP: 'None', clusterIPs: ['None'] } });
  t.deepEqual(clusterIpServiceSpec(headless.get('Service', 'shop/web')!, []).vips, []);
  const external = cacheOf({ ...web, spec: { type: 'ExternalName', externalName: 'example.com' } });
  t.deepEqual(clusterIpServiceSpec(external.get('Service', 'shop/web')!, []).vips, []);
});
