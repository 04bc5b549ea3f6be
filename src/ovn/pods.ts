// Pods on the node switches: one logical switch port `<namespace>_<pod>` per pod, addresses from the node's
// subnets, in one transaction per call. The port carries ovn-kubernetes' `namespace` and `pod=true` and this
// library's ownership (`k8s.ovn.org/owner-type=Pod`, `k8s.ovn.org/name=<namespace>:<pod>`), so list(), delete()
// and sync() find exactly the pods this controller added.
//
// Two agents may allocate on the same node at once. Each picks the lowest free offset from its own replica; the
// whole address string is a function of that offset (ipam.ts), and so is the port's UUID: the insert carries
// `uuid` = podPortUuid(switch, offset). Two agents that picked the same offset insert the same UUID: one
// commits, the other fails with "duplicate uuid" and picks again. ovsdb-server checks that in O(1) (its UUID
// index), where a `wait` on `addresses includes "MAC IP..."` (addressGuard: 'wait', added on top) scans every
// port of the database in each transaction. The UUID guard covers every agent allocating through this class; a
// writer that allocates on the same subnet some other way is seen only through the replica ('wait' covers it). The LSP
// name index makes a second add of the same pod fail ("constraint violation"), and the retry then finds the
// port. Calls from one agent may run concurrently (pipelined): offsets in flight are reserved locally.
import { hash } from 'node:crypto';
import type { NamedUuid, Uuid } from '../ovsdb/datum.js';
import type { LogicalSwitch, LogicalSwitchPort, NorthboundTables } from '../models/ovn-northbound.js';
import { isConflict, retryOnConflict } from '../ovsdb/conflict-retry.js';
import { ReplicaTransaction } from '../ovsdb/transaction-retry.js';
import { parsePrefix, tryParseAddress, withLength } from './ip.js';
import { allocatePodAddresses, FIRST_POD_OFFSET, gatewayAddress, lowestFreeOffset, offsetOf, podAddressesAt, type NodeAddressing, type OffsetSet, type PodAddresses } from './ipam.js';
import { DEFAULT_CONTROLLER, IFACE_ID_VER_KEY, OBJECT_NAME_KEY, POD_KEY, POD_NAMESPACE_KEY, REQUESTED_CHASSIS_KEY, namespacedObjectName, nodeSwitchName, parseNamespacedObjectName, podPortName } from './names.js';
import { podNetworksAnnotation, type PodNetworksAnnotation, type PodRoute } from './pod-annotation.js';
import { nodeAddressing, portAddresses, removeAddressesFromSets } from './topology.js';
import { assertOwned, isOwned, ownerIds, type Owner } from './ownership.js';
import { OvnConflictRetriesExhaustedError, OvnInvalidFieldError, OvnNotFoundError } from './errors.js';
import { checkKubernetesName, checkNamespacedName } from './kubernetes-names.js';
import { DesiredState } from './desired-state.js';
import { byName, ownedBy, type Northbound } from './northbound.js';
import type { Changed, KindOptions, NamespacedKey, OvnKind } from './kind.js';

/**
 * The UUID of the pod port holding `offset` on the switch `ls` (a name-based UUID, version 5 layout, of both):
 * two ports can only have the same addresses on a switch by having the same UUID.
 */
