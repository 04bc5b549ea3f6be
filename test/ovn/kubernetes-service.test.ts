// A V1Service and its V1EndpointSlices (the real @kubernetes/client-node model types, passed as they are) turned
// into a ServiceSpec field for field, and the refusals of what the mapping must interpret.
import test from 'ava';
import type { V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import { serviceNodeFromKubernetes, serviceSpecFromKubernetes } from '../../src/ovn/kubernetes-service.js';
import { OvnInvalidFieldError } from '../../src/ovn/errors.js';

const service: V1Service = {
  metadata: { namespace: 'shop', name: 'web', annotations: { 'k8s.ovn.org/idled-at': '2024-01-01T00:00:00Z' } },
  spec: {
    type: 'LoadBalancer', clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10', 'fd00:10:96::a'], ipFamilies: ['IPv4', 'IPv6'],
    ipFamilyPolicy: 'PreferDualStack', externalIPs: ['192.0.2.10'],
    ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 'web', nodePort: 30080 }, { name: 'dns', protocol: 'UDP', port: 53, targetPort: 5353 }],
    sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } },
    externalTrafficPolicy: 'Local', internalTrafficPolicy: 'Cluster', publishNotReadyAddresses: false,
  },
  status: { loadBalancer: { ingress: [{ ip: '198.51.100.7' }, { hostname: 'lb.example.com' }] } },
};

const slices: V1EndpointSlice[] = [
  {
    addressType: 'IPv4', metadata: { name: 'web-abc', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'web' } },
    ports: [{ name: 'http', protocol: 'TCP', port: 8080 }, { name: 'dns', protocol: 'UDP', port: 5353 }],
    endpoints: [
      { addresses: ['10.244.1.5'], nodeName: 'node1', conditions: { ready: true, serving: true, terminating: false }, targetRef: { kind: 'Pod', name: 'web-1', namespace: 'shop' } },
      { addresses: ['10.244.2.6'], nodeName: 'node2', conditions: { ready: false, serving: true, terminating: true }, targetRef: { kind: 'Pod', name: 'web-2', namespace: 'shop' } },
    ],
  },
  {
    // A second slice with another port number for the same named port (a named targetPort resolving differently).
    addressType: 'IPv6', ports: [{ name: 'http', protocol: 'TCP', port: 8081 }],
    endpoints: [{ addresses: ['fd00:10:244:1::5'], nodeName: 'node1' }],
  },
  { addressType: 'FQDN', ports: [{ name: 'http', protocol: 'TCP', port: 80 }], endpoints: [{ addresses: ['example.com'] }] },
];

test('a V1Service and its V1EndpointSlices map field for field', (t) => {
  const spec = serviceSpecFromKubernetes(service, slices, { emptyLbEvents: true, nodes: [{ name: 'node1', addresses: ['172.18.0.2'] }] });
  t.deepEqual(spec, {
    namespace: 'shop', name: 'web', clusterIPs: ['10.96.0.10', 'fd00:10:96::a'], externalIPs: ['192.0.2.10'], loadBalancerIPs: ['198.51.100.7'],
    ports: [
      {
        name: 'http', protocol: 'TCP', port: 80, nodePort: 30080, endpoints: [
          { ip: '10.244.1.5', port: 8080, node: 'node1', ready: true, serving: true, terminating: false, pod: { namespace: 'shop', name: 'web-1' } },
          { ip: '10.244.2.6', port: 8080, node: 'node2', ready: false, serving: true, terminating: true, pod: { namespace: 'shop', name: 'web-2' } },
          { ip: 'fd00:10:244:1::5', port: 8081, node: 'node1' },
        ],
      },
      {
        name: 'dns', protocol: 'UDP', port: 53, endpoints: [
          { ip: '10.244.1.5', port: 5353, node: 'node1', ready: true, serving: true, terminating: false, pod: { namespace: 'shop', name: 'web-1' } },
          { ip: '10.244.2.6', port: 5353, node: 'node2', ready: false, serving: true, terminating: true, pod: { namespace: 'shop', name: 'web-2' } },
        ],
      },
    ],
    ipFamilies: ['IPv4', 'IPv6'], ipFamilyPolicy: 'PreferDualStack', sessionAffinity: 'ClientIP', sessionAffinityTimeoutSeconds: 600,
    externalTrafficPolicy: 'Local', internalTrafficPolicy: 'Cluster', publishNotReadyAddresses: false, idled: true,
    nodes: [{ name: 'node1', addresses: ['172.18.0.2'] }],
  });
});

