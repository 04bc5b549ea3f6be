import test from 'ava';
import { OvsError } from '../../src/ovs/errors.js';
import { createHash } from 'node:crypto';
import {
  HYPERV_PORT_NAME_MAX,
  hostAdapterName,
  logicalPortName,
  psQuote,
  validateHypervPortName,
  windowsBindCommands,
  windowsPodNames,
  windowsScript,
  windowsUnbindCommands,
  type WindowsBindOptions,
} from '../../src/ovs/windows.js';

test('short names: every name is <namespace>_<pod>, adapter vEthernet (<name>)', (t) => {
  t.deepEqual(windowsPodNames('default', 'web-0'), {
    ifaceId: 'default_web-0',
    endpointName: 'default_web-0',
    interfaceName: 'default_web-0',
    elementName: 'default_web-0',
    hostAdapter: 'vEthernet (default_web-0)',
    shortened: false,
  });
  t.is(logicalPortName('kube-system', 'coredns-5d78c9869d-abcde'), 'kube-system_coredns-5d78c9869d-abcde');
  t.is(hostAdapterName('x'), 'vEthernet (x)');
});

test('exactly 48 characters is kept; 49 is shortened to exactly 48 with a hash, iface-id stays full', (t) => {
  const ns = 'a'.repeat(20);
  const pod48 = 'b'.repeat(48 - 21);
  const n48 = windowsPodNames(ns, pod48);
  t.is(n48.interfaceName.length, 48);
  t.false(n48.shortened);
  t.is(n48.interfaceName, `${ns}_${pod48}`);

  const pod49 = `${pod48}c`;
  const n49 = windowsPodNames(ns, pod49);
  t.true(n49.shortened);
  t.is(n49.ifaceId, `${ns}_${pod49}`);
  t.is(n49.interfaceName.length, HYPERV_PORT_NAME_MAX);
  const hash = createHash('sha256').update(`${ns}_${pod49}`).digest('hex').slice(0, 12);
  t.true(n49.interfaceName.endsWith(`_${hash}`));
  t.is(n49.endpointName, n49.interfaceName);
  t.is(n49.elementName, n49.interfaceName);
  t.is(n49.hostAdapter, `vEthernet (${n49.interfaceName})`);
  t.is(n49.interfaceName.split('_').length, 3, 'a shortened name has two underscores, a full one exactly one');
});

test('shortening is deterministic, keeps readable prefixes and stays unique', (t) => {
  const ns = 'team-payments-production-eu-west';
  const pods = Array.from({ length: 2000 }, (_, i) => `checkout-service-deployment-7f9c8d6b5-${i.toString(36).padStart(5, '0')}`);
  const names = pods.map((p) => windowsPodNames(ns, p).interfaceName);
  t.is(new Set(names).size, pods.length);
  t.deepEqual(names, pods.map((p) => windowsPodNames(ns, p).interfaceName));
  for (const n of names) {
    t.is(n.length, 48);
    t.notThrows(() => validateHypervPortName(n));
  }
  t.true(names[0].startsWith('team-payment_checkout-service-deplo_'), names[0]);
  // a long namespace with a short pod gives the room to the namespace
  const longNs = 'n'.repeat(63);
  const short = windowsPodNames(longNs, 'p').interfaceName;
  t.is(short.length, 48);
  t.true(short.startsWith(`${'n'.repeat(33)}_p_`), short);
  // the longest legal names
  const longest = windowsPodNames(longNs, 'q'.repeat(253));
  t.is(longest.interfaceName.length, 48);
  t.is(longest.ifaceId.length, 63 + 1 + 253);
});

