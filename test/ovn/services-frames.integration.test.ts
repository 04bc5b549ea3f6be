// Services proven with real frames: two simulated hypervisors (real ovn-northd, ovn-controller and userspace
// ovs-vswitchd, pods bound with the node API), frames injected into the pods' interfaces and read back from the
// captures of the interfaces they must come out of. Hairpin (a pod reaching itself through its own Service comes
// back from hairpin_snat_ip), sessionAffinity ClientIP (every connection of a client lands on one backend),
// internalTrafficPolicy Local (a pod reaches only its own node's endpoint), NodePort / externalIP / ingress IP from a
// pod, a dual-stack Service over IPv6 and IPv4, an SCTP INIT to an SCTP cluster IP, and load-balancer health checks
// run by ovn-controller itself: its probes are seen leaving the backends' interfaces, the test answers them as a
// backend would, and a backend that stops answering leaves the VIP (real SYNs to the VIP then reach only the other
// one) and comes back when it answers again. What the lab cannot carry (the gateway router's NodePorts and external
// IPs from outside, without an external network yet; SCTP to another target port, whose port OVS 3.1's userspace
// conntrack does not rewrite) is proven with ovn-trace in services.integration.test.ts.
import test, { type ExecutionContext } from 'ava';
import { fold, parseIpv4, parseMac, sum16, ipv4HeaderChecksum } from '../../codecs/index.js';
import { readFrame, sctpInit, udpDatagram } from '../../src/lab/index.js';
import { runCommand } from '../../src/lab/process.js';
import { setServiceMonitorMac } from '../../src/ovn/service-health-check.js';
import { SERVICE_HAIRPIN_MASQUERADE_IP } from '../../src/ovn/masquerade.js';
import type { ServiceSpec } from '../../src/ovn/service-spec.js';
import { Address6 } from 'ip-address';
import {
  CLUSTER_SUBNET, NAMESPACE, addPods, gatewayMac, nodeSubnet, readUdp, startOverlay, udpFrame, type Overlay, type OverlayPod,
} from '../overlay/helpers.js';

let o: Overlay;
let pods: Map<string, OverlayPod>;
const pod = (name: string): OverlayPod => pods.get(name) as OverlayPod;
const MONITOR_MAC = '0a:58:a9:fe:a9:fe';

test.before(async () => {
  o = await startOverlay(2);
  // Dual-stack node subnets, so pods have an IPv6 address too (ipAddresses[1]).
  await o.net.ensureCluster();
  for (const hv of o.lab.hypervisors) {
    await o.net.nodes.ensure({ name: hv.name, subnets: [nodeSubnet(hv), `fd00:10:244:${hv.index}::/64`], chassis: hv.name, nodeIp: hv.encapIp, clusterSubnets: [CLUSTER_SUBNET] });
  }
  // a on hv1; b and c on hv2.
  pods = await addPods(o, [{ name: 'a', hv: 1 }, { name: 'b', hv: 2 }, { name: 'c', hv: 2 }]);
  await setServiceMonitorMac(o.nb, MONITOR_MAC);
});

test.after.always(async () => {
  await responder.stop();
  await o?.close();
});

/** Every node of the lab as a Service sees it (its host address: the hypervisor's underlay address). */
const serviceNodes = (): { name: string; addresses: string[] }[] => o.lab.hypervisors.map((hv) => ({ name: hv.name, addresses: [hv.encapIp] }));

async function ensure(spec: ServiceSpec): Promise<void> {
  await o.net.services.ensure(spec);
  await o.lab.nbctl('--wait=hv', 'sync');
}

/** Frames the pod's interface got (its tx capture) since `from` that match. */
async function delivered(p: OverlayPod, from: number, match: (f: Uint8Array) => boolean): Promise<Uint8Array[]> {
  return (await p.hv.transmitted(p.vif)).slice(from).filter(match);
}

