// One Port with one Interface on a bridge, brought to what a caller wants in the caller's transaction: created
// when absent, else only the columns and map keys that differ. The external bridge's physical port and the
// management port are such ports (pod ports have bindPod, which adds its stale iface-id handling).
import { NamedUuid, type TableOf, type Uuid } from '../ovsdb/datum.js';
import { insert, mutate, select, update, wait, type OperationBase, type SelectOperation } from '../ovsdb/operations.js';
import type { Bridge, Interface, Port } from '../models/open-vswitch.js';
import type { SchemaSkewFilter } from '../models/schema-skew.js';
import { OvsError } from './errors.js';
import { mapDiff } from './node-db.js';

/** What the port must be. Map keys not named are left as they are. */
export interface WantedPort {
  /** Port and Interface name. */
  readonly name: string;
  /** `Interface:type`: '' (a system device), `internal`, `dummy`, `tap`... */
  readonly type: string;
  readonly options?: ReadonlyMap<string, string>;
  /** `Interface:external_ids` keys to set (`null`: remove). */
  readonly externalIds?: ReadonlyMap<string, string | null>;
  /** `Interface:mac` (internal interfaces). */
  readonly mac?: string;
  readonly mtuRequest?: number;
  /** `Port:other_config` keys to set. */
  readonly portOtherConfig?: ReadonlyMap<string, string>;
}

export type PortRow = Pick<Port, '_uuid' | 'interfaces'> & Partial<Pick<Port, 'other_config'>>;
export type InterfaceRow = Pick<Interface, '_uuid' | 'name' | 'type'> & Partial<Pick<Interface, 'external_ids' | 'options' | 'mac' | 'mtu_request'>>;

/** The two selects planPort needs (Port and Interface by name), with the columns this server has. */
export function portSelects(filter: SchemaSkewFilter, name: string): [SelectOperation<PortRow>, SelectOperation<InterfaceRow>] {
  const portCols = (['_uuid', 'interfaces', 'other_config'] as const).filter((c) => filter.hasColumn('Port', c));
  const ifaceCols = (['_uuid', 'name', 'type', 'external_ids', 'options', 'mac', 'mtu_request'] as const).filter((c) => filter.hasColumn('Interface', c));
  return [
    select<Port>('Port', [['name', '==', name]], portCols) as SelectOperation<PortRow>,
    select<Interface>('Interface', [['name', '==', name]], ifaceCols) as SelectOperation<InterfaceRow>,
  ];
}

/** The operations, and what they change (for logs). */
export interface PortPlan {
  readonly ops: OperationBase<unknown>[];
  readonly created: boolean;
  readonly changes: string[];
}

function mapOps<T>(table: 'Interface' | 'Port', uuid: Uuid, column: string, current: ReadonlyMap<string, string> | undefined,
  wanted: ReadonlyMap<string, string | null> | undefined, changes: string[]): OperationBase<unknown>[] {
  if (!wanted || wanted.size === 0) return [];
  const diff = mapDiff(current ?? new Map(), wanted);
  const toDelete = [...diff.remove, ...diff.set.keys()];
  if (toDelete.length === 0) return [];
  for (const [k, v] of diff.set) changes.push(`${column}:${k}=${v}`);
  for (const k of diff.remove) changes.push(`${column}:${k} removed`);
  return [mutate<T>(table as TableOf<T>, [['_uuid', '==', uuid]] as never, [
    [column, 'delete', toDelete] as never, ...(diff.set.size > 0 ? [[column, 'insert', diff.set] as never] : []),
  ])];
}

/**
 * The operations that make `wanted` a port of `bridge` (its UUID and ports, or a bridge inserted in the same
 * transaction), given the Port and Interface rows read by portSelects() (undefined when absent).
 * @throws OvsError `OVS_PORT_CONFLICT` when a port of that name is on another bridge or has other interfaces.
 */
export function planPort(filter: SchemaSkewFilter, bridge: { readonly name: string; readonly ref: Uuid | NamedUuid; readonly ports?: readonly Uuid[] },
  port: PortRow | undefined, iface: InterfaceRow | undefined, wanted: WantedPort): PortPlan {
  const ops: OperationBase<unknown>[] = [];
  const changes: string[] = [];
  const setIds = new Map([...(wanted.externalIds ?? [])].filter((e): e is [string, string] => e[1] !== null));
  if (!port) {
    const ifaceRef = new NamedUuid(`iface_${ops.length}`);
    const portRef = new NamedUuid(`port_${ops.length}`);
    ops.push(
      wait<Port>('Port', [['name', '==', wanted.name]], ['name'], '==', [], 0),
      insert<Interface>('Interface', filter.row('Interface', {
        name: wanted.name, type: wanted.type,
        ...(setIds.size > 0 ? { external_ids: setIds } : {}),
        ...(wanted.options && wanted.options.size > 0 ? { options: wanted.options } : {}),
        ...(wanted.mac !== undefined ? { mac: wanted.mac } : {}),
        ...(wanted.mtuRequest !== undefined ? { mtu_request: wanted.mtuRequest } : {}),
      }), { uuidName: ifaceRef.name }),
      insert<Port>('Port', filter.row('Port', {
        name: wanted.name, interfaces: [ifaceRef], ...(wanted.portOtherConfig ? { other_config: wanted.portOtherConfig } : {}),
      }), { uuidName: portRef.name }),
      mutate<Bridge>('Bridge', [['_uuid', '==', bridge.ref as Uuid]], [['ports', 'insert', [portRef]]]),
    );
    changes.push(`port ${wanted.name} created on ${bridge.name}`);
    return { ops, created: true, changes };
  }
  if (bridge.ports && !bridge.ports.includes(port._uuid)) {
    throw new OvsError('OVS_PORT_CONFLICT', wanted.name, `port ${wanted.name} exists but is not on bridge ${bridge.name}`);
  }
  if (!bridge.ports) throw new OvsError('OVS_PORT_CONFLICT', wanted.name, `port ${wanted.name} exists on another bridge than ${bridge.name} (being created)`);
  if (!iface || port.interfaces.length !== 1 || port.interfaces[0] !== iface._uuid) {
    throw new OvsError('OVS_PORT_CONFLICT', wanted.name, `port ${wanted.name} exists with other interfaces than its own`);
  }
  const row: Partial<Pick<Interface, 'type' | 'mac' | 'mtu_request'>> = {};
  if (iface.type !== wanted.type && filter.column('Interface', 'type', wanted.type)) { row.type = wanted.type; changes.push(`type=${wanted.type}`); }
  if (wanted.mac !== undefined && iface.mac !== wanted.mac && filter.column('Interface', 'mac', wanted.mac)) { row.mac = wanted.mac; changes.push(`mac=${wanted.mac}`); }
  if (wanted.mtuRequest !== undefined && iface.mtu_request !== BigInt(wanted.mtuRequest) && filter.column('Interface', 'mtu_request', wanted.mtuRequest)) {
    row.mtu_request = BigInt(wanted.mtuRequest);
    changes.push(`mtu_request=${wanted.mtuRequest}`);
  }
  if (Object.keys(row).length > 0) ops.push(update<Interface>('Interface', [['_uuid', '==', iface._uuid]], row));
  ops.push(...mapOps<Interface>('Interface', iface._uuid, 'external_ids', iface.external_ids, wanted.externalIds, changes));
  ops.push(...mapOps<Interface>('Interface', iface._uuid, 'options', iface.options, wanted.options, changes));
  ops.push(...mapOps<Port>('Port', port._uuid, 'other_config', port.other_config, wanted.portOtherConfig, changes));
  return { ops, created: false, changes };
}
