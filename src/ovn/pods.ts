// Pods on the node switches: one logical switch port `<namespace>_<pod>` per pod, addresses from the node's
// subnets, in one transaction per call.
//
// Two agents may allocate on the same node at once. Each picks the lowest free offset from its own view and sends
// the port together with a prerequisite: "no port has these addresses" (an OVSDB `wait` with timeout 0 on
// `addresses includes "MAC IP..."`). Since the whole address string is a function of the offset (ipam.ts), two
// agents that picked the same offset wait on the same string: one commits, the other fails with "timed out" and
// picks again. The LSP name index makes a second add of the same pod fail the same way, and the retry then finds
// the port. Calls from one agent may run concurrently (pipelined): offsets in flight are reserved locally.
import type { Uuid } from '../ovsdb/datum.js';
import type { LogicalSwitch, LogicalSwitchPort } from '../models/ovn-northbound.js';
import { isConflict, ConflictRetriesExhaustedError } from './commit.js';
import { withLength } from './ip.js';
import { allocatePodAddresses, gatewayAddress, offsetOf, podAddressesAt, type NodeAddressing, type PodAddresses } from './ipam.js';
import { podPortName, nodeSwitchName } from './names.js';
import { podNetworksAnnotation, type PodNetworksAnnotation, type PodRoute } from './pod-annotation.js';
import { nodeAddressing, removeAddressesFromSets, type Northbound } from './topology.js';
import { TransactionBuilder } from './transaction.js';

export class NodeNotFoundError extends Error {
  override readonly name = 'NodeNotFoundError';
}

export interface PodOptions {
  readonly namespace: string;
  readonly name: string;
  /** The node the pod runs on (its switch must exist: ensureNode). */
  readonly node: string;
  /** The pod's UID: options:iface-id-ver, so ovn-controller binds only this incarnation's interface. */
  readonly uid?: string;
  /** Extra routes for the annotation. */
  readonly routes?: readonly PodRoute[];
}

export interface PodNetwork {
  readonly portName: string;
  readonly node: string;
  /** "10.244.1.5/24", "fd00:10:244:1::5/64" */
  readonly ipAddresses: readonly string[];
  readonly mac: string;
  readonly gateways: readonly string[];
  /** The `k8s.ovn.org/pod-networks` annotation value (decoded). */
  readonly annotation: PodNetworksAnnotation;
}

/** A pod known to exist, for syncPods. */
export interface PodReference { readonly namespace: string; readonly name: string }

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const CONFLICT_MEMORY_MS = 5_000;

/** Pods on one Northbound database, with the allocation state of this agent (reservations in flight). */
export class PodNetworking {
  private readonly reserved = new Map<Uuid, Set<bigint>>();
  private readonly recentlyTaken = new Map<Uuid, Map<bigint, number>>();
  private readonly addressingCache = new WeakMap<ReadonlyMap<string, string>, NodeAddressing>();
  private readonly offsetCache = new WeakMap<LogicalSwitchPort, { addressing: NodeAddressing; offsets: bigint[] }>();

  constructor(readonly db: Northbound, readonly options: { readonly attempts?: number } = {}) {}

  private addressing(ls: LogicalSwitch): NodeAddressing {
    let a = this.addressingCache.get(ls.other_config);
    if (!a) { a = nodeAddressing(ls); this.addressingCache.set(ls.other_config, a); }
    return a;
  }

  private portOffsets(lsp: LogicalSwitchPort, addressing: NodeAddressing): bigint[] {
    const cached = this.offsetCache.get(lsp);
    if (cached && cached.addressing === addressing) return cached.offsets;
    const offsets: bigint[] = [];
    for (const entry of lsp.addresses) {
      const words = entry.split(' ');
      for (let i = 1; i < words.length; i++) {
        const o = offsetOf(addressing, words[i]);
        if (o !== undefined) offsets.push(o);
      }
    }
    this.offsetCache.set(lsp, { addressing, offsets });
    return offsets;
  }

  private inUse(ls: LogicalSwitch, addressing: NodeAddressing): Set<bigint> {
    const used = new Set<bigint>();
    for (const u of ls.ports) {
      const lsp = this.db.get('Logical_Switch_Port', u);
      if (lsp) for (const o of this.portOffsets(lsp, addressing)) used.add(o);
    }
    const now = Date.now();
    const taken = this.recentlyTaken.get(ls._uuid);
    if (taken) for (const [o, until] of taken) { if (until < now) taken.delete(o); else used.add(o); }
    return used;
  }

  /** The pod's addresses when the existing port's addresses are one complete offset of the node's subnets. */
  private existingAddresses(lsp: LogicalSwitchPort, addressing: NodeAddressing): PodAddresses | undefined {
    if (lsp.addresses.length !== 1) return undefined;
    const offsets = this.portOffsets(lsp, addressing);
    if (offsets.length !== addressing.subnets.length || offsets.some((o) => o !== offsets[0])) return undefined;
    const expected = podAddressesAt(addressing, offsets[0]);
    const [mac] = lsp.addresses[0].split(' ');
    return expected.lspAddress === lsp.addresses[0] ? expected : { ...expected, mac, lspAddress: lsp.addresses[0] };
  }

  private result(pod: PodOptions, addressing: NodeAddressing, addresses: PodAddresses): PodNetwork {
    const ipAddresses = addresses.addresses.map((a, i) => withLength(a, addressing.subnets[i].length));
    const gateways = addressing.subnets.map((s) => gatewayAddress(s).text);
    return {
      portName: podPortName(pod.namespace, pod.name), node: pod.node, ipAddresses, mac: addresses.mac, gateways,
      annotation: podNetworksAnnotation({ ipAddresses, mac: addresses.mac, gateways, routes: pod.routes }),
    };
  }