/** Sends UDP datagrams from `from` to the VIP (one per source port) and says which pods got each, by payload. */
async function udpToVip(from: OverlayPod, vip: string, port: number, tag: string, srcPorts: readonly number[], backends: readonly OverlayPod[]): Promise<string[]> {
  const before = await Promise.all(backends.map(async (b) => (await b.hv.transmitted(b.vif)).length));
  for (const srcPort of srcPorts) {
    await from.hv.inject(from.vif, udpFrame({ srcMac: from.mac, dstMac: gatewayMac(o, from.hv), srcIp: from.ip, dstIp: vip, srcPort, dstPort: port, payload: `${tag}-${srcPort}` }));
  }
  const landed: string[] = [];
  for (const srcPort of srcPorts) {
    const payload = `${tag}-${srcPort}`;
    const at = await firstOf(backends.map((b, i) => async () => (await delivered(b, before[i], (f) => readUdp(f)?.payload === payload)).length > 0 ? b.name : undefined));
    landed.push(at);
  }
  return landed;
}

/** Polls the checks until one names a pod (10 s at most). */
async function firstOf(checks: readonly (() => Promise<string | undefined>)[]): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    for (const check of checks) {
      const found = await check();
      if (found !== undefined) return found;
    }
    if (Date.now() > deadline) return 'nowhere';
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test.serial('hairpin: a pod reaching itself through its Service gets the frame back from hairpin_snat_ip, switched back on its own switch', async (t) => {
  const a = pod('a');
  await ensure({ namespace: NAMESPACE, name: 'self', clusterIPs: ['10.96.0.20'], ports: [{ protocol: 'UDP', port: 53, endpoints: [{ ip: a.ip, port: 5353, node: a.node, pod: { namespace: NAMESPACE, name: 'a' } }] }] });
  const before = (await a.hv.transmitted(a.vif)).length;
  await a.hv.inject(a.vif, udpFrame({ srcMac: a.mac, dstMac: gatewayMac(o, a.hv), srcIp: a.ip, dstIp: '10.96.0.20', srcPort: 40001, dstPort: 53, payload: 'to myself' }));
  const frame = await a.hv.waitTransmitted(a.vif, (f) => readUdp(f)?.payload === 'to myself', 10_000);
  t.true((await a.hv.transmitted(a.vif)).length > before);
  const got = readUdp(frame);
  t.like(got, {
    srcIp: SERVICE_HAIRPIN_MASQUERADE_IP[4], dstIp: a.ip, dstPort: 5353,
    // Not routed: the switch sends it back out of the port it came in with the MACs swapped, TTL untouched.
    srcMac: gatewayMac(o, a.hv), dstMac: a.mac, ttl: 64, ipChecksumOk: true,
  });
});

test.serial('sessionAffinity ClientIP: twelve connections of one client (twelve source ports) all land on one backend; without it they spread', async (t) => {
  const [a, b, c] = [pod('a'), pod('b'), pod('c')];
  const endpoints = [a, b].map((p) => ({ ip: p.ip, port: 5353, node: p.node, pod: { namespace: NAMESPACE, name: p.name } }));
  const spec: ServiceSpec = { namespace: NAMESPACE, name: 'sticky', clusterIPs: ['10.96.0.21'], ports: [{ protocol: 'UDP', port: 53, endpoints }] };
  const ports = Array.from({ length: 12 }, (_, i) => 41001 + i);
  await ensure(spec);
  const spread = await udpToVip(c, '10.96.0.21', 53, 'spread', ports, [a, b]);
  t.false(spread.includes('nowhere'), spread.join(','));
  t.is(new Set(spread).size, 2, `without affinity twelve source ports reach both backends (${spread.join(',')})`);

  await ensure({ ...spec, sessionAffinity: 'ClientIP', sessionAffinityTimeoutSeconds: 60 });
  const sticky = await udpToVip(c, '10.96.0.21', 53, 'sticky', ports.map((p) => p + 100), [a, b]);
  // The lab's OVN 23.03 on the userspace datapath now and then loses the first datagram after affinity is switched
  // on (seen in 1 run of 3, never a later one): tolerated for the first only, and reported.
  const lost = sticky.flatMap((at, i) => (at === 'nowhere' ? [i] : []));
  if (lost.length > 0) t.log(`datagrams lost with affinity: ${lost.join(',')}`);
  t.true(lost.length === 0 || (lost.length === 1 && lost[0] === 0), sticky.join(','));
  t.is(new Set(sticky.filter((at) => at !== 'nowhere')).size, 1, `with ClientIP every one lands on one backend (${sticky.join(',')})`);
});

