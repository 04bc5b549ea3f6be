// The agent on the two-hypervisor lab (real ovn-northd, ovn-controller and userspace ovs-vswitchd per hypervisor),
// driven only through a kubectl watch-event stream. The test plays the rest of a cluster: it writes the stream, and
// as the CNI it plugs each pod the agent reported (its k8s.ovn.org/pod-networks MAC and address) into its
// hypervisor's br-int. Then, with real frames where the lab carries them and ovn-trace otherwise:
//  1. a Deployment's pods on both nodes come up and frames between them are delivered, routed;
//  2. a Service with a named targetPort and two EndpointSlices (the name is 8080 in some pods, 8081 in others):
//     ovn-trace shows ct_lb_mark with the four backends at their own ports, a frame to the VIP reaches a backend
//     at its port, and an endpoint turning not-ready leaves the backends;
//  3. NetworkPolicies with namespaceSelector + podSelector (a named port) and ipBlock except: allowed frames are
//     delivered, denied ones dropped (each checked after a control frame on the same path got through);
//     relabeling a pod moves it into the policy and out again;
//  4. deleting a namespace removes every row it owned.
import test from 'ava';
import { startLab, type Lab, type LabHypervisor } from '../../src/lab/index.js';
import { runCommand } from '../../src/lab/process.js';
import { Agent } from '../../src/k8s/agent.js';
import { WatchStreamSource } from '../../src/k8s/watch-stream-source.js';
import { OvsdbClient } from '../../src/ovsdb/client.js';
import { byName } from '../../src/ovn/northbound.js';
import { waitForPortsUp } from '../../src/ovn/wait-ports-up.js';
import { waitForHypervisors } from '../../src/ovn/wait-hypervisors.js';
import { routerToSwitchPort } from '../../src/ovn/names.js';
import { bindPod, configureNodeAt, podInterfaceNames } from '../../src/ovs/index.js';
import { readUdp, sandboxOf, udpFrame, type UdpFrameSpec } from '../overlay/helpers.js';
import { WatchFeed, endpointSlice, namespace, networkPolicy, node, pod, service, withLabels, type Json } from './cluster-objects.js';

let lab: Lab;
let agent: Agent;
let feed: WatchFeed;
const ovs: OvsdbClient[] = [];
const started = performance.now();

interface Plugged { key: string; portName: string; hv: LabHypervisor; vif: string; mac: string; ip: string }
const plugged = new Map<string, Plugged>();

const settled = async (): Promise<void> => { await feed.read(agent.cache); await agent.converged(); };

const httpPort = (containerPort: number) => [{ name: 'http', containerPort, protocol: 'UDP' as const }];
const web = ['aaaaa', 'bbbbb', 'ccccc', 'ddddd'].map((s, i) => pod('shop', `web-7d9f5c-${s}`, {
  node: i % 2 === 0 ? 'hv1' : 'hv2', labels: { app: 'web', 'pod-template-hash': '7d9f5c' }, ports: httpPort(i < 2 ? 8080 : 8081),
}));
const probe = pod('shop', 'probe', { node: 'hv1', labels: { app: 'probe' } });
const client = pod('tools', 'client', { node: 'hv2', labels: { role: 'client' } });
const stranger = pod('tools', 'stranger', { node: 'hv2', labels: { role: 'other' } });
const keyOf = (p: Json): string => `${(p.metadata as Json).namespace as string}/${(p.metadata as Json).name as string}`;
const the = (p: Json): Plugged => {
  const found = plugged.get(keyOf(p));
  if (!found) throw new Error(`${keyOf(p)} is not plugged (an earlier step failed?)`);
  return found;
};

/** As the CNI: plug every pod the agent gave a network into its hypervisor, and wait until they are all up. */
async function plugPods(pods: readonly Json[]): Promise<void> {
  for (const p of pods) {
    const key = keyOf(p);
    const report = agent.podNetwork(key);
    if (!report?.network || plugged.has(key)) continue;
    const network = report.network;
    const hv = lab.hypervisors.find((h) => h.name === network.node)!;
    const sandbox = sandboxOf(key);
    const vif = podInterfaceNames({ namespace: network.namespace, pod: network.name, sandbox }).interfaceName;
    await bindPod(ovs[hv.index - 1], {
      namespace: network.namespace, pod: network.name, sandbox, mac: network.mac, ipAddresses: network.ipAddresses,
      ifaceIdVer: (p.metadata as Json).uid as string, interfaceType: 'dummy',
      options: { tx_pcap: hv.pcapPath(vif, 'tx'), rxq_pcap: hv.pcapPath(vif, 'rx') }, waitForOfportMs: 10_000,
    });
    plugged.set(key, { key, portName: network.portName, hv, vif, mac: network.mac, ip: network.ipAddresses[0].split('/')[0] });
  }
  await waitForPortsUp(agent.nb, [...plugged.values()].map((p) => p.portName), { timeoutMs: 20_000 });
  await waitForHypervisors(agent.nb, { timeoutMs: 20_000 });
}