export function podPortUuid(ls: Uuid, offset: bigint): Uuid {
  // The digest as hex text at once (half the time of a Buffer and its toString); the version nibble is '5', the
  // variant nibble the digest's with its top bits 10 (RFC 4122): '8'..'b' by its low two bits.
  const x = hash('sha1', `ovn-overlay pod port\0${ls}\0${offset}`, 'hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-5${x.slice(13, 16)}-${UUID_VARIANT_NIBBLE[parseInt(x[16], 16)]}${x.slice(17, 20)}-${x.slice(20, 32)}`;
}

/** The RFC 4122 variant nibble (binary 10xx) of a hex digit: its low two bits under the variant's. */
const UUID_VARIANT_NIBBLE = '89ab89ab89ab89ab';

/** What a pod is in OVN. */
export interface PodSpec extends NamespacedKey {
  /** The node the pod runs on (its switch must exist: nodes.ensure). */
  readonly node: string;
  /** The pod's UID: options:iface-id-ver, so ovn-controller binds only this incarnation's interface. */
  readonly uid?: string;
  /** Extra routes for the annotation. */
  readonly routes?: readonly PodRoute[];
}

/** A pod's network as stored: its port, addresses, gateways and the annotation ovn-kubernetes would write. */
export interface PodNetwork {
  readonly namespace: string;
  readonly name: string;
  /** The logical switch port, `<namespace>_<name>`. */
  readonly portName: string;
  readonly node: string;
  /** "10.244.1.5/24", "fd00:10:244:1::5/64" */
  readonly ipAddresses: readonly string[];
  readonly mac: string;
  readonly gateways: readonly string[];
  /** The pod UID the port is bound to (`options:iface-id-ver`), when it has one. */
  readonly uid: string | undefined;
  /** The `k8s.ovn.org/pod-networks` annotation value (decoded; routes only as given to ensure). */
  readonly annotation: PodNetworksAnnotation;
}

/** list() filter: pods of one namespace and/or on one node. */
export interface PodFilter { readonly namespace?: string; readonly node?: string }

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** The pause before another attempt at a pod's address: a little longer after each conflict. */
const backOff = (attempt: number): Promise<void> => pause(Math.min(20, attempt));

interface Plan { readonly ls: Uuid; readonly result: PodNetwork & Changed; readonly offset: bigint | undefined; readonly guardIndex: number }
interface Pending { readonly pod: PodSpec; resolve(network: PodNetwork & Changed): void; reject(err: unknown): void }
/**
 * The offsets taken on one switch while planning (one synchronous run of plan() calls): `from` is a low-water
 * mark, every offset below it is taken (in use, taken by another agent, or reserved by this one), so the
 * allocator starts there instead of scanning every address in use.
 */
class SwitchOffsets implements OffsetSet {
  constructor(private readonly used: ReadonlyMap<bigint, number>, private readonly taken: ReadonlyMap<bigint, number> | undefined, public from: bigint) {}
  has(o: bigint): boolean { return this.used.has(o) || this.taken?.has(o) === true; }
}
/** Most entries of OvnPods' memo of the offsets behind the address strings it wrote. */
const MAX_OWN_ADDRESSES = 4096;

/** Options of OvnPods: the controller, and how pods are allocated and written. */
export interface OvnPodsOptions extends KindOptions {
  /** Attempts of one pod's transaction on repeated conflicts (default 50). */
  readonly attempts?: number;
  /** Calls made in the same event-loop turn share one transaction (group commit). Default false. */
  readonly coalesce?: boolean;
  /**
   * Most pods in one coalesced transaction (default 64). More calls than that in one turn become several
   * transactions sent back to back, so ovsdb-server commits one while this process plans the next and applies
   * the updates of the previous one (one batch of 256 leaves each side idle while the other works).
   */
  readonly maxBatch?: number;
  /**
   * How a new port's address is guarded against another agent taking it at the same time. 'uuid' (default): the
   * port's UUID is derived from its switch and address offset (O(1) on the server; covers agents using this
   * class). 'wait': that, plus a `wait` "no port has these addresses" (scans every port of the database in each
   * transaction; also covers writers that allocate some other way). Agents with either setting can share a node.
   */
  readonly addressGuard?: 'uuid' | 'wait';
}
const CONFLICT_MEMORY_MS = 5_000;

function validatePodSpec(pod: PodSpec): void {
  checkNamespacedName('pod', pod);
  checkKubernetesName('node', pod.node);
  const object = `pod ${pod.namespace}/${pod.name}`;
  if (pod.uid !== undefined && (typeof pod.uid !== 'string' || pod.uid.length === 0 || pod.uid.length > 256)) {
    throw new OvnInvalidFieldError(object, 'uid', pod.uid, 'the pod UID must be a non-empty string of at most 256 characters');
  }
  pod.routes?.forEach((r, i) => {
    try { parsePrefix(r.dest, true); } catch (err) { throw new OvnInvalidFieldError(object, `routes[${i}].dest`, r.dest, (err as Error).message); }
    if (!tryParseAddress(r.nextHop)) throw new OvnInvalidFieldError(object, `routes[${i}].nextHop`, r.nextHop, 'not an IP address');
  });
}

/** The key of a pod port from its ownership name (`<namespace>:<name>`). */
function podKeyOf(lsp: LogicalSwitchPort): NamespacedKey {
  return parseNamespacedObjectName(lsp.external_ids.get(OBJECT_NAME_KEY) ?? '');
}

/** Pods on one Northbound database, with the allocation state of this agent (reservations in flight). */
export class OvnPods implements OvnKind<PodSpec, NamespacedKey, PodNetwork, PodNetwork & Changed, PodFilter> {
  readonly ownerType = 'Pod' as const;
  readonly controller: string;
  private readonly owner: Owner;
  private readonly reserved = new Map<Uuid, Set<bigint>>();
  private readonly recentlyTaken = new Map<Uuid, Map<bigint, number>>();
  private readonly gatewaysCache = new WeakMap<NodeAddressing, readonly string[]>();
  /**
   * The offset behind each `addresses` string this agent planned, until its port shows up in the replica: reading
   * the offsets back needs no parsing (the string is a function of the offset, ipam.ts).
   */
  private readonly ownAddresses = new Map<string, { addressing: NodeAddressing; offset: bigint }>();
  private readonly offsetCache = new WeakMap<LogicalSwitchPort, { addressing: NodeAddressing; offsets: bigint[] }>();
  private readonly usedBySwitch = new Map<Uuid, { addressing: NodeAddressing; ports: readonly Uuid[]; used: Map<bigint, number>; floor: bigint }>();

  private queue: Pending[] = [];
  private flushScheduled = false;
  /** Since construction: transactions ensure() sent (committed or not) and conflicts it retried (a batch's counts once). */
  readonly stats = { transactions: 0, conflicts: 0 };

  /** The kind over `db`, as the controller `options.controller` (default `ovn-overlay`). */
  constructor(readonly db: Northbound, readonly options: OvnPodsOptions = {}) {
    this.controller = options.controller ?? DEFAULT_CONTROLLER;
    this.owner = { controller: this.controller };
  }

  private portOffsets(lsp: LogicalSwitchPort, addressing: NodeAddressing): bigint[] {
    const cached = this.offsetCache.get(lsp);
    if (cached && cached.addressing === addressing) return cached.offsets;
    const own = lsp.addresses.length === 1 ? this.ownAddresses.get(lsp.addresses[0]) : undefined;
    if (own && own.addressing === addressing) {
      this.ownAddresses.delete(lsp.addresses[0]);
      const offsets = addressing.subnets.map(() => own.offset);
      this.offsetCache.set(lsp, { addressing, offsets });
      return offsets;
    }
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

  /**
   * Offsets in use on a switch. Kept per switch and brought up to date from the ports added since the last call
   * (rebuilt when ports went away), so a call costs O(ports added). A stale entry can only make an offset look
   * free; the transaction's guard then refuses it and the retry sees the truth. `floor` is the lowest offset not
   * in `used` (a lower bound of the lowest free one: `used` only grows until the entry is rebuilt).
   */
  private inUse(ls: LogicalSwitch, addressing: NodeAddressing): SwitchOffsets {
    let cache = this.usedBySwitch.get(ls._uuid);
    if (!cache || cache.addressing !== addressing) {
      cache = { addressing, ports: [], used: new Map(), floor: FIRST_POD_OFFSET };
      this.usedBySwitch.set(ls._uuid, cache);
    }
    if (cache.ports !== ls.ports) {
      // The view keeps set order (kept elements, then added ones): when the element at the old last index is
      // unchanged nothing went away and only the tail is new; otherwise rebuild.
      const n = cache.ports.length;
      const appendedOnly = ls.ports.length >= n && (n === 0 || ls.ports[n - 1] === cache.ports[n - 1]);
      if (!appendedOnly) {
        this.usedBySwitch.delete(ls._uuid);
        return this.inUse(ls, addressing);
      }
      for (let i = n; i < ls.ports.length; i++) {
        const u = ls.ports[i];
        const lsp = this.db.table('Logical_Switch_Port').get(u);
        const offsets = lsp ? this.portOffsets(lsp, addressing) : [];
        for (const o of offsets) cache.used.set(o, (cache.used.get(o) ?? 0) + 1);
      }
      cache.ports = ls.ports;
      cache.floor = lowestFreeOffset(addressing, cache.used, undefined, cache.floor) ?? cache.floor;
    }
    const used = cache.used;
    const now = Date.now();
    const taken = this.recentlyTaken.get(ls._uuid);
    if (taken) for (const [o, until] of taken) if (until < now) taken.delete(o);
    return new SwitchOffsets(used, taken, cache.floor);
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

  private result(pod: PodSpec, addressing: NodeAddressing, addresses: PodAddresses, uid: string | undefined, changed: boolean): PodNetwork & Changed {
    const ipAddresses: string[] = new Array<string>(addresses.addresses.length);
    for (let i = 0; i < ipAddresses.length; i++) ipAddresses[i] = withLength(addresses.addresses[i], addressing.subnets[i].length);
    let gateways = this.gatewaysCache.get(addressing);
    if (!gateways) { gateways = Object.freeze(addressing.subnets.map((s) => gatewayAddress(s).text)); this.gatewaysCache.set(addressing, gateways); }
    return {
      namespace: pod.namespace, name: pod.name, portName: podPortName(pod.namespace, pod.name), node: pod.node, ipAddresses, mac: addresses.mac, gateways, uid,
      annotation: podNetworksAnnotation({ ipAddresses, mac: addresses.mac, gateways, routes: pod.routes }), changed,
    };
  }

  /** Appends the pod's desired state to `tx`; the returned offset is reserved until `release`. */
  /**
   * `newPorts`, in a batch: where to collect the new ports per switch, added to `ports` by one mutation per switch
   * at the end (ovsdb-server copies the whole set for each mutation).
   */
  private plan(pod: PodSpec, tx: DesiredState<NorthboundTables>, inUseBySwitch: Map<Uuid, SwitchOffsets>, newPorts?: Map<Uuid, NamedUuid[]>): Plan {
    const ls = byName(this.db, 'Logical_Switch', nodeSwitchName(pod.node));
    if (!ls) throw new OvnNotFoundError('Logical_Switch', nodeSwitchName(pod.node), `pod ${pod.namespace}/${pod.name}: node ${pod.node} has no switch; nodes.ensure it first`);
    const addressing = nodeAddressing(ls);
    const portName = podPortName(pod.namespace, pod.name);
    const externalIds = this.externalIds(pod);
    const options = new Map([[REQUESTED_CHASSIS_KEY, pod.node]]);
    const existing = byName(this.db, 'Logical_Switch_Port', portName);
    if (existing) assertOwned('Logical_Switch_Port', portName, existing, this.owner);
    const ifaceIdVer = pod.uid ?? existing?.options.get(IFACE_ID_VER_KEY);
    if (ifaceIdVer !== undefined) options.set(IFACE_ID_VER_KEY, ifaceIdVer);
    let addresses: PodAddresses | undefined;
    if (existing && ls.ports.includes(existing._uuid)) addresses = this.existingAddresses(existing, addressing);
    if (existing && addresses) {
      const before = tx.operations.length;
      tx.updateChanged('Logical_Switch_Port', existing, { external_ids: externalIds, options, port_security: [addresses.lspAddress] });
      return { ls: ls._uuid, result: this.result(pod, addressing, addresses, ifaceIdVer, tx.operations.length > before), offset: undefined, guardIndex: -1 };
    }
    if (existing) {
      // On another node's switch, or with addresses that do not fit this node: move it, with new addresses.
      for (const s of this.db.table('Logical_Switch')) if (s.ports.includes(existing._uuid)) tx.removeFromSet('Logical_Switch', s._uuid, 'ports', [existing._uuid]);
    }
    let reserved = this.reserved.get(ls._uuid);
    if (!reserved) { reserved = new Set(); this.reserved.set(ls._uuid, reserved); }
    let inUse = inUseBySwitch.get(ls._uuid);
    if (!inUse) { inUse = this.inUse(ls, addressing); inUseBySwitch.set(ls._uuid, inUse); }
    addresses = allocatePodAddresses(addressing, inUse, reserved, inUse.from);
    reserved.add(addresses.offset);
    if (this.ownAddresses.size >= MAX_OWN_ADDRESSES) this.ownAddresses.clear();
    this.ownAddresses.set(addresses.lspAddress, { addressing, offset: addresses.offset });
    inUse.from = addresses.offset + 1n; // the lowest free one: everything below is taken (nothing is released while planning)
    const byWait = this.options.addressGuard === 'wait';
    const guardIndex = byWait ? tx.requireNone('Logical_Switch_Port', [['addresses', 'includes', [addresses.lspAddress]]]) : tx.operations.length;
    const port = tx.insert<LogicalSwitchPort>('Logical_Switch_Port', {
      name: portName, addresses: [addresses.lspAddress], port_security: [addresses.lspAddress], external_ids: externalIds, options,
    }, podPortUuid(ls._uuid, addresses.offset));
    if (newPorts) {
      const list = newPorts.get(ls._uuid);
      if (list) list.push(port);
      else newPorts.set(ls._uuid, [port]);
    } else tx.addToSet('Logical_Switch', ls._uuid, 'ports', [port]);
    return { ls: ls._uuid, result: this.result(pod, addressing, addresses, ifaceIdVer, true), offset: addresses.offset, guardIndex };
  }

  /** ovn-kubernetes' pod port keys, and this controller's ownership. */
  private externalIds(pod: NamespacedKey): Map<string, string> {
    return ownerIds(this.owner, 'Pod', namespacedObjectName(pod.namespace, pod.name), [[POD_NAMESPACE_KEY, pod.namespace], [POD_KEY, 'true']]);
  }

  /** A transaction sent by this class itself (its own retry loop: per-pod reservations and group commit). */
  private transaction(): DesiredState<NorthboundTables> {
    return new DesiredState(new ReplicaTransaction(this.db));
  }

  private release(plan: Plan): void {
    if (plan.offset !== undefined) this.reserved.get(plan.ls)?.delete(plan.offset);
  }

  /** Remembers an offset another agent holds (our view may not show it yet). */
  private markTaken(plan: Plan): void {
    if (plan.offset === undefined) return;
    let taken = this.recentlyTaken.get(plan.ls);
    if (!taken) { taken = new Map(); this.recentlyTaken.set(plan.ls, taken); }
    taken.set(plan.offset, Date.now() + CONFLICT_MEMORY_MS);
  }

  /**
   * Adds a pod's port (or brings an existing one to the desired state, keeping its addresses) and returns its
   * network. One transaction; none when the port is already as desired (`changed: false`). With `coalesce`, calls
   * made in the same turn of the event loop share one transaction (each pod still all-or-nothing; on a conflict
   * every pod of the batch is retried on its own).
   * @throws OvnInvalidNameError / OvnInvalidFieldError (nothing sent), OvnNotFoundError when the node has no
   *   switch, OvnNotOwnedError when a port of the pod's name belongs to another controller or tool,
   *   OvnSubnetExhaustedError, OvnConflictRetriesExhaustedError.
   */
  ensure(pod: PodSpec): Promise<PodNetwork & Changed> {
    try { validatePodSpec(pod); } catch (err) { return Promise.reject(err); }
    if (!this.options.coalesce) return this.addPodAlone(pod);
    return new Promise((resolve, reject) => {
      this.queue.push({ pod, resolve, reject });
      if (!this.flushScheduled) { this.flushScheduled = true; setImmediate(() => { this.flushScheduled = false; void this.flush(); }); }
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queue.splice(0, this.options.maxBatch ?? 64);
    if (this.queue.length > 0 && !this.flushScheduled) { this.flushScheduled = true; setImmediate(() => { this.flushScheduled = false; void this.flush(); }); }
    if (batch.length === 1) { this.addPodAlone(batch[0].pod).then(batch[0].resolve, batch[0].reject); return; }
    const tx = this.transaction();
    const plans: (Plan | undefined)[] = [];
    const inUse = new Map<Uuid, SwitchOffsets>();
    const names = new Set<string>();
    const alone: Pending[] = [];
    const grouped: Pending[] = [];
    const newPorts = new Map<Uuid, NamedUuid[]>();
    for (const p of batch) {
      const name = podPortName(p.pod.namespace, p.pod.name);
      if (names.has(name)) { alone.push(p); continue; } // the same pod twice: the second goes after
      names.add(name);
      try { plans.push(this.plan(p.pod, tx, inUse, newPorts)); grouped.push(p); } catch (err) { p.reject(err); }
    }
    for (const [ls, ports] of newPorts) tx.addToSet('Logical_Switch', ls, 'ports', ports);
    try {
      if (!tx.isEmpty) { this.stats.transactions++; await this.db.transact(tx.operations); }
      grouped.forEach((p, i) => p.resolve((plans[i] as Plan).result));
    } catch (err) {
      if (!isConflict(err)) { for (const p of grouped) p.reject(err); } else {
        this.stats.conflicts++;
        const failed = (err as { index?: number }).index;
        for (const plan of plans) if (plan && plan.guardIndex === failed) this.markTaken(plan);
        for (const plan of plans) if (plan) this.release(plan);
        plans.length = 0;
        for (const p of grouped) this.addPodAlone(p.pod).then(p.resolve, p.reject);
      }
    } finally {
      for (const plan of plans) if (plan) this.release(plan);
    }
    for (const p of alone) this.ensure(p.pod).then(p.resolve, p.reject);
  }

  private async addPodAlone(pod: PodSpec): Promise<PodNetwork & Changed> {
    const attempts = this.options.attempts ?? 50;
    try {
      return await retryOnConflict(async () => {
        const tx = this.transaction();
        const plan = this.plan(pod, tx, new Map());
        if (tx.isEmpty) return plan.result;
        try {
          this.stats.transactions++;
          await this.db.transact(tx.operations);
          return plan.result;
        } catch (err) {
          // Another agent got there first: the address guard failed ("duplicate uuid", or "timed out" for the
          // `wait` guard), or the port name's unique index refused a second port of the same pod.
          if (isConflict(err)) { this.stats.conflicts++; this.markTaken(plan); }
          throw err;
        } finally {
          this.release(plan);
        }
      }, { attempts, isConflict, beforeRetry: backOff });
    } catch (err) {
      if (!isConflict(err)) throw err;
      throw new OvnConflictRetriesExhaustedError(`pod ${pod.namespace}/${pod.name}: gave up after ${attempts} conflicts over its address`, { cause: err });
    }
  }

  /**
   * Removes a pod's port and its addresses from this controller's address sets. One transaction; false (nothing
   * sent) when the pod has no port.
   * @throws OvnNotOwnedError when the port of the pod's name belongs to another controller or tool (left as it is).
   */
  async delete(key: NamespacedKey): Promise<boolean> {
    checkNamespacedName('pod', key);
    const portName = podPortName(key.namespace, key.name);
    const lsp = byName(this.db, 'Logical_Switch_Port', portName);
    if (!lsp) return false;
    assertOwned('Logical_Switch_Port', portName, lsp, this.owner);
    const tx = this.transaction();
    this.buildDelete(tx, [lsp]);
    await this.db.transact(tx.operations);
    return true;
  }

  private buildDelete(tx: DesiredState<NorthboundTables>, ports: readonly LogicalSwitchPort[]): void {
    const uuids = new Set(ports.map((p) => p._uuid));
    for (const s of this.db.table('Logical_Switch')) {
      const mine = s.ports.filter((u) => uuids.has(u));
      if (mine.length > 0) tx.removeFromSet('Logical_Switch', s._uuid, 'ports', mine);
    }
    const addresses = new Set<string>();
    for (const p of ports) portAddresses(p, addresses);
    removeAddressesFromSets(this.db, tx, this.owner, addresses);
  }

  /**
   * Garbage collection: removes the port of every pod this controller added that is not in `existing`, with its
   * addresses. One transaction (none when nothing is stale); resolves with the pods removed.
   */
  async sync(existing: Iterable<NamespacedKey>): Promise<NamespacedKey[]> {
    const keep = new Set<string>();
    for (const p of existing) keep.add(podPortName(p.namespace, p.name));
    const stale = ownedBy(this.db, 'Logical_Switch_Port', this.owner, 'Pod').filter((lsp) => !keep.has(lsp.name));
    if (stale.length === 0) return [];
    const tx = this.transaction();
    this.buildDelete(tx, stale);
    await this.db.transact(tx.operations);
    return stale.map(podKeyOf);
  }

  /** Whether the node's switch is in the replica (ensure() of a pod on a node without one throws OvnNotFoundError). */
  hasNodeSwitch(node: string): boolean {
    return byName(this.db, 'Logical_Switch', nodeSwitchName(node)) !== undefined;
  }

  /** The pod's network as the replica holds it (a port this controller owns), or undefined. */
  get(key: NamespacedKey): PodNetwork | undefined {
    const lsp = byName(this.db, 'Logical_Switch_Port', podPortName(key.namespace, key.name));
    if (!lsp || !isOwned(lsp, this.owner, 'Pod')) return undefined;
    const node = lsp.options.get(REQUESTED_CHASSIS_KEY);
    const ls = node === undefined ? undefined : byName(this.db, 'Logical_Switch', nodeSwitchName(node));
    if (ls && ls.ports.includes(lsp._uuid)) return this.stored(lsp, ls);
    const holder = this.db.table('Logical_Switch').filter((s) => s.ports.includes(lsp._uuid))[0];
    return holder ? this.stored(lsp, holder) : undefined;
  }

  /** Every pod this controller owns (optionally of one namespace and/or on one node). */
  list(filter: PodFilter = {}): PodNetwork[] {
    const switchOf = new Map<Uuid, LogicalSwitch>();
    for (const ls of this.db.table('Logical_Switch')) {
      if (filter.node !== undefined && ls.name !== nodeSwitchName(filter.node)) continue;
      for (const u of ls.ports) switchOf.set(u, ls);
    }
    const out: PodNetwork[] = [];
    for (const lsp of ownedBy(this.db, 'Logical_Switch_Port', this.owner, 'Pod')) {
      if (filter.namespace !== undefined && lsp.external_ids.get(POD_NAMESPACE_KEY) !== filter.namespace) continue;
      const ls = switchOf.get(lsp._uuid);
      const pod = ls ? this.stored(lsp, ls) : undefined;
      if (pod) out.push(pod);
    }
    return out;
  }

  /** A stored port's network: its addresses read back against its switch's subnets. */
  private stored(lsp: LogicalSwitchPort, ls: LogicalSwitch): PodNetwork | undefined {
    const { namespace, name } = podKeyOf(lsp);
    const addressing = nodeAddressing(ls);
    const words = (lsp.addresses[0] ?? '').split(' ');
    if (words.length < 2) return undefined;
    const ipAddresses: string[] = [];
    for (const ip of words.slice(1)) {
      const address = tryParseAddress(ip);
      const subnet = address && addressing.subnets.find((s) => s.family === address.family);
      if (address && subnet) ipAddresses.push(withLength(address, subnet.length));
    }
    const gateways = addressing.subnets.map((s) => gatewayAddress(s).text);
    const mac = words[0];
    return {
      namespace, name, portName: lsp.name, node: ls.name, ipAddresses, mac, gateways, uid: lsp.options.get(IFACE_ID_VER_KEY),
      annotation: podNetworksAnnotation({ ipAddresses, mac, gateways }),
    };
  }
}
