// Rows for logs. A row as read (from the replica, a select or a monitor) holds bigint, Map and arrays, so
// `JSON.stringify(row)` throws ("Do not know how to serialize a BigInt") and would print maps as `{}`.
// `JSON.stringify(rowToJson(row))` works, and so do structured loggers that serialize what they are given.

/** A value JSON.stringify takes as it is. */
export type JsonSafe = null | boolean | number | string | JsonSafe[] | { [key: string]: JsonSafe };

/**
 * A row (or any value the client or the replica hands out: a column value, a change event, an array of rows) as
 * plain data that JSON.stringify takes: a bigint becomes a number when it is a safe integer and its exact decimal
 * string beyond, a Map an object (keys as strings), a Set an array; a NamedUuid its ["named-uuid", name] form;
 * undefined members (absent optional columns) are left out, and undefined elsewhere becomes null.
 */
export function rowToJson(value: unknown): JsonSafe {
  return toJson(value, new Set());
}

function toJson(value: unknown, seen: Set<object>): JsonSafe {
  switch (typeof value) {
    case 'bigint': return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
    case 'number': return Number.isFinite(value) ? value : String(value);
    case 'string': case 'boolean': return value;
    case 'undefined': case 'function': case 'symbol': return null;
    default:
  }
  if (value === null) return null;
  const object = value as object;
  if (seen.has(object)) return '[circular]';
  seen.add(object);
  try {
    if (Array.isArray(object) || object instanceof Set) return [...(object as Iterable<unknown>)].map((v) => toJson(v, seen));
    if (object instanceof Map) {
      const out: { [key: string]: JsonSafe } = {};
      for (const [k, v] of object) out[typeof k === 'string' ? k : JSON.stringify(toJson(k, seen))] = toJson(v, seen);
      return out;
    }
    const json = (object as { toJSON?: () => unknown }).toJSON;
    if (typeof json === 'function') return toJson(json.call(object), seen);
    const out: { [key: string]: JsonSafe } = {};
    for (const [k, v] of Object.entries(object)) if (v !== undefined) out[k] = toJson(v, seen);
    return out;
  } finally {
    seen.delete(object);
  }
}