const gatewayMac = (hv: LabHypervisor): string => byName(agent.nb, 'Logical_Router_Port', routerToSwitchPort(hv.name))!.mac;
/** A UDP frame as the sender puts it on its VIF (across subnets: to its node's router port). */
const frame = (from: Plugged, to: { ip: string; hv?: LabHypervisor; mac?: string }, payload: string, extra: Partial<UdpFrameSpec> = {}): Uint8Array => udpFrame({
  srcMac: from.mac, dstMac: to.hv === from.hv && to.mac ? to.mac : gatewayMac(from.hv), srcIp: from.ip, dstIp: to.ip, payload, ...extra,
});
const withPayload = (payload: string) => (f: Uint8Array): boolean => readUdp(f)?.payload === payload;
const deliveredTo = async (to: Plugged, payload: string): Promise<number> => (await to.hv.transmitted(to.vif)).filter(withPayload(payload)).length;

/** Sends `payload` from `from` to `to`, then a control frame on the same path to `control`, which must arrive; says whether `payload` did. */
async function reaches(from: Plugged, to: Plugged, payload: string, dstPort: number, control: Plugged): Promise<boolean> {
  await from.hv.inject(from.vif, frame(from, to, payload, { dstPort }));
  const controlPayload = `control after ${payload}`;
  await from.hv.inject(from.vif, frame(from, control, controlPayload, { dstPort: 7 }));
  await control.hv.waitTransmitted(control.vif, withPayload(controlPayload), 20_000);
  return (await deliveredTo(to, payload)) > 0;
}

const trace = (datapath: string, flow: string): Promise<string> => runCommand('ovn-trace', [`--db=${lab.sb.unix}`, '--ct=new', datapath, flow]);
const backendsOf = (out: string): string[] => [...out.matchAll(/ct_lb_mark\(backends=([^;)]*)/g)].flatMap((m) => m[1].split(',')).sort();

test.before(async () => {
  lab = await startLab({ hypervisors: { count: 2, configureNode: async (n, settings) => { await configureNodeAt(n.ovsdb, settings); } } });
  for (const hv of lab.hypervisors) ovs.push(await OvsdbClient.connect(hv.ovsdb));
  feed = new WatchFeed();
  agent = new Agent({ nb: lab.nb.unix, sources: [new WatchStreamSource([feed.input])], clusterSubnets: ['10.244.0.0/16'] });
  await agent.start();
});
test.after.always(async (t) => {
  await agent?.stop();
  for (const c of ovs) await c.close().catch(() => undefined);
  await lab?.stop();
  t.log(`the whole chain took ${Math.round(performance.now() - started)} ms`);
});

test.serial('1. a Deployment\'s pods on both nodes come up from the stream alone; frames between them are delivered', async (t) => {
  const t0 = performance.now();
  feed.added(
    namespace('shop', { team: 'shop' }), namespace('tools', { trusted: 'yes' }),
    ...lab.hypervisors.map((hv) => node(hv.name, { subnet: `10.244.${hv.index}.0/24`, chassis: hv.name, ip: hv.encapIp })),
    ...web, probe, client, stranger,
  );
  feed.initialEventsEnd();
  await agent.converged();
  const converged = performance.now() - t0;
  await plugPods([...web, probe, client, stranger]);
  t.log(`stream to converged NB: ${Math.round(converged)} ms; plugged and up on both hypervisors: ${Math.round(performance.now() - t0)} ms`);
  t.is(agent.stats().nb.writeTransactions > 0, true);
  const [a, b, c] = web.map(the);
  t.is(a.hv.name, 'hv1');
  t.is(b.hv.name, 'hv2');
  await a.hv.inject(a.vif, frame(a, b, 'web a to web b', { dstPort: 8080 }));
  const got = readUdp(await b.hv.waitTransmitted(b.vif, withPayload('web a to web b'), 20_000));
  t.like(got, { srcIp: a.ip, dstIp: b.ip, dstMac: b.mac, srcMac: gatewayMac(b.hv), ttl: 63, ipChecksumOk: true }, 'routed across the nodes');
  await b.hv.inject(b.vif, frame(b, c, 'web b to web c', { dstPort: 8081 }));
  t.like(readUdp(await c.hv.waitTransmitted(c.vif, withPayload('web b to web c'), 20_000)), { srcIp: b.ip, dstIp: c.ip, ttl: 63 });
});