test.serial('internalTrafficPolicy Local: a pod reaches only the endpoint on its own node through the cluster IP', async (t) => {
  const [a, b, c] = [pod('a'), pod('b'), pod('c')];
  const endpoints = [a, b].map((p) => ({ ip: p.ip, port: 5353, node: p.node, pod: { namespace: NAMESPACE, name: p.name } }));
  await ensure({ namespace: NAMESPACE, name: 'local', clusterIPs: ['10.96.0.22'], internalTrafficPolicy: 'Local', nodes: serviceNodes(), ports: [{ protocol: 'UDP', port: 53, endpoints }] });
  const ports = [42001, 42002, 42003, 42004, 42005, 42006];
  t.deepEqual(await udpToVip(c, '10.96.0.22', 53, 'from-c', ports, [a, b]), ports.map(() => 'b'), 'c (hv2) reaches b, its node\'s endpoint, only');
  t.deepEqual(await udpToVip(a, '10.96.0.22', 53, 'from-a', ports, [a, b]), ports.map(() => 'a'), 'a (hv1) reaches itself, its node\'s endpoint, only');
});

test.serial('NodePort, externalIP and load-balancer ingress IP reached from a pod: balanced on its node switch, destination rewritten, routed to a pod on the other node', async (t) => {
  const [a, c] = [pod('a'), pod('c')];
  await ensure({
    namespace: NAMESPACE, name: 'edge', clusterIPs: ['10.96.0.23'], externalIPs: ['192.0.2.23'], loadBalancerIPs: ['198.51.100.23'], nodes: serviceNodes(),
    ports: [{ protocol: 'UDP', port: 53, nodePort: 30053, endpoints: [{ ip: a.ip, port: 5353, node: a.node, pod: { namespace: NAMESPACE, name: 'a' } }] }],
  });
  // c is on hv2: its node's address is a NodePort VIP on its switch; the external addresses are on every switch.
  const hv2 = c.hv.encapIp;
  for (const [dst, dstPort] of [[hv2, 30053], ['192.0.2.23', 53], ['198.51.100.23', 53]] as const) {
    const payload = `to ${dst}:${dstPort}`;
    await c.hv.inject(c.vif, udpFrame({ srcMac: c.mac, dstMac: gatewayMac(o, c.hv), srcIp: c.ip, dstIp: dst, srcPort: 44000 + dstPort % 1000, dstPort, payload }));
    const got = readUdp(await a.hv.waitTransmitted(a.vif, (f) => readUdp(f)?.payload === payload, 10_000));
    t.like(got, { srcIp: c.ip, dstIp: a.ip, dstPort: 5353, srcMac: gatewayMac(o, a.hv), dstMac: a.mac, ttl: 63, ipChecksumOk: true }, payload);
  }
});

test.serial('dual-stack Service: an IPv6 frame to the IPv6 cluster IP reaches the IPv6 backend on the other node, an IPv4 one the IPv4 backend', async (t) => {
  const [a, c] = [pod('a'), pod('c')];
  const a6 = a.ipAddresses[1].split('/')[0];
  const c6 = c.ipAddresses[1].split('/')[0];
  await ensure({
    namespace: NAMESPACE, name: 'dual', clusterIPs: ['10.96.0.24', 'fd00:10:96::18'], ipFamilies: ['IPv4', 'IPv6'], ipFamilyPolicy: 'RequireDualStack',
    ports: [{ protocol: 'UDP', port: 53, endpoints: [a.ip, a6].map((ip) => ({ ip, port: 5353, node: a.node, pod: { namespace: NAMESPACE, name: 'a' } })) }],
  });
  await c.hv.inject(c.vif, udpDatagram({ srcMac: c.mac, dstMac: gatewayMac(o, c.hv), srcIp: c6, dstIp: 'fd00:10:96::18', srcPort: 45000, dstPort: 53, payload: 'over IPv6' }));
  const got6 = readFrame(await a.hv.waitTransmitted(a.vif, (f) => readFrame(f).payload === 'over IPv6', 10_000));
  t.like(got6, { family: 6, srcIp: new Address6(c6).correctForm(), dstIp: new Address6(a6).correctForm(), dstPort: 5353, srcMac: gatewayMac(o, a.hv), dstMac: a.mac, ttl: 63, checksumOk: true });
  await c.hv.inject(c.vif, udpFrame({ srcMac: c.mac, dstMac: gatewayMac(o, c.hv), srcIp: c.ip, dstIp: '10.96.0.24', srcPort: 45001, dstPort: 53, payload: 'over IPv4' }));
  t.like(readUdp(await a.hv.waitTransmitted(a.vif, (f) => readUdp(f)?.payload === 'over IPv4', 10_000)), { srcIp: c.ip, dstIp: a.ip, dstPort: 5353, ttl: 63 });
});

