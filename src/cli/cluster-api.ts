// `k8s` in the REPL: the pod-networking API of src/ovn over the REPL's Northbound replica, in the words of a node
// agent (add a node, add and delete pods), and in `ovn-overlay lab` with hypervisors also the node side: bind a
// pod's interface on a simulated hypervisor with the node API (src/ovs bindPod), wait until ovn-controller reports
// it up (through the replica), and send a frame from one pod to another so that the wire has something to decode.
//
//   await k8s.addNode('hv1', '10.244.1.0/24')         // a lab hypervisor's name: its chassis and node IP too
//   await k8s.addPod('default', 'web', 'hv1')         // -> port default_web, its MAC and IP
//   await k8s.bindPod('default', 'web', hv1)          // a dummy interface on hv1's br-int, with pcaps
//   await k8s.waitUp('default', 'web')                // Logical_Switch_Port.up, then every hypervisor in sync
//   await k8s.send('default', 'web', 'db')            // a UDP frame on web's VIF; the wire capture to decode
//   await k8s.apply(manifestOrObjects)                // Kubernetes objects through the agent's controllers
import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import type { Lab, LabHypervisor } from '../lab/index.js';
import { OvsdbDatabase } from '../ovsdb/database.js';
import { openNorthbound, type Northbound } from '../ovn/northbound.js';
import { routerToSwitchPort } from '../ovn/names.js';
import { ClusterNetwork } from '../ovn/cluster-network.js';
import type { PodNetwork } from '../ovn/pods.js';
import type { NodeSpec } from '../ovn/nodes.js';
import { waitForHypervisors } from '../ovn/wait-hypervisors.js';
import { waitForPortsUp } from '../ovn/wait-ports-up.js';
import { bindPod, nodeDatabaseOf } from '../ovs/index.js';
import { logicalPortName } from '../ovs/windows.js';
import type { DbHandle } from './db-handle.js';
import { buildInnerFrame } from './inner-frame.js';
import type { ApplyResult, ReplAgent } from './repl-agent.js';
import type { Agent } from '../k8s/agent.js';

export interface ClusterApiOptions {
  /** The lab whose hypervisors bindPod/send use (`ovn-overlay lab`). */
  lab?: Lab;
}

/** A pod bound on a lab hypervisor in this session. */
export interface BoundPod {
  readonly pod: string;
  readonly hypervisor: string;
  /** The OVS interface on the hypervisor's br-int (a `dummy` port with tx/rx pcaps). */
  readonly interface: string;
  readonly mac: string;
  readonly ipAddresses: readonly string[];
  /** What the VIF transmitted (to the pod) and received (from the pod). */
  readonly pcap: { readonly tx: string; readonly rx: string };
}

export interface SentFrame {
  readonly sent: string;
  /** Whether the frame came out of the destination pod's VIF within 5 s (only known for pods bound here). */
  readonly delivered: boolean | undefined;
  /** The capture of what the sender's hypervisor put on the wire, and the command that names what is in it. */
  readonly wire?: string;
  readonly decode?: string;
}

const DELIVERY_WAIT_MS = 5000;

/** A CRI-looking sandbox id (64 hex digits): bindPod names the veth after its first 15 characters. */
function sandboxOf(namespace: string, pod: string): string {
  return createHash('sha256').update(`sandbox/${namespace}/${pod}`).digest('hex');
}

export class ClusterApi {
  private northbound: Promise<Northbound> | undefined;
  private network: ClusterNetwork | undefined;
  private readonly nodeDbs = new Map<string, OvsdbDatabase>();
  private readonly bound = new Map<string, BoundPod & { hv: LabHypervisor }>();
  // The agent's modules (and @kubernetes/client-node with them) load at the first apply/delete, so that every
  // REPL and lab start stays as fast as without them (a static import doubled the CLI's start-up time).
  private replAgent: Promise<ReplAgent> | undefined;
  private loadedAgent: ReplAgent | undefined;

  constructor(private readonly nb: DbHandle, private readonly options: ClusterApiOptions = {}) {}

  /**
   * Applies Kubernetes objects through the agent's controllers (src/cli/repl-agent.ts): an object, an array or
   * list of them, manifest text (YAML or JSON), or manifest files and directories. Resolves once OVN is converged,
   * with what was applied, the pods' addresses and what was skipped.
   */
  apply(objectOrManifest: unknown): Promise<ApplyResult> {
    return this.applied().then((agent) => agent.apply(objectOrManifest));
  }

  /** Deletes objects through the agent: `delete('pod', 'default/web')`, or the objects or manifests themselves. */
  delete(objectOrKind: unknown, name?: string): Promise<ApplyResult> {
    return this.applied().then((agent) => agent.delete(objectOrKind, name));
  }

  /** The agent k8s.apply feeds (undefined before the first apply): stats(), metrics.text(), cache. */
  get agent(): Agent | undefined {
    return this.loadedAgent?.agent;
  }