const VIP = '10.96.0.10';
const slices = (notReady?: string) => {
  const [a, b, c, d] = web.map(the);
  const ep = (p: Plugged) => ({ ip: p.ip, node: p.hv.name, pod: p.key.split('/')[1], ready: p.key !== notReady, serving: p.key !== notReady });
  return [
    endpointSlice('shop', 'web-x7k2p', 'web', [{ name: 'http', port: 8080, protocol: 'UDP' }], [ep(a), ep(b)]),
    endpointSlice('shop', 'web-q9m4z', 'web', [{ name: 'http', port: 8081, protocol: 'UDP' }], [ep(c), ep(d)]),
  ];
};

test.serial('2. a Service with a named targetPort and two EndpointSlices: ct_lb_mark to every backend at its port; a not-ready endpoint leaves', async (t) => {
  const [a, b, c, d] = web.map(the);
  const p = the(probe);
  feed.added(service('shop', 'web', VIP, [{ name: 'http', port: 80, protocol: 'UDP', targetPort: 'http' }], { app: 'web' }), ...slices());
  await settled();
  await lab.nbctl('--wait=hv', 'sync');
  const flow = `inport == "${p.portName}" && eth.src == ${p.mac} && eth.dst == ${gatewayMac(p.hv)} && ip4.src == ${p.ip} && ip4.dst == ${VIP} && ip.ttl == 64 && udp && udp.src == 40000 && udp.dst == 80`;
  t.deepEqual(backendsOf(await trace(p.hv.name, flow)), [`${a.ip}:8080`, `${b.ip}:8080`, `${c.ip}:8081`, `${d.ip}:8081`].sort());

  // A real frame to the VIP: DNATed to one of the backends, at that backend's own port.
  await p.hv.inject(p.vif, frame(p, { ip: VIP }, 'to the service', { dstPort: 80 }));
  const arrived = await Promise.any([a, b, c, d].map(async (backend) => ({ backend, frame: readUdp(await backend.hv.waitTransmitted(backend.vif, withPayload('to the service'), 20_000))! })));
  t.is(arrived.frame.dstIp, arrived.backend.ip);
  t.is(arrived.frame.dstPort, [a, b].includes(arrived.backend) ? 8080 : 8081, `${arrived.backend.key} got it at its own port`);
  t.is(arrived.frame.srcIp, p.ip);

  feed.modified(slices(d.key)[1]);
  await settled();
  await lab.nbctl('--wait=hv', 'sync');
  t.deepEqual(backendsOf(await trace(p.hv.name, flow)), [`${a.ip}:8080`, `${b.ip}:8080`, `${c.ip}:8081`].sort(), `${d.key} not ready: gone from the backends`);
});

