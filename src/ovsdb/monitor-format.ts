// The wire format of monitors (RFC 7047 section 4.1.5 and OVS's monitor_cond / monitor_cond_since): the
// <monitor-requests> a client sends, validated against the schema, and the <table-updates> (`update`, `monitor`)
// and <table-updates2> (`update2`, `update3`, monitor_cond replies) it gets back, decoded into typed rows.
import { decodeDiff, type Row, type Uuid } from './datum.js';
import { OvsdbProtocolError, OvsdbSchemaError } from './errors.js';
import type { Json, JsonObject } from './json.js';
import { decodeRow, encodeConditions, type Condition } from './operations.js';
import { getColumn, getTable, type DatabaseSchema } from './schema.js';

/** The three monitor methods, newest first: a client falls back along this list on "unknown method". */
export type MonitorMethod = 'monitor' | 'monitor_cond' | 'monitor_cond_since';

/** What to monitor in one table. `where` needs monitor_cond / monitor_cond_since. */
export interface MonitorRequest<T = Row> {
  columns?: readonly (keyof T & string)[];
  where?: readonly Condition<T>[];
  select?: { initial?: boolean; insert?: boolean; delete?: boolean; modify?: boolean };
}
export type MonitorRequests = Readonly<Record<string, MonitorRequest | readonly MonitorRequest[]>>;
/** New conditions for monitor_cond_change (columns cannot change yet in ovsdb-server). */
export type MonitorCondChangeRequests = Readonly<Record<string, { where: readonly Condition[] } | readonly { where: readonly Condition[] }[]>>;

/** `monitor` (RFC 7047) row update: the old and/or new row (only the monitored, changed columns in `old`). */
export interface RowUpdate { old?: Row; new?: Row }
/** `update2`/`update3` row update. `modify.diff`: see decodeDiff (apply with applyDiff). */
export type RowUpdate2 =
  | { readonly type: 'initial'; readonly row: Row }
  | { readonly type: 'insert'; readonly row: Row }
  | { readonly type: 'delete' }
  | { readonly type: 'modify'; readonly diff: Row };
/** table name -> row UUID -> update. */
export type TableUpdates<U> = Map<string, Map<Uuid, U>>;

/** The format of a table-updates object: 1 = `update` / `monitor`, 2 = `update2`, `update3` and monitor_cond replies. */
export type UpdateVersion = 1 | 2;

function isObj(v: Json | undefined): v is JsonObject {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v);
}

/** Encodes <monitor-requests>, checking every table and column; `where` only when `conditional`. */
export function encodeMonitorRequests(schema: DatabaseSchema, requests: MonitorRequests, conditional: boolean): JsonObject {
  const out: JsonObject = {};
  for (const [tableName, req] of Object.entries(requests)) {
    const table = getTable(schema, tableName);
    const list = (Array.isArray(req) ? req : [req]) as MonitorRequest[];
    out[tableName] = list.map((r) => {
      const o: JsonObject = {};
      if (r.columns) { for (const c of r.columns) getColumn(table, c); o.columns = [...r.columns]; }
      if (r.where) {
        if (!conditional) throw new OvsdbSchemaError(`monitor of ${tableName}: "where" needs monitor_cond or monitor_cond_since`);
        o.where = encodeConditions(schema, tableName, r.where as readonly Condition[]);
      }
      if (r.select) {
        const sel: JsonObject = {};
        for (const k of ['initial', 'insert', 'delete', 'modify'] as const) if (r.select[k] !== undefined) sel[k] = r.select[k];
        o.select = sel;
      }
      return o;
    });
  }
  return out;
}

/** Encodes the <monitor-cond-update-requests> of monitor_cond_change. */
export function encodeConditionChange(schema: DatabaseSchema, requests: MonitorCondChangeRequests): JsonObject {
  const out: JsonObject = {};
  for (const [table, req] of Object.entries(requests)) {
    const list = (Array.isArray(req) ? req : [req]) as { where: readonly Condition[] }[];
    out[table] = list.map((r) => ({ where: encodeConditions(schema, table, r.where) }));
  }
  return out;
}

/** Decodes RFC 7047 <table-updates> (old/new rows). */
export function decodeUpdates(schema: DatabaseSchema, json: Json): TableUpdates<RowUpdate> {
  if (!isObj(json)) throw new OvsdbProtocolError('monitor: expected <table-updates>');
  const out: TableUpdates<RowUpdate> = new Map();
  for (const tableName in json) {
    const table = getTable(schema, tableName);
    const rows = json[tableName];
    if (!isObj(rows)) throw new OvsdbProtocolError(`monitor: bad <table-update> for ${tableName}`);
    const m = new Map<Uuid, RowUpdate>();
    for (const uuid in rows) {
      const u = rows[uuid];
      if (!isObj(u)) throw new OvsdbProtocolError(`monitor: bad <row-update> for ${tableName} ${uuid}`);
      const ru: RowUpdate = {};
      if (u.old !== undefined) ru.old = decodeRow(table, u.old);
      if (u.new !== undefined) ru.new = decodeRow(table, u.new);
      m.set(uuid, ru);
    }
    out.set(tableName, m);
  }
  return out;
}

/** Decodes <table-updates2> (update2/update3 and monitor_cond replies). */
export function decodeUpdates2(schema: DatabaseSchema, json: Json): TableUpdates<RowUpdate2> {
  if (!isObj(json)) throw new OvsdbProtocolError('monitor_cond: expected <table-updates2>');
  const out: TableUpdates<RowUpdate2> = new Map();
  for (const tableName in json) {
    const table = getTable(schema, tableName);
    const rows = json[tableName];
    if (!isObj(rows)) throw new OvsdbProtocolError(`monitor_cond: bad <table-update2> for ${tableName}`);
    const m = new Map<Uuid, RowUpdate2>();
    for (const uuid in rows) {
      const u = rows[uuid];
      if (!isObj(u)) throw new OvsdbProtocolError(`monitor_cond: bad <row-update2> for ${tableName} ${uuid}`);
      if (u.initial !== undefined) m.set(uuid, { type: 'initial', row: decodeRow(table, u.initial) });
      else if (u.insert !== undefined) m.set(uuid, { type: 'insert', row: decodeRow(table, u.insert) });
      else if (u.delete !== undefined) m.set(uuid, { type: 'delete' });
      else if (u.modify !== undefined) {
        const diffJson = u.modify;
        if (!isObj(diffJson)) throw new OvsdbProtocolError(`monitor_cond: bad modify for ${tableName} ${uuid}`);
        const diff: Row = {};
        for (const c in diffJson) diff[c] = decodeDiff(getColumn(table, c).type, diffJson[c], `${tableName}.${c}`);
        m.set(uuid, { type: 'modify', diff });
      } else throw new OvsdbProtocolError(`monitor_cond: empty <row-update2> for ${tableName} ${uuid}`);
    }
    out.set(tableName, m);
  }
  return out;
}
