// Binding a pod's interface to OVN: one Port with one Interface on br-int whose `external_ids:iface-id` is the
// logical switch port name `<namespace>_<pod>`; ovn-controller claims the logical port for this chassis when it
// sees the Interface with that iface-id and an ofport. As ovn-kubernetes' CNI writes it (helper_linux.go,
// ConfigureOVS), the Interface also carries:
//
//   iface-id-ver   the pod UID (matches the logical port's options:iface-id-ver, so a stale port is not bound)
//   attached_mac   the pod's MAC
//   ip_addresses   the pod's addresses with prefix length, comma-separated
//   sandbox        the CRI pod sandbox id
//
// and the Port `other_config:transient=true` (ovs-vswitchd's --delete-transient-ports removes such ports on a
// reboot, when their veths are gone). Linux: the Interface is the host end of the pod's veth, named by
// linuxHostVethName(). Windows: the Interface is `type=internal`, named as the HNS endpoint and the Hyper-V port
// ElementName (windowsPodNames()), and the PowerShell steps the node agent runs are returned.
//
// bindPod() is one transaction (Interface, Port, Bridge.ports) with only what differs, nothing when everything
// is already bound as asked. unbindPod() removes exactly that Port and Interface, and only when the Interface
// still carries this pod's iface-id: Bridge.ports loses that one port (mutate delete), nothing else changes.
import { isIP } from 'node:net';
import { NamedUuid, type Uuid } from '../ovsdb/datum.js';
import { OvsdbTimedOutError } from '../ovsdb/errors.js';
import { del, insert, mutate, select, update, wait, type OperationBase } from '../ovsdb/operations.js';
import type { Bridge, Interface, Port } from '../models/open-vswitch.js';
import type { DroppedItem } from '../models/schema-skew.js';
import { INTEGRATION_BRIDGE, validateBridgeName } from './bridge.js';
import { linuxHostVethName, validateLinuxInterfaceName, validateSandboxId } from './linux.js';
import { OvsError } from './errors.js';
import { ATTACHED_MAC_KEY, IFACE_ID_KEY, IFACE_ID_VER_KEY, IP_ADDRESSES_KEY, SANDBOX_KEY } from '../ovn/names.js';
import { OPEN_VSWITCH, guarded, mapDiff, vswitchFilter, type NodeDatabase } from './node-db.js';
import {
  logicalPortName, validateHypervPortName, windowsBindCommands, windowsPodNames, windowsUnbindCommands,
  type WindowsBindOptions, type WindowsCommand, type WindowsPodNames,
} from './windows.js';

/** The node's operating system: how a pod's interface is named and plugged. */
export type NodePlatform = 'linux' | 'windows';

/** What the Windows-side commands need beyond the pod's identity and addresses. */
export type WindowsHostOptions = Pick<WindowsBindOptions, 'gateway' | 'hnsNetwork' | 'compartmentId' | 'hnsModule' | 'ovsModule'>;

/** What bindPod binds: the pod, its sandbox, MAC and addresses, and how its interface is made. */
export interface PodBindingSpec {
  namespace: string;
  pod: string;
  /** The CRI pod sandbox id: `external_ids:sandbox`, and on Linux the veth name. */
  sandbox: string;
  /** The pod's MAC (from the logical switch port), `0a:58:0a:f4:01:05`. */
  mac: string;
  /** The pod's addresses with prefix length, `['10.244.1.5/24', 'fd00:10:244:1::5/64']`. */
  ipAddresses: readonly string[];
  /** The pod UID (`iface-id-ver`); a rebind without it removes a previous value. */
  ifaceIdVer?: string;
  /** Default linux. */
  platform?: NodePlatform;
  /** Linux: the OVS interface name, default linuxHostVethName(sandbox). Ignored on Windows. */
  interfaceName?: string;
  /** Linux: `Interface:type`, default '' (a system device: the veth). `dummy` in a userspace lab. Windows: always internal. */
  interfaceType?: string;
  /** Default br-int. */
  bridge?: string;
  /** `Interface:mtu_request`; undefined leaves it as it is. */
  mtu?: number;
  /**
   * `Interface:options` keys to set (e.g. a userspace lab's `tx_pcap`/`rxq_pcap` on a `dummy` interface), written
   * in the same transaction; keys not named here are left as they are.
   */
  options?: ReadonlyMap<string, string> | Readonly<Record<string, string>>;
  /** Windows: what the PowerShell steps need (HNS network, gateway, compartment); without it only names are returned. */
  windows?: WindowsHostOptions;
  /**
   * Remove `iface-id=<namespace>_<pod>` from other Interfaces that still carry it (an earlier sandbox of the same
   * pod), as ovn-kubernetes does, so ovn-controller binds the new one. Default true.
   */
  clearStaleIfaceId?: boolean;
  /** Wait (server side, with an OVSDB `wait`) until ovs-vswitchd has given the interface an OpenFlow port number. */
  waitForOfportMs?: number;
}