test.serial('SCTP ClusterIP: an INIT to the cluster IP reaches the backend on the other node, destination rewritten, CRC32c still right', async (t) => {
  const [a, c] = [pod('a'), pod('c')];
  // The same port on the VIP and the backend: OVS 3.1's userspace conntrack tracks SCTP as an "other" protocol,
  // rewriting addresses but never SCTP ports (see docs/services.md, "SCTP on the lab's datapath").
  await ensure({ namespace: NAMESPACE, name: 'sig', clusterIPs: ['10.96.0.25'], ports: [{ protocol: 'SCTP', port: 36412, endpoints: [{ ip: a.ip, port: 36412, node: a.node, pod: { namespace: NAMESPACE, name: 'a' } }] }] });
  const initiateTag = 0x5c7b0001;
  await c.hv.inject(c.vif, sctpInit({ srcMac: c.mac, dstMac: gatewayMac(o, c.hv), srcIp: c.ip, dstIp: '10.96.0.25', srcPort: 46000, dstPort: 36412, initiateTag }));
  const got = readFrame(await a.hv.waitTransmitted(a.vif, (f) => readFrame(f).sctpInitiateTag === initiateTag, 10_000));
  // The CRC32c covers no IP pseudo-header, so the rewritten destination leaves it right as sent.
  t.like(got, { family: 4, protocol: 132, srcIp: c.ip, dstIp: a.ip, srcPort: 46000, dstPort: 36412, sctpChunk: 1, srcMac: gatewayMac(o, a.hv), dstMac: a.mac, ttl: 63, checksumOk: true });
});

// ---------------------------------------------------------------------------------------------------------
// Health checks

const TCP_SYN = 0x02;
const TCP_RST = 0x04;
const TCP_ACK = 0x10;

interface TcpSpec { srcMac: string; dstMac: string; srcIp: string; dstIp: string; srcPort: number; dstPort: number; seq: number; ack: number; flags: number }
interface TcpView extends TcpSpec { ttl: number }

/** Ethernet + IPv4 + a 20-byte TCP header, both checksums right (userspace conntrack checks the TCP one). */
function tcpFrame(s: TcpSpec): Uint8Array {
  const f = new Uint8Array(14 + 20 + 20);
  const dv = new DataView(f.buffer);
  f.set(parseMac(s.dstMac), 0);
  f.set(parseMac(s.srcMac), 6);
  dv.setUint16(12, 0x0800);
  f.set([0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6], 14);
  dv.setUint32(26, parseIpv4(s.srcIp));
  dv.setUint32(30, parseIpv4(s.dstIp));
  dv.setUint16(24, ipv4HeaderChecksum(f, 14, 20));
  dv.setUint16(34, s.srcPort);
  dv.setUint16(36, s.dstPort);
  dv.setUint32(38, s.seq >>> 0);
  dv.setUint32(42, s.ack >>> 0);
  dv.setUint16(46, (5 << 12) | s.flags);
  dv.setUint16(48, 65535);
  // Pseudo-header (addresses, protocol, TCP length) plus the segment.
  dv.setUint16(50, ~fold(sum16(f, 26, 8) + 6 + 20 + sum16(f, 34, 20)) & 0xffff);
  return f;
}

