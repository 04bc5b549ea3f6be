// ovn-kubernetes' k8s.ovn.org/l3-gateway-config read into a GatewaySpec: the lists and the old single values,
// mode disabled (no gateway) and local (refused), and malformed annotations named by field.
import test from 'ava';
import { gatewaySpecFromNode, OvnInvalidFieldError, L3_GATEWAY_CONFIG_ANNOTATION } from '../../src/index.js';

const node = (config: unknown) => ({ metadata: { name: 'node1', annotations: { [L3_GATEWAY_CONFIG_ANNOTATION]: typeof config === 'string' ? config : JSON.stringify(config) } } });
const cluster = { clusterSubnets: ['10.244.0.0/16'] };

test('a shared-mode annotation becomes the spec; single-value fields of old annotations are read too', (t) => {
  t.deepEqual(gatewaySpecFromNode(node({ default: {
    mode: 'shared', 'interface-id': 'br-ex_node1', 'mac-address': '02:42:ac:12:00:02', 'ip-addresses': ['172.18.0.2/16', 'fc00:f853:ccd:e793::2/64'],
    'next-hops': ['172.18.0.1', 'fc00:f853:ccd:e793::1'], 'node-port-enable': 'true', 'vlan-id': '0',
  } }), { ...cluster, disableSnatMultipleGws: true }), {
    name: 'node1', interfaceId: 'br-ex_node1', macAddress: '02:42:ac:12:00:02', ipAddresses: ['172.18.0.2/16', 'fc00:f853:ccd:e793::2/64'],
    nextHops: ['172.18.0.1', 'fc00:f853:ccd:e793::1'], clusterSubnets: ['10.244.0.0/16'], vlanId: 0, disableSnatMultipleGws: true,
  });
  const old = gatewaySpecFromNode(node({ default: { mode: 'shared', 'interface-id': 'br-ex_node1', 'mac-address': '02:42:ac:12:00:02', 'ip-address': '172.18.0.2/16', 'next-hop': '172.18.0.1' } }), cluster);
  t.deepEqual([old?.ipAddresses, old?.nextHops], [['172.18.0.2/16'], ['172.18.0.1']]);
});

test('no annotation or mode disabled: no gateway; local mode and malformed annotations refused naming the field', (t) => {
  t.is(gatewaySpecFromNode({ metadata: { name: 'node1' } }, cluster), undefined);
  t.is(gatewaySpecFromNode(node({ default: { mode: 'disabled' } }), cluster), undefined);
  const field = (config: unknown) => t.throws(() => gatewaySpecFromNode(node(config), cluster), { instanceOf: OvnInvalidFieldError }).field;
  t.is(field({ default: { mode: 'local', 'interface-id': 'x' } }), `metadata.annotations[${L3_GATEWAY_CONFIG_ANNOTATION}].default.mode`);
  t.is(field('{not json'), `metadata.annotations[${L3_GATEWAY_CONFIG_ANNOTATION}]`);
  t.is(field({ other: {} }), `metadata.annotations[${L3_GATEWAY_CONFIG_ANNOTATION}]`);
  t.is(field({ default: { mode: 'shared', 'mac-address': 'x', 'ip-addresses': [] } }), `metadata.annotations[${L3_GATEWAY_CONFIG_ANNOTATION}].default.interface-id`);
  t.is(field({ default: { mode: 'shared', 'interface-id': 'i', 'mac-address': 'm', 'ip-addresses': [1] } }), `metadata.annotations[${L3_GATEWAY_CONFIG_ANNOTATION}].default.ip-addresses`);
  t.is(field({ default: { mode: 'shared', 'interface-id': 'i', 'mac-address': 'm', 'ip-addresses': ['1.2.3.4/24'], 'vlan-id': 'ten' } }), `metadata.annotations[${L3_GATEWAY_CONFIG_ANNOTATION}].default.vlan-id`);
});
