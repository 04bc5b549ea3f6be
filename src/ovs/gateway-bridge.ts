// The node side of a gateway: the external bridge (br-ex) holding the node's physical port, and the
// `ovn-bridge-mappings` entry that ties OVN's physical network to it, so that ovn-controller patches the localnet
// port of the node's external switch (`<bridge>_<node>` on `ext_<node>`) into that bridge. What ovn-kubernetes'
// node side does (util.BridgeToNic and the gateway init):
//
//   ovs-vsctl --may-exist add-br br-ex -- br-set-external-id br-ex bridge-id br-ex
//             -- br-set-external-id br-ex bridge-uplink eth0
//             -- set bridge br-ex fail-mode=standalone other_config:hwaddr=<eth0's MAC>
//             -- --may-exist add-port br-ex eth0 -- set port eth0 other-config:transient=true
//   ovs-vsctl set Open_vSwitch . external_ids:ovn-bridge-mappings=physnet:br-ex   (other mappings kept)
//
// ensureGatewayBridge() does all of it in one transaction holding only what differs. On Windows the physical
// port is the network adapter as Windows names it ("Ethernet 2"), and the bridge's internal port appears to the
// host as an adapter named after the bridge.
import { NamedUuid, type Uuid } from '../ovsdb/datum.js';
import { insert, mutate, select, update, wait, type OperationBase } from '../ovsdb/operations.js';
import type { Bridge, Interface, OpenVSwitch, Port } from '../models/open-vswitch.js';
import type { DroppedItem } from '../models/schema-skew.js';
import { BRIDGE_ID_KEY, BRIDGE_UPLINK_KEY, EXTERNAL_BRIDGE, OVN_BRIDGE_MAPPINGS_KEY, PHYSICAL_NETWORK, gatewayInterfaceId } from '../ovn/names.js';
import { kubernetesNameProblem } from '../ovn/kubernetes-names.js';
import { validateBridgeName, validateDatapathType } from './bridge.js';
import { OvsError } from './errors.js';
import { validateLinuxInterfaceName } from './linux.js';
import { formatBridgeMappings } from './node-config.js';
import { OPEN_VSWITCH, guarded, vswitchFilter, type NodeDatabase } from './node-db.js';
import { planPort, portSelects, type InterfaceRow, type PortRow } from './port-plan.js';
import type { NodePlatform } from './pod-binding.js';

/** The node's physical port: a name (a system device), or a name with the Interface type and options (a lab's dummy port). */
export type UplinkPort = string | { readonly name: string; readonly type?: string; readonly options?: Readonly<Record<string, string>> };

/** What ensureGatewayBridge makes. */
export interface GatewayBridgeSpec {
  /** The node's name: the localnet port is `<bridge>_<node>`. */
  readonly node: string;
  /** Default `br-ex`. */
  readonly bridge?: string;
  readonly uplink: UplinkPort;
  /** The physical network OVN names (default `physnet`, ovn-kubernetes' PhysicalNetworkName). */
  readonly physicalNetwork?: string;
  /** `other_config:hwaddr`: the bridge takes the physical port's MAC (ovn-kubernetes does), so the node keeps its MAC. */
  readonly mac?: string;
  /** `datapath_type` of a new bridge (and of an existing one when given): `netdev` for userspace, `dummy` in the lab. */
  readonly datapathType?: string;
  /** How the uplink's name is checked: a Linux interface name (default), or a Windows adapter name. */
  readonly platform?: NodePlatform;
}

/** What ensureGatewayBridge did, and what the node's gateway (GatewaySpec) needs from it. */
export interface GatewayBridge {
  readonly bridge: string;
  readonly uplink: string;
  readonly physicalNetwork: string;
  /** The localnet port's name, `<bridge>_<node>`: `interface-id` of the node's l3-gateway-config. */
  readonly interfaceId: string;
  /** `ovn-bridge-mappings` as now written (the other physical networks' mappings kept). */
  readonly bridgeMappings: string;
  readonly changed: boolean;
  readonly created: boolean;
  /** What changed, for logs. */
  readonly changes: readonly string[];
  readonly dropped: readonly DroppedItem[];
}

