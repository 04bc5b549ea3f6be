// EgressFirewall with real frames on the north-south lab: the namespace's pods reach an allowed CIDR beyond the
// outside host and not the denied rest (the frames never show in the outside host's capture while the allowed ones
// sent after them do), pod-to-pod traffic is untouched (cluster and join subnets excluded), a port rule drops only its UDP
// port, a DNS-name rule resolved by the given resolver fills an address set; ovn-trace names the drop. Rules OVN or
// the CRD cannot express, and DNS names without a resolver, are refused naming the field with nothing sent.
import test from 'ava';
import { OvnEgressFirewalls, OvnInvalidFieldError, namespacePortGroupName, waitForHypervisors, type EgressFirewallRule } from '../../src/index.js';
import { udpDatagram } from '../../src/lab/index.js';
import { runCommand, waitFor } from '../../src/lab/process.js';
import { addPods, gatewayMac, type OverlayPod } from '../overlay/helpers.js';
import { CLUSTER, atOutside, atPod, echoFrom, ensureGateways, expectDropped, sendUntil, startNorthSouth, type NorthSouth } from './helpers.js';

let o: NorthSouth;
let pods: Map<string, OverlayPod>;
let firewalls: OvnEgressFirewalls;
const pod = (name: string): OverlayPod => pods.get(name)!;
const resolved = new Map<string, string[]>();

test.before(async () => {
  o = await startNorthSouth();
  await ensureGateways(o);
  pods = await addPods(o, [{ name: 'a', hv: 1 }, { name: 'b', hv: 2 }]);
  await waitForHypervisors(o.nb, { timeoutMs: 20_000 });
  firewalls = new OvnEgressFirewalls(o.nb, { clusterSubnets: [CLUSTER], resolver: async (name) => resolved.get(name) ?? [] });
});
test.after.always(async () => { await o?.close(); });

test.serial('refused naming the field, nothing sent: DNS names without a resolver, wildcards, a bad CIDR, ICMP ports, another name, two destinations', async (t) => {
  const ns = pod('a').namespace;
  const before = await o.lab.nbctl('show');
  const noResolver = new OvnEgressFirewalls(o.nb, { clusterSubnets: [CLUSTER] });
  const cases: [OvnEgressFirewalls, string, EgressFirewallRule[], string][] = [
    [noResolver, 'default', [{ type: 'Allow', to: { cidrSelector: '10.0.0.0/8' } }, { type: 'Deny', to: { dnsName: 'example.com' } }], 'spec.egress[1].to.dnsName'],
    [firewalls, 'default', [{ type: 'Deny', to: { dnsName: '*.example.com' } }], 'spec.egress[0].to.dnsName'],
    [firewalls, 'default', [{ type: 'Deny', to: { cidrSelector: '10.0.0.300/8' } }], 'spec.egress[0].to.cidrSelector'],
    [firewalls, 'default', [{ type: 'Deny', to: { cidrSelector: '0.0.0.0/0' }, ports: [{ protocol: 'ICMP' as 'TCP' }] }], 'spec.egress[0].ports[0].protocol'],
    [firewalls, 'default', [{ type: 'Deny', to: { cidrSelector: '0.0.0.0/0' }, ports: [{ protocol: 'TCP', port: 70000 }] }], 'spec.egress[0].ports[0].port'],
    [firewalls, 'other', [{ type: 'Deny', to: { cidrSelector: '0.0.0.0/0' } }], 'metadata.name'],
    [firewalls, 'default', [{ type: 'Deny', to: { cidrSelector: '0.0.0.0/0', dnsName: 'example.com' } }], 'spec.egress[0].to'],
    [firewalls, 'default', [{ type: 'Deny', to: { nodeSelector: {} } }], 'spec.egress[0].to.nodeSelector'],
    // Malformed (a JavaScript caller, a decoded JSON spec): refused naming the field, never a TypeError.
    [firewalls, 'default', 'deny all' as unknown as EgressFirewallRule[], 'spec.egress'],
    [firewalls, 'default', [null as unknown as EgressFirewallRule], 'spec.egress[0]'],
    [firewalls, 'default', [{ type: 'Deny', to: { cidrSelector: '0.0.0.0/0' }, ports: 'TCP/80' as never }], 'spec.egress[0].ports'],
    [firewalls, 'default', [{ type: 'Deny', to: { cidrSelector: '0.0.0.0/0' }, ports: [null as never] }], 'spec.egress[0].ports[0]'],
    [firewalls, 'default', [{ type: 'Deny', to: { dnsName: 42 as unknown as string } }], 'spec.egress[0].to.dnsName'],
  ];
  for (const [kind, name, egress, field] of cases) {
    const err = await t.throwsAsync(kind.ensure({ namespace: ns, name, egress }), { instanceOf: OvnInvalidFieldError }, field);
    t.is(err?.field, field);
    t.is(err?.code, 'OVN_INVALID_FIELD');
  }
  t.regex((await t.throwsAsync(noResolver.ensure({ namespace: ns, name: 'default', egress: cases[0][2] })))!.message,
    new RegExp(`egressfirewall ${ns}/default: spec\\.egress\\[1\\]\\.to\\.dnsName: DNS name rules need a resolver`));
  t.is(await o.lab.nbctl('show'), before);
  t.deepEqual(firewalls.list(), []);
});