test.serial('3. NetworkPolicies: namespaceSelector + podSelector with a named port, ipBlock except; delivered, dropped; a relabel moves a pod in and out', async (t) => {
  const [a, b, c] = web.map(the);
  const cl = the(client); const st = the(stranger); const p = the(probe);
  feed.added(
    networkPolicy('shop', 'allow-trusted-clients', {
      podSelector: { matchLabels: { app: 'web' } },
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { trusted: 'yes' } }, podSelector: { matchLabels: { role: 'client' } } }], ports: [{ protocol: 'UDP', port: 'http' }] }],
    }),
    networkPolicy('shop', 'allow-node1-block', {
      podSelector: { matchLabels: { app: 'web' } },
      ingress: [{ from: [{ ipBlock: { cidr: '10.244.0.0/16', except: ['10.244.2.0/24'] } }] }],
    }),
  );
  await settled();
  await lab.nbctl('--wait=hv', 'sync');
  // client (tools, role=client, on hv2: 10.244.2.x, excepted from the ipBlock) to web's named port: 8080 on web-a, 8081 on web-c.
  t.true(await reaches(cl, a, 'client to web-a http', 8080, p), 'namespaceSelector + podSelector, named port 8080 on web-a');
  t.true(await reaches(cl, c, 'client to web-c http', 8081, p), 'the same name is 8081 on web-c');
  t.false(await reaches(cl, a, 'client to web-a 8081', 8081, p), '8081 is not http on web-a');
  t.false(await reaches(st, a, 'stranger to web-a', 8080, p), 'role=other: not a peer, and excepted from the ipBlock');
  // probe (shop, on hv1: 10.244.1.x) is inside the ipBlock, outside its except: any port.
  t.true(await reaches(p, b, 'probe to web-b', 9999, cl), 'ipBlock 10.244.0.0/16 except 10.244.2.0/24');

  const policy = 'shop/allow-trusted-clients';
  feed.modified(withLabels(stranger, { role: 'client' }));
  await settled();
  await lab.nbctl('--wait=hv', 'sync');
  t.true(await reaches(st, a, 'relabeled stranger to web-a', 8080, p), `relabeled role=client: in ${policy}`);
  feed.modified(withLabels(stranger, { role: 'other' }));
  await settled();
  await lab.nbctl('--wait=hv', 'sync');
  t.false(await reaches(st, a, 'stranger again to web-a', 8080, p), `relabeled back: out of ${policy}`);
});

test.serial('4. deleting a namespace removes every row it owned', async (t) => {
  const owned = async (): Promise<string[]> => {
    const out: string[] = [];
    for (const table of ['Logical_Switch_Port', 'Port_Group', 'Address_Set', 'ACL', 'Load_Balancer']) {
      const rows = JSON.parse(await lab.nbctl('--format=json', '--columns=name,external_ids', 'list', table)) as { data: [string | unknown, ['map', [string, string][]]][] };
      for (const [name, ids] of rows.data) {
        const m = Object.fromEntries(ids[1]);
        if (m.namespace === 'tools' || m['k8s.ovn.org/name']?.startsWith('tools')) out.push(`${table} ${String(name)}`);
      }
    }
    return out.sort();
  };
  const addressesOfPeers = async (): Promise<string> => lab.nbctl('--bare', '--columns=addresses', 'list', 'Address_Set');
  const cl = the(client);
  // tools gets a Service and a policy of its own too.
  feed.added(
    service('tools', 'dns', '10.96.0.53', [{ name: 'dns', port: 53, protocol: 'UDP' }], { role: 'client' }),
    endpointSlice('tools', 'dns-h2k9s', 'dns', [{ name: 'dns', port: 53, protocol: 'UDP' }], [{ ip: cl.ip, node: cl.hv.name, pod: 'client' }]),
    networkPolicy('tools', 'only-shop', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'shop' } } }] }] }),
  );
  await settled();
  const before = await owned();
  const count = (table: string): number => before.filter((r) => r.startsWith(`${table} `)).length;
  t.deepEqual(before.filter((r) => /^(Logical_Switch_Port|Load_Balancer) /.test(r)),
    ['Load_Balancer Service_tools/dns_UDP_cluster', 'Logical_Switch_Port tools_client', 'Logical_Switch_Port tools_stranger']);
  t.is(count('Port_Group'), 2, 'the policy\'s and the namespace\'s default deny');
  t.is(count('Address_Set'), 1, 'the policy\'s peers');
  t.is(count('ACL'), 3, 'the rule, the default drop, the ARP allow');
  t.true((await addressesOfPeers()).includes(cl.ip), 'the client is a peer of a shop policy');
  // As the API deletes it: the namespace marked terminating, its pods deleted, then the namespace (what the stream
  // did not report deleted in it, the Service, its slice and the policy, goes with the namespace).
  feed.modified({ ...namespace('tools', { trusted: 'yes' }), status: { phase: 'Terminating' } });
  feed.deleted(client, stranger);
  feed.deleted(namespace('tools', { trusted: 'yes' }));
  await settled();
  t.deepEqual(await owned(), []);
  t.false((await addressesOfPeers()).includes(cl.ip), 'nor its pods\' addresses in other namespaces\' address sets');
  t.truthy(byName(agent.nb, 'Logical_Switch_Port', the(probe).portName), 'the other namespace keeps its rows');
});