test('invalid Kubernetes names and port names are typed errors', (t) => {
  const code = (fn: () => unknown) => {
    const e = t.throws(fn, { instanceOf: OvsError });
    return e?.code;
  };
  t.is(code(() => windowsPodNames('Default', 'web')), 'OVS_BAD_NAMESPACE');
  t.is(code(() => windowsPodNames('my_ns', 'web')), 'OVS_BAD_NAMESPACE');
  t.is(code(() => windowsPodNames('a'.repeat(64), 'web')), 'OVS_BAD_NAMESPACE');
  t.is(code(() => windowsPodNames('', 'web')), 'OVS_BAD_NAMESPACE');
  t.is(code(() => windowsPodNames('default', 'web_0')), 'OVS_BAD_POD_NAME');
  t.is(code(() => windowsPodNames('default', "it's")), 'OVS_BAD_POD_NAME');
  t.is(code(() => windowsPodNames('default', 'web-')), 'OVS_BAD_POD_NAME');
  t.is(code(() => windowsPodNames('default', 'x'.repeat(254))), 'OVS_BAD_POD_NAME');
  t.notThrows(() => windowsPodNames('default', 'web.v2.x'));
  t.is(code(() => validateHypervPortName('')), 'OVS_PORT_NAME_EMPTY');
  t.is(code(() => validateHypervPortName('x'.repeat(49))), 'OVS_PORT_NAME_TOO_LONG');
  t.is(code(() => validateHypervPortName('a/b')), 'OVS_PORT_NAME_BAD_CHARACTER');
  t.is(code(() => validateHypervPortName('a\\b')), 'OVS_PORT_NAME_BAD_CHARACTER');
  t.is(code(() => validateHypervPortName("a'b")), 'OVS_PORT_NAME_BAD_CHARACTER');
  t.is(code(() => validateHypervPortName('vEthernet (x)')), 'OVS_PORT_NAME_BAD_CHARACTER');
  t.is(code(() => validateHypervPortName('é')), 'OVS_PORT_NAME_BAD_CHARACTER');
});

const bind: WindowsBindOptions = {
  namespace: 'default', pod: 'web-0', mac: '0a:58:0a:f4:01:05', ipAddresses: ['10.244.1.5/24'], gateway: '10.244.1.1',
  hnsNetwork: '3b2a9e64-0c1f-4f4c-8f7a-4a1c2e0d9b11', containerId: 'f3a1c0de9b2a', compartmentId: 7, ifaceIdVer: 'uid-1', mtu: 1400,
};

test('bind: HNS endpoint, attach, ElementName, OVS internal port, MTU, in that order', (t) => {
  const cmds = windowsBindCommands(bind);
  t.deepEqual(cmds.map((c) => c.program), ['powershell.exe', 'powershell.exe', 'powershell.exe', 'ovs-vsctl.exe', 'powershell.exe']);
  const [ep, attach, element, ovs, mtu] = cmds;
  t.regex(ep.text, /Get-HnsEndpoint \| Where-Object \{ \$_.Name -eq 'default_web-0' \}/);
  t.regex(ep.text, /New-HnsEndpoint -NetworkId '3b2a9e64-0c1f-4f4c-8f7a-4a1c2e0d9b11' -Name 'default_web-0' -IPAddress '10.244.1.5' -Gateway '10.244.1.1' -MacAddress '0A-58-0A-F4-01-05'/);
  t.regex(ep.text, /^Import-Module -DisableNameChecking 'C:\\k\\hns.psm1'/);
  t.regex(attach.text, /Attach-HnsEndpoint -EndpointID \$ep.Id -CompartmentID 7 -ContainerID 'f3a1c0de9b2a'/);
  t.regex(element.text, /Get-VMNetworkAdapterByOVSPort -OVSPortName 'default_web-0'/);
  t.regex(element.text, /Get-VMNetworkAdapter -ManagementOS \| Where-Object \{ \$_.MacAddress -eq '0A580AF40105' \} \| Set-VMNetworkAdapterOVSPort -OVSPortName 'default_web-0'/);
  t.deepEqual(ovs.args, [
    '--may-exist', 'add-port', 'br-int', 'default_web-0', '--', 'set', 'Interface', 'default_web-0', 'type=internal',
    'external_ids:iface-id=default_web-0', 'external_ids:iface-id-ver=uid-1', 'external_ids:attached_mac=0a:58:0a:f4:01:05',
    'external_ids:ip_addresses=10.244.1.5/24', 'external_ids:sandbox=f3a1c0de9b2a',
  ]);
  t.is(ovs.text, `ovs-vsctl ${ovs.args.join(' ')}`);
  t.is(mtu.text, "Set-NetIPInterface -IncludeAllCompartments -InterfaceAlias 'vEthernet (default_web-0)' -NlMtuBytes 1400");
  t.deepEqual(ep.args.slice(0, 3), ['-NoProfile', '-NonInteractive', '-Command']);
  t.is(ep.args[3], ep.text);
  for (const c of cmds) t.true(c.what.length > 20);
});