function readTcp(f: Uint8Array): TcpView | undefined {
  if (f.length < 54 || f[12] !== 0x08 || f[13] !== 0x00 || f[14] !== 0x45 || f[23] !== 6) return undefined;
  const dv = new DataView(f.buffer, f.byteOffset, f.byteLength);
  const mac = (at: number): string => Array.from(f.subarray(at, at + 6), (x) => x.toString(16).padStart(2, '0')).join(':');
  const ip = (at: number): string => Array.from(f.subarray(at, at + 4)).join('.');
  return {
    dstMac: mac(0), srcMac: mac(6), ttl: f[22], srcIp: ip(26), dstIp: ip(30), srcPort: dv.getUint16(34), dstPort: dv.getUint16(36),
    seq: dv.getUint32(38), ack: dv.getUint32(42), flags: dv.getUint16(46) & 0x3f,
  };
}

const isProbe = (v: TcpView | undefined): v is TcpView => v !== undefined && v.srcMac === MONITOR_MAC && (v.flags & (TCP_SYN | TCP_ACK)) === TCP_SYN;

/**
 * Plays the backends' TCP stacks for ovn-controller's probes: each probe (a SYN from the monitor MAC) that leaves
 * the interface of a pod that is `answering` gets a SYN-ACK back through that interface, as a listening socket
 * would answer it. Counts the probes seen and the RST-ACKs ovn-controller closes each check with.
 */
class ProbeResponder {
  readonly answering = new Set<string>();
  readonly probes = new Map<string, TcpView[]>();
  readonly resets = new Map<string, number>();
  private readonly seen = new Map<string, number>();
  private running = false;
  private loop: Promise<void> = Promise.resolve();

  start(backends: readonly OverlayPod[]): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        for (const b of backends) await this.poll(b);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
  }

  private async poll(b: OverlayPod): Promise<void> {
    const frames = await b.hv.transmitted(b.vif);
    const from = this.seen.get(b.name) ?? 0;
    this.seen.set(b.name, frames.length);
    for (const f of frames.slice(from)) {
      const v = readTcp(f);
      if (v?.srcMac === MONITOR_MAC && (v.flags & (TCP_RST | TCP_ACK)) === (TCP_RST | TCP_ACK)) this.resets.set(b.name, (this.resets.get(b.name) ?? 0) + 1);
      if (!isProbe(v)) continue;
      this.probes.set(b.name, [...(this.probes.get(b.name) ?? []), v]);
      if (!this.answering.has(b.name)) continue;
      await b.hv.inject(b.vif, tcpFrame({
        srcMac: b.mac, dstMac: v.srcMac, srcIp: v.dstIp, dstIp: v.srcIp, srcPort: v.dstPort, dstPort: v.srcPort,
        seq: 0x1000, ack: v.seq + 1, flags: TCP_SYN | TCP_ACK,
      }));
    }
  }

  stop(): Promise<void> {
    this.running = false;
    return this.loop;
  }
}

const responder = new ProbeResponder();

/** Polls `condition` (5 s at most). */
async function eventually(condition: () => boolean): Promise<boolean> {
  const deadline = Date.now() + 5_000;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  return condition();
}

/** Waits until the Service_Monitor of the pod's port says `status`; returns it, or what it said last. */
async function monitorStatus(p: OverlayPod, status: string, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = (await o.lab.sbctl('--bare', '--columns=status', 'find', 'Service_Monitor', `logical_port=${p.portName}`)).trim();
    if (last === status) return last;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return last;
}

/** The backends ovn-trace shows c's switch balancing the VIP to, from the lab's Southbound. */
async function tracedBackends(c: OverlayPod, vip: string): Promise<string> {
  const flow = `inport == "${c.portName}" && eth.src == ${c.mac} && eth.dst == ${gatewayMac(o, c.hv)} && ip4.src == ${c.ip} && ip4.dst == ${vip} && ip.ttl == 64 && tcp && tcp.dst == 80`;
  const out = await runCommand('ovn-trace', [`--db=${o.lab.sb.unix}`, '--ct=new', c.node, flow]);
  return /ct_lb_mark\(backends=([^;)]*)/.exec(out)?.[1] ?? (/tcp_reset|reject/.test(out) ? 'reject' : 'none');
}

