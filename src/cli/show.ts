// `.show`: the overview `ovn-nbctl show`, `ovn-sbctl show` and `ovs-vsctl show` print, built from the database
// contents in the replica (current as of the command: see DbHandle.current()).
import type { Row } from '../ovsdb/datum.js';
import { IFACE_ID_KEY } from '../ovn/names.js';
import type { DbHandle } from './db-handle.js';
import { formatAtom, formatValue } from './table-format.js';

type Tables = Map<string, Row[]>;

/** Whole tables from the replica, current (tables the schema lacks, or not replicated, come back empty). */
export async function readTables(db: DbHandle, tables: readonly string[]): Promise<Tables> {
  await db.current();
  return new Map(tables.map((t) => [t, db.replicated(t) as Row[]]));
}

function byUuid(rows: readonly Row[]): Map<string, Row> {
  return new Map(rows.map((r) => [String(r._uuid), r]));
}

function refs(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  return value === undefined ? [] : [String(value)];
}

function byName(a: Row, b: Row): number {
  return String(a.name ?? '').localeCompare(String(b.name ?? ''));
}

function isEmpty(value: unknown): boolean {
  return value === undefined || (Array.isArray(value) && value.length === 0) || (value instanceof Map && value.size === 0);
}

/** `key: value` lines for the non-empty columns, as ovs-vsctl prints them. */
function details(row: Row, columns: readonly string[], indent: string, quoted = false): string[] {
  const out: string[] = [];
  for (const c of columns) {
    const v = row[c];
    if (isEmpty(v) || v === '') continue;
    const text = quoted && typeof v === 'string' ? JSON.stringify(v) : formatValue(v);
    out.push(`${indent}${c}: ${text}`);
  }
  return out;
}

/** Like `ovn-nbctl show`: switches with their ports, routers with theirs. */
export async function showNorthbound(db: DbHandle): Promise<string> {
  const t = await readTables(db, ['Logical_Switch', 'Logical_Switch_Port', 'Logical_Router', 'Logical_Router_Port', 'NAT']);
  const lsps = byUuid(t.get('Logical_Switch_Port')!);
  const lrps = byUuid(t.get('Logical_Router_Port')!);
  const nats = byUuid(t.get('NAT')!);
  const out: string[] = [];
  for (const ls of [...t.get('Logical_Switch')!].sort(byName)) {
    out.push(`switch ${String(ls._uuid)} (${String(ls.name)})`);
    const ports = refs(ls.ports).map((u) => lsps.get(u)).filter((p): p is Row => p !== undefined).sort(byName);
    // The lines ovn-nbctl prints, in its order: type, parent, tag, addresses (not a lone "router", which
    // says no more than the type), router-port.
    for (const p of ports) {
      out.push(`    port ${String(p.name)}`);
      if (p.type !== '' && p.type !== undefined) out.push(`        type: ${String(p.type)}`);
      if (p.parent_name !== undefined && p.parent_name !== '') out.push(`        parent: ${String(p.parent_name)}`);
      if (p.tag !== undefined && !isEmpty(p.tag)) out.push(`        tag: ${String(p.tag)}`);
      const addresses = refs(p.addresses);
      if (addresses.length > 0 && !(addresses.length === 1 && addresses[0] === 'router')) {
        out.push(`        addresses: [${addresses.map((a) => JSON.stringify(a)).join(', ')}]`);
      }
      const peer = p.options instanceof Map ? p.options.get('router-port') : undefined;
      if (peer !== undefined) out.push(`        router-port: ${String(peer)}`);
    }
  }
  for (const lr of [...t.get('Logical_Router')!].sort(byName)) {
    out.push(`router ${String(lr._uuid)} (${String(lr.name)})`);
    const ports = refs(lr.ports).map((u) => lrps.get(u)).filter((p): p is Row => p !== undefined).sort(byName);
    for (const p of ports) {
      out.push(`    port ${String(p.name)}`);
      out.push(`        mac: ${JSON.stringify(String(p.mac))}`);
      out.push(`        networks: [${refs(p.networks).map((a) => JSON.stringify(a)).join(', ')}]`);
    }
    for (const nat of refs(lr.nat).map((u) => nats.get(u)).filter((n): n is Row => n !== undefined)) {
      out.push(`    nat ${String(nat._uuid)}`);
      out.push(`        external ip: ${JSON.stringify(String(nat.external_ip))}`);
      out.push(`        logical ip: ${JSON.stringify(String(nat.logical_ip))}`);
      out.push(`        type: ${JSON.stringify(String(nat.type))}`);
    }
  }
  return out.join('\n');
}