test('bind with a long pod name uses the short name everywhere except iface-id; dual stack; network by name', (t) => {
  const pod = 'checkout-service-deployment-7f9c8d6b5-abcde';
  const names = windowsPodNames('payments', pod);
  t.true(names.shortened);
  const cmds = windowsBindCommands({ ...bind, pod, namespace: 'payments', ipAddresses: ['fd00:10:244:1::5/64', '10.244.1.5/24'], hnsNetwork: 'ovn', mtu: undefined });
  t.is(cmds.length, 4);
  const all = cmds.map((c) => c.text).join('\n');
  t.false(all.includes(`'payments_${pod}'`), 'the full name never names an endpoint, port or adapter');
  t.true(all.includes(`-Name '${names.endpointName}'`));
  t.true(all.includes(`-OVSPortName '${names.elementName}'`));
  t.true(all.includes("-IPAddress '10.244.1.5'"), 'HNS gets the IPv4 address');
  t.true(all.includes("(Get-HnsNetwork | Where-Object { $_.Name -eq 'ovn' } | Select-Object -First 1).Id"));
  t.true(cmds[3].args.includes(`external_ids:iface-id=payments_${pod}`));
  t.true(cmds[3].args.includes('external_ids:ip_addresses="fd00:10:244:1::5/64,10.244.1.5/24"'));
  t.true(cmds[3].args.includes(names.interfaceName));
});

test('bind refuses bad arguments with typed errors', (t) => {
  const code = (o: Partial<WindowsBindOptions>) => t.throws(() => windowsBindCommands({ ...bind, ...o }), { instanceOf: OvsError })?.code;
  t.is(code({ mac: '0a-58-0a-f4-01-05' }), 'OVS_BAD_MAC');
  t.is(code({ ipAddresses: ['10.244.1.5'] }), 'OVS_BAD_IP');
  t.is(code({ ipAddresses: ['fd00::5/64'] }), 'OVS_BAD_IP');
  t.is(code({ gateway: 'fd00::1' }), 'OVS_BAD_IP');
  t.is(code({ compartmentId: -1 }), 'OVS_BAD_OPTION');
  t.is(code({ containerId: "x'; Remove-Item C:\\ -Recurse; '" }), 'OVS_BAD_OPTION');
  t.is(code({ mtu: 100 }), 'OVS_BAD_OPTION');
  t.is(code({ namespace: 'Bad' }), 'OVS_BAD_NAMESPACE');
});

test('unbind removes exactly what bind created: the OVS port and the HNS endpoint', (t) => {
  const cmds = windowsUnbindCommands({ namespace: 'default', pod: 'web-0' });
  t.deepEqual(cmds[0].args, ['--if-exists', 'del-port', 'br-int', 'default_web-0']);
  t.regex(cmds[1].text, /Get-HnsEndpoint \| Where-Object \{ \$_.Name -eq 'default_web-0' \} \| Remove-HnsEndpoint$/);
  const long = windowsUnbindCommands({ namespace: 'payments', pod: 'checkout-service-deployment-7f9c8d6b5-abcde' });
  const n = windowsPodNames('payments', 'checkout-service-deployment-7f9c8d6b5-abcde');
  t.is(long[0].args[3], n.interfaceName);
  t.true(long[1].text.includes(psQuote(n.endpointName)));
  const bound = windowsBindCommands({ ...bind, namespace: 'payments', pod: 'checkout-service-deployment-7f9c8d6b5-abcde' });
  t.is(bound[3].args[3], long[0].args[3], 'bind and unbind name the same port');
});

test('script rendering and PowerShell quoting', (t) => {
  t.is(psQuote("it's"), "'it''s'");
  const s = windowsScript(windowsUnbindCommands({ namespace: 'default', pod: 'web-0', bridge: 'br-pods' }));
  t.is(s.split('\n').filter((l) => l.startsWith('# ')).length, 2);
  t.true(s.includes('& ovs-vsctl --if-exists del-port br-pods default_web-0\n'));
});