test.serial('allow a CIDR, deny the rest: the remote address is reached, the outside host is not, pod to pod still is; ovn-trace drops', async (t) => {
  const a = pod('a');
  const b = pod('b');
  const outside = o.lab.outside!;
  const remote = outside.remote[0];
  const ensured = await firewalls.ensure({ namespace: a.namespace, name: 'default', egress: [
    { type: 'Allow', to: { cidrSelector: '198.51.100.0/24' } }, { type: 'Deny', to: { cidrSelector: '0.0.0.0/0' } },
  ] });
  const pg = namespacePortGroupName('ovn-overlay', a.namespace);
  t.like(ensured, { changed: true, rules: [
    { index: 0, action: 'allow', match: `(ip4.dst == 198.51.100.0/24) && inport == @${pg}` },
    { index: 1, action: 'drop', match: `(ip4.dst == 0.0.0.0/0 && ip4.dst != {${CLUSTER}, 100.64.0.0/16}) && inport == @${pg}` },
  ] });
  t.false((await firewalls.ensure({ namespace: a.namespace, name: 'default', egress: [
    { type: 'Allow', to: { cidrSelector: '198.51.100.0/24' } }, { type: 'Deny', to: { cidrSelector: '0.0.0.0/0' } },
  ] })).changed, 'ensured again: nothing sent');
  t.regex(await o.lab.nbctl('--columns=ports', 'list', 'Port_Group', pg), new RegExp(`${(await o.lab.nbctl('--bare', '--columns=_uuid', 'list', 'Logical_Switch_Port', a.portName)).trim()}`));

  await expectDropped(o, t, (m) => a.hv.inject(a.vif, echoFrom(o, a, m.includes('denied') ? outside.ipv4 : remote, m)), 'a denied', 'a to remote allowed');
  t.like(await waitFor('the reply from the remote address', atPod(a, (f) => f.payload === 'a to remote allowed' && f.icmpType === 0), 10_000), { srcIp: remote });
  await a.hv.inject(a.vif, echoFrom(o, a, b.ip, 'a to b'));
  t.like(await waitFor('a to b at b', atPod(b, (f) => f.payload === 'a to b'), 10_000), { srcIp: a.ip, dstIp: b.ip }, 'the cluster subnet is excluded');

  const trace = await runCommand('ovn-trace', [`--db=${o.lab.sb.unix}`, '--ct=new', 'hv1',
    `inport == "${a.portName}" && eth.src == ${a.mac} && eth.dst == ${gatewayMac(o, a.hv)} && ip4.src == ${a.ip} && ip4.dst == ${outside.ipv4} && ip.ttl == 64 && icmp4.type == 8`]);
  t.regex(trace, /ls_out_acl[\s\S]*ip4\.dst == 0\.0\.0\.0\/0[\s\S]*drop;/, 'the deny rule\'s ACL drops it');
});

test.serial('a port rule drops only UDP to its port; a DNS-name rule uses the resolver\'s addresses in a shared address set', async (t) => {
  const a = pod('a');
  const outside = o.lab.outside!;
  await firewalls.ensure({ namespace: a.namespace, name: 'default', egress: [{ type: 'Deny', to: { cidrSelector: '172.18.0.0/16' }, ports: [{ protocol: 'UDP', port: 5353 }, { protocol: 'TCP', port: 80 }] }] });
  t.is(firewalls.get({ namespace: a.namespace, name: 'default' })?.rules[0].match.endsWith('&& ((tcp && (tcp.dst == 80)) || (udp && (udp.dst == 5353)))'), true);
  const udp = (port: number, payload: string) => udpDatagram({ srcMac: a.mac, dstMac: gatewayMac(o, a.hv), srcIp: a.ip, dstIp: outside.ipv4, srcPort: 40000, dstPort: port, payload });
  await expectDropped(o, t, (m) => a.hv.inject(a.vif, udp(m.includes('denied') ? 5353 : 5354, m)), 'udp 5353 denied', 'udp 5354 allowed');

  resolved.set('remote.example.com', [outside.remote[0]]);
  const dns = await firewalls.ensure({ namespace: a.namespace, name: 'default', egress: [{ type: 'Deny', to: { dnsName: 'Remote.Example.com.' } }] });
  t.deepEqual(dns.dnsNames, ['remote.example.com']);
  const set = firewalls.dnsAddressSetName('remote.example.com', 4);
  t.is((await o.lab.nbctl('--bare', '--columns=addresses', 'list', 'Address_Set', set)).trim(), outside.remote[0]);
  await expectDropped(o, t, (m) => a.hv.inject(a.vif, echoFrom(o, a, m.includes('denied') ? outside.remote[0] : outside.ipv4, m)), 'remote denied by name', 'outside allowed again');

  t.true(await firewalls.delete({ namespace: a.namespace, name: 'default' }));
  t.is((await o.lab.nbctl('--bare', '--columns=name', 'find', 'Address_Set', `name=${set}`)).trim(), '', 'the DNS address set went with its last rule');
  t.is((await o.lab.nbctl('--bare', '--columns=name', 'find', 'Port_Group', `name=${namespacePortGroupName('ovn-overlay', a.namespace)}`)).trim(), '', 'the namespace port group went with its last ACL');
  await waitForHypervisors(o.nb, { timeoutMs: 20_000 });
  await sendUntil('the remote again', () => a.hv.inject(a.vif, echoFrom(o, a, outside.remote[0], 'remote after delete')), atOutside(o, (f) => f.payload === 'remote after delete'));
  t.deepEqual(firewalls.list(), []);
});
