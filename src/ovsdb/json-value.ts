// The JSON value type on its own: errors carry raw server JSON, and the parser (json.ts) throws those errors.

/** A JSON value as OVSDB puts it on the wire; integers beyond 2^53 are bigints (json.ts). */
export type Json = null | boolean | number | bigint | string | Json[] | JsonObject;
export interface JsonObject { [key: string]: Json }
