// The end-to-end steps of issue 8 for N simulated hypervisors, as one serial chain of ava tests: a cluster built
// with the pod API whose pods are bound on their hypervisors with the node API, real ovn-northd / ovn-controller /
// ovs-vswitchd carrying frames between them, and our codecs reading and writing what goes on the wire.
//
// Pods: a, a2 on hv1; b, c on the last hypervisor; one bystander m<i> on every hypervisor in between.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestFn } from 'ava';
import {
  byName, select, switchToRouterPort, waitForHypervisors, type TunnelPath,
} from '../../src/index.js';
import { GeneveDecoder, GeneveEncoder, GeneveResult, Reason, formatIpv4, reasonName } from '../../codecs/index.js';
import {
  NAMESPACE, addPods, buildTopology, gatewayMac, readCapture, readUdp, sameBytes, startOverlay, tunnelChecksum,
  udpFrame, type Overlay, type OverlayPod, type PodSpec, type UdpFrameSpec,
} from './helpers.js';

const exec = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const VIP = '10.96.0.10';

/** A Geneve frame decoded by our codecs, with its inner frame copied out. */
interface WireFrame { frame: Uint8Array; out: GeneveResult; inner: Uint8Array; optionClass: number; optionType: number }

function decodeWire(frames: readonly Uint8Array[]): WireFrame[] {
  const dec = new GeneveDecoder();
  const res: WireFrame[] = [];
  for (const frame of frames) {
    const out = new GeneveResult();
    if (dec.decode(frame, 0, frame.length, out) !== Reason.Ok) continue;
    const o = out.optionCount > 0 ? out.optionOffsets[0] : -1;
    res.push({
      frame, out, inner: frame.slice(out.innerOffset, out.innerOffset + out.innerLength),
      optionClass: o < 0 ? -1 : (frame[o] << 8) | frame[o + 1], optionType: o < 0 ? -1 : frame[o + 2],
    });
  }
  return res;
}

