// update2 `modify` as the real ovsdb-server sends it, applied with datum.applyDiff, must give what
// `ovsdb-client dump` reads back. ovsdb-server(7): "For columns with single value, the difference is the value of
// the new column" (lib/ovsdb-data.c ovsdb_datum_diff clones `new` unless n_max > 1; python/ovs/db/data.py
// Datum.diff returns the new datum for n_max == 1): an optional column (min 0, max 1) changed a -> b carries "b",
// changed to empty carries ["set", []] -- never the elements to toggle.
import test from 'ava';
import { startLab, type Lab } from '../../src/lab/index.js';
import { runCommand } from '../../src/lab/process.js';
import { OvsdbClient, applyDiff, decodeValue, type Json, type Row, type RowUpdate2, type TableUpdates, type Value } from '../../src/ovsdb/index.js';
import type { ColumnType, DatabaseSchema } from '../../src/ovsdb/schema.js';

const NB = 'OVN_Northbound';
const COLUMNS: Record<string, string[]> = {
  Logical_Router_Port: ['name', 'peer', 'networks', 'mac'],
  Logical_Switch_Port: ['name', 'dynamic_addresses', 'tag_request', 'addresses', 'external_ids'],
};
let lab: Lab;

test.before(async () => {
  lab = await startLab({ northd: false });
});
test.after.always(async () => {
  await lab?.stop();
});

/** The tables as `ovsdb-client dump` reads them, decoded with the schema: uuid -> column -> value. */
async function dump(schema: DatabaseSchema): Promise<Map<string, Map<string, Row>>> {
  const out = new Map<string, Map<string, Row>>();
  for (const table of Object.keys(COLUMNS)) {
    const text = await runCommand('ovsdb-client', ['-f', 'json', 'dump', lab.nb.servers[0].unix, NB, table, '_uuid', ...COLUMNS[table]]);
    const parsed = JSON.parse(text) as { headings: string[]; data: Json[][] } | { headings: string[]; data: Json[][] }[];
    const t = Array.isArray(parsed) ? parsed[0] : parsed;
    const rows = new Map<string, Row>();
    const ts = schema.tables.get(table)!;
    for (const data of t.data) {
      const row: Row = {};
      t.headings.forEach((h, i) => { if (h !== '_uuid') row[h] = decodeValue(ts.columns.get(h)!.type, data[i]); });
      rows.set((data[t.headings.indexOf('_uuid')] as [string, string])[1], row);
    }
    out.set(table, rows);
  }
  return out;
}

/** The value of a column an update2 row omits (empty set/map, no value, or the scalar's default). */
function emptyValue(type: ColumnType): Value {
  if (type.kind === 'map') return new Map();
  if (type.kind === 'scalar') return type.key.type === 'string' ? '' : undefined;
  return decodeValue(type, ['set', []]);
}

function normalize(v: unknown): unknown {
  if (Array.isArray(v)) return [...v].sort();
  if (v instanceof Map) return [...v].sort(([a], [b]) => (String(a) < String(b) ? -1 : 1));
  return v;
}

