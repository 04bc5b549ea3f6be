// The integration bridge (br-int) as ovn-controller expects it: fail-mode secure (no NORMAL flow while
// ovn-controller is away), in-band control off, the datapath type of the node (system, netdev, dummy).
// ensureBridge() creates it (Bridge + its internal Port and Interface, referenced from Open_vSwitch.bridges)
// or changes only the columns and other_config keys that differ; a bridge already right costs one read.
import { NamedUuid, type Uuid } from '../ovsdb/datum.js';
import { insert, mutate, select, update, wait, type OperationBase, type SelectOperation } from '../ovsdb/operations.js';
import type { Bridge, BridgeFailMode, Interface, OpenVSwitch, Port } from '../models/open-vswitch.js';
import type { DroppedItem, SchemaSkewFilter } from '../models/schema-skew.js';
import { OvsError } from './errors.js';
import { OPEN_VSWITCH, guarded, mapDiff, vswitchFilter, type NodeDatabase } from './node-db.js';

/** The integration bridge ovn-controller uses by default. */
export const INTEGRATION_BRIDGE = 'br-int';

/** What ensureBridge makes of a bridge. */
export interface BridgeOptions {
  /** Default `br-int`. */
  name?: string;
  /**
   * `Bridge:datapath_type`: `system` (kernel, also written as ''), `netdev` (userspace/DPDK), `dummy` (tests).
   * Undefined: left as it is on an existing bridge, not set on a new one (= system).
   */
  datapathType?: string;
  /** Default `secure`, which OVN requires. */
  failMode?: BridgeFailMode;
  /** `other_config:disable-in-band`, default true. */
  disableInBand?: boolean;
}

/** What ensureBridge did. */
export interface BridgeResult {
  readonly name: string;
  readonly uuid: Uuid | undefined;
  readonly created: boolean;
  /** True when a transaction changed something. */
  readonly changed: boolean;
  /** What was changed, for logs: `created`, `fail_mode=secure`, `other_config:disable-in-band=true`, ... */
  readonly changes: readonly string[];
  readonly dropped: readonly DroppedItem[];
}

const NAME_RE = /^[A-Za-z0-9._-]{1,15}$/;
const DATAPATH_RE = /^[a-z0-9_-]{0,32}$/;

/** @throws OvsError `OVS_BAD_BRIDGE_NAME`. */
export function validateBridgeName(name: string): void {
  if (!NAME_RE.test(name)) {
    throw new OvsError('OVS_BAD_BRIDGE_NAME', name, `bridge name "${name}" must be 1..15 characters of A-Z a-z 0-9 . _ -`);
  }
}

/** @throws OvsError `OVS_BAD_DATAPATH_TYPE`. */
export function validateDatapathType(type: string): void {
  if (!DATAPATH_RE.test(type)) throw new OvsError('OVS_BAD_DATAPATH_TYPE', type, `datapath type "${type}" must be lowercase letters, digits, '-' or '_'`);
}

type BridgeRow = Pick<Bridge, '_uuid'> & Partial<Pick<Bridge, 'fail_mode' | 'datapath_type' | 'other_config'>>;

/** The select that reads what planBridge() needs. */
export function bridgeSelect(filter: SchemaSkewFilter, name: string): SelectOperation<BridgeRow> {
  const cols = (['_uuid', 'fail_mode', 'datapath_type', 'other_config'] as const).filter((c) => filter.hasColumn('Bridge', c));
  return select<Bridge>('Bridge', [['name', '==', name]], cols) as SelectOperation<BridgeRow>;
}

/** The operations that bring a bridge to the desired state, planned from a select. */
export interface BridgePlan {
  readonly ops: OperationBase<unknown>[];
  readonly changes: string[];
  readonly created: boolean;
}

/**
 * The operations that make the bridge as wanted, given the row read by bridgeSelect() (undefined when absent).
 * A new bridge is referenced from the Open_vSwitch row `ovsRow` (a UUID, or a NamedUuid inserted in the same
 * transaction). Empty when nothing differs.
 */
