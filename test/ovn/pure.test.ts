// Unit tests of the parts of src/ovn that need no server: names, addresses, IPAM, MACs, ACL matches, VIPs,
// the pod-network annotation and tunnel metadata.
import test from 'ava';
import { createHash } from 'node:crypto';
import { hashForOvn, podPortName, gatewayRouterName, routerToSwitchPort, switchToRouterPort, managementPort } from '../../src/ovn/names.js';
import { parseAddress, parsePrefix, addressAt } from '../../src/ovn/ip.js';
import { OvnInvalidAddressError, OvnInvalidFieldError, OvnSubnetExhaustedError, OvnTunnelKeyRangeError } from '../../src/ovn/errors.js';
import { macFromAddress, isUnicastMac } from '../../src/ovn/mac.js';
import {
  allocatePodAddresses, offsetsInUse, parseExcludeIps, podAddressesAt, gatewayAddress, managementAddress,
  lowestFreeOffset,
} from '../../src/ovn/ipam.js';
import {
  defaultDenyPortGroupName, ipBlockMatch, l4Match, portGroupMatch, arpAllowMatch, addressSetMatch, andMatch,
} from '../../src/ovn/acl-match.js';
import { vipsMap, hostPort, loadBalancerName } from '../../src/ovn/load-balancer-vips.js';
import { podNetworksAnnotation, formatPodNetworksAnnotation } from '../../src/ovn/pod-annotation.js';
import {
  tunnelMetadataFromKeys, keysFromGeneve, keysFromStt, vxlanVni,
} from '../../src/ovn/tunnel-metadata.js';
import { podPortUuid } from '../../src/ovn/pods.js';

test('names follow ovn-kubernetes', (t) => {
  t.is(podPortName('default', 'web-0'), 'default_web-0');
  t.is(gatewayRouterName('node1'), 'GR_node1');
  t.is(routerToSwitchPort('node1'), 'rtos-node1');
  t.is(switchToRouterPort('node1'), 'stor-node1');
  t.is(managementPort('node1'), 'k8s-node1');
  // ovn-kubernetes' own output for namespace "default" (ovn-nbctl list ACL in its docs).
  t.is(hashForOvn('default'), 'a16982411286042166782');
  t.is(defaultDenyPortGroupName('default', 'ingress'), 'a16982411286042166782_ingressDefaultDeny');
});

test('addresses and prefixes parse to canonical forms', (t) => {
  t.is(parseAddress('10.0.0.1').text, '10.0.0.1');
  t.is(parseAddress('FD00:0:0::0001').text, 'fd00::1');
  t.is(parsePrefix('10.244.1.0/24').text, '10.244.1.0/24');
  t.is(parsePrefix('10.244.1.7/24', true).text, '10.244.1.0/24');
  t.throws(() => parsePrefix('10.244.1.7/24'), { instanceOf: OvnInvalidAddressError });
  t.throws(() => parseAddress('10.0.0.256'), { instanceOf: OvnInvalidAddressError });
  t.throws(() => parseAddress('010.0.0.1'), { instanceOf: OvnInvalidAddressError });
  t.is(parseAddress('0.0.0.0').value, 0n);
  t.is(parseAddress('255.255.255.255').value, 0xffffffffn);
  t.is(parseAddress('10.128.0.23').value, 0x0a800017n);
  for (const bad of ['1.2.3', '1.2.3.4.5', '1..2.3', '.1.2.3', '1.2.3.', '0.0.0.00', '1.2.3.04', '1000.1.1.1', '1.2.3.4 ', '1.2.3.4/24', '']) {
    t.throws(() => parseAddress(bad), { instanceOf: OvnInvalidAddressError }, bad);
  }
  t.throws(() => parsePrefix('10.0.0.0/33'), { instanceOf: OvnInvalidAddressError });
});

test('MACs are derived from the IP as ovn-kubernetes does', (t) => {
  t.is(macFromAddress('10.244.1.5'), '0a:58:0a:f4:01:05');
  t.is(macFromAddress('192.168.255.254'), '0a:58:c0:a8:ff:fe');
  const digest = createHash('sha256').update('fd00:10:244:1::5').digest();
  t.is(macFromAddress('fd00:10:244:01:0::5'), `0a:58:${[...digest.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(':')}`);
  t.true(isUnicastMac(macFromAddress('fd00::1')));
});

