// The `_Server` database's schema, parsed once: every connection knows it without asking (the member watch and
// the replica monitor `_Server` before anything else).
import type { Json } from './json.js';
import { parseSchema, type DatabaseSchema } from './schema.js';
import { ServerSchema } from './server-db.js';

export const SERVER_SCHEMA: DatabaseSchema = parseSchema(ServerSchema as unknown as Json);
