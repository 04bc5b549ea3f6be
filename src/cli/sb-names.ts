// Names for OVN tunnel keys, read from the Southbound database (ovn-detrace style): the logical datapath from
// Datapath_Binding.tunnel_key (its external_ids name), ports from Port_Binding.tunnel_key within that datapath
// (logical_port), and multicast groups (egress keys >= 32768) from Multicast_Group.
import type { Row } from '../ovsdb/datum.js';
import type { DbHandle } from './db-handle.js';
import { readTables } from './show.js';

export interface DatapathName {
  readonly key: number;
  readonly uuid: string;
  /** external_ids:name (the logical switch or router name), else name2, else "". */
  readonly name: string;
  /** "switch" / "router" when external_ids say (logical-switch / logical-router). */
  readonly kind: string;
}

export interface PortName {
  readonly key: number;
  readonly name: string;
  /** Port_Binding type ("" for a VIF), or "multicast group". */
  readonly type: string;
}

export class SouthboundNames {
  private readonly datapaths = new Map<number, DatapathName>();
  private readonly byName = new Map<string, DatapathName>();
  private readonly ports = new Map<string, Map<number, PortName>>();

  private constructor(tables: Map<string, Row[]>) {
    for (const dp of tables.get('Datapath_Binding')!) {
      const ids = dp.external_ids instanceof Map ? dp.external_ids as Map<string, string> : new Map<string, string>();
      const kind = ids.has('logical-switch') ? 'switch' : ids.has('logical-router') ? 'router' : '';
      const d: DatapathName = { key: Number(dp.tunnel_key), uuid: String(dp._uuid), name: ids.get('name') ?? ids.get('name2') ?? '', kind };
      this.datapaths.set(d.key, d);
      if (d.name !== '') this.byName.set(d.name, d);
    }
    const add = (datapath: unknown, key: unknown, port: PortName) => {
      const dp = String(datapath);
      let m = this.ports.get(dp);
      if (!m) this.ports.set(dp, m = new Map());
      m.set(Number(key), port);
    };
    for (const pb of tables.get('Port_Binding')!) {
      add(pb.datapath, pb.tunnel_key, { key: Number(pb.tunnel_key), name: String(pb.logical_port), type: String(pb.type ?? '') });
    }
    for (const mg of tables.get('Multicast_Group')!) {
      add(mg.datapath, mg.tunnel_key, { key: Number(mg.tunnel_key), name: String(mg.name), type: 'multicast group' });
    }
  }

  /** Reads Datapath_Binding, Port_Binding and Multicast_Group in one transaction. */
  static async read(sb: DbHandle): Promise<SouthboundNames> {
    if (sb.name !== 'OVN_Southbound') throw new Error(`${sb.remote} serves ${sb.name}, not OVN_Southbound`);
    return new SouthboundNames(await readTables(sb, ['Datapath_Binding', 'Port_Binding', 'Multicast_Group']));
  }

  datapath(key: number): DatapathName | undefined {
    return this.datapaths.get(key);
  }

  port(datapathKey: number, portKey: number): PortName | undefined {
    const dp = this.datapaths.get(datapathKey);
    return dp ? this.ports.get(dp.uuid)?.get(portKey) : undefined;
  }

  /** The tunnel key of a datapath given by name (or by number as text). */
  datapathKey(nameOrKey: string): number | undefined {
    if (/^\d+$/.test(nameOrKey)) return Number(nameOrKey);
    return this.byName.get(nameOrKey)?.key;
  }

  /** The tunnel key of a port (logical_port or multicast group name) within a datapath (or a number as text). */
  portKey(datapathKey: number, nameOrKey: string): number | undefined {
    if (/^\d+$/.test(nameOrKey)) return Number(nameOrKey);
    const dp = this.datapaths.get(datapathKey);
    if (!dp) return undefined;
    for (const p of this.ports.get(dp.uuid)?.values() ?? []) if (p.name === nameOrKey) return p.key;
    return undefined;
  }
}