/** Like `ovn-sbctl show`: chassis with their encaps and the ports bound to them. */
export async function showSouthbound(db: DbHandle): Promise<string> {
  const t = await readTables(db, ['Chassis', 'Encap', 'Port_Binding', 'Datapath_Binding']);
  const encaps = byUuid(t.get('Encap')!);
  const out: string[] = [];
  for (const ch of [...t.get('Chassis')!].sort(byName)) {
    out.push(`Chassis ${formatAtom(ch.name)}`);
    if (ch.hostname !== '' && ch.hostname !== undefined) out.push(`    hostname: ${formatAtom(ch.hostname)}`);
    for (const e of refs(ch.encaps).map((u) => encaps.get(u)).filter((x): x is Row => x !== undefined)) {
      out.push(`    Encap ${String(e.type)}`);
      out.push(`        ip: ${JSON.stringify(String(e.ip))}`);
      if (!isEmpty(e.options)) out.push(`        options: ${formatValue(e.options)}`);
    }
    const bound = t.get('Port_Binding')!.filter((pb) => refs(pb.chassis).includes(String(ch._uuid)))
      .sort((a, b) => String(a.logical_port).localeCompare(String(b.logical_port)));
    for (const pb of bound) out.push(`    Port_Binding ${formatAtom(pb.logical_port)}`);
  }
  const datapaths = [...t.get('Datapath_Binding')!].sort((a, b) => Number(a.tunnel_key) - Number(b.tunnel_key));
  if (datapaths.length > 0) out.push('Datapaths (tunnel_key, name):');
  for (const dp of datapaths) {
    const ids = dp.external_ids instanceof Map ? dp.external_ids : new Map();
    const name = ids.get('name') ?? ids.get('name2') ?? '';
    const ports = t.get('Port_Binding')!.filter((pb) => pb.datapath === dp._uuid)
      .sort((a, b) => Number(a.tunnel_key) - Number(b.tunnel_key))
      .map((pb) => `${String(pb.tunnel_key)}=${String(pb.logical_port)}`);
    out.push(`    ${String(dp.tunnel_key)} ${String(name)}${ports.length > 0 ? `: ports ${ports.join(' ')}` : ''}`);
  }
  return out.join('\n');
}

/** Like `ovs-vsctl show`: managers, bridges with their ports and interfaces, ovs_version. */
export async function showVswitch(db: DbHandle): Promise<string> {
  const t = await readTables(db, ['Open_vSwitch', 'Bridge', 'Port', 'Interface', 'Manager', 'Controller']);
  const bridges = byUuid(t.get('Bridge')!);
  const ports = byUuid(t.get('Port')!);
  const ifaces = byUuid(t.get('Interface')!);
  const managers = byUuid(t.get('Manager')!);
  const controllers = byUuid(t.get('Controller')!);
  const out: string[] = [];
  for (const root of t.get('Open_vSwitch')!) {
    out.push(String(root._uuid));
    for (const m of refs(root.manager_options).map((u) => managers.get(u)).filter((x): x is Row => x !== undefined)) {
      out.push(`    Manager ${JSON.stringify(String(m.target))}`);
    }
    for (const br of refs(root.bridges).map((u) => bridges.get(u)).filter((x): x is Row => x !== undefined).sort(byName)) {
      out.push(`    Bridge ${formatAtom(br.name)}`);
      for (const c of refs(br.controller).map((u) => controllers.get(u)).filter((x): x is Row => x !== undefined)) {
        out.push(`        Controller ${JSON.stringify(String(c.target))}`);
      }
      out.push(...details(br, ['fail_mode', 'datapath_type'], '        '));
      for (const p of refs(br.ports).map((u) => ports.get(u)).filter((x): x is Row => x !== undefined).sort(byName)) {
        out.push(`        Port ${formatAtom(p.name)}`);
        out.push(...details(p, ['tag', 'trunks'], '            '));
        for (const i of refs(p.interfaces).map((u) => ifaces.get(u)).filter((x): x is Row => x !== undefined).sort(byName)) {
          out.push(`            Interface ${formatAtom(i.name)}`);
          out.push(...details(i, ['type', 'options', 'error'], '                '));
          const ifaceId = i.external_ids instanceof Map ? i.external_ids.get(IFACE_ID_KEY) : undefined;
          if (ifaceId !== undefined) out.push(`                iface-id: ${formatAtom(ifaceId)}`);
        }
      }
    }
    if (root.ovs_version !== undefined) out.push(`    ovs_version: ${JSON.stringify(String(root.ovs_version))}`);
  }
  return out.join('\n');
}

/** The overview of one database by name, or undefined when there is none for it. */
export function showDatabase(db: DbHandle): Promise<string> | undefined {
  switch (db.name) {
    case 'OVN_Northbound': return showNorthbound(db);
    case 'OVN_Southbound': return showSouthbound(db);
    case 'Open_vSwitch': return showVswitch(db);
    default: return undefined;
  }
}
