// Names for OVN tunnel keys, read from the Southbound database (ovn-detrace style): the logical datapath from
// Datapath_Binding.tunnel_key (its external_ids name), ports from Port_Binding.tunnel_key within that datapath
// (logical_port), and multicast groups (egress keys >= 32768) from Multicast_Group. And names for the addresses
// of an inner frame, from Port_Binding.mac ("MAC IP ...", as the logical switch port's addresses): a frame routed
// across nodes carries the router's MAC as its source, so the source pod is found by its IP.
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

/** A logical port that owns an inner frame's address. */
export interface AddressOwner {
  readonly name: string;
  /** Port_Binding type: "" for a VIF (a pod), "patch", "l3gateway", ... */
  readonly type: string;
  /** What matched: "mac" or "ip", and the address. */
  readonly by: 'mac' | 'ip';
  readonly address: string;
}

/** The Southbound tables names are read from (what decode and encap replicate). */
export const NAME_TABLES = ['Datapath_Binding', 'Port_Binding', 'Multicast_Group'] as const;

/** connectDatabases options for a command that only needs the names: one replica, of these tables. */
export const NAMES_ONLY = { only: ['OVN_Southbound'], tables: { OVN_Southbound: NAME_TABLES } } as const;

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

export class SouthboundNames {
  private readonly byMac = new Map<string, { name: string; type: string }[]>();
  private readonly byIp = new Map<string, { name: string; type: string }[]>();
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
    const own = (index: Map<string, { name: string; type: string }[]>, key: string, port: { name: string; type: string }) => {
      const list = index.get(key);
      if (!list) index.set(key, [port]);
      else if (!list.some((p) => p.name === port.name)) list.push(port);
    };
    for (const pb of tables.get('Port_Binding')!) {
      const port = { name: String(pb.logical_port), type: String(pb.type ?? '') };
      add(pb.datapath, pb.tunnel_key, { key: Number(pb.tunnel_key), ...port });
      for (const entry of Array.isArray(pb.mac) ? pb.mac as string[] : []) {
        const [mac, ...ips] = entry.trim().split(/\s+/);
        if (!MAC.test(mac)) continue;
        own(this.byMac, mac.toLowerCase(), port);
        for (const ip of ips) own(this.byIp, ip.replace(/\/\d+$/, '').toLowerCase(), port);
      }
    }
    for (const mg of tables.get('Multicast_Group')!) {
      add(mg.datapath, mg.tunnel_key, { key: Number(mg.tunnel_key), name: String(mg.name), type: 'multicast group' });
    }
  }

  /** Reads Datapath_Binding, Port_Binding and Multicast_Group from the replica. */
  static async read(sb: DbHandle): Promise<SouthboundNames> {
    if (sb.name !== 'OVN_Southbound') throw new Error(`${sb.remote} serves ${sb.name}, not OVN_Southbound`);
    return new SouthboundNames(await readTables(sb, NAME_TABLES));
  }

  /**
   * The logical port an inner frame's MAC or IP belongs to, preferring a pod (a VIF port, type "") found by MAC,
   * then a pod found by IP (the source of a routed frame carries the router's MAC), then any port by MAC.
   */
  addressOwner(mac: string | undefined, ip: string | undefined): AddressOwner | undefined {
    const byMac = mac === undefined ? [] : this.byMac.get(mac.toLowerCase()) ?? [];
    const byIp = ip === undefined ? [] : this.byIp.get(ip.toLowerCase()) ?? [];
    const vif = (list: { name: string; type: string }[]) => list.find((p) => p.type === '');
    const macVif = vif(byMac);
    if (macVif) return { ...macVif, by: 'mac', address: mac! };
    const ipVif = vif(byIp);
    if (ipVif) return { ...ipVif, by: 'ip', address: ip! };
    if (byMac[0]) return { ...byMac[0], by: 'mac', address: mac! };
    if (byIp[0]) return { ...byIp[0], by: 'ip', address: ip! };
    return undefined;
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
