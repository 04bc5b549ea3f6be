// Southbound reads: chassis, datapath and port tunnel keys (assigned by ovn-northd), and the tunnel metadata a
// packet between two pods carries: `tunnelMetadata(fromPort, toPort)`.
//
// Between two pods on one switch the keys are that switch's datapath and the two ports. Between pods on different
// node switches the packet crosses the cluster router on the sending chassis and is tunnelled in the destination
// switch's pipeline: datapath = destination switch, ingress = its patch port from the router (stor-<node>),
// egress = the destination pod's port.
import type { OvsdbDatabase } from '../ovsdb/database.js';
import type { Uuid } from '../ovsdb/datum.js';
import { ReplicaWaitTimeoutError, waitForReplica } from '../ovsdb/replica-wait.js';
import type { DatapathBinding, PortBinding, SouthboundTables } from '../models/ovn-southbound.js';
import { openReplica, type DatabaseTarget, type ReplicaOptions, type ReplicaSpec } from './connect.js';
import { tunnelMetadataFromKeys, type TunnelMetadata } from './tunnel-metadata.js';
import { OvnPortBindingNotFoundError } from './errors.js';
import { DATAPATH_NAME_KEY } from './names.js';

/** The Southbound database as src/ovn reads it: the replica of the tables below. */
export type Southbound = OvsdbDatabase<SouthboundTables>;
/** OvsdbDatabase options for openSouthbound (database and tables are src/ovn's). */
export type SouthboundOptions = ReplicaOptions<SouthboundTables>;

/** What src/ovn monitors in OVN_Southbound (tunnel keys and chassis); the schema indexes serve the lookups. */
export const SOUTHBOUND: ReplicaSpec<SouthboundTables> = {
  database: 'OVN_Southbound',
  tables: {
    Chassis: { columns: ['name', 'hostname', 'encaps', 'external_ids', 'other_config'] },
    Encap: { columns: ['type', 'ip', 'options', 'chassis_name'] },
    Datapath_Binding: { columns: ['tunnel_key', 'external_ids'] },
    Port_Binding: { columns: ['logical_port', 'tunnel_key', 'datapath', 'type', 'options', 'chassis', 'mac'] },
  },
};

/**
 * Opens the Southbound replica (a remote list, OvsdbDatabase options, or an OvsdbDatabase of OVN_Southbound you
 * have) and resolves once it holds the initial state. `ovn-sbctl`-style readers usually pass `leaderOnly: false`.
 */
export function openSouthbound(target: DatabaseTarget<SouthboundTables> | SouthboundOptions): Promise<Southbound> {
  return openReplica(target, SOUTHBOUND);
}

/** A chassis and its tunnel endpoints. */
export interface ChassisInfo {
  readonly name: string;
  readonly hostname: string;
  readonly encaps: readonly { type: string; ip: string; options: ReadonlyMap<string, string> }[];
}

/** The tunnel metadata between two ports, with the ports and datapath it was read from. */
export interface TunnelPath extends TunnelMetadata {
  /** The destination datapath (logical switch) name, from external_ids. */
  readonly datapathName: string | undefined;
  /** The logical port whose key is the ingress key. */
  readonly ingressPortName: string;
  readonly egressPortName: string;
  /** The chassis the destination port is bound to, when bound. */
  readonly destinationChassis: string | undefined;
}

/** Reads chassis, bindings and tunnel keys from a Southbound replica. */
export class SouthboundReader {
  constructor(readonly db: Southbound) {}

  chassis(): ChassisInfo[] {
    const out: ChassisInfo[] = [];
    const encapTable = this.db.table('Encap');
    for (const c of this.db.table('Chassis')) {
      const encaps = c.encaps.map((u) => encapTable.get(u)).filter((e) => e !== undefined)
        .map((e) => ({ type: e.type, ip: e.ip, options: e.options }));
      out.push({ name: c.name, hostname: c.hostname, encaps });
    }
    return out;
  }

  /** The Port_Binding of a logical port (Port_Binding has no name column: looked up by logical_port). */
  portBinding(logicalPort: string): Readonly<PortBinding> | undefined {
    return this.db.table('Port_Binding').findOne('logical_port', logicalPort);
  }

  datapath(uuid: Uuid): Readonly<DatapathBinding> | undefined {
    return this.db.table('Datapath_Binding').get(uuid);
  }

  /**
   * Resolves once ovn-northd has created bindings (with a tunnel key) for every port, from the replica's change
   * events, or rejects with OvnPortBindingNotFoundError naming the missing ports at the timeout.
   */
  async waitForPortBindings(logicalPorts: readonly string[], timeoutMs = 10_000): Promise<Readonly<PortBinding>[]> {
    const bound = (p: Readonly<PortBinding> | undefined): p is Readonly<PortBinding> => p !== undefined && p.tunnel_key > 0n;
    const missing = (): string => logicalPorts.filter((p) => !bound(this.portBinding(p))).join(', ');
    try {
      return await waitForReplica(this.db, () => `Port_Binding of ${missing()}`, () => {
        const found = logicalPorts.map((p) => this.portBinding(p));
        return found.every(bound) ? found : undefined;
      }, { timeoutMs });
    } catch (err) {
      if (err instanceof ReplicaWaitTimeoutError) throw new OvnPortBindingNotFoundError(`no Port_Binding after ${timeoutMs} ms for ${missing()}`);
      throw err;
    }
  }

  /** The metadata of a packet from `fromPort` to `toPort` (logical switch port names) as it crosses the tunnel. */
  tunnelMetadata(fromPort: string, toPort: string): TunnelPath {
    const bindings = new Map<string, Readonly<PortBinding>>();
    for (const pb of this.db.table('Port_Binding')) bindings.set(pb.logical_port, pb);
    const from = bindings.get(fromPort);
    const to = bindings.get(toPort);
    if (!from) throw new OvnPortBindingNotFoundError(`no Port_Binding for ${fromPort}`);
    if (!to) throw new OvnPortBindingNotFoundError(`no Port_Binding for ${toPort}`);
    const dp = this.datapath(to.datapath);
    if (!dp) throw new OvnPortBindingNotFoundError(`no Datapath_Binding for ${toPort}`);
    let ingress = from;
    if (from.datapath !== to.datapath) {
      // The destination switch's patch port whose peer router also has a patch port into the source switch.
      const routersOfSource = new Set<Uuid>();
      for (const pb of bindings.values()) {
        if (pb.datapath === from.datapath && pb.type === 'patch') {
          const peer = bindings.get(pb.options.get('peer') ?? '');
          if (peer) routersOfSource.add(peer.datapath);
        }
      }
      const candidate = [...bindings.values()].find((pb) => {
        if (pb.datapath !== to.datapath || pb.type !== 'patch') return false;
        const peer = bindings.get(pb.options.get('peer') ?? '');
        return peer !== undefined && routersOfSource.has(peer.datapath);
      });
      if (!candidate) throw new OvnPortBindingNotFoundError(`no router path from ${fromPort} to ${toPort}`);
      ingress = candidate;
    }
    const metadata = tunnelMetadataFromKeys({ datapath: Number(dp.tunnel_key), ingressPort: Number(ingress.tunnel_key), egressPort: Number(to.tunnel_key) });
    const chassis = to.chassis ? this.db.table('Chassis').get(to.chassis)?.name : undefined;
    return {
      ...metadata, datapathName: dp.external_ids.get(DATAPATH_NAME_KEY), ingressPortName: ingress.logical_port, egressPortName: to.logical_port, destinationChassis: chassis,
    };
  }
}