const v4 = { subnets: [parsePrefix('10.244.1.0/24')] };
const dual = { subnets: [parsePrefix('10.244.1.0/24'), parsePrefix('fd00:10:244:1::/64')] };

test('IPAM skips network, gateway .1 and management .2', (t) => {
  t.is(gatewayAddress(v4.subnets[0]).text, '10.244.1.1');
  t.is(managementAddress(v4.subnets[0]).text, '10.244.1.2');
  const first = allocatePodAddresses(v4, new Set());
  t.is(first.addresses[0].text, '10.244.1.3');
  t.is(first.lspAddress, '0a:58:0a:f4:01:03 10.244.1.3');
});

test('IPAM takes addresses in use, reservations and exclude_ips into account', (t) => {
  const used = offsetsInUse(v4, ['0a:58:0a:f4:01:03 10.244.1.3', 'router', '0a:58:0a:f4:01:05 10.244.1.5', '00:00:00:00:00:01 10.9.9.9']);
  t.deepEqual([...used].sort(), [3n, 5n]);
  t.is(allocatePodAddresses(v4, used).addresses[0].text, '10.244.1.4');
  t.is(allocatePodAddresses(v4, used, new Set([4n])).addresses[0].text, '10.244.1.6');
  const excluded = { ...v4, excluded: parseExcludeIps('10.244.1.4 10.244.1.6..10.244.1.10') };
  t.is(allocatePodAddresses(excluded, used).addresses[0].text, '10.244.1.11');
});

test('IPAM dual-stack gives the same offset in both families, free in both', (t) => {
  const used = offsetsInUse(dual, ['0a:58:0a:f4:01:03 10.244.1.3 fd00:10:244:1::3', 'x fd00:10:244:1::4']);
  const p = allocatePodAddresses(dual, used);
  t.deepEqual(p.addresses.map((a) => a.text), ['10.244.1.5', 'fd00:10:244:1::5']);
  t.is(p.mac, '0a:58:0a:f4:01:05');
  t.is(p.lspAddress, '0a:58:0a:f4:01:05 10.244.1.5 fd00:10:244:1::5');
  t.is(podAddressesAt(dual, 5n).lspAddress, p.lspAddress);
});

test('IPAM reports exhaustion and never hands out the broadcast address', (t) => {
  const tiny = { subnets: [parsePrefix('10.0.0.0/29')] };
  const used = new Set<bigint>();
  const got: string[] = [];
  for (;;) {
    try { const p = allocatePodAddresses(tiny, used); used.add(p.offset); got.push(p.addresses[0].text); } catch (e) { t.true(e instanceof OvnSubnetExhaustedError); break; }
  }
  t.deepEqual(got, ['10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6']);
});

test('IPAM: starting from a low-water mark gives the same answer as scanning from the start', (t) => {
  const excluded = { subnets: [parsePrefix('10.244.1.0/24')], excluded: parseExcludeIps('10.244.1.8..10.244.1.12') };
  const used = new Set([3n, 4n, 5n, 6n, 7n, 14n]);
  const reserved = new Set([13n]);
  t.is(allocatePodAddresses(excluded, used, reserved).offset, 15n);
  for (let from = 0n; from <= 15n; from++) t.is(allocatePodAddresses(excluded, used, reserved, from).offset, 15n, `from ${from}`);
  // A mark inside an excluded range skips to its end; below FIRST_POD_OFFSET is the start.
  t.is(lowestFreeOffset(excluded, new Set(), undefined, 9n), 13n);
  t.is(lowestFreeOffset(excluded, new Set(), undefined, 0n), 3n);
  const tiny = { subnets: [parsePrefix('10.0.0.0/29')] };
  t.is(lowestFreeOffset(tiny, new Set([3n, 4n, 5n, 6n])), undefined);
  t.throws(() => allocatePodAddresses(tiny, new Set([3n, 4n, 5n, 6n]), undefined, 5n), { instanceOf: OvnSubnetExhaustedError });
});

