// North-south labs for the gateway tests: the overlay's hypervisors and the outside host, each node's br-ex made
// by the node API with the lab's uplink as its physical port, the nodes' switches and gateway routers, and frame
// helpers that send until a result shows in a capture (the first frame of a flow may wait in OVN's buffer for ARP).
import {
  ClusterNetwork, ensureGatewayBridge, gatewaySpecFromNode, waitForHypervisors, L3_GATEWAY_CONFIG_ANNOTATION, type GatewayBridge,
} from '../../src/index.js';
import { echoRequest, readFrame, type FrameView, type LabUplink } from '../../src/lab/index.js';
import { waitFor } from '../../src/lab/process.js';
import { gatewayMac, startOverlay, type Overlay, type OverlayPod } from '../overlay/helpers.js';

export const CLUSTER = '10.244.0.0/16';
/** The IPv6 cluster subnet of a dual-stack lab (ovn-kubernetes' kind default), a /64 per node. */
export const CLUSTER_V6 = 'fd00:10:244::/48';

export interface NorthSouth extends Overlay {
  readonly uplinks: readonly LabUplink[];
  readonly bridges: readonly GatewayBridge[];
  /** Every kind with the cluster subnets known (egress IPs need them). */
  readonly cluster: ClusterNetwork;
  /** The cluster subnets: CLUSTER, and CLUSTER_V6 in a dual-stack lab. */
  readonly clusterSubnets: readonly string[];
}

export interface NorthSouthOptions {
  /** Dual-stack nodes (an IPv6 /64 of CLUSTER_V6 each) and gateways with the node's IPv6 address and next hop. */
  readonly dualStack?: boolean;
}

/** Two (or more) hypervisors with the outside host; br-ex on each node; nodes ensured with their gateway router. */
export async function startNorthSouth(count = 2, options: NorthSouthOptions = {}): Promise<NorthSouth> {
  const clusterSubnets = options.dualStack ? [CLUSTER, CLUSTER_V6] : [CLUSTER];
  const o = await startOverlay(count, { outside: true });
  try {
    const uplinks: LabUplink[] = [];
    const bridges: GatewayBridge[] = [];
    for (const hv of o.lab.hypervisors) {
      const uplink = await o.lab.outside!.uplink(hv);
      uplinks.push(uplink);
      bridges.push(await ensureGatewayBridge(o.ovs[hv.index - 1], {
        node: hv.name, uplink: { name: uplink.name, type: uplink.type, options: uplink.options }, mac: uplink.mac, datapathType: 'dummy',
      }));
      const subnets = [`10.244.${hv.index}.0/24`, ...(options.dualStack ? [`fd00:10:244:${hv.index}::/64`] : [])];
      await o.net.nodes.ensure({ name: hv.name, subnets, chassis: hv.name, clusterSubnets });
    }
    return { ...o, uplinks, bridges, clusterSubnets, cluster: new ClusterNetwork(o.nb, { clusterSubnets }) };
  } catch (err) {
    await o.close();
    throw err;
  }
}

/** What ovnkube-node would publish for hypervisor `i` (0-based): its l3-gateway-config annotation (both families in a dual-stack lab). */
export function annotatedNode(ns: NorthSouth, i: number) {
  const hv = ns.lab.hypervisors[i];
  const families = ns.clusterSubnets.length;
  return {
    metadata: {
      name: hv.name,
      annotations: {
        [L3_GATEWAY_CONFIG_ANNOTATION]: JSON.stringify({ default: {
          mode: 'shared', 'interface-id': ns.bridges[i].interfaceId, 'mac-address': ns.uplinks[i].mac, 'ip-addresses': ns.uplinks[i].addresses.slice(0, families),
          'next-hops': ns.uplinks[i].gateways.slice(0, families), 'node-port-enable': 'true', 'vlan-id': '0',
        } }),
      },
    },
  };
}

/** Ensures every node's gateway from its annotation. */
export async function ensureGateways(ns: NorthSouth, options: { disableSnatMultipleGws?: boolean } = {}): Promise<void> {
  for (let i = 0; i < ns.lab.hypervisors.length; i++) {
    await ns.net.gateways.ensure(gatewaySpecFromNode(annotatedNode(ns, i), { clusterSubnets: ns.clusterSubnets, ...options })!);
  }
}

/** Sends until `found` sees the result; 20 s at most. */
export async function sendUntil<T>(what: string, send: () => Promise<void>, found: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  return waitFor(what, async () => { await send(); return waitFor(what, found, 2000).catch(() => undefined); }, timeoutMs);
}

/** Waits until the hypervisors have the change, then checks `denied` frames never reach the outside host while `allowed` (sent after) does. */
export async function expectDropped(ns: NorthSouth, t: { true: (v: boolean, m?: string) => void }, send: (marker: string) => Promise<void>, denied: string, allowed: string): Promise<void> {
  await waitForHypervisors(ns.nb, { timeoutMs: 20_000 });
  for (let i = 0; i < 3; i++) await send(denied);
  await sendUntil(`${allowed} at the outside host`, () => send(allowed), atOutside(ns, (f) => f.payload === allowed));
  t.true(!(await ns.lab.outside!.received()).some((f) => Buffer.from(f).includes(Buffer.from(denied))), `${denied} never reached the outside host`);
}

/** A frame that reached the outside host and matches. */
export const atOutside = (ns: NorthSouth, match: (f: FrameView) => boolean) => async (): Promise<FrameView | undefined> =>
  (await ns.lab.outside!.received()).map(readFrame).find(match);

/** A frame the pod's interface got that matches. */
export const atPod = (p: OverlayPod, match: (f: FrameView) => boolean) => async (): Promise<FrameView | undefined> =>
  (await p.hv.transmitted(p.vif)).map(readFrame).find(match);

/** The pod's address of `family`, without prefix length. */
export function podIp(p: OverlayPod, family: 4 | 6): string {
  const cidr = p.ipAddresses.find((c) => c.includes(':') === (family === 6));
  if (!cidr) throw new Error(`pod ${p.name} has no IPv${family} address`);
  return cidr.slice(0, cidr.indexOf('/'));
}

/** An echo request (ICMP or ICMPv6, by the destination's family) from the pod as it puts it on its interface (to its gateway's MAC). */
export function echoFrom(ns: NorthSouth, p: OverlayPod, dstIp: string, payload: string): Uint8Array {
  return echoRequest({ srcMac: p.mac, dstMac: gatewayMac(ns, p.hv), srcIp: podIp(p, dstIp.includes(':') ? 6 : 4), dstIp, payload });
}