/** What bindPod did and the names it used. */
export interface PodBinding {
  /** True when a transaction changed something. */
  readonly changed: boolean;
  /** True when the Port and Interface were created (false: they existed and were brought up to date). */
  readonly created: boolean;
  readonly ifaceId: string;
  readonly bridge: string;
  readonly portName: string;
  readonly interfaceName: string;
  readonly interfaceType: string;
  readonly portUuid: Uuid;
  readonly interfaceUuid: Uuid;
  /** The `external_ids` this binding owns, as written. */
  readonly externalIds: ReadonlyMap<string, string>;
  /** Set when waitForOfportMs was given. */
  readonly ofport?: bigint;
  /** Names of other Interfaces whose stale `iface-id` was removed. */
  readonly staleCleared: readonly string[];
  /** Windows: every name of the pod, and the PowerShell steps for the host (HNS endpoint, attach, ElementName, MTU). */
  readonly windows?: { readonly names: WindowsPodNames; readonly commands: readonly WindowsCommand[] };
  readonly dropped: readonly DroppedItem[];
}

/** The Interface `external_ids` keys a binding owns. */
export const BINDING_KEYS = [IFACE_ID_KEY, IFACE_ID_VER_KEY, ATTACHED_MAC_KEY, IP_ADDRESSES_KEY, SANDBOX_KEY] as const;

const MAC_RE = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;
const TYPE_RE = /^[a-z0-9_-]{0,32}$/;

function checkCidr(cidr: string): void {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
  const family = m ? isIP(m[1]) : 0;
  const prefix = Number(m?.[2] ?? -1);
  if (family === 0 || prefix > (family === 4 ? 32 : 128)) {
    throw new OvsError('OVS_BAD_IP', cidr, `"${cidr}" is not an address with prefix length (10.244.1.5/24)`);
  }
}

interface Names {
  ifaceId: string;
  name: string;
  type: string;
  bridge: string;
  windows?: WindowsPodNames;
}

function podNames(spec: Pick<PodBindingSpec, 'namespace' | 'pod' | 'platform' | 'interfaceName' | 'interfaceType' | 'bridge'> & { sandbox?: string }): Names {
  const bridge = spec.bridge ?? INTEGRATION_BRIDGE;
  validateBridgeName(bridge);
  if ((spec.platform ?? 'linux') === 'windows') {
    const names = windowsPodNames(spec.namespace, spec.pod);
    return { ifaceId: names.ifaceId, name: names.interfaceName, type: 'internal', bridge, windows: names };
  }
  const ifaceId = logicalPortName(spec.namespace, spec.pod);
  let name: string;
  if (spec.interfaceName !== undefined) {
    validateLinuxInterfaceName(spec.interfaceName);
    name = spec.interfaceName;
  } else if (spec.sandbox !== undefined) {
    name = linuxHostVethName(spec.sandbox);
  } else {
    throw new OvsError('OVS_BAD_OPTION', undefined, 'a Linux pod interface needs its sandbox id or interfaceName');
  }
  const type = spec.interfaceType ?? '';
  if (!TYPE_RE.test(type)) throw new OvsError('OVS_BAD_OPTION', type, `interface type "${type}" must be lowercase letters, digits, '-' or '_'`);
  return { ifaceId, name, type, bridge };
}

