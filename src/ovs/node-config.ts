// The settings ovn-controller reads from the one row of the Open_vSwitch table (`external_ids`), and br-int,
// written in one transaction that touches only what differs:
//
//   system-id                  the chassis name in the Southbound database
//   hostname                   Chassis.hostname
//   ovn-remote                 the Southbound database ("tcp:10.0.0.1:6642" or a comma-separated cluster)
//   ovn-encap-type             geneve | stt | vxlan (several: "geneve,vxlan")
//   ovn-encap-ip               the tunnel endpoint address(es) of this node
//   ovn-bridge-mappings        "physnet1:br-ex,physnet2:br-eth1"
//   ovn-encap-csum             "true" | "false": UDP checksums on Geneve/VXLAN
//   ovn-bridge-datapath-type   datapath_type of the bridges ovn-controller creates
//   ovn-bridge                 the integration bridge, written only when it is not br-int
//
// Keys are changed with `mutate` (delete the differing keys, insert their new values), never by replacing the
// map, so keys written by others (ovn-controller's own, an operator's) survive, and nothing is written when
// every key already has its value.
import { isIP } from 'node:net';
import { NamedUuid, type Uuid } from '../ovsdb/datum.js';
import { insert, mutate, select, type OperationBase } from '../ovsdb/operations.js';
import { OvsdbClient, type ConnectOptions } from '../ovsdb/client.js';
import { parseRemote } from '../ovsdb/remote.js';
import type { OpenVSwitch } from '../models/open-vswitch.js';
import type { DroppedItem } from '../models/schema-skew.js';
import {
  INTEGRATION_BRIDGE, bridgeSelect, planBridge, validateBridgeName, validateDatapathType, type BridgeOptions,
} from './bridge.js';
import { OvsError } from './errors.js';
import {
  HOSTNAME_KEY, OVN_BRIDGE_DATAPATH_TYPE_KEY, OVN_BRIDGE_KEY, OVN_BRIDGE_MAPPINGS_KEY, OVN_ENCAP_CSUM_KEY, OVN_ENCAP_IP_KEY, OVN_ENCAP_TYPE_KEY, OVN_REMOTE_KEY, SYSTEM_ID_KEY,
} from '../ovn/names.js';
import { OPEN_VSWITCH, guarded, mapDiff, vswitchFilter, type NodeDatabase } from './node-db.js';

/** A tunnel encapsulation ovn-controller supports. */
export type EncapType = 'geneve' | 'stt' | 'vxlan';
/** Every EncapType. */
export const ENCAP_TYPES: readonly EncapType[] = ['geneve', 'stt', 'vxlan'];

/** What a node tells ovn-controller. Optional settings: undefined leaves the key as it is, null removes it. */
export interface NodeSettings {
  readonly systemId: string;
  readonly hostname: string;
  /** One remote or several (a RAFT cluster), as an array or comma-separated: `tcp:H:P`, `ssl:H:P`, `unix:PATH`. */
  readonly ovnRemote: string | readonly string[];
  readonly encapType: EncapType | readonly EncapType[];
  /** One address, or several (a node with several tunnel endpoints). */
  readonly encapIp: string | readonly string[];
  /** `physnet:bridge` pairs: a string as ovn-controller reads it, or a record physnet -> bridge. */
  readonly bridgeMappings?: string | Readonly<Record<string, string>> | null;
  readonly encapCsum?: boolean | null;
  /** `ovn-bridge-datapath-type`; also br-int's datapath_type unless `bridge.datapathType` says otherwise. */
  readonly bridgeDatapathType?: string | null;
  /** The integration bridge's name (default br-int; written to `ovn-bridge` only when different). */
  readonly integrationBridge?: string;
}

/** Options of configureNode. */
export interface ConfigureNodeOptions {
  /**
   * Ensure the integration bridge in the same transaction (default true). `false` leaves bridges alone;
   * an object overrides the bridge options (name and datapath type default to the settings').
   */
  bridge?: boolean | BridgeOptions;
}

/** What configureNode did. */
export interface ConfigureNodeResult {
  /** True when a transaction changed something; false when everything already was as asked. */
  readonly changed: boolean;
  /** The Open_vSwitch row. */
  readonly uuid: Uuid;
  /** True when the Open_vSwitch row itself had to be created (a database `ovs-vsctl init` never touched). */
  readonly createdRow: boolean;
  /** The managed keys as this call wants them (removed keys absent). */
  readonly externalIds: ReadonlyMap<string, string>;
  /** Keys written and keys removed by this call. */
  readonly set: readonly string[];
  readonly removed: readonly string[];
  readonly bridge: { readonly name: string; readonly created: boolean; readonly changes: readonly string[] } | undefined;
  /** What the server's schema could not take and was left out (schema skew); empty on a current server. */
  readonly dropped: readonly DroppedItem[];
}