export function overlayScenario(test: TestFn, count: number): void {
  let o: Overlay;
  let pods: Map<string, OverlayPod>;
  const pod = (name: string): OverlayPod => {
    const p = pods.get(name);
    if (!p) throw new Error(`no pod ${name} (step 1 failed?)`);
    return p;
  };
  const specs: PodSpec[] = [{ name: 'a', hv: 1 }, { name: 'a2', hv: 1 }, { name: 'b', hv: count }, { name: 'c', hv: count }];
  for (let i = 2; i < count; i++) specs.push({ name: `m${i}`, hv: i });
  const started = performance.now();

  /** A frame from `from` to `to` as the sender puts it on its VIF: across subnets it is addressed to the gateway. */
  const sent = (from: OverlayPod, to: OverlayPod, payload: string, extra: Partial<UdpFrameSpec> = {}): Uint8Array => udpFrame({
    srcMac: from.mac, dstMac: from.hv === to.hv ? to.mac : gatewayMac(o, from.hv), srcIp: from.ip, dstIp: to.ip, payload, ...extra,
  });
  /** The same frame as the destination's VIF must get it after the cluster router: TTL - 1, MACs rewritten. */
  const routed = (from: OverlayPod, to: OverlayPod, payload: string, extra: Partial<UdpFrameSpec> = {}): Uint8Array => udpFrame({
    srcMac: gatewayMac(o, to.hv), dstMac: to.mac, srcIp: from.ip, dstIp: to.ip, ttl: 63, payload, ...extra,
  });
  const withPayload = (payload: string) => (f: Uint8Array): boolean => readUdp(f)?.payload === payload;

  test.before(async () => { o = await startOverlay(count); });
  test.after.always(async (t) => {
    await o?.close();
    t.log(`${count} hypervisors: the whole chain took ${Math.round(performance.now() - started)} ms`);
  });

  test.serial('1. cluster router, node switches and pods from the pod API; bound with bindPod; up=true through the replica', async (t) => {
    const t0 = performance.now();
    await buildTopology(o);
    pods = await addPods(o, specs);
    // up=true says the pod's own chassis is ready; hv_cfg says every chassis has the flows towards it.
    await waitForHypervisors(o.nb, { timeoutMs: 15_000 });
    t.log(`${count} node switches, ${specs.length} pods bound and up on every hypervisor in ${Math.round(performance.now() - t0)} ms`);

    const chassisNames = new Map<string, string>();
    const [chassis, bindings] = await o.sbClient.transact('OVN_Southbound', [
      select<{ _uuid: string; name: string }, '_uuid' | 'name'>('Chassis', [], ['_uuid', 'name']),
      select<{ logical_port: string; chassis?: string }, 'logical_port' | 'chassis'>('Port_Binding', [], ['logical_port', 'chassis']),
    ]);
    for (const c of chassis.rows) chassisNames.set(c._uuid, c.name);
    for (const p of pods.values()) {
      const lsp = byName(o.nb, 'Logical_Switch_Port', p.portName);
      t.is(lsp?.up, true, `${p.portName} up`);
      t.is(lsp?.options.get('requested-chassis'), p.hv.name);
      const pb = bindings.rows.find((r) => r.logical_port === p.portName);
      t.is(pb?.chassis === undefined ? undefined : chassisNames.get(pb.chassis), p.hv.name, `${p.portName} claimed by ${p.hv.name}`);
      t.is(p.ipAddresses[0], `10.244.${p.hv.index}.${p.ip.split('.')[3]}/24`, `${p.name} in its node's subnet`);
    }
  });

  test.serial('2. same node: unchanged; across nodes through ovn_cluster_router: TTL decremented, MACs rewritten (both ways)', async (t) => {
    const a = pod('a'); const a2 = pod('a2'); const b = pod('b');
    const same = sent(a, a2, 'a to a2 on one node');
    await a.hv.inject(a.vif, same);
    t.true(sameBytes(await a2.hv.waitTransmitted(a2.vif, withPayload('a to a2 on one node')), same), 'arrives unchanged');

    const ab = sent(a, b, 'a to b across nodes');
    t.is(readUdp(ab)?.dstMac, gatewayMac(o, a.hv), 'addressed to rtos-hv1');
    await a.hv.inject(a.vif, ab);
    const got = await b.hv.waitTransmitted(b.vif, withPayload('a to b across nodes'));
    const expected = routed(a, b, 'a to b across nodes');
    t.deepEqual(readUdp(got), readUdp(expected));
    t.true(sameBytes(got, expected), 'byte for byte: the routed frame with a recomputed IPv4 checksum');
    t.is(readUdp(got)?.ttl, 63);
    t.true(readUdp(got)?.ipChecksumOk);

    const ba = sent(b, a, 'b to a across nodes');
    await b.hv.inject(b.vif, ba);
    t.true(sameBytes(await a.hv.waitTransmitted(a.vif, withPayload('b to a across nodes')), routed(b, a, 'b to a across nodes')));

    // The same-node frame went out of hv1's VIF before the cross-node one reached the wire: it never got there.
    const onWire = decodeWire(await readCapture(a.hv.pcapPath(a.hv.wirePort, 'tx')));
    t.true(onWire.some((w) => sameBytes(w.inner, expected)));
    t.false(onWire.some((w) => readUdp(w.inner)?.payload === 'a to a2 on one node'), 'same-node traffic stays on the node');
  });

  let abPath: TunnelPath;
  let ovsFrame: WireFrame;

  test.serial('3. the Geneve frame on the wire, decoded by our codecs, carries what tunnelMetadata(a, b) computes from SB', async (t) => {
    const a = pod('a'); const b = pod('b');
    await o.sb.waitForPortBindings([a.portName, b.portName, switchToRouterPort(b.hv.name)]);
    abPath = o.sb.tunnelMetadata(a.portName, b.portName);
    t.is(abPath.datapathName, b.hv.name, 'tunnelled in the destination node switch');
    t.is(abPath.ingressPortName, switchToRouterPort(b.hv.name), 'entered it from the cluster router');
    t.is(abPath.egressPortName, b.portName);
    t.is(abPath.destinationChassis, b.hv.name);

    const expected = routed(a, b, 'a to b across nodes');
    const found = decodeWire(await readCapture(a.hv.pcapPath(a.hv.wirePort, 'tx'))).find((w) => sameBytes(w.inner, expected));
    if (!found) { t.fail('no Geneve frame with the routed a->b frame inside on hv1\'s wire'); return; }
    ovsFrame = found;
    const { out } = found;
    t.is(formatIpv4(out.srcAddr4), a.hv.encapIp);
    t.is(formatIpv4(out.dstAddr4), b.hv.encapIp);
    t.is(out.dstPort, 6081);
    t.is(out.vni, abPath.geneve.vni, 'VNI = datapath key');
    t.true(out.ovn, 'OVN option present');
    t.deepEqual([found.optionClass, found.optionType], [abPath.geneve.optionClass, abPath.geneve.optionType]);
    t.is(((out.ovnIngress << 16) | out.ovnEgress) >>> 0, abPath.geneve.optionValue, 'ingress/egress keys');
    t.deepEqual([out.ovnIngress, out.ovnEgress], [abPath.keys.ingressPort, abPath.keys.egressPort]);
    // ovn-encap-csum (default true) makes ovn-controller create the tunnel ports with options:csum=true.
    const csum = await tunnelChecksum(o.ovs[a.hv.index - 1]);
    t.is(out.l4Checksum !== 0, csum, `outer UDP checksum ${csum ? 'present (and verified by the decoder)' : 'absent'}`);
  });

  test.serial('4. our encoder\'s a->b frame, injected on the last hypervisor\'s wire, reaches pod b; wrong egress or VNI: not delivered', async (t) => {
    const a = pod('a'); const b = pod('b');
    const csum = await tunnelChecksum(o.ovs[a.hv.index - 1]);
    const enc = new GeneveEncoder({
      outer: { srcMac: a.hv.underlayMac, dstMac: b.hv.underlayMac, src: a.hv.encapIp, dst: b.hv.encapIp, udpChecksum: csum }, ovn: true,
    });
    const encode = (inner: Uint8Array, keys: { datapath: number; ingressPort: number; egressPort: number }): Uint8Array => {
      const buf = new Uint8Array(enc.headerLength + inner.length);
      buf.set(inner, enc.headerLength);
      const r = enc.encapOvn(buf, enc.headerLength, inner.length, keys.datapath, keys.ingressPort, keys.egressPort);
      if (r !== Reason.Ok) throw new Error(`encapOvn: ${reasonName(r)}`);
      return buf;
    };

    // What OVS put on the wire in step 3, rebuilt by our encoder: the same bytes but the UDP source port (OVS hashes
    // the flow its own way) and the UDP checksum that covers it.
    if (ovsFrame) {
      const ours = encode(ovsFrame.inner, abPath.keys);
      const mask = (f: Uint8Array) => { const c = f.slice(); const udp = ovsFrame.out.l4Offset; c.fill(0, udp, udp + 2); c.fill(0, udp + 6, udp + 8); return c; };
      t.true(sameBytes(mask(ours), mask(ovsFrame.frame)), 'our encoder writes the headers OVS writes');
    } else t.fail('step 3 found no frame');

    const inner = routed(a, b, 'from our encoder');
    await b.hv.inject(b.hv.wirePort, encode(inner, abPath.keys));
    t.true(sameBytes(await b.hv.waitTransmitted(b.vif, withPayload('from our encoder')), inner), 'delivered unchanged to b');

    // Keys SB does not have: one past the highest port key of b's switch, one past the highest datapath key.
    const [pbs, dps] = await o.sbClient.transact('OVN_Southbound', [
      select<{ logical_port: string; datapath: string; tunnel_key: bigint }, 'logical_port' | 'datapath' | 'tunnel_key'>('Port_Binding', [], ['logical_port', 'datapath', 'tunnel_key']),
      select<{ tunnel_key: bigint }, 'tunnel_key'>('Datapath_Binding', [], ['tunnel_key']),
    ]);
    const dp = pbs.rows.find((r) => r.logical_port === b.portName)?.datapath;
    const maxPort = Math.max(...pbs.rows.filter((r) => r.datapath === dp).map((r) => Number(r.tunnel_key)));
    const maxDatapath = Math.max(...dps.rows.map((r) => Number(r.tunnel_key)));
    const wrongEgress = encode(routed(a, b, 'wrong egress port'), { ...abPath.keys, egressPort: maxPort + 1 });
    const wrongVni = encode(routed(a, b, 'wrong vni'), { ...abPath.keys, datapath: maxDatapath + 1 });
    await b.hv.inject(b.hv.wirePort, wrongEgress);
    await b.hv.inject(b.hv.wirePort, wrongVni);
    // The positive control, injected after them into the same port and queue: once it is out of b's VIF, the two
    // before it have been processed by the same datapath, in order.
    const control = routed(a, b, 'control after wrong keys');
    await b.hv.inject(b.hv.wirePort, encode(control, abPath.keys));
    await b.hv.waitTransmitted(b.vif, withPayload('control after wrong keys'));
    const receivedOnWire = await b.hv.received(b.hv.wirePort);
    t.true(receivedOnWire.some((f) => sameBytes(f, wrongEgress)) && receivedOnWire.some((f) => sameBytes(f, wrongVni)),
      'both wrong frames entered the hypervisor');
    for (const p of [...pods.values()].filter((q) => q.hv === b.hv)) {
      const delivered = (await p.hv.transmitted(p.vif)).map((f) => readUdp(f)?.payload);
      t.false(delivered.includes('wrong egress port'), `wrong egress port delivered to ${p.name}`);
      t.false(delivered.includes('wrong vni'), `wrong VNI delivered to ${p.name}`);
    }
  });

  test.serial('5a. a Service VIP reached from pod a is load-balanced to a backend on the other node (destination rewritten)', async (t) => {
    const a = pod('a'); const c = pod('c');
    await o.net.services.ensure({
      namespace: NAMESPACE, name: 'dns', vips: [{ ip: VIP, port: 53, protocol: 'udp', endpoints: [{ ip: c.ip, port: 5353 }] }],
    });
    await waitForHypervisors(o.nb, { timeoutMs: 15_000 });
    const toVip = udpFrame({ srcMac: a.mac, dstMac: gatewayMac(o, a.hv), srcIp: a.ip, dstIp: VIP, srcPort: 40053, dstPort: 53, payload: 'to the service' });
    await a.hv.inject(a.vif, toVip);
    const got = readUdp(await c.hv.waitTransmitted(c.vif, withPayload('to the service')));
    t.deepEqual(got, {
      dstMac: c.mac, srcMac: gatewayMac(o, c.hv), ttl: 63, srcIp: a.ip, dstIp: c.ip, srcPort: 40053, dstPort: 5353,
      ipChecksumOk: true, payload: 'to the service',
    });
  });

  test.serial('5b. a NetworkPolicy deny stops a frame that was delivered before it', async (t) => {
    const a = pod('a'); const b = pod('b'); const c = pod('c');
    const probe = sent(a, b, 'policy probe', { srcPort: 41000 });
    const isProbe = withPayload('policy probe');
    await a.hv.inject(a.vif, probe);
    await b.hv.waitTransmitted(b.vif, isProbe);

    await o.net.networkPolicies.ensure({ namespace: NAMESPACE, name: 'deny-b', pods: [{ namespace: NAMESPACE, name: 'b' }], ingress: [] });
    await waitForHypervisors(o.nb, { timeoutMs: 15_000 });
    await a.hv.inject(a.vif, probe);
    // The control takes the same path (pod a's VIF, the cluster router, the tunnel to the same hypervisor) after it.
    await a.hv.inject(a.vif, sent(a, c, 'policy control', { srcPort: 41000 }));
    await c.hv.waitTransmitted(c.vif, withPayload('policy control'));
    t.is((await b.hv.transmitted(b.vif)).filter(isProbe).length, 1, 'the probe reached b once: before the policy');
    // It still crossed the wire: the ingress (to-lport) ACL drops it on b's hypervisor.
    const tunnelled = decodeWire(await readCapture(b.hv.pcapPath(b.hv.wirePort, 'rx'))).filter((w) => isProbe(w.inner));
    t.is(tunnelled.length, 2, 'both probes were tunnelled to b\'s hypervisor');
  });

  test.serial('6. ovn-overlay decode --sb names the switch and both pods in the wire captures', async (t) => {
    const a = pod('a'); const b = pod('b');
    const decode = async (file: string): Promise<string> => (await exec(process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'decode', file, '--sb', o.lab.sb.unix], { cwd: repoRoot })).stdout;
    // What hv1 sent: a -> b, tunnelled in b's node switch.
    const out = await decode(a.hv.pcapPath(a.hv.wirePort, 'tx'));
    const k = abPath.keys;
    t.true(out.includes(`datapath ${k.datapath} "${b.hv.name}" (logical switch)`), out);
    t.true(out.includes(`ingress port ${k.ingressPort} "${switchToRouterPort(b.hv.name)}" (patch)`), out);
    t.true(out.includes(`egress port ${k.egressPort} "${b.portName}"`), out);
    t.true(out.includes(`IPv4 ${a.ip} > ${b.ip}`), 'the inner frame is a -> b');
    // What b's hypervisor sent: b -> a, tunnelled in a's node switch.
    const back = await decode(b.hv.pcapPath(b.hv.wirePort, 'tx'));
    const ba = o.sb.tunnelMetadata(b.portName, a.portName).keys;
    t.true(back.includes(`datapath ${ba.datapath} "${a.hv.name}" (logical switch)`), back);
    t.true(back.includes(`egress port ${ba.egressPort} "${a.portName}"`), back);
    t.true(back.includes(`IPv4 ${b.ip} > ${a.ip}`));
  });

  if (count >= 3) {
    test.serial('7. bystanders on the hypervisors in between got nothing but their own control frame', async (t) => {
      const a = pod('a');
      for (let i = 2; i < count; i++) {
        const m = pod(`m${i}`);
        await a.hv.inject(a.vif, sent(a, m, `control for ${m.name}`));
        await m.hv.waitTransmitted(m.vif, withPayload(`control for ${m.name}`));
        t.deepEqual((await m.hv.transmitted(m.vif)).map((f) => readUdp(f)?.payload), [`control for ${m.name}`]);
      }
      const viaHub = decodeWire(await o.lab.hub!.transmitted(pod('b').hv.name));
      t.true(viaHub.some((w) => readUdp(w.inner)?.payload === 'a to b across nodes'), 'a -> b crossed the hub');
    });
  }
}