/** The names a pod's binding uses on this platform (no database access). */
export function podInterfaceNames(spec: Pick<PodBindingSpec, 'namespace' | 'pod' | 'platform' | 'interfaceName' | 'bridge'> & { sandbox?: string }): {
  ifaceId: string; interfaceName: string; bridge: string; windows?: WindowsPodNames;
} {
  const n = podNames(spec);
  return { ifaceId: n.ifaceId, interfaceName: n.name, bridge: n.bridge, ...(n.windows ? { windows: n.windows } : {}) };
}

type BridgeRow = Pick<Bridge, '_uuid' | 'ports'>;
type PortRow = Pick<Port, '_uuid' | 'interfaces'> & Partial<Pick<Port, 'other_config'>>;
type IfaceRow = Pick<Interface, '_uuid' | 'name' | 'type' | 'external_ids'> & Partial<Pick<Interface, 'mtu_request' | 'options'>>;

/**
 * Binds a pod's interface on the node: Port + Interface on the bridge with the OVN external_ids, in one atomic
 * transaction; idempotent (nothing sent beyond the read when the binding is already as asked).
 * @throws OvsError for bad arguments, a missing bridge, or a port of that name that is not a pod port
 *   of this bridge (`port-conflict`).
 */
export async function bindPod(db: NodeDatabase, spec: PodBindingSpec): Promise<PodBinding> {
  const n = podNames(spec);
  validateSandboxId(spec.sandbox);
  if (!MAC_RE.test(spec.mac)) throw new OvsError('OVS_BAD_MAC', spec.mac, `"${spec.mac}" is not a MAC address (0a:58:0a:f4:01:05)`);
  for (const ip of spec.ipAddresses) checkCidr(ip);
  if (spec.mtu !== undefined && (!Number.isInteger(spec.mtu) || spec.mtu < 68 || spec.mtu > 65535)) {
    throw new OvsError('OVS_BAD_MTU', spec.mtu, 'mtu must be an integer in [68, 65535]');
  }
  if (n.windows) validateHypervPortName(n.name);
  const windows = n.windows ? {
    names: n.windows,
    commands: spec.windows
      ? windowsBindCommands({
        namespace: spec.namespace, pod: spec.pod, mac: spec.mac, ipAddresses: [...spec.ipAddresses], containerId: spec.sandbox,
        bridge: n.bridge, ...spec.windows,
        ...(spec.ifaceIdVer !== undefined ? { ifaceIdVer: spec.ifaceIdVer } : {}),
        ...(spec.mtu !== undefined ? { mtu: spec.mtu } : {}),
      }).filter((c) => c.program === 'powershell.exe') // the OVS step is this transaction
      : [],
  } : undefined;

  const ids = new Map<string, string | null>([
    [IFACE_ID_KEY, n.ifaceId],
    [IFACE_ID_VER_KEY, spec.ifaceIdVer ?? null],
    [ATTACHED_MAC_KEY, spec.mac.toLowerCase()],
    [IP_ADDRESSES_KEY, spec.ipAddresses.length > 0 ? spec.ipAddresses.join(',') : null],
    [SANDBOX_KEY, spec.sandbox],
  ]);
  const owned = new Map([...ids].filter((e): e is [string, string] => e[1] !== null));
  const options = new Map<string, string>(spec.options instanceof Map ? spec.options : Object.entries(spec.options ?? {}));
  for (const [k, v] of options) {
    if (typeof k !== 'string' || typeof v !== 'string') throw new OvsError('OVS_BAD_OPTION', k, 'Interface options are string keys and values');
  }
  const filter = await vswitchFilter(db);
  filter.require('bindPod', ['Bridge.name', 'Bridge.ports', 'Port.name', 'Port.interfaces', 'Interface.name', 'Interface.type', 'Interface.external_ids']);
  const portCols = (['_uuid', 'interfaces', 'other_config'] as const).filter((c) => filter.hasColumn('Port', c));
  if (options.size > 0) filter.require('bindPod options', ['Interface.options']);
  const ifaceCols = (['_uuid', 'name', 'type', 'external_ids', 'mtu_request', 'options'] as const).filter((c) => filter.hasColumn('Interface', c));

  const result = await guarded(`bindPod ${n.ifaceId}`, async () => {
    const [brSel, portSel, ifaceSel, staleSel] = await db.transact(OPEN_VSWITCH, [
      select<Bridge, '_uuid' | 'ports'>('Bridge', [['name', '==', n.bridge]], ['_uuid', 'ports']),
      select<Port>('Port', [['name', '==', n.name]], portCols),
      select<Interface>('Interface', [['name', '==', n.name]], ifaceCols),
      select<Interface, '_uuid' | 'name'>('Interface', [['external_ids', 'includes', new Map([[IFACE_ID_KEY, n.ifaceId]])]], ['_uuid', 'name']),
    ]);
    const br = brSel.rows[0] as BridgeRow | undefined;
    if (!br) throw new OvsError('OVS_NO_BRIDGE', n.bridge, `bridge ${n.bridge} does not exist (configureNode or ensureBridge creates it)`);
    const port = portSel.rows[0] as PortRow | undefined;
    const iface = ifaceSel.rows[0] as IfaceRow | undefined;
    const ops: OperationBase<unknown>[] = [];
    const stale = (staleSel.rows as Pick<Interface, '_uuid' | 'name'>[]).filter((r) => r.name !== n.name);
    const staleCleared: string[] = [];
    if (spec.clearStaleIfaceId ?? true) {
      for (const r of stale) {
        ops.push(mutate<Interface>('Interface', [['_uuid', '==', r._uuid], ['external_ids', 'includes', new Map([[IFACE_ID_KEY, n.ifaceId]])]],
          [['external_ids', 'delete', new Map([[IFACE_ID_KEY, n.ifaceId]])]]));
        staleCleared.push(r.name);
      }
    }
    let created = false;
    let portUuid: Uuid | NamedUuid;
    let ifaceUuid: Uuid | NamedUuid;
    if (!port) {
      created = true;
      const ifaceRef = new NamedUuid('podIface');
      const portRef = new NamedUuid('podPort');
      ops.push(
        // The name is still free (another agent may bind it concurrently: then plan again and find it).
        wait<Port>('Port', [['name', '==', n.name]], ['name'], '==', [], 0),
        insert<Interface>('Interface', filter.row('Interface', {
          name: n.name, type: n.type, external_ids: owned,
          ...(spec.mtu !== undefined ? { mtu_request: spec.mtu } : {}),
          ...(options.size > 0 ? { options } : {}),
        }), { uuidName: ifaceRef.name }),
        insert<Port>('Port', filter.row('Port', {
          name: n.name, interfaces: [ifaceRef], other_config: { transient: 'true' },
        }), { uuidName: portRef.name }),
        mutate<Bridge>('Bridge', [['_uuid', '==', br._uuid]], [['ports', 'insert', [portRef]]]),
      );
      portUuid = portRef;
      ifaceUuid = ifaceRef;
    } else {
      if (!br.ports.includes(port._uuid)) {
        throw new OvsError('OVS_PORT_CONFLICT', n.name, `port ${n.name} exists but is not on bridge ${n.bridge}`);
      }
      if (!iface || port.interfaces.length !== 1 || port.interfaces[0] !== iface._uuid) {
        throw new OvsError('OVS_PORT_CONFLICT', n.name, `port ${n.name} exists with other interfaces than its own; not a pod port`);
      }
      portUuid = port._uuid;
      ifaceUuid = iface._uuid;
      const row: Partial<Pick<Interface, 'type' | 'mtu_request'>> = {};
      if (iface.type !== n.type && filter.column('Interface', 'type', n.type)) row.type = n.type;
      if (spec.mtu !== undefined && filter.column('Interface', 'mtu_request', spec.mtu) && iface.mtu_request !== BigInt(spec.mtu)) {
        row.mtu_request = BigInt(spec.mtu);
      }
      if (Object.keys(row).length > 0) ops.push(update<Interface>('Interface', [['_uuid', '==', iface._uuid]], row));
      const diff = mapDiff(iface.external_ids, ids);
      const toDelete = [...diff.remove, ...diff.set.keys()];
      if (toDelete.length > 0) {
        ops.push(mutate<Interface>('Interface', [['_uuid', '==', iface._uuid]], [
          ['external_ids', 'delete', toDelete],
          ...(diff.set.size > 0 ? [['external_ids', 'insert', diff.set] as const] : []),
        ]));
      }
      const optionsDiff = mapDiff(iface.options ?? new Map<string, string>(), options).set;
      if (optionsDiff.size > 0) {
        ops.push(mutate<Interface>('Interface', [['_uuid', '==', iface._uuid]], [
          ['options', 'delete', [...optionsDiff.keys()]], ['options', 'insert', optionsDiff],
        ]));
      }
      if (port.other_config !== undefined && port.other_config.get('transient') !== 'true') {
        ops.push(mutate<Port>('Port', [['_uuid', '==', port._uuid]], [
          ['other_config', 'delete', ['transient']], ['other_config', 'insert', new Map([['transient', 'true']])],
        ]));
      }
    }
    if (ops.length > 0) {
      const results = await db.transact(OPEN_VSWITCH, ops);
      if (created) {
        const base = staleCleared.length + 1; // after the stale mutates and the wait
        ifaceUuid = (results[base] as { uuid: Uuid }).uuid;
        portUuid = (results[base + 1] as { uuid: Uuid }).uuid;
      }
    }
    return { changed: ops.length > 0, created, portUuid: portUuid as Uuid, interfaceUuid: ifaceUuid as Uuid, staleCleared };
  });

  let ofport: bigint | undefined;
  if (spec.waitForOfportMs !== undefined) ofport = await waitForOfport(db, result.interfaceUuid, n.name, spec.waitForOfportMs);
  return {
    ...result,
    ifaceId: n.ifaceId, bridge: n.bridge, portName: n.name, interfaceName: n.name, interfaceType: n.type,
    externalIds: owned,
    ...(ofport !== undefined ? { ofport } : {}),
    ...(windows ? { windows } : {}),
    dropped: filter.dropped,
  };
}

