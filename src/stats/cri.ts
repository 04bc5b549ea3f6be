// CRI pod network statistics (kubernetes/cri-api runtime.v1 PodSandboxStats) built from OVS Interface counters
// and encoded with protobufjs. All 64-bit values are bigint on our side and go through protobufjs as Long, so
// counters beyond 2^53 survive exactly in both directions.
import protobuf from 'protobufjs';
import { CRI_STATS_PROTO } from './cri-proto.js';

/** A uint64 counter (`UInt64Value`): undefined means "not reported", which CRI distinguishes from 0. */
export type Counter = bigint | undefined;

/** Linux `NetworkInterfaceUsage`. */
export interface NetworkInterfaceUsage {
  name: string;
  rxBytes?: bigint;
  rxErrors?: bigint;
  txBytes?: bigint;
  txErrors?: bigint;
}

/** Linux `NetworkUsage`; `timestamp` is Unix time in nanoseconds. */
export interface NetworkUsage {
  timestamp: bigint;
  defaultInterface?: NetworkInterfaceUsage;
  /** The pod's other interfaces, excluding the default one. */
  interfaces: NetworkInterfaceUsage[];
}

/** Windows `WindowsNetworkInterfaceUsage`. */
export interface WindowsNetworkInterfaceUsage {
  name: string;
  rxBytes?: bigint;
  rxPacketsDropped?: bigint;
  txBytes?: bigint;
  txPacketsDropped?: bigint;
}

/** Windows `WindowsNetworkUsage`; `timestamp` is Unix time in nanoseconds. */
export interface WindowsNetworkUsage {
  timestamp: bigint;
  defaultInterface?: WindowsNetworkInterfaceUsage;
  interfaces: WindowsNetworkInterfaceUsage[];
}

export interface PodSandboxMetadata {
  name: string;
  uid: string;
  namespace: string;
  attempt: number;
}

export interface PodSandboxAttributes {
  /** The pod sandbox id. */
  id: string;
  metadata?: PodSandboxMetadata;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** `PodSandboxStats`, restricted to what we fill: attributes and network usage (linux or windows). */
export interface PodSandboxStats {
  attributes?: PodSandboxAttributes;
  linux?: { network?: NetworkUsage };
  windows?: { network?: WindowsNetworkUsage };
}

export type Platform = 'linux' | 'windows';

/** Who the pod is, as CRI reports it. */
export interface PodIdentity {
  namespace: string;
  name: string;
  uid: string;
  /** The CRI pod sandbox id. */
  sandboxId: string;
  /** Sandbox creation attempt (PodSandboxMetadata.attempt), default 0. */
  attempt?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  platform: Platform;
  /**
   * The OVS `Interface.name` of the pod's default interface: the host end of the veth on Linux, the internal
   * port `<namespace>_<pod>` (or its shortened form, see src/ovs/windows.ts) on Windows.
   */
  interfaceName: string;
  /**
   * The name reported in CRI for the default interface; default: `interfaceName`. The kubelet shows the name
   * as the runtime reports it (containerd reports `eth0` on Linux and the HNS endpoint on Windows).
   */
  reportedName?: string;
}

/** The part of an OVS `Interface` row the statistics come from (the generated `Interface` model fits). */
export interface InterfaceCounters {
  name: string;
  /** `Interface:statistics`: `rx_bytes`, `tx_bytes`, `rx_dropped`, `tx_dropped`, `rx_errors`, `tx_errors`, ... */
  statistics: ReadonlyMap<string, bigint>;
}

export interface PodStatsOptions {
  /** Unix time in nanoseconds; default: now (millisecond resolution). */
  timestamp?: bigint;
  /**
   * Whose receive direction `rx` is. OVS counts from the switch's side: `rx_bytes` of a pod's port is what the
   * switch received from the pod, i.e. what the pod sent. CRI (like cAdvisor inside the pod's network
   * namespace) counts from the pod's side. `'pod'` (default) swaps rx and tx; `'switch'` copies them as OVS has them.
   */
  perspective?: 'pod' | 'switch';
}

export class CriStatsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CriStatsError';
  }
}

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