test('an unnamed Service port takes the unnamed slice port of its protocol, not one of another name; headless and ExternalName Services compute to nothing', (t) => {
  const plain: V1Service = { metadata: { namespace: 'ns', name: 'one' }, spec: { clusterIP: '10.96.0.1', ports: [{ port: 80 }] } };
  const spec = serviceSpecFromKubernetes(plain, [{ addressType: 'IPv4', ports: [{ name: '', protocol: 'TCP', port: 9376 }], endpoints: [{ addresses: ['10.244.0.9'] }] }]);
  t.deepEqual(spec.ports, [{ protocol: 'TCP', port: 80, endpoints: [{ ip: '10.244.0.9', port: 9376 }] }]);
  const stale = serviceSpecFromKubernetes(plain, [{ addressType: 'IPv4', ports: [{ name: 'old', protocol: 'TCP', port: 9376 }], endpoints: [{ addresses: ['10.244.0.9'] }] }]);
  t.deepEqual(stale.ports?.[0].endpoints, [], 'a slice port of another name is not this port (ovn-kubernetes matches name and protocol)');
  t.is(spec.idled, undefined, 'no annotation, no emptyLbEvents: not idled');
  for (const s of [{ ...plain, spec: { ...plain.spec, clusterIP: 'None', clusterIPs: ['None'] } }, { ...plain, spec: { type: 'ExternalName', externalName: 'example.com' } }]) {
    const none = serviceSpecFromKubernetes(s, []);
    t.deepEqual([none.clusterIPs, none.ports, none.externalIPs, none.loadBalancerIPs], [[], [], [], []]);
  }
  t.deepEqual(serviceSpecFromKubernetes({ ...service, spec: { ...service.spec, type: 'NodePort' } }, []).loadBalancerIPs, [], 'ingress IPs only for type LoadBalancer');
});

test('what the mapping must interpret is refused naming the service and the field', (t) => {
  const refused = (s: V1Service, field: string): void => {
    const e = t.throws(() => serviceSpecFromKubernetes(s, []), { instanceOf: OvnInvalidFieldError });
    t.is(e?.field, field);
  };
  refused({ ...service, spec: { ...service.spec, ports: [{ port: 80, protocol: 'ICMP' }] } }, 'spec.ports[0].protocol');
  refused({ ...service, spec: { ...service.spec, type: 'Bogus' } }, 'spec.type');
  refused({ ...service, spec: { ...service.spec, externalTrafficPolicy: 'Sometimes' } }, 'spec.externalTrafficPolicy');
  refused({ ...service, spec: { ...service.spec, ipFamilies: ['IPv5'] } }, 'spec.ipFamilies[0]');
  refused({ ...service, metadata: { namespace: 'shop' } }, 'metadata.name');
  t.regex(t.throws(() => serviceSpecFromKubernetes({ ...service, spec: { ...service.spec, sessionAffinity: 'Sticky' } }, []))?.message ?? '', /^service shop\/web: spec\.sessionAffinity: must be one of None, ClientIP$/);
});

test('a V1Node\'s NodePort addresses: k8s.ovn.org/host-cidrs without lengths, else its InternalIPs', (t) => {
  const node: V1Node = {
    metadata: { name: 'node1', annotations: { 'k8s.ovn.org/host-cidrs': '["172.18.0.2/16","fc00:f853:ccd:e793::2/64","172.18.0.2/16"]' } },
    status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] },
  };
  t.deepEqual(serviceNodeFromKubernetes(node), { name: 'node1', addresses: ['172.18.0.2', 'fc00:f853:ccd:e793::2'] });
  t.deepEqual(serviceNodeFromKubernetes({ ...node, metadata: { name: 'node1' } }), { name: 'node1', addresses: ['10.0.0.1'] });
  t.is(t.throws(() => serviceNodeFromKubernetes({ metadata: { name: 'n', annotations: { 'k8s.ovn.org/host-cidrs': '{' } } }), { instanceOf: OvnInvalidFieldError })?.field,
    'metadata.annotations["k8s.ovn.org/host-cidrs"]');
});