  private applied(): Promise<ReplAgent> {
    this.replAgent ??= import('./repl-agent.js').then(({ ReplAgent }) => {
      this.loadedAgent = new ReplAgent(() => this.db());
      return this.loadedAgent;
    });
    return this.replAgent;
  }

  /** The Northbound replica src/ovn works on: the REPL's own `nb` replica, with the indexes src/ovn adds. */
  db(): Promise<Northbound> {
    if (!this.northbound) {
      const opening = openNorthbound(this.nb.db as unknown as Northbound);
      this.northbound = opening;
      opening.catch(() => { if (this.northbound === opening) this.northbound = undefined; });
    }
    return this.northbound;
  }

  /** The cluster network (src/ovn ClusterNetwork) over the REPL's replica. */
  async net(): Promise<ClusterNetwork> {
    this.network ??= new ClusterNetwork(await this.db());
    return this.network;
  }

  private get hypervisors(): readonly LabHypervisor[] {
    return this.options.lab?.hypervisors ?? [];
  }

  private hypervisor(hv: LabHypervisor | string): LabHypervisor {
    const name = typeof hv === 'string' ? hv : hv.name;
    const found = this.hypervisors.find((h) => h.name === name);
    if (!found) {
      throw new Error(this.hypervisors.length === 0
        ? 'this session has no lab hypervisors (ovn-overlay lab --hypervisors N starts them)'
        : `no hypervisor "${name}" (the lab has ${this.hypervisors.map((h) => h.name).join(', ')})`);
    }
    return found;
  }

  /**
   * nodes.ensure: the node's switch with its subnet(s), management port, cluster router and join switch. A node
   * named like a lab hypervisor gets it as its chassis (GR_<node>) and its underlay address as node IP.
   */
  async addNode(name: string, subnets: string | readonly string[], options: Omit<NodeSpec, 'name' | 'subnets'> = {}): Promise<string> {
    const hv = this.hypervisors.find((h) => h.name === name);
    const defaults = hv ? { chassis: hv.name, nodeIp: hv.encapIp } : {};
    await (await this.net()).nodes.ensure({ ...defaults, ...options, name, subnets: typeof subnets === 'string' ? [subnets] : subnets });
    return `node ${name}: switch ${name} on ovn_cluster_router${hv ? ` (chassis ${hv.name}, node IP ${hv.encapIp})` : ''}`;
  }

  /** pods.ensure: a logical switch port <namespace>_<pod> on the node's switch with the next free address. */
  async addPod(namespace: string, name: string, node: string): Promise<PodNetwork> {
    const { changed: _changed, ...network } = await (await this.net()).pods.ensure({ namespace, name, node });
    return network;
  }

  /** pods.delete: removes the pod's port; false when it had none. */
  async deletePod(namespace: string, name: string): Promise<boolean> {
    return (await this.net()).pods.delete({ namespace, name });
  }

  /** The pod's network as the replica holds it (pods.get), and the UID its port is bound to. */
  private async podNetwork(namespace: string, pod: string): Promise<{ network: PodNetwork; node: string; ifaceIdVer: string | undefined }> {
    // A pod of k8s.addPod, or of k8s.apply (the agent's rows have an owner of their own).
    const network = (await this.net()).pods.get({ namespace, name: pod }) ?? this.loadedAgent?.agent?.net.pods.get({ namespace, name: pod });
    if (!network) throw new Error(`no pod ${namespace}/${pod} (no logical switch port ${logicalPortName(namespace, pod)}; k8s.addPod or k8s.apply first)`);
    return { network, node: network.node, ifaceIdVer: network.uid };
  }

  /** The Open_vSwitch database of a hypervisor (a replica with no tables: its connection carries the node API). */
  private async nodeDb(hv: LabHypervisor): Promise<OvsdbDatabase> {
    let db = this.nodeDbs.get(hv.name);
    if (!db) {
      db = OvsdbDatabase.connect({ remotes: hv.ovsdb, database: 'Open_vSwitch', tables: {}, leaderOnly: false });
      this.nodeDbs.set(hv.name, db);
    }
    await db.synced;
    return db;
  }