const SYSTEM_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,253}$/;
const HOSTNAME_RE = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const MAPPING_PART_RE = /^[A-Za-z0-9._-]+$/;

function list<T extends string>(v: T | readonly T[]): readonly T[] {
  return typeof v === 'string' ? [v] : v;
}

/** `physnet:bridge,...` from a string or a record, validated. */
export function formatBridgeMappings(m: string | Readonly<Record<string, string>>): string {
  const pairs = typeof m === 'string'
    ? m.split(',').filter((p) => p !== '').map((p) => {
      const i = p.indexOf(':');
      if (i < 0) throw new OvsError('OVS_BAD_BRIDGE_MAPPINGS', m, `bridge mapping "${p}" must be <physical network>:<bridge>`);
      return [p.slice(0, i), p.slice(i + 1)] as const;
    })
    : Object.entries(m);
  const seen = new Set<string>();
  for (const [net, br] of pairs) {
    if (!MAPPING_PART_RE.test(net) || !MAPPING_PART_RE.test(br)) {
      throw new OvsError('OVS_BAD_BRIDGE_MAPPINGS', m, `bridge mapping "${net}:${br}" must be <physical network>:<bridge>`);
    }
    validateBridgeName(br);
    if (seen.has(net)) throw new OvsError('OVS_BAD_BRIDGE_MAPPINGS', m, `physical network "${net}" is mapped twice`);
    seen.add(net);
  }
  return pairs.map(([n, b]) => `${n}:${b}`).join(',');
}

/**
 * The `external_ids` keys and values the settings ask for (`null` = remove), after validating every value.
 * @throws OvsError naming the first bad setting.
 */
export function nodeExternalIds(s: NodeSettings): Map<string, string | null> {
  if (!SYSTEM_ID_RE.test(s.systemId)) throw new OvsError('OVS_BAD_SYSTEM_ID', s.systemId, `system-id "${s.systemId}" must be 1..254 characters of A-Z a-z 0-9 . _ : - (a UUID or a node name)`);
  if (!HOSTNAME_RE.test(s.hostname)) throw new OvsError('OVS_BAD_HOSTNAME', s.hostname, `hostname "${s.hostname}" is not a DNS name`);
  const remotes = list(s.ovnRemote).flatMap((r) => r.split(',')).map((r) => r.trim()).filter((r) => r !== '');
  if (remotes.length === 0) throw new OvsError('OVS_BAD_REMOTE', s.ovnRemote, 'ovn-remote: no remote given');
  for (const r of remotes) {
    try {
      parseRemote(r);
    } catch (err) {
      throw new OvsError('OVS_BAD_REMOTE', r, `ovn-remote "${r}" is not an OVSDB remote (tcp:H:P, ssl:H:P, unix:PATH): ${(err as Error).message}`);
    }
  }
  const encaps = list(s.encapType);
  if (encaps.length === 0 || encaps.some((e) => !ENCAP_TYPES.includes(e)) || new Set(encaps).size !== encaps.length) {
    throw new OvsError('OVS_BAD_ENCAP_TYPE', s.encapType, `ovn-encap-type must be one or more of ${ENCAP_TYPES.join(', ')} (got ${JSON.stringify(s.encapType)})`);
  }
  const ips = list(s.encapIp);
  if (ips.length === 0 || ips.some((ip) => isIP(ip) === 0)) throw new OvsError('OVS_BAD_ENCAP_IP', s.encapIp, `ovn-encap-ip must be IPv4 or IPv6 addresses (got ${JSON.stringify(s.encapIp)})`);
  const ids = new Map<string, string | null>([
    [SYSTEM_ID_KEY, s.systemId],
    [HOSTNAME_KEY, s.hostname],
    [OVN_REMOTE_KEY, remotes.join(',')],
    [OVN_ENCAP_TYPE_KEY, encaps.join(',')],
    [OVN_ENCAP_IP_KEY, ips.join(',')],
  ]);
  if (s.bridgeMappings !== undefined) ids.set(OVN_BRIDGE_MAPPINGS_KEY, s.bridgeMappings === null ? null : formatBridgeMappings(s.bridgeMappings));
  if (s.encapCsum !== undefined) ids.set(OVN_ENCAP_CSUM_KEY, s.encapCsum === null ? null : String(s.encapCsum));
  if (s.bridgeDatapathType !== undefined) {
    if (s.bridgeDatapathType !== null) validateDatapathType(s.bridgeDatapathType);
    ids.set(OVN_BRIDGE_DATAPATH_TYPE_KEY, s.bridgeDatapathType);
  }
  const bridge = s.integrationBridge ?? INTEGRATION_BRIDGE;
  validateBridgeName(bridge);
  if (bridge !== INTEGRATION_BRIDGE) ids.set(OVN_BRIDGE_KEY, bridge);
  return ids;
}

