// The multi-hypervisor overlay driven by the library's public API: the lab's hypervisors configured through the
// node API, the cluster built with the pod API, each pod's interface bound with bindPod in its hypervisor's
// Open_vSwitch database, readiness read from the pod API's Northbound replica (waitForPortsUp, waitForHypervisors),
// never from a CLI or a sleep.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { startLab, type Lab, type LabHypervisor, type LabOptions } from '../../src/lab/index.js';
import {
  ClusterNetwork, OvsdbClient, SouthboundReader, bindPod, byName, configureNodeAt,
  openNorthbound, openSouthbound, podInterfaceNames, routerToSwitchPort, select, waitForPortsUp,
  type Northbound, type PodNetwork, type Southbound,
} from '../../src/index.js';
import { ipv4HeaderChecksum, parseIpv4, parseMac, readPcap } from '../../codecs/index.js';

// ---------------------------------------------------------------------------------------------------------
// Frames

export interface UdpFrameSpec {
  srcMac: string; dstMac: string; srcIp: string; dstIp: string;
  srcPort?: number; dstPort?: number; ttl?: number; payload: string;
}

/** Ethernet + IPv4 + UDP with a valid IPv4 header checksum and UDP checksum 0 ("none", valid over IPv4). */
export function udpFrame(s: UdpFrameSpec): Uint8Array {
  const payload = new TextEncoder().encode(s.payload);
  const udpLength = 8 + payload.length;
  const f = new Uint8Array(14 + 20 + udpLength);
  f.set(parseMac(s.dstMac), 0);
  f.set(parseMac(s.srcMac), 6);
  f[12] = 0x08; f[13] = 0x00;
  const ip = 14;
  const total = 20 + udpLength;
  f.set([0x45, 0, total >> 8, total & 0xff, 0, 1, 0x40, 0, s.ttl ?? 64, 17, 0, 0], ip);
  const dv = new DataView(f.buffer);
  dv.setUint32(ip + 12, parseIpv4(s.srcIp));
  dv.setUint32(ip + 16, parseIpv4(s.dstIp));
  dv.setUint16(ip + 10, ipv4HeaderChecksum(f, ip, 20));
  dv.setUint16(ip + 20, s.srcPort ?? 40000);
  dv.setUint16(ip + 22, s.dstPort ?? 8080);
  dv.setUint16(ip + 24, udpLength);
  f.set(payload, ip + 28);
  return f;
}

export interface UdpView {
  dstMac: string; srcMac: string; ttl: number; srcIp: string; dstIp: string; srcPort: number; dstPort: number;
  ipChecksumOk: boolean; payload: string;
}