test('optional, set and map columns changed by ovsdb-client: update2 diffs applied with applyDiff equal the dump', async (t) => {
  const client = await OvsdbClient.connect(lab.nb.unix);
  t.teardown(() => client.close());
  const schema = await client.getSchema(NB);
  const nbctl = (...args: string[]) => lab.nbctl(...args);
  await nbctl('lr-add', 'r0', '--', 'lrp-add', 'r0', 'lrp-a', '0a:00:00:00:00:01', '10.0.0.1/24', 'peer=peer-x');
  await nbctl('ls-add', 's0', '--', 'lsp-add', 's0', 'lsp-a', '--', 'set', 'Logical_Switch_Port', 'lsp-a', 'dynamic_addresses="0a:00:00:00:00:0a 10.0.0.10"', 'tag_request=1');

  const raw: { table: string; column: string; json: Json }[] = [];
  client.on('notification', (method: string, params: Json) => {
    if (method !== 'update2' || !Array.isArray(params)) return;
    for (const [table, rows] of Object.entries(params[1] as Record<string, Record<string, { modify?: Record<string, Json> }>>)) {
      for (const u of Object.values(rows)) for (const [column, json] of Object.entries(u.modify ?? {})) raw.push({ table, column, json });
    }
  });
  const requests: Record<string, { columns: string[] }> = {};
  for (const [table, columns] of Object.entries(COLUMNS)) requests[table] = { columns };
  const m = await client.monitorCond(NB, requests);
  const view = new Map<string, Map<string, Row>>();
  const apply = (updates: TableUpdates<RowUpdate2>): void => {
    for (const [table, rows] of updates) {
      const ts = schema.tables.get(table)!;
      let v = view.get(table);
      if (!v) view.set(table, v = new Map());
      for (const [uuid, u] of rows) {
        if (u.type === 'delete') { v.delete(uuid); continue; }
        if (u.type !== 'modify') {
          const row: Row = {};
          for (const c of COLUMNS[table]) row[c] = c in u.row ? u.row[c] : emptyValue(ts.columns.get(c)!.type);
          v.set(uuid, row);
          continue;
        }
        const old = v.get(uuid)!;
        const row: Row = { ...old };
        for (const [c, diff] of Object.entries(u.diff)) row[c] = applyDiff(ts.columns.get(c)!.type, old[c] as Value, diff as Value);
        v.set(uuid, row);
      }
    }
  };
  apply(m.initial);
  let applied = 0;
  const errors: string[] = [];
  m.on('update', (updates) => {
    try { apply(updates); } catch (err) { errors.push((err as Error).message); }
    applied++;
  });

  const steps: [string, string[]][] = [
    ['peer a -> b', ['set', 'Logical_Router_Port', 'lrp-a', 'peer=peer-y']],
    ['peer b -> empty', ['clear', 'Logical_Router_Port', 'lrp-a', 'peer']],
    ['peer empty -> c', ['set', 'Logical_Router_Port', 'lrp-a', 'peer=peer-z']],
    ['dynamic_addresses a -> b', ['set', 'Logical_Switch_Port', 'lsp-a', 'dynamic_addresses="0a:00:00:00:00:0b 10.0.0.11"']],
    ['dynamic_addresses b -> empty', ['clear', 'Logical_Switch_Port', 'lsp-a', 'dynamic_addresses']],
    ['tag_request 1 -> 2 (optional integer)', ['set', 'Logical_Switch_Port', 'lsp-a', 'tag_request=2']],
    ['addresses (set) toggled', ['set', 'Logical_Switch_Port', 'lsp-a', 'addresses="0a:00:00:00:00:0c 10.0.0.12","0a:00:00:00:00:0d 10.0.0.13"']],
    ['networks (set) one replaced', ['set', 'Logical_Router_Port', 'lrp-a', 'networks="10.0.0.1/24","10.1.0.1/24"']],
    ['external_ids (map) changed, added, removed', ['set', 'Logical_Switch_Port', 'lsp-a', 'external_ids:k=v', 'external_ids:j=w']],
    ['external_ids (map) one removed, one changed', ['--', 'remove', 'Logical_Switch_Port', 'lsp-a', 'external_ids', 'j', '--', 'set', 'Logical_Switch_Port', 'lsp-a', 'external_ids:k=v2']],
  ];
  for (const [what, args] of steps) {
    const before = applied;
    await nbctl(...args);
    const deadline = Date.now() + 5000;
    while (applied === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    const expected = await dump(schema);
    for (const [table, rows] of expected) {
      for (const [uuid, row] of rows) {
        for (const c of COLUMNS[table]) t.deepEqual(normalize(view.get(table)?.get(uuid)?.[c]), normalize(row[c]), `${what}: ${table}.${c} ${errors.join('; ')}`);
      }
    }
  }
  // What the server put on the wire for the single-valued column: the new value, not elements to toggle.
  const peers = raw.filter((r) => r.table === 'Logical_Router_Port' && r.column === 'peer').map((r) => r.json);
  t.deepEqual(peers, ['peer-y', ['set', []], 'peer-z']);
});