  /**
   * Adds a pod's port (or brings an existing one to the desired state, keeping its addresses) and returns its
   * network. One transaction; none when the port is already as desired.
   */
  async addPod(pod: PodOptions): Promise<PodNetwork> {
    const attempts = this.options.attempts ?? 50;
    for (let attempt = 1; ; attempt++) {
      const ls = this.db.byName('Logical_Switch', nodeSwitchName(pod.node));
      if (!ls) throw new NodeNotFoundError(`node ${pod.node} has no logical switch (ensureNode first)`);
      const addressing = this.addressing(ls);
      const portName = podPortName(pod.namespace, pod.name);
      const externalIds = new Map([['namespace', pod.namespace], ['pod', 'true']]);
      const options = new Map([['requested-chassis', pod.node]]);
      const existing = this.db.byName('Logical_Switch_Port', portName);
      const ifaceIdVer = pod.uid ?? existing?.options.get('iface-id-ver');
      if (ifaceIdVer !== undefined) options.set('iface-id-ver', ifaceIdVer);
      const tx = new TransactionBuilder();
      let addresses: PodAddresses | undefined;
      let reservedOffset: bigint | undefined;
      if (existing && ls.ports.includes(existing._uuid)) addresses = this.existingAddresses(existing, addressing);
      if (existing && addresses) {
        tx.updateChanged('Logical_Switch_Port', existing, { external_ids: externalIds, options, port_security: [addresses.lspAddress] });
      } else {
        if (existing) {
          // On another node's switch, or with addresses that do not fit this node: move it, with new addresses.
          for (const s of this.db.rows('Logical_Switch')) if (s.ports.includes(existing._uuid)) tx.removeFromSet('Logical_Switch', s._uuid, 'ports', [existing._uuid]);
        }
        let reserved = this.reserved.get(ls._uuid);
        if (!reserved) { reserved = new Set(); this.reserved.set(ls._uuid, reserved); }
        addresses = allocatePodAddresses(addressing, this.inUse(ls, addressing), reserved);
        reservedOffset = addresses.offset;
        reserved.add(reservedOffset);
        tx.requireNone('Logical_Switch_Port', [['addresses', 'includes', [addresses.lspAddress]]]);
        const port = tx.insert<LogicalSwitchPort>('Logical_Switch_Port', {
          name: portName, addresses: [addresses.lspAddress], port_security: [addresses.lspAddress], external_ids: externalIds, options,
        });
        tx.addToSet('Logical_Switch', ls._uuid, 'ports', [port]);
      }
      if (tx.isEmpty) return this.result(pod, addressing, addresses);
      try {
        await this.db.transact(tx.operations);
        return this.result(pod, addressing, addresses);
      } catch (err) {
        if (!isConflict(err)) throw err;
        if (reservedOffset !== undefined) {
          let taken = this.recentlyTaken.get(ls._uuid);
          if (!taken) { taken = new Map(); this.recentlyTaken.set(ls._uuid, taken); }
          taken.set(reservedOffset, Date.now() + CONFLICT_MEMORY_MS);
        }
        if (attempt >= attempts) throw new ConflictRetriesExhaustedError(`addPod ${portName}: gave up after ${attempt} conflicts`, { cause: err });
        await pause(Math.min(20, attempt));
      } finally {
        if (reservedOffset !== undefined) this.reserved.get(ls._uuid)?.delete(reservedOffset);
      }
    }
  }

  /** Removes a pod's port and its addresses from the address sets this library maintains. False if absent. */
  async deletePod(namespace: string, name: string): Promise<boolean> {
    const lsp = this.db.byName('Logical_Switch_Port', podPortName(namespace, name));
    if (!lsp) return false;
    const tx = new TransactionBuilder();
    this.buildDelete(tx, [lsp]);
    await this.db.transact(tx.operations);
    return true;
  }

  private buildDelete(tx: TransactionBuilder, ports: readonly LogicalSwitchPort[]): void {
    const uuids = new Set(ports.map((p) => p._uuid));
    for (const s of this.db.rows('Logical_Switch')) {
      const mine = s.ports.filter((u) => uuids.has(u));
      if (mine.length > 0) tx.removeFromSet('Logical_Switch', s._uuid, 'ports', mine);
    }
    const addresses = new Set<string>();
    for (const p of ports) for (const a of p.addresses) for (const ip of a.split(' ').slice(1)) addresses.add(ip);
    removeAddressesFromSets(this.db, tx, addresses);
  }

  /**
   * Removes the ports of pods that no longer exist (every pod port — external_ids:pod=true — not in `existing`),
   * with their addresses. One transaction; returns the removed port names.
   */
  async syncPods(existing: Iterable<PodReference>): Promise<string[]> {
    const keep = new Set<string>();
    for (const p of existing) keep.add(podPortName(p.namespace, p.name));
    const stale: LogicalSwitchPort[] = [];
    for (const lsp of this.db.rows('Logical_Switch_Port')) {
      if (lsp.external_ids.get('pod') === 'true' && !keep.has(lsp.name)) stale.push(lsp);
    }
    if (stale.length === 0) return [];
    const tx = new TransactionBuilder();
    this.buildDelete(tx, stale);
    await this.db.transact(tx.operations);
    return stale.map((p) => p.name);
  }
}