test('IPAM: the addresses at an offset are addressAt + macFromAddress (IPv4 computed without bigint shifts)', (t) => {
  for (const subnets of [['10.244.1.0/24'], ['128.0.0.0/8'], ['255.255.255.0/24'], ['192.168.0.0/16', 'fd00:10:244:1::/64'], ['fd00:99::/64']]) {
    const node = { subnets: subnets.map((s) => parsePrefix(s)) };
    for (const offset of [3n, 9n, 10n, 15n, 16n, 100n, 127n, 128n, 200n, 253n]) {
      const want = node.subnets.map((s) => addressAt(s, offset));
      const got = podAddressesAt(node, offset);
      t.deepEqual(got.addresses, want, `${subnets.join()} +${offset}`);
      t.is(got.mac, macFromAddress(want[0]));
      t.is(got.lspAddress, [macFromAddress(want[0]), ...want.map((a) => a.text)].join(' '));
    }
  }
});

test('ACL matches', (t) => {
  t.is(portGroupMatch('pg', 'ingress'), 'outport == @pg');
  t.is(portGroupMatch('pg', 'egress'), 'inport == @pg');
  t.is(arpAllowMatch('pg', 'ingress'), 'outport == @pg && (arp || nd)');
  t.is(l4Match([{ protocol: 'tcp', port: 80 }]), 'tcp && tcp.dst == 80');
  t.is(l4Match([{ protocol: 'tcp', port: 80 }, { protocol: 'udp', port: 1000, endPort: 2000 }, { protocol: 'sctp' }]),
    '((tcp && tcp.dst == 80) || (udp && udp.dst >= 1000 && udp.dst <= 2000) || (sctp))');
  t.is(t.throws(() => l4Match([{ protocol: 'tcp', port: 0 }]), { instanceOf: OvnInvalidFieldError })?.code, 'OVN_INVALID_FIELD');
  // A named port resolved per pod: the number it has in some pods, only towards those pods.
  t.is(l4Match([{ protocol: 'tcp', port: 8080, destinations: ['10.0.0.2', '10.0.0.1', 'fd00::1'] }, { protocol: 'tcp', port: 9090, destinations: ['10.0.0.3'] }]),
    '(((ip4.dst == {10.0.0.1, 10.0.0.2} || ip6.dst == fd00::1) && tcp && tcp.dst == 8080) || (ip4.dst == 10.0.0.3 && tcp && tcp.dst == 9090))');
  t.is(t.throws(() => l4Match([{ protocol: 'tcp', port: 80, destinations: [] }]), { instanceOf: OvnInvalidFieldError })?.code, 'OVN_INVALID_FIELD');
  t.is(ipBlockMatch({ cidr: '10.0.0.0/8', except: ['10.1.0.0/16', '10.2.0.0/16'] }, 'ingress'),
    'ip4.src == 10.0.0.0/8 && ip4.src != {10.1.0.0/16, 10.2.0.0/16}');
  t.is(ipBlockMatch({ cidr: 'fd00::/8' }, 'egress'), 'ip6.dst == fd00::/8');
  t.is(ipBlockMatch({ cidr: '2001:db8:100::/64', except: ['2001:db8:100::1/128', '2001:db8:100::f00/120'] }, 'ingress'),
    'ip6.src == 2001:db8:100::/64 && ip6.src != {2001:db8:100::1/128, 2001:db8:100::f00/120}');
  t.like(t.throws(() => ipBlockMatch({ cidr: '2001:db8:100::/64', except: ['2001:db8:100::1/128', '10.0.0.0/8'] }, 'egress'), { instanceOf: OvnInvalidFieldError }),
    { object: 'ipBlock 2001:db8:100::/64', field: 'except[1]', value: '10.0.0.0/8' });
  t.like(t.throws(() => ipBlockMatch({ cidr: '2001:db8:100::/129' }, 'egress'), { instanceOf: OvnInvalidFieldError }), { field: 'cidr' });
  t.is(addressSetMatch([{ name: 'a1_v4', family: 4 }, { name: 'a1_v6', family: 6 }], 'ingress'), '(ip4.src == {$a1_v4} || ip6.src == {$a1_v6})');
  t.is(andMatch('a', undefined, 'b'), 'a && b');
});

test('load balancer vips', (t) => {
  t.is(loadBalancerName('default', 'kubernetes', 'tcp'), 'Service_default/kubernetes_TCP_cluster');
  t.is(hostPort('fd00::10', 53), '[fd00::10]:53');
  const vips = vipsMap([
    { ip: '10.96.0.10', port: 53, endpoints: [{ ip: '10.244.2.7', port: 53 }, { ip: '10.244.1.5', port: 53 }] },
    { ip: 'fd00:96::10', port: 53, endpoints: [] },
  ]);
  t.deepEqual([...vips], [['10.96.0.10:53', '10.244.1.5:53,10.244.2.7:53'], ['[fd00:96::10]:53', '']]);
  t.throws(() => vipsMap([{ ip: '10.96.0.1', port: 80, endpoints: [{ ip: 'fd00::1', port: 80 }] }]), { instanceOf: OvnInvalidFieldError });
});