/**
 * Waits, inside ovsdb-server (a `wait` operation with a timeout, no polling), until ovs-vswitchd has given the
 * Interface an OpenFlow port number, and returns it.
 * @throws OvsError with the Interface's `error` column when vswitchd could not open it, or on timeout.
 */
export async function waitForOfport(db: NodeDatabase, iface: Uuid, name: string, timeoutMs: number): Promise<bigint> {
  try {
    const [, sel] = await db.transact(OPEN_VSWITCH, [
      wait<Interface>('Interface', [['_uuid', '==', iface], ['ofport', '>', 0]], ['name'], '!=', [], Math.max(0, Math.round(timeoutMs))),
      select<Interface, 'ofport'>('Interface', [['_uuid', '==', iface]], ['ofport']),
    ]);
    return sel.rows[0].ofport as bigint;
  } catch (err) {
    if (!(err instanceof OvsdbTimedOutError)) throw err;
    const [sel] = await db.transact(OPEN_VSWITCH, [select<Interface, 'ofport' | 'error'>('Interface', [['_uuid', '==', iface]], ['ofport', 'error'])]);
    const row = sel.rows[0];
    throw new OvsError('OVS_NO_OFPORT', name,
      `interface ${name} got no OpenFlow port within ${timeoutMs} ms (ofport ${row?.ofport ?? 'unset'}${row?.error ? `, error: ${row.error}` : ''})`);
  }
}

