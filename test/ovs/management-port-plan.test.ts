// The management port's host side as typed steps: the Linux commands (address .2, routes via .1, the router's
// neighbour entry, forwarding) and the Windows ones ovn-kubernetes ran (IPv4 only); bad input refused.
import test from 'ava';
import { managementPortHostPlan, runHostPlan, HostPlanError, OvsError } from '../../src/index.js';

test('Linux, dual-stack: link, both .2 addresses, the router pinned, cluster and service routes per family, IPv4 forwarding', (t) => {
  const plan = managementPortHostPlan({
    mac: '0a:58:0a:f4:01:02', mtu: 1400, subnets: ['10.244.1.0/24', 'fd00:10:244:1::/64'],
    routes: ['10.244.0.0/16', '10.96.0.0/16', 'fd00:10:244::/48'],
  });
  t.deepEqual(plan.map((s) => s.text), [
    'ip link set dev ovn-k8s-mp0 address 0a:58:0a:f4:01:02 mtu 1400 up',
    'ip address replace 10.244.1.2/24 dev ovn-k8s-mp0',
    'ip -6 address replace fd00:10:244:1::2/64 dev ovn-k8s-mp0 nodad',
    'ip neighbour replace 10.244.1.1 lladdr 0a:58:0a:f4:01:01 dev ovn-k8s-mp0 nud permanent',
    'ip neighbour replace fd00:10:244:1::1 lladdr 0a:58:0a:f4:01:01 dev ovn-k8s-mp0 nud permanent',
    'ip route replace 10.244.0.0/16 via 10.244.1.1 dev ovn-k8s-mp0',
    'ip route replace 10.96.0.0/16 via 10.244.1.1 dev ovn-k8s-mp0',
    'ip -6 route replace fd00:10:244::/48 via fd00:10:244:1::1 dev ovn-k8s-mp0',
    'sysctl -w net.ipv4.conf.ovn-k8s-mp0.forwarding=1',
  ]);
  t.deepEqual(plan.map((s) => s.kind), ['link', 'address', 'address', 'neighbour', 'neighbour', 'route', 'route', 'route', 'forwarding']);
});

test('Windows: Enable-NetAdapter, the .2 address, MTU by netsh, route -p add per subnet (as ovn-kubernetes had it)', (t) => {
  const plan = managementPortHostPlan({ platform: 'windows', mac: '0a:58:0a:f4:01:02', mtu: 1400, subnets: ['10.244.1.0/24'], routes: ['10.244.0.0/16'] });
  t.deepEqual(plan.map((s) => s.kind), ['link', 'address', 'mtu', 'route']);
  t.is(plan[0].text, "Enable-NetAdapter -IncludeHidden -Name 'ovn-k8s-mp0'");
  t.regex(plan[1].text, /New-NetIPAddress -IPAddress '10\.244\.1\.2' -PrefixLength 24 -InterfaceAlias 'ovn-k8s-mp0'/);
  t.is(plan[2].text, 'netsh interface ipv4 set subinterface ovn-k8s-mp0 mtu=1400 store=persistent');
  t.regex(plan[3].text, /route -p add 10\.244\.0\.0 mask 255\.255\.0\.0 10\.244\.1\.1 METRIC 2 IF \$i/);
  t.is(plan[3].program, 'powershell.exe');
});

test('refused: IPv6 on Windows, a route of a family without a node subnet, a bad MAC or MTU', (t) => {
  const base = { mac: '0a:58:0a:f4:01:02', subnets: ['10.244.1.0/24'], routes: [] as string[] };
  t.is(t.throws(() => managementPortHostPlan({ ...base, platform: 'windows', subnets: ['10.244.1.0/24', 'fd00::/64'] }), { instanceOf: OvsError }).code, 'OVS_BAD_IP');
  t.regex(t.throws(() => managementPortHostPlan({ ...base, routes: ['fd00:10:244::/48'] }), { instanceOf: OvsError }).message, /routes\[0\].*no IPv6 subnet/);
  t.is(t.throws(() => managementPortHostPlan({ ...base, mac: 'x' }), { instanceOf: OvsError }).code, 'OVS_BAD_MAC');
  t.is(t.throws(() => managementPortHostPlan({ ...base, mtu: 70000 }), { instanceOf: OvsError }).code, 'OVS_BAD_MTU');
});

test('runHostPlan runs the steps in order and stops at the first failure, saying which and what ran', async (t) => {
  const plan = managementPortHostPlan({ mac: '0a:58:0a:f4:01:02', subnets: ['10.244.1.0/24'], routes: ['10.244.0.0/16'] });
  const ran: string[] = [];
  const err = await t.throwsAsync(runHostPlan(plan, async (program, args) => {
    ran.push([program, ...args].join(' '));
    if (args.includes('route')) throw new Error('RTNETLINK answers: Network is unreachable');
  }), { instanceOf: HostPlanError });
  t.is(err.step.kind, 'route');
  t.deepEqual(err.completed.map((s) => s.kind), ['link', 'address', 'neighbour']);
  t.is(ran.length, 4);
});