export function planBridge(
  filter: SchemaSkewFilter, options: BridgeOptions, current: BridgeRow | undefined, ovsRow: Uuid | NamedUuid,
): BridgePlan {
  const name = options.name ?? INTEGRATION_BRIDGE;
  const failMode = options.failMode ?? 'secure';
  const inBand = options.disableInBand ?? true;
  const ops: OperationBase<unknown>[] = [];
  const changes: string[] = [];
  if (current === undefined) {
    const iface = new NamedUuid('brIface');
    const port = new NamedUuid('brPort');
    const br = new NamedUuid('bridge');
    ops.push(
      // Still absent (another agent may have created it since the read; then plan again).
      wait<Bridge>('Bridge', [['name', '==', name]], ['name'], '==', [], 0),
      insert<Interface>('Interface', filter.row('Interface', { name, type: 'internal' }), { uuidName: iface.name }),
      insert<Port>('Port', filter.row('Port', { name, interfaces: [iface] }), { uuidName: port.name }),
      insert<Bridge>('Bridge', filter.row('Bridge', {
        name, ports: [port], fail_mode: failMode,
        ...(options.datapathType !== undefined ? { datapath_type: options.datapathType } : {}),
        other_config: { 'disable-in-band': String(inBand) },
      }), { uuidName: br.name }),
      mutate<OpenVSwitch>(OPEN_VSWITCH, [['_uuid', '==', ovsRow]], [['bridges', 'insert', [br]]]),
    );
    changes.push(`Bridge ${name} created`);
    return { ops, changes, created: true };
  }
  const row: Partial<Pick<Bridge, 'fail_mode' | 'datapath_type'>> = {};
  if (current.fail_mode !== failMode && filter.column('Bridge', 'fail_mode', failMode)) {
    row.fail_mode = failMode;
    changes.push(`fail_mode=${failMode}`);
  }
  if (options.datapathType !== undefined && filter.column('Bridge', 'datapath_type', options.datapathType)
    && normalizeDatapath(current.datapath_type ?? '') !== normalizeDatapath(options.datapathType)) {
    row.datapath_type = options.datapathType;
    changes.push(`datapath_type=${options.datapathType}`);
  }
  const where = [['_uuid', '==', current._uuid]] as const;
  if (Object.keys(row).length > 0) ops.push(update<Bridge>('Bridge', [...where], row));
  if (filter.column('Bridge', 'other_config')) {
    const diff = mapDiff(current.other_config ?? new Map(), new Map([['disable-in-band', String(inBand)]]));
    if (diff.set.size > 0) {
      ops.push(mutate<Bridge>('Bridge', [...where], [
        ['other_config', 'delete', [...diff.set.keys()]], ['other_config', 'insert', diff.set],
      ]));
      for (const [k, v] of diff.set) changes.push(`other_config:${k}=${v}`);
    }
  }
  return { ops, changes, created: false };
}

/** `system` and '' are the same datapath (the kernel one). */
function normalizeDatapath(t: string): string {
  return t === 'system' ? '' : t;
}

/**
 * Creates the bridge (default br-int) or brings fail_mode, datapath_type and other_config:disable-in-band to
 * what is wanted, in one transaction; sends no write when nothing differs.
 */
export async function ensureBridge(db: NodeDatabase, options: BridgeOptions = {}): Promise<BridgeResult> {
  const name = options.name ?? INTEGRATION_BRIDGE;
  validateBridgeName(name);
  if (options.datapathType !== undefined) validateDatapathType(options.datapathType);
  const filter = await vswitchFilter(db);
  filter.require('ensureBridge', ['Open_vSwitch.bridges', 'Bridge.name', 'Bridge.ports', 'Port.name', 'Port.interfaces', 'Interface.name']);
  return guarded(`ensureBridge ${name}`, async () => {
    const [ovs, br] = await db.transact(OPEN_VSWITCH, [
      select<OpenVSwitch, '_uuid'>(OPEN_VSWITCH, [], ['_uuid']),
      bridgeSelect(filter, name),
    ]);
    const ovsRow = ovs.rows[0]?._uuid;
    if (ovsRow === undefined) {
      throw new OvsError('OVS_NO_BRIDGE', name, 'the Open_vSwitch table has no row (run configureNode, or `ovs-vsctl init`)');
    }
    const plan = planBridge(filter, options, br.rows[0], ovsRow);
    let uuid = br.rows[0]?._uuid;
    if (plan.ops.length > 0) {
      const results = await db.transact(OPEN_VSWITCH, plan.ops);
      if (plan.created) uuid = (results[3] as { uuid: Uuid }).uuid;
    }
    return { name, uuid, created: plan.created, changed: plan.ops.length > 0, changes: plan.changes, dropped: filter.dropped };
  });
}