const MAC_RE = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;
const WINDOWS_ADAPTER_BAD = /["'\\/:*?<>|]/;

/** `physnet:bridge,...` as a map (the order kept). */
export function parseBridgeMappings(text: string): Map<string, string> {
  const out = new Map<string, string>();
  if (text.trim() === '') return out;
  for (const [net, bridge] of formatBridgeMappings(text).split(',').map((p) => p.split(':') as [string, string])) out.set(net, bridge);
  return out;
}

function checkUplink(name: string, platform: NodePlatform): void {
  if (platform === 'windows') {
    // Printable, and none of the characters Windows and ovs-vsctl's quoting cannot take.
    if (name.length === 0 || name.length > 256 || WINDOWS_ADAPTER_BAD.test(name) || [...name].some((c) => c.charCodeAt(0) < 0x20)) throw new OvsError('OVS_BAD_INTERFACE_NAME', name, `"${name}" is not a Windows network adapter name (1..256 characters, none of " ' \\ / : * ? < > |)`);
  } else validateLinuxInterfaceName(name);
}

type BridgeRow = Pick<Bridge, '_uuid' | 'ports'> & Partial<Pick<Bridge, 'fail_mode' | 'datapath_type' | 'other_config' | 'external_ids'>>;

/**
 * Creates the external bridge with the node's physical port, or brings an existing one to the spec, and maps the
 * physical network to it in `ovn-bridge-mappings`; one transaction, nothing sent beyond the read when all is as
 * asked. A port of the uplink's name on another bridge is refused (OVS_PORT_CONFLICT): ovn-kubernetes expects
 * the NIC to have been moved into br-ex first.
 * @throws OvsError for a bad bridge, uplink, MAC, physical network or datapath type (nothing sent).
 */
export async function ensureGatewayBridge(db: NodeDatabase, spec: GatewayBridgeSpec): Promise<GatewayBridge> {
  const nodeProblem = kubernetesNameProblem('dns-1123-subdomain', spec.node);
  if (nodeProblem !== undefined) throw new OvsError('OVS_BAD_OPTION', spec.node, `node name "${spec.node}" is not a DNS-1123 subdomain: ${nodeProblem}`);
  const bridge = spec.bridge ?? EXTERNAL_BRIDGE;
  validateBridgeName(bridge);
  const uplink = typeof spec.uplink === 'string' ? { name: spec.uplink } : spec.uplink;
  checkUplink(uplink.name, spec.platform ?? 'linux');
  if (uplink.name === bridge) throw new OvsError('OVS_BAD_INTERFACE_NAME', uplink.name, `the uplink cannot be named like the bridge ${bridge} (that is its internal port)`);
  const physnet = spec.physicalNetwork ?? PHYSICAL_NETWORK;
  formatBridgeMappings({ [physnet]: bridge }); // validates both names
  if (spec.mac !== undefined && !MAC_RE.test(spec.mac)) throw new OvsError('OVS_BAD_MAC', spec.mac, `"${spec.mac}" is not a MAC address`);
  if (spec.datapathType !== undefined) validateDatapathType(spec.datapathType);
  const filter = await vswitchFilter(db);
  filter.require('ensureGatewayBridge', ['Open_vSwitch.external_ids', 'Open_vSwitch.bridges', 'Bridge.name', 'Bridge.ports', 'Port.name', 'Port.interfaces', 'Interface.name', 'Interface.type']);
  const bridgeCols = (['_uuid', 'ports', 'fail_mode', 'datapath_type', 'other_config', 'external_ids'] as const).filter((c) => filter.hasColumn('Bridge', c));
  const bridgeIds = new Map([[BRIDGE_ID_KEY, bridge], [BRIDGE_UPLINK_KEY, uplink.name]]);
  const otherConfig = new Map(spec.mac !== undefined ? [['hwaddr', spec.mac.toLowerCase()]] : []);

  return guarded(`ensureGatewayBridge ${bridge}`, async () => {
    const [ovsSel, brSel, portSel, ifaceSel] = await db.transact(OPEN_VSWITCH, [
      select<OpenVSwitch, '_uuid' | 'external_ids'>(OPEN_VSWITCH, [], ['_uuid', 'external_ids']),
      select<Bridge>('Bridge', [['name', '==', bridge]], bridgeCols),
      ...portSelects(filter, uplink.name),
    ]);
    const ovs = ovsSel.rows[0];
    if (!ovs) throw new OvsError('OVS_NO_BRIDGE', bridge, 'the Open_vSwitch table has no row (run configureNode, or `ovs-vsctl init`)');
    const br = brSel.rows[0] as BridgeRow | undefined;
    const ops: OperationBase<unknown>[] = [];
    const changes: string[] = [];
    let ref: Uuid | NamedUuid;
    if (!br) {
      ref = new NamedUuid('extBridge');
      const local = { iface: new NamedUuid('extLocalIface'), port: new NamedUuid('extLocalPort') };
      ops.push(
        wait<Bridge>('Bridge', [['name', '==', bridge]], ['name'], '==', [], 0),
        insert<Interface>('Interface', filter.row('Interface', { name: bridge, type: 'internal' }), { uuidName: local.iface.name }),
        insert<Port>('Port', filter.row('Port', { name: bridge, interfaces: [local.iface] }), { uuidName: local.port.name }),
        insert<Bridge>('Bridge', filter.row('Bridge', {
          name: bridge, ports: [local.port], fail_mode: 'standalone', other_config: otherConfig, external_ids: bridgeIds,
          ...(spec.datapathType !== undefined ? { datapath_type: spec.datapathType } : {}),
        }), { uuidName: ref.name }),
        mutate<OpenVSwitch>(OPEN_VSWITCH, [['_uuid', '==', ovs._uuid]], [['bridges', 'insert', [ref]]]),
      );
      changes.push(`bridge ${bridge} created`);
    } else {
      ref = br._uuid;
      const row: Partial<Pick<Bridge, 'fail_mode' | 'datapath_type'>> = {};
      if (br.fail_mode !== 'standalone' && filter.column('Bridge', 'fail_mode', 'standalone')) { row.fail_mode = 'standalone'; changes.push('fail_mode=standalone'); }
      if (spec.datapathType !== undefined && (br.datapath_type ?? '') !== spec.datapathType && filter.column('Bridge', 'datapath_type', spec.datapathType)) {
        row.datapath_type = spec.datapathType;
        changes.push(`datapath_type=${spec.datapathType}`);
      }
      if (Object.keys(row).length > 0) ops.push(update<Bridge>('Bridge', [['_uuid', '==', br._uuid]], row));
      for (const [column, current, wanted] of [['other_config', br.other_config, otherConfig], ['external_ids', br.external_ids, bridgeIds]] as const) {
        if (current === undefined) continue;
        const set = new Map([...wanted].filter(([k, v]) => current.get(k) !== v));
        if (set.size === 0) continue;
        ops.push(mutate<Bridge>('Bridge', [['_uuid', '==', br._uuid]], [[column, 'delete', [...set.keys()]], [column, 'insert', set]] as never));
        for (const [k, v] of set) changes.push(`${column}:${k}=${v}`);
      }
    }
    const portPlan = planPort(filter, { name: bridge, ref, ...(br ? { ports: br.ports } : {}) }, portSel.rows[0] as PortRow | undefined, ifaceSel.rows[0] as InterfaceRow | undefined, {
      name: uplink.name, type: uplink.type ?? '', portOtherConfig: new Map([['transient', 'true']]),
      ...(uplink.options ? { options: new Map(Object.entries(uplink.options)) } : {}),
    });
    ops.push(...portPlan.ops);
    changes.push(...portPlan.changes);

    const mappings = parseBridgeMappings(ovs.external_ids.get(OVN_BRIDGE_MAPPINGS_KEY) ?? '');
    const before = [...mappings].map(([n, b]) => `${n}:${b}`).join(',');
    mappings.set(physnet, bridge);
    const bridgeMappings = [...mappings].map(([n, b]) => `${n}:${b}`).join(',');
    if (bridgeMappings !== before) {
      ops.push(mutate<OpenVSwitch>(OPEN_VSWITCH, [['_uuid', '==', ovs._uuid]], [
        ['external_ids', 'delete', [OVN_BRIDGE_MAPPINGS_KEY]], ['external_ids', 'insert', new Map([[OVN_BRIDGE_MAPPINGS_KEY, bridgeMappings]])],
      ]));
      changes.push(`${OVN_BRIDGE_MAPPINGS_KEY}=${bridgeMappings}`);
    }
    if (ops.length > 0) await db.transact(OPEN_VSWITCH, ops);
    return {
      bridge, uplink: uplink.name, physicalNetwork: physnet, interfaceId: gatewayInterfaceId(bridge, spec.node), bridgeMappings,
      changed: ops.length > 0, created: !br, changes, dropped: filter.dropped,
    };
  });
}