/** Reads an untagged Ethernet/IPv4/UDP frame; undefined for anything else. */
export function readUdp(f: Uint8Array): UdpView | undefined {
  if (f.length < 42 || f[12] !== 0x08 || f[13] !== 0x00 || f[14] !== 0x45 || f[23] !== 17) return undefined;
  const dv = new DataView(f.buffer, f.byteOffset, f.byteLength);
  const mac = (o: number) => Array.from(f.subarray(o, o + 6), (b) => b.toString(16).padStart(2, '0')).join(':');
  const ip = (o: number) => Array.from(f.subarray(o, o + 4)).join('.');
  const udpLength = dv.getUint16(38);
  return {
    dstMac: mac(0), srcMac: mac(6), ttl: f[22], srcIp: ip(26), dstIp: ip(30), srcPort: dv.getUint16(34), dstPort: dv.getUint16(36),
    ipChecksumOk: ipv4HeaderChecksum(f, 14, 20) === 0,
    payload: new TextDecoder().decode(f.subarray(42, 34 + udpLength)),
  };
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** Every frame of a pcap file, read with our codecs' reader (a file a vswitchd is still writing is fine). */
export async function readCapture(path: string): Promise<Uint8Array[]> {
  const file = readPcap(new Uint8Array(await readFile(path)));
  return file.records.map((r) => file.bytes.subarray(r.offset, r.offset + r.length));
}

// ---------------------------------------------------------------------------------------------------------
// The overlay

export interface PodSpec { readonly name: string; readonly hv: number }

export interface OverlayPod extends PodNetwork {
  readonly name: string;
  readonly namespace: string;
  readonly hv: LabHypervisor;
  /** The OVS interface (a dummy port with tx/rx pcaps) bindPod created on the pod's hypervisor. */
  readonly vif: string;
  /** The pod's IPv4 address without prefix length. */
  readonly ip: string;
}

export const NAMESPACE = 'default';
export const CLUSTER_SUBNET = '10.244.0.0/16';
export const nodeSubnet = (hv: LabHypervisor): string => `10.244.${hv.index}.0/24`;

/** A CRI-looking sandbox id (64 hex digits): bindPod names the veth after its first 15 characters. */
export const sandboxOf = (pod: string): string => createHash('sha256').update(`sandbox/${pod}`).digest('hex');

export interface Overlay {
  readonly lab: Lab;
  readonly sbClient: OvsdbClient;
  /** The pod API's Northbound replica: readiness (ports up, hv_cfg) is read from it too. */
  readonly nb: Northbound;
  readonly sb: SouthboundReader;
  readonly southbound: Southbound;
  /** The pod API: every kind over `nb` (ClusterNetwork). */
  readonly net: ClusterNetwork;
  /** One Open_vSwitch client per hypervisor (node API). */
  readonly ovs: readonly OvsdbClient[];
  close(): Promise<void>;
}

/** The lab's hypervisors get their OVN settings from the library's node API (configureNodeAt), not ovs-vsctl. */
export async function startOverlay(count: number, labOptions: Omit<LabOptions, 'hypervisors'> = {}): Promise<Overlay> {
  const lab = await startLab({
    ...labOptions,
    hypervisors: { count, configureNode: async (node, settings) => { await configureNodeAt(node.ovsdb, settings); } },
  });
  const opened: { close(): Promise<void> }[] = [];
  try {
    const sbClient = await OvsdbClient.connect(lab.sb.unix);
    opened.push(sbClient);
    const ovs = await Promise.all(lab.hypervisors.map((hv) => OvsdbClient.connect(hv.ovsdb)));
    opened.push(...ovs);
    // The pod API's own Northbound replica and Southbound view (their option shapes are src/ovn's to change).
    const [nb, southbound] = await Promise.all([openNorthbound(lab.nb.unix), openSouthbound(lab.sb.unix)]);
    opened.push(nb, southbound);
    return {
      lab, sbClient, nb, southbound, sb: new SouthboundReader(southbound), net: new ClusterNetwork(nb), ovs,
      close: async () => {
        for (const c of opened.reverse()) await c.close().catch(() => undefined);
        await lab.stop();
      },
    };
  } catch (error) {
    for (const c of opened.reverse()) await c.close().catch(() => undefined);
    await lab.stop();
    throw error;
  }
}

/** Cluster router + join, one node switch per hypervisor named after its system-id (so requested-chassis matches). */
export async function buildTopology(o: Overlay): Promise<void> {
  await o.net.ensureCluster();
  for (const hv of o.lab.hypervisors) {
    await o.net.nodes.ensure({ name: hv.name, subnets: [nodeSubnet(hv)], chassis: hv.name, nodeIp: hv.encapIp, clusterSubnets: [CLUSTER_SUBNET] });
  }
}

/** The MAC of the cluster router's port on a node switch: what a pod addresses a frame to for another subnet. */
export function gatewayMac(o: Overlay, hv: LabHypervisor): string {
  const lrp = byName(o.nb, 'Logical_Router_Port', routerToSwitchPort(hv.name));
  if (!lrp) throw new Error(`no router port ${routerToSwitchPort(hv.name)}`);
  return lrp.mac;
}

/**
 * Binds the pod on its hypervisor with bindPod as a `dummy` interface (the userspace lab's stand-in for the veth)
 * with tx/rx captures (Interface options, in the same transaction), and waits (inside ovsdb-server) until
 * ovs-vswitchd has opened it (an ofport), as ovs-vsctl waits for vswitchd.
 */
export async function bindOverlayPod(o: Overlay, pod: PodNetwork & { uid: string }, hv: LabHypervisor): Promise<string> {
  const sandbox = sandboxOf(`${pod.namespace}/${pod.name}`);
  const vif = podInterfaceNames({ namespace: pod.namespace, pod: pod.name, sandbox }).interfaceName;
  const binding = await bindPod(o.ovs[hv.index - 1], {
    namespace: pod.namespace, pod: pod.name, sandbox, mac: pod.mac,
    ipAddresses: pod.ipAddresses, ifaceIdVer: pod.uid, interfaceType: 'dummy',
    options: { tx_pcap: hv.pcapPath(vif, 'tx'), rxq_pcap: hv.pcapPath(vif, 'rx') }, waitForOfportMs: 10_000,
  });
  return binding.interfaceName;
}

interface InterfaceRow { _uuid: string; name: string; type: string; options: Map<string, string> }

/** `options:csum` of the hypervisor's Geneve tunnel ports, as ovn-controller created them (ovn-encap-csum). */
export async function tunnelChecksum(client: OvsdbClient): Promise<boolean> {
  const [sel] = await client.transact('Open_vSwitch', [
    select<InterfaceRow, 'name' | 'options'>('Interface', [['type', '==', 'geneve']], ['name', 'options']),
  ]);
  if (sel.rows.length === 0) throw new Error('no geneve tunnel port');
  const values = new Set(sel.rows.map((r) => r.options.get('csum') === 'true'));
  if (values.size !== 1) throw new Error('tunnel ports disagree on options:csum');
  return [...values][0];
}

/** Adds the pods with the pod API, binds each on its hypervisor, and waits until every one is up. */
export async function addPods(o: Overlay, specs: readonly PodSpec[]): Promise<Map<string, OverlayPod>> {
  const out = new Map<string, OverlayPod>();
  await Promise.all(specs.map(async (s) => {
    const hv = o.lab.hypervisors[s.hv - 1];
    const uid = `uid-${s.name}`;
    const net = await o.net.pods.ensure({ namespace: NAMESPACE, name: s.name, node: hv.name, uid });
    const vif = await bindOverlayPod(o, { ...net, uid }, hv);
    out.set(s.name, { ...net, hv, vif, ip: net.ipAddresses[0].split('/')[0] });
  }));
  await waitForPortsUp(o.nb, [...out.values()].map((p) => p.portName), { timeoutMs: 15_000 });
  return out;
}