  /**
   * Binds the pod's interface on a lab hypervisor with the node API (bindPod): a `dummy` interface on br-int with
   * the pod's iface-id, MAC and addresses, recording tx/rx pcaps; resolves once ovs-vswitchd gave it an OpenFlow
   * port. ovn-controller claims the port when the hypervisor is the pod's node (its requested-chassis).
   */
  async bindPod(namespace: string, pod: string, hv: LabHypervisor | string): Promise<BoundPod> {
    const h = this.hypervisor(hv);
    const { network, node, ifaceIdVer } = await this.podNetwork(namespace, pod);
    if (node !== h.name) {
      throw new Error(`${namespace}/${pod} is on node ${node}: ovn-controller on ${h.name} would not claim it (requested-chassis ${node}); add nodes named after the hypervisors, e.g. k8s.addNode('${h.name}', ...)`);
    }
    const iface = `${pod}`.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 15);
    const pcap = { tx: h.pcapPath(iface, 'tx'), rx: h.pcapPath(iface, 'rx') };
    const binding = await bindPod(nodeDatabaseOf(await this.nodeDb(h)), {
      namespace, pod, sandbox: sandboxOf(namespace, pod), mac: network.mac, ipAddresses: network.ipAddresses,
      ifaceIdVer, interfaceType: 'dummy', interfaceName: iface, waitForOfportMs: 10_000,
      options: { tx_pcap: pcap.tx, rxq_pcap: pcap.rx },
    });
    const result = { pod: `${namespace}/${pod}`, hypervisor: h.name, interface: binding.interfaceName, mac: network.mac, ipAddresses: network.ipAddresses, pcap };
    this.bound.set(`${namespace}/${pod}`, { ...result, hv: h });
    return result;
  }

  /**
   * Until ovn-controller reports the pod's port up (`Logical_Switch_Port.up`, read through the replica), then
   * until every hypervisor has caught up with the Northbound contents (`nb_cfg`/`hv_cfg`, what --wait=hv does),
   * so that frames towards the pod find their flows on every node.
   */
  async waitUp(namespace: string, pod: string, timeoutMs = 20_000): Promise<string> {
    const nb = await this.db();
    await waitForPortsUp(nb, [logicalPortName(namespace, pod)], { timeoutMs });
    await waitForHypervisors(nb, { timeoutMs });
    return `${namespace}/${pod} is up`;
  }

  /**
   * Sends a UDP frame from one pod (bound here) to another, as the pod would put it on its interface: to the
   * other pod's MAC on the same node, else to the cluster router's MAC on its own switch (the gateway). Resolves
   * with whether it was delivered and the capture of the sender's wire port (decode it with `ovn-overlay decode`).
   */
  async send(namespace: string, from: string, to: string, payload = `hello from ${from} to ${to}`): Promise<SentFrame> {
    const src = this.bound.get(`${namespace}/${from}`);
    if (!src) throw new Error(`${namespace}/${from} is not bound in this session (k8s.bindPod('${namespace}', '${from}', hv) first)`);
    const nb = await this.db();
    const dst = await this.podNetwork(namespace, to);
    const srcNode = src.hypervisor;
    let dstMac = dst.network.mac;
    if (dst.node !== srcNode) {
      const lrp = nb.table('Logical_Router_Port').findOne('name', routerToSwitchPort(srcNode));
      if (!lrp) throw new Error(`no router port ${routerToSwitchPort(srcNode)}: is ${srcNode} a node (k8s.addNode)?`);
      dstMac = lrp.mac;
    }
    const ip = (a: readonly string[]) => a.find((x) => !x.includes(':'))?.split('/')[0];
    const srcIp = ip(src.ipAddresses);
    const dstIp = ip(dst.network.ipAddresses);
    if (srcIp === undefined || dstIp === undefined) throw new Error('send needs IPv4 addresses on both pods');
    const frame = buildInnerFrame({ srcMac: src.mac, dstMac, srcIp, dstIp, srcPort: 40000, dstPort: 8080, payload });
    const receiver = this.bound.get(`${namespace}/${to}`);
    const text = new TextEncoder().encode(payload);
    const arrived = receiver?.hv.waitTransmitted(receiver.interface, (f) => Buffer.from(f).includes(Buffer.from(text)), DELIVERY_WAIT_MS)
      .then(() => true, () => false);
    await src.hv.inject(src.interface, frame);
    const delivered = await arrived;
    const crossNode = dst.node !== srcNode;
    const wire = crossNode ? src.hv.pcapPath(src.hv.wirePort, 'tx') : undefined;
    return {
      sent: `${namespace}/${from} (${srcIp}) > ${namespace}/${to} (${dstIp}), UDP 40000 > 8080, ${frame.length} bytes on ${srcNode}:${src.interface}`,
      delivered,
      ...(wire ? { wire, decode: `ovn-overlay decode ${wire} --sb ${this.options.lab!.sb.unix}` } : {}),
    };
  }

  /** Ends the connections to the hypervisors' databases. */
  async close(): Promise<void> {
    const applied = this.replAgent;
    this.replAgent = undefined;
    this.loadedAgent = undefined;
    await (await applied?.catch(() => undefined))?.close();
    await Promise.allSettled([...this.nodeDbs.values()].map((db) => db.close()));
    this.nodeDbs.clear();
  }

  [inspect.custom](): string {
    const lab = this.hypervisors.length > 0 ? ', bindPod(namespace, pod, hv), waitUp(namespace, pod), send(namespace, from, to, payload?)' : '';
    return `k8s { apply(objectOrManifest), delete(objectOrManifest | kind, name), agent, addNode(name, subnet), addPod(namespace, name, node), deletePod(namespace, name)${lab}, db() }`;
  }
}