/** Unix time now in nanoseconds. */
export function nowNanoseconds(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

/**
 * Builds a pod's PodSandboxStats from the OVS Interface rows of the pod. The row named `pod.interfaceName` is
 * the default interface; any other rows are reported in `interfaces`. A counter missing from
 * `Interface:statistics` is left unreported (not 0). Linux reports bytes and errors, Windows bytes and drops,
 * as their CRI messages define.
 * @throws CriStatsError when no row is the pod's default interface.
 */
export function podNetworkStatsFromInterfaces(
  pod: PodIdentity,
  rows: readonly InterfaceCounters[],
  options: PodStatsOptions = {},
): PodSandboxStats {
  const timestamp = options.timestamp ?? nowNanoseconds();
  checkRange(timestamp, I64_MIN, I64_MAX, 'timestamp');
  const swap = (options.perspective ?? 'pod') === 'pod';
  const def = rows.find((r) => r.name === pod.interfaceName);
  if (def === undefined) {
    throw new CriStatsError(`no OVS Interface named "${pod.interfaceName}" among the rows of pod ${pod.namespace}/${pod.name}`);
  }
  const others = rows.filter((r) => r !== def);
  const counter = (row: InterfaceCounters, podKey: string): bigint | undefined => {
    const key = swap ? (podKey.startsWith('rx_') ? `tx_${podKey.slice(3)}` : `rx_${podKey.slice(3)}`) : podKey;
    const v = row.statistics.get(key);
    if (v !== undefined) checkRange(v, 0n, U64_MAX, `${row.name} ${key}`);
    return v;
  };
  const attributes: PodSandboxAttributes = {
    id: pod.sandboxId,
    metadata: { name: pod.name, uid: pod.uid, namespace: pod.namespace, attempt: pod.attempt ?? 0 },
    labels: { ...(pod.labels ?? {}) },
    annotations: { ...(pod.annotations ?? {}) },
  };
  if (pod.platform === 'linux') {
    const usage = (row: InterfaceCounters, name: string): NetworkInterfaceUsage =>
      compact({
        name,
        rxBytes: counter(row, 'rx_bytes'),
        rxErrors: counter(row, 'rx_errors'),
        txBytes: counter(row, 'tx_bytes'),
        txErrors: counter(row, 'tx_errors'),
      });
    return {
      attributes,
      linux: {
        network: {
          timestamp,
          defaultInterface: usage(def, pod.reportedName ?? def.name),
          interfaces: others.map((r) => usage(r, r.name)),
        },
      },
    };
  }
  const usage = (row: InterfaceCounters, name: string): WindowsNetworkInterfaceUsage =>
    compact({
      name,
      rxBytes: counter(row, 'rx_bytes'),
      rxPacketsDropped: counter(row, 'rx_dropped'),
      txBytes: counter(row, 'tx_bytes'),
      txPacketsDropped: counter(row, 'tx_dropped'),
    });
  return {
    attributes,
    windows: {
      network: {
        timestamp,
        defaultInterface: usage(def, pod.reportedName ?? def.name),
        interfaces: others.map((r) => usage(r, r.name)),
      },
    },
  };
}

function compact<T extends object>(o: T): T {
  const out = { ...o };
  for (const k of Object.keys(out) as (keyof T)[]) if (out[k] === undefined) delete out[k];
  return out;
}

function checkRange(v: bigint, min: bigint, max: bigint, what: string): void {
  if (v < min || v > max) throw new CriStatsError(`${what} = ${v} is outside [${min}, ${max}]`);
}

// ---------------------------------------------------------------------------------------------------------------
// protobufjs

let cachedRoot: protobuf.Root | undefined;

/** A message type of the embedded .proto (package runtime.v1), parsed once. */
function criType(name: 'PodSandboxStats' | 'ListPodSandboxStatsResponse'): protobuf.Type {
  cachedRoot ??= protobuf.parse(CRI_STATS_PROTO, new protobuf.Root(), { keepCase: false }).root;
  return cachedRoot.lookupType(`runtime.v1.${name}`);
}

/** The protobufjs type of `runtime.v1.PodSandboxStats`. */
export function podSandboxStatsType(): protobuf.Type {
  return criType('PodSandboxStats');
}

/** bigint -> protobufjs Long (two's complement bits; `unsigned` only affects how Long reads them back). */
function toLong(v: bigint, unsigned: boolean): protobuf.Long {
  const bits = BigInt.asUintN(64, v);
  return new protobuf.util.Long(Number(bits & 0xffffffffn) | 0, Number(bits >> 32n) | 0, unsigned);
}

/** protobufjs Long (or a small number, if Long support were missing) -> exact bigint. */
function fromLong(v: unknown, unsigned: boolean): bigint {
  if (typeof v === 'number') return BigInt(v);
  if (typeof v === 'bigint') return v;
  if (typeof v === 'string') return BigInt(v);
  if (typeof v === 'object' && v !== null && 'low' in v && 'high' in v) {
    const { low, high } = v as { low: number; high: number };
    const bits = (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
    return unsigned ? bits : BigInt.asIntN(64, bits);
  }
  throw new CriStatsError(`not a 64-bit integer: ${String(v)}`);
}

type Wire = Record<string, unknown>;

const wrap = (v: bigint | undefined): Wire | undefined => (v === undefined ? undefined : { value: toLong(v, true) });

function linuxIfaceToWire(i: NetworkInterfaceUsage): Wire {
  checkIface(i, ['rxBytes', 'rxErrors', 'txBytes', 'txErrors']);
  return { name: i.name, rxBytes: wrap(i.rxBytes), rxErrors: wrap(i.rxErrors), txBytes: wrap(i.txBytes), txErrors: wrap(i.txErrors) };
}

function windowsIfaceToWire(i: WindowsNetworkInterfaceUsage): Wire {
  checkIface(i, ['rxBytes', 'rxPacketsDropped', 'txBytes', 'txPacketsDropped']);
  return {
    name: i.name,
    rxBytes: wrap(i.rxBytes),
    rxPacketsDropped: wrap(i.rxPacketsDropped),
    txBytes: wrap(i.txBytes),
    txPacketsDropped: wrap(i.txPacketsDropped),
  };
}

function checkIface<T extends { name: string }>(i: T, keys: readonly (keyof T & string)[]): void {
  for (const k of keys) {
    const v = i[k];
    if (v !== undefined) checkRange(v as bigint, 0n, U64_MAX, `${i.name} ${k}`);
  }
}

function networkToWire<I>(n: { timestamp: bigint; defaultInterface?: I; interfaces: I[] }, iface: (i: I) => Wire): Wire {
  checkRange(n.timestamp, I64_MIN, I64_MAX, 'timestamp');
  return {
    timestamp: toLong(n.timestamp, false),
    defaultInterface: n.defaultInterface === undefined ? undefined : iface(n.defaultInterface),
    interfaces: n.interfaces.map(iface),
  };
}

/** A PodSandboxStats as the plain object protobufjs encodes (64-bit values as Long, ranges checked). */
function podSandboxStatsToWire(stats: PodSandboxStats): Wire {
  const wire: Wire = {};
  if (stats.attributes !== undefined) {
    const a = stats.attributes;
    wire.attributes = { id: a.id, metadata: a.metadata, labels: a.labels, annotations: a.annotations };
  }
  if (stats.linux !== undefined) {
    wire.linux = { network: stats.linux.network === undefined ? undefined : networkToWire(stats.linux.network, linuxIfaceToWire) };
  }
  if (stats.windows !== undefined) {
    wire.windows = {
      network: stats.windows.network === undefined ? undefined : networkToWire(stats.windows.network, windowsIfaceToWire),
    };
  }
  return wire;
}

function encodeWire(type: protobuf.Type, wire: Wire): Uint8Array {
  const problem = type.verify(wire);
  if (problem !== null) throw new CriStatsError(`invalid ${type.name}: ${problem}`);
  return type.encode(type.fromObject(wire)).finish();
}

/** Encodes a PodSandboxStats as the protobuf bytes of `runtime.v1.PodSandboxStats`. */
export function encodePodSandboxStats(stats: PodSandboxStats): Uint8Array {
  return encodeWire(criType('PodSandboxStats'), podSandboxStatsToWire(stats));
}

/**
 * Encodes the reply of the CRI `ListPodSandboxStats` call, `runtime.v1.ListPodSandboxStatsResponse`
 * (`repeated PodSandboxStats stats = 1`): what `ovn-overlay stats --format cri` writes.
 */
export function encodeListPodSandboxStatsResponse(stats: readonly PodSandboxStats[]): Uint8Array {
  return encodeWire(criType('ListPodSandboxStatsResponse'), { stats: stats.map(podSandboxStatsToWire) });
}

// decoding: protobufjs messages are read as plain records; absent sub-messages are null/undefined
const sub = (m: Wire, k: string): Wire | undefined => {
  const v = m[k];
  return v === null || v === undefined ? undefined : (v as Wire);
};
const unwrap = (m: Wire, k: string): bigint | undefined => {
  const w = sub(m, k);
  return w === undefined ? undefined : fromLong(w.value, true);
};
const str = (m: Wire, k: string): string => (typeof m[k] === 'string' ? (m[k] as string) : '');
const strMap = (m: Wire, k: string): Record<string, string> => ({ ...((m[k] as Record<string, string> | undefined) ?? {}) });

function networkFromWire<I>(n: Wire, iface: (w: Wire) => I): { timestamp: bigint; defaultInterface?: I; interfaces: I[] } {
  const def = sub(n, 'defaultInterface');
  const out: { timestamp: bigint; defaultInterface?: I; interfaces: I[] } = {
    timestamp: n.timestamp === undefined ? 0n : fromLong(n.timestamp, false),
    interfaces: ((n.interfaces as Wire[] | undefined) ?? []).map(iface),
  };
  if (def !== undefined) out.defaultInterface = iface(def);
  return out;
}

/** Decodes `runtime.v1.PodSandboxStats` bytes (fields outside the network subset are skipped). */
export function decodePodSandboxStats(bytes: Uint8Array): PodSandboxStats {
  return podSandboxStatsFromWire(criType('PodSandboxStats').decode(bytes) as unknown as Wire);
}

/** Decodes `runtime.v1.ListPodSandboxStatsResponse` bytes into its PodSandboxStats, in order. */
export function decodeListPodSandboxStatsResponse(bytes: Uint8Array): PodSandboxStats[] {
  const m = criType('ListPodSandboxStatsResponse').decode(bytes) as unknown as Wire;
  return ((m.stats as Wire[] | undefined) ?? []).map(podSandboxStatsFromWire);
}

function podSandboxStatsFromWire(m: Wire): PodSandboxStats {
  const out: PodSandboxStats = {};
  const a = sub(m, 'attributes');
  if (a !== undefined) {
    const md = sub(a, 'metadata');
    out.attributes = { id: str(a, 'id'), labels: strMap(a, 'labels'), annotations: strMap(a, 'annotations') };
    if (md !== undefined) {
      out.attributes.metadata = {
        name: str(md, 'name'),
        uid: str(md, 'uid'),
        namespace: str(md, 'namespace'),
        attempt: typeof md.attempt === 'number' ? md.attempt : 0,
      };
    }
  }
  const linux = sub(m, 'linux');
  if (linux !== undefined) {
    const n = sub(linux, 'network');
    out.linux = n === undefined ? {} : {
      network: networkFromWire(n, (w): NetworkInterfaceUsage => compact({
        name: str(w, 'name'),
        rxBytes: unwrap(w, 'rxBytes'),
        rxErrors: unwrap(w, 'rxErrors'),
        txBytes: unwrap(w, 'txBytes'),
        txErrors: unwrap(w, 'txErrors'),
      })),
    };
  }
  const windows = sub(m, 'windows');
  if (windows !== undefined) {
    const n = sub(windows, 'network');
    out.windows = n === undefined ? {} : {
      network: networkFromWire(n, (w): WindowsNetworkInterfaceUsage => compact({
        name: str(w, 'name'),
        rxBytes: unwrap(w, 'rxBytes'),
        rxPacketsDropped: unwrap(w, 'rxPacketsDropped'),
        txBytes: unwrap(w, 'txBytes'),
        txPacketsDropped: unwrap(w, 'txPacketsDropped'),
      })),
    };
  }
  return out;
}