/** What unbindPod removes: the pod, and the names its binding used. */
export interface PodUnbindSpec {
  namespace: string;
  pod: string;
  platform?: NodePlatform;
  /** Linux: the sandbox id (gives the veth name) or the interface name used at bind time. */
  sandbox?: string;
  interfaceName?: string;
  bridge?: string;
  /** Windows: module paths for the returned PowerShell step. */
  windows?: Pick<WindowsBindOptions, 'hnsModule' | 'ovsModule'>;
}

/** What unbindPod did. */
export interface PodUnbinding {
  /** True when the Port and Interface were removed by this call. */
  readonly removed: boolean;
  readonly portName: string;
  readonly ifaceId: string;
  /** Why nothing was removed: no such port, or it is not this pod's (its Interface has another iface-id). */
  readonly skipped?: 'absent' | 'not-this-pod';
  /** Windows: the PowerShell step that deletes the HNS endpoint (and with it the Hyper-V port and adapter). */
  readonly windowsCommands?: readonly WindowsCommand[];
}

/**
 * Removes the pod's Port and Interface that bindPod() created, in one transaction: Bridge.ports loses exactly
 * that port and the two rows are deleted; guarded so that a port of the same name now bound to another pod is
 * left alone. Idempotent: an absent port is `{ removed: false, skipped: 'absent' }`.
 */
