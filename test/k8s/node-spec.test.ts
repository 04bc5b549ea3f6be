// How a Kubernetes Node becomes a NodeSpec: subnets from ovn-kubernetes' node-subnets annotation (both of its
// shapes) or spec.podCIDRs, the chassis from node-chassis-id, the SNAT address from the first IPv4 InternalIP; a
// node without a subnet, or with an annotation that does not parse, is a problem naming the field.
import test from 'ava';
import { V1Node } from '@kubernetes/client-node';
import { nodeSpecFromKubernetes } from '../../src/k8s/controllers/node-controller.js';

const node = (o: { annotations?: Record<string, string>; podCIDRs?: string[]; podCIDR?: string; addresses?: { type: string; address: string }[] }): V1Node =>
  Object.assign(new V1Node(), {
    metadata: { name: 'n1', annotations: o.annotations ?? {} },
    spec: { podCIDRs: o.podCIDRs, podCIDR: o.podCIDR },
    status: { addresses: o.addresses ?? [] },
  });

test('the node-subnets annotation (list or string), the chassis, the InternalIP; spec.podCIDRs otherwise', (t) => {
  t.deepEqual(nodeSpecFromKubernetes(node({
    annotations: { 'k8s.ovn.org/node-subnets': '{"default":["10.244.1.0/24","fd00:10:244:1::/64"]}', 'k8s.ovn.org/node-chassis-id': 'hv1' },
    addresses: [{ type: 'InternalIP', address: 'fc00::2' }, { type: 'InternalIP', address: '172.18.0.2' }, { type: 'Hostname', address: 'n1' }],
  }), { clusterSubnets: ['10.244.0.0/16'] }), {
    name: 'n1', subnets: ['10.244.1.0/24', 'fd00:10:244:1::/64'], chassis: 'hv1', nodeIp: '172.18.0.2', clusterSubnets: ['10.244.0.0/16'],
  });
  t.deepEqual(nodeSpecFromKubernetes(node({ annotations: { 'k8s.ovn.org/node-subnets': '{"default":"10.244.2.0/24"}', 'k8s.ovn.org/node-mgmt-port-mac-address': '0a:58:0a:f4:02:02' } })),
    { name: 'n1', subnets: ['10.244.2.0/24'], managementMac: '0a:58:0a:f4:02:02' });
  t.deepEqual(nodeSpecFromKubernetes(node({ podCIDRs: ['10.244.3.0/24'], podCIDR: '10.244.3.0/24', addresses: [{ type: 'InternalIP', address: '172.18.0.4' }] })),
    { name: 'n1', subnets: ['10.244.3.0/24'] }, 'no chassis: no gateway router, so no SNAT address either');
  t.deepEqual(nodeSpecFromKubernetes(node({ podCIDR: '10.244.4.0/24' })), { name: 'n1', subnets: ['10.244.4.0/24'] });
});

test('no subnet, or an annotation that does not parse: the problem, naming the field', (t) => {
  t.like(nodeSpecFromKubernetes(node({})), { reason: 'missing-field' });
  t.deepEqual(nodeSpecFromKubernetes(node({ annotations: { 'k8s.ovn.org/node-subnets': '{"default":' } })),
    { reason: 'invalid-field', message: 'metadata.annotations["k8s.ovn.org/node-subnets"] is not JSON: {"default":' });
  t.like(nodeSpecFromKubernetes(node({ annotations: { 'k8s.ovn.org/node-subnets': '{"other":["10.0.0.0/24"]}' } })), { reason: 'invalid-field' });
  t.like(nodeSpecFromKubernetes(node({ annotations: { 'k8s.ovn.org/node-subnets': '{"default":[]}' } })), { reason: 'invalid-field' });
});