test('pod-networks annotation shape', (t) => {
  const single = podNetworksAnnotation({ ipAddresses: ['10.244.1.5/24'], mac: '0a:58:0a:f4:01:05', gateways: ['10.244.1.1'] });
  t.deepEqual(JSON.parse(formatPodNetworksAnnotation(single)), {
    default: { ip_addresses: ['10.244.1.5/24'], mac_address: '0a:58:0a:f4:01:05', gateway_ips: ['10.244.1.1'], ip_address: '10.244.1.5/24', gateway_ip: '10.244.1.1', role: 'primary' },
  });
  const two = podNetworksAnnotation({ ipAddresses: ['10.244.1.5/24', 'fd00::5/64'], mac: 'm', gateways: ['10.244.1.1', 'fd00::1'] });
  t.is(two.default.ip_address, undefined);
  t.is(two.default.gateway_ip, undefined);
});

test('tunnel metadata: Geneve, STT and VXLAN layouts round-trip and validate ranges', (t) => {
  const m = tunnelMetadataFromKeys({ datapath: 5, ingressPort: 3, egressPort: 7 });
  t.is(m.geneve.vni, 5);
  t.is(m.geneve.optionClass, 0x0102);
  t.is(m.geneve.optionType, 0x80);
  t.is(m.geneve.optionValue, 0x0003_0007);
  t.is(m.stt, (3n << 40n) | (7n << 24n) | 5n);
  t.is(m.vxlanVni, (7 << 12) | 5);
  t.deepEqual(keysFromGeneve(m.geneve.vni, m.geneve.optionValue), m.keys);
  t.deepEqual(keysFromStt(m.stt), m.keys);
  const max = tunnelMetadataFromKeys({ datapath: 0xffffff, ingressPort: 0x7fff, egressPort: 0xffff });
  t.is(max.geneve.optionValue, 0x7fffffff);
  t.is(max.stt, 0x7fff_ffff_ffffffn);
  t.is(max.vxlanVni, undefined);
  t.throws(() => tunnelMetadataFromKeys({ datapath: 0x1000000, ingressPort: 1, egressPort: 1 }), { instanceOf: OvnTunnelKeyRangeError });
  t.throws(() => tunnelMetadataFromKeys({ datapath: 1, ingressPort: 0x8000, egressPort: 1 }), { instanceOf: OvnTunnelKeyRangeError });
  t.throws(() => tunnelMetadataFromKeys({ datapath: 1, ingressPort: 1, egressPort: 0x10000 }), { instanceOf: OvnTunnelKeyRangeError });
  t.throws(() => vxlanVni({ datapath: 4096, egressPort: 1 }), { instanceOf: OvnTunnelKeyRangeError });
  t.throws(() => vxlanVni({ datapath: 1, egressPort: 4096 }), { instanceOf: OvnTunnelKeyRangeError });
});

test('pod port UUIDs: one per switch and offset, valid, stable', (t) => {
  const ls1 = '6f1c2a4e-0000-4000-8000-000000000001';
  const ls2 = '6f1c2a4e-0000-4000-8000-000000000002';
  const u = podPortUuid(ls1, 3n);
  t.regex(u, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  t.is(podPortUuid(ls1, 3n), u);
  const all = new Set([u, podPortUuid(ls1, 4n), podPortUuid(ls2, 3n), podPortUuid(ls2, 4n)]);
  t.is(all.size, 4);
  // Agents of different versions share nodes: the derivation (SHA-1 of switch and offset, RFC 4122 version 5
  // layout) must never change. Values from the first implementation (a Buffer digest with the bits set in place).
  t.is(u, 'dfacb567-ec50-5564-8f1a-bb3940d79dbb');
  t.is(podPortUuid(ls1, 4n), '551dafa0-96da-5558-b7a3-7245d826da9f');
  t.is(podPortUuid(ls1, 1000n), 'fd0c2793-4f6c-5669-8356-7ef99eff8901');
});