export async function unbindPod(db: NodeDatabase, spec: PodUnbindSpec): Promise<PodUnbinding> {
  const n = podNames(spec);
  const windowsCommands = n.windows
    ? windowsUnbindCommands({ namespace: spec.namespace, pod: spec.pod, bridge: n.bridge, ...spec.windows }).filter((c) => c.program === 'powershell.exe')
    : undefined;
  const base = { portName: n.name, ifaceId: n.ifaceId, ...(windowsCommands ? { windowsCommands } : {}) };
  return guarded(`unbindPod ${n.ifaceId}`, async () => {
    const [brSel, portSel, ifaceSel] = await db.transact(OPEN_VSWITCH, [
      select<Bridge, '_uuid' | 'ports'>('Bridge', [['name', '==', n.bridge]], ['_uuid', 'ports']),
      select<Port, '_uuid' | 'interfaces'>('Port', [['name', '==', n.name]], ['_uuid', 'interfaces']),
      select<Interface, '_uuid' | 'external_ids'>('Interface', [['name', '==', n.name]], ['_uuid', 'external_ids']),
    ]);
    const br = brSel.rows[0];
    const port = portSel.rows[0];
    const iface = ifaceSel.rows[0];
    if (!br || !port || !br.ports.includes(port._uuid)) return { ...base, removed: false, skipped: 'absent' as const };
    if (!iface || port.interfaces.length !== 1 || port.interfaces[0] !== iface._uuid || iface.external_ids.get(IFACE_ID_KEY) !== n.ifaceId) {
      return { ...base, removed: false, skipped: 'not-this-pod' as const };
    }
    await db.transact(OPEN_VSWITCH, [
      // Still this pod's interface on this port (else plan again).
      wait<Interface>('Interface', [['_uuid', '==', iface._uuid], ['external_ids', 'includes', new Map([[IFACE_ID_KEY, n.ifaceId]])]],
        ['name'], '==', [{ name: n.name }], 0),
      wait<Port>('Port', [['_uuid', '==', port._uuid]], ['interfaces'], '==', [{ interfaces: [iface._uuid] }], 0),
      mutate<Bridge>('Bridge', [['_uuid', '==', br._uuid]], [['ports', 'delete', [port._uuid]]]),
      del<Port>('Port', [['_uuid', '==', port._uuid]]),
      del<Interface>('Interface', [['_uuid', '==', iface._uuid]]),
    ]);
    return { ...base, removed: true };
  });
}