/** Waits until ovn-trace shows the VIP's backends as `want`, then until every hypervisor has the flows. */
async function vipBackends(t: ExecutionContext, c: OverlayPod, vip: string, want: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  let got = await tracedBackends(c, vip);
  while (got !== want && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    got = await tracedBackends(c, vip);
  }
  t.is(got, want);
  await o.lab.nbctl('--wait=hv', 'sync');
}

/** Real SYNs from c to the VIP, one per source port: which backend each reached (destination rewritten to it). */
async function synsToVip(c: OverlayPod, vip: string, srcPorts: readonly number[], backends: readonly OverlayPod[]): Promise<string[]> {
  const before = await Promise.all(backends.map(async (b) => (await b.hv.transmitted(b.vif)).length));
  for (const srcPort of srcPorts) {
    await c.hv.inject(c.vif, tcpFrame({ srcMac: c.mac, dstMac: gatewayMac(o, c.hv), srcIp: c.ip, dstIp: vip, srcPort, dstPort: 80, seq: 7, ack: 0, flags: TCP_SYN }));
  }
  const landed: string[] = [];
  for (const srcPort of srcPorts) {
    landed.push(await firstOf(backends.map((b, i) => async () => {
      const hit = await delivered(b, before[i], (f) => {
        const v = readTcp(f);
        return v !== undefined && v.srcMac !== MONITOR_MAC && v.srcIp === c.ip && v.srcPort === srcPort;
      });
      if (hit.length === 0) return undefined;
      const v = readTcp(hit[0]) as TcpView;
      return v.dstIp === b.ip && v.dstPort === 8080 ? b.name : `${b.name} (not rewritten: ${v.dstIp}:${v.dstPort})`;
    })));
  }
  return landed;
}

test.serial('health checks by ovn-controller: probes leave each backend\'s interface; a backend that stops answering leaves the VIP, and comes back when it answers', async (t) => {
  const [a, b, c] = [pod('a'), pod('b'), pod('c')];
  const vip = '10.96.0.30';
  const sources: Record<string, string[]> = { [a.node]: ['10.244.1.250'], [b.node]: ['10.244.2.250'] };
  responder.answering.add('a');
  responder.answering.add('b');
  responder.start([a, b]);
  await ensure({
    namespace: NAMESPACE, name: 'checked', clusterIPs: [vip],
    ports: [{ port: 80, endpoints: [a, b].map((p) => ({ ip: p.ip, port: 8080, node: p.node, pod: { namespace: NAMESPACE, name: p.name } })) }],
    healthCheck: { sourceIps: sources, intervalSeconds: 1, timeoutSeconds: 2, successCount: 1, failureCount: 1 },
  });

  // Both answer: online, and both in the VIP.
  t.is(await monitorStatus(a, 'online'), 'online');
  t.is(await monitorStatus(b, 'online'), 'online');
  for (const p of [a, b]) {
    const probe = responder.probes.get(p.name)?.[0];
    t.like(probe, { srcMac: MONITOR_MAC, dstMac: p.mac, srcIp: sources[p.node][0], dstIp: p.ip, dstPort: 8080, flags: TCP_SYN }, `ovn-controller's probe out of ${p.name}'s interface`);
  }
  t.true(await eventually(() => (responder.resets.get('a') ?? 0) > 0), 'ovn-controller closes an answered probe with a RST-ACK');
  await vipBackends(t, c, vip, [a, b].map((p) => `${p.ip}:8080`).sort().join(','));

  // b stops answering: offline within the timeout, out of the VIP; real SYNs to the VIP reach a alone.
  responder.answering.delete('b');
  t.is(await monitorStatus(b, 'offline'), 'offline');
  await vipBackends(t, c, vip, `${a.ip}:8080`);
  const ports = [43001, 43002, 43003, 43004, 43005, 43006];
  t.deepEqual(await synsToVip(c, vip, ports, [a, b]), ports.map(() => 'a'));

  // b answers again: back online and in the VIP.
  responder.answering.add('b');
  t.is(await monitorStatus(b, 'online'), 'online');
  await vipBackends(t, c, vip, [a, b].map((p) => `${p.ip}:8080`).sort().join(','));
  await responder.stop();
});