type OvsRow = Pick<OpenVSwitch, '_uuid' | 'external_ids'>;

/**
 * Writes the node's OVN settings into `Open_vSwitch:external_ids` and ensures the integration bridge, in one
 * atomic transaction containing only the differences. A second identical call sends only the read and
 * returns `changed: false`.
 */
export async function configureNode(db: NodeDatabase, settings: NodeSettings, options: ConfigureNodeOptions = {}): Promise<ConfigureNodeResult> {
  const wanted = nodeExternalIds(settings);
  const bridgeOpt = options.bridge ?? true;
  const bridge: BridgeOptions | undefined = bridgeOpt === false ? undefined : {
    name: settings.integrationBridge ?? INTEGRATION_BRIDGE,
    ...(typeof settings.bridgeDatapathType === 'string' ? { datapathType: settings.bridgeDatapathType } : {}),
    ...(bridgeOpt === true ? {} : bridgeOpt),
  };
  if (bridge?.name !== undefined) validateBridgeName(bridge.name);
  if (bridge?.datapathType !== undefined) validateDatapathType(bridge.datapathType);
  const filter = await vswitchFilter(db);
  filter.require('configureNode', ['Open_vSwitch.external_ids',
    ...(bridge ? ['Open_vSwitch.bridges', 'Bridge.name', 'Bridge.ports', 'Port.name', 'Port.interfaces', 'Interface.name'] : [])]);

  return guarded('configureNode', async () => {
    const reads = await db.transact(OPEN_VSWITCH, [
      select<OpenVSwitch, '_uuid' | 'external_ids'>(OPEN_VSWITCH, [], ['_uuid', 'external_ids']),
      ...(bridge ? [bridgeSelect(filter, bridge.name ?? INTEGRATION_BRIDGE)] : []),
    ]);
    const row = (reads[0] as { rows: OvsRow[] }).rows[0];
    const ops: OperationBase<unknown>[] = [];
    let set: string[];
    let removed: string[];
    let ovsRef: Uuid | NamedUuid;
    if (row === undefined) {
      // An uninitialized database: create the row (maxRows 1, so a concurrent creator makes this fail and retry).
      ovsRef = new NamedUuid('ovs');
      const ids = new Map([...wanted].filter((e): e is [string, string] => e[1] !== null));
      ops.push(insert<OpenVSwitch>(OPEN_VSWITCH, { external_ids: ids }, { uuidName: ovsRef.name }));
      set = [...ids.keys()];
      removed = [];
    } else {
      ovsRef = row._uuid;
      const diff = mapDiff(row.external_ids, wanted);
      const toDelete = [...diff.remove, ...diff.set.keys()];
      if (toDelete.length > 0) {
        ops.push(mutate<OpenVSwitch>(OPEN_VSWITCH, [['_uuid', '==', row._uuid]], [
          ['external_ids', 'delete', toDelete],
          ...(diff.set.size > 0 ? [['external_ids', 'insert', diff.set] as const] : []),
        ]));
      }
      set = [...diff.set.keys()];
      removed = diff.remove;
    }
    let bridgeResult: ConfigureNodeResult['bridge'];
    if (bridge) {
      const current = (reads[1] as { rows: Parameters<typeof planBridge>[2][] }).rows[0];
      const plan = planBridge(filter, bridge, current, ovsRef);
      ops.push(...plan.ops);
      bridgeResult = { name: bridge.name ?? INTEGRATION_BRIDGE, created: plan.created, changes: plan.changes };
    }
    let uuid = row?._uuid;
    if (ops.length > 0) {
      const results = await db.transact(OPEN_VSWITCH, ops);
      if (uuid === undefined) uuid = (results[0] as { uuid: Uuid }).uuid;
    }
    return {
      changed: ops.length > 0,
      uuid: uuid as Uuid,
      createdRow: row === undefined,
      externalIds: new Map([...wanted].filter((e): e is [string, string] => e[1] !== null)),
      set, removed,
      bridge: bridgeResult,
      dropped: filter.dropped,
    };
  });
}

/**
 * configureNode() on its own connection: connects to `remote` (e.g. `unix:/run/openvswitch/db.sock`), configures,
 * and closes. What a one-shot caller (a lab hypervisor, an install script) wants.
 */
export async function configureNodeAt(
  remote: string, settings: NodeSettings, options: ConfigureNodeOptions & { connect?: ConnectOptions } = {},
): Promise<ConfigureNodeResult> {
  const client = await OvsdbClient.connect(remote, options.connect ?? {});
  try {
    return await configureNode(client, settings, options);
  } finally {
    await client.close();
  }
}
