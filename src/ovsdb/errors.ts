// Typed errors of the OVSDB client. Every error has a stable `code`; operation errors carry the server's
// `error` string, `details` and `syntax`, the failing operation's index and the (partial) results.
import type { Json } from './json-value.js';

export type OvsdbErrorCode =
  | 'OVSDB_PROTOCOL'
  | 'OVSDB_MESSAGE_TOO_LARGE'
  | 'OVSDB_MESSAGE_TOO_DEEP'
  | 'OVSDB_MESSAGE_TOO_MANY_VALUES'
  | 'OVSDB_NUMBER_TOO_LONG'
  | 'OVSDB_NUMBER_OUT_OF_RANGE'
  | 'OVSDB_INVALID_UTF8'
  | 'OVSDB_IMPOSSIBLE_UPDATE'
  | 'OVSDB_CONNECT'
  | 'OVSDB_TLS'
  | 'OVSDB_BAD_REMOTE'
  | 'OVSDB_CONNECTION_CLOSED'
  | 'OVSDB_PEER_NOT_READING'
  | 'OVSDB_CALL_TIMEOUT'
  | 'OVSDB_UNENCODABLE_REQUEST'
  | 'OVSDB_RPC_ERROR'
  | 'OVSDB_CANCELED'
  | 'OVSDB_SCHEMA'
  | 'OVSDB_UNKNOWN_DATABASE'
  | 'OVSDB_RELAY_NOT_CONNECTED'
  | 'OVSDB_VALIDATION'
  | 'OVSDB_OPERATION'
  | 'OVSDB_CONSTRAINT_VIOLATION'
  | 'OVSDB_REFERENTIAL_INTEGRITY'
  | 'OVSDB_TIMED_OUT'
  | 'OVSDB_NOT_OWNER'
  | 'OVSDB_PERMISSION'
  | 'OVSDB_ABORTED';

export class OvsdbError extends Error {
  readonly code: OvsdbErrorCode;
  constructor(code: OvsdbErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Codes of errors that end a connection because of what the peer sent. */
export type ProtocolErrorCode = 'OVSDB_PROTOCOL' | 'OVSDB_MESSAGE_TOO_LARGE' | 'OVSDB_MESSAGE_TOO_DEEP'
  | 'OVSDB_MESSAGE_TOO_MANY_VALUES' | 'OVSDB_NUMBER_TOO_LONG' | 'OVSDB_NUMBER_OUT_OF_RANGE' | 'OVSDB_INVALID_UTF8' | 'OVSDB_IMPOSSIBLE_UPDATE';

/** The peer sent bytes that are not OVSDB JSON-RPC (garbage, bad JSON, a malformed reply). The connection ends. */
export class OvsdbProtocolError extends OvsdbError {
  declare readonly code: ProtocolErrorCode;
  constructor(message: string, options?: { cause?: unknown; code?: ProtocolErrorCode }) {
    super(options?.code ?? 'OVSDB_PROTOCOL', message, options);
  }
}

/**
 * A monitor update the replica cannot apply to what it holds or to the schema: a modify or delete of a row it
 * lacks, an insert of a uuid it has, a row key that is no UUID, a column not monitored or of the wrong type, a
 * table not in that monitor, a notification of the wrong kind for the monitor. The replica applies none of the
 * update, stops trusting its copy (no resume) and resyncs the database on a new connection.
 */
export class OvsdbImpossibleUpdateError extends OvsdbProtocolError {
  constructor(readonly table: string | undefined, readonly uuid: string | undefined, readonly reason: string, options?: { cause?: unknown }) {
    super(`impossible update${table === undefined ? '' : ` of ${table}`}${uuid === undefined ? '' : ` row ${uuid}`}: ${reason}`,
      { ...options, code: 'OVSDB_IMPOSSIBLE_UPDATE' });
  }
}

/**
 * A message went over one of the per-message bounds (see MessageLimits): refused while it streams in, before
 * the rest of it is buffered or parsed. `option` names the setting that raises the bound. The connection ends.
 */
export class OvsdbMessageLimitError extends OvsdbProtocolError {
  constructor(
    code: 'OVSDB_MESSAGE_TOO_LARGE' | 'OVSDB_MESSAGE_TOO_DEEP' | 'OVSDB_MESSAGE_TOO_MANY_VALUES' | 'OVSDB_NUMBER_TOO_LONG',
    readonly option: 'maxMessageBytes' | 'maxDepth' | 'maxValues' | 'maxNumberLength',
    readonly limit: number,
    what: string,
  ) {
    super(`OVSDB message ${what} (${option} ${limit})`, { code });
  }
}

/** A message grew beyond the configured maximum size. The connection ends. */
export class OvsdbMessageTooLargeError extends OvsdbMessageLimitError {
  constructor(limit: number) {
    super('OVSDB_MESSAGE_TOO_LARGE', 'maxMessageBytes', limit, `exceeds the maximum size of ${limit} bytes`);
  }
}

/** A message nests arrays/objects deeper than the configured maximum. The connection ends. */
export class OvsdbMessageTooDeepError extends OvsdbMessageLimitError {
  constructor(limit: number) {
    super('OVSDB_MESSAGE_TOO_DEEP', 'maxDepth', limit, `nests deeper than ${limit} levels`);
  }
}

/** A message holds more JSON values than the configured maximum. The connection ends. */
export class OvsdbMessageTooManyValuesError extends OvsdbMessageLimitError {
  constructor(limit: number) {
    super('OVSDB_MESSAGE_TOO_MANY_VALUES', 'maxValues', limit, `holds more than ${limit} values`);
  }
}

/** A number in a message is longer than the configured maximum (no OVSDB number needs more). The connection ends. */
export class OvsdbNumberTooLongError extends OvsdbMessageLimitError {
  constructor(limit: number) {
    super('OVSDB_NUMBER_TOO_LONG', 'maxNumberLength', limit, `has a number longer than ${limit} characters`);
  }
}

/** An integer outside the 64-bit range, or a real too large for a double: OVSDB cannot carry it. The connection ends. */
export class OvsdbNumberOutOfRangeError extends OvsdbProtocolError {
  constructor(readonly text: string, reason: string) {
    super(`number ${text.length > 40 ? `${text.slice(0, 40)}...` : text} from peer is out of range: ${reason}`, { code: 'OVSDB_NUMBER_OUT_OF_RANGE' });
  }
}

/** A message is not valid UTF-8 (ovsdb-server refuses such strings too). The connection ends. */
export class OvsdbInvalidUtf8Error extends OvsdbProtocolError {
  constructor(readonly offset: number) {
    super(`invalid UTF-8 from peer at byte ${offset} of a message`, { code: 'OVSDB_INVALID_UTF8' });
  }
}

/** A remote string could not be parsed (or names a passive remote / an over-long pipe name). */
export class OvsdbRemoteError extends OvsdbError {
  constructor(readonly remote: string, reason: string) {
    super('OVSDB_BAD_REMOTE', `invalid OVSDB remote "${remote}": ${reason}`);
  }
}

/** No remote of the list could be connected (refused, TLS handshake failure, timeout). */
export class OvsdbConnectError extends OvsdbError {
  declare readonly code: 'OVSDB_CONNECT' | 'OVSDB_TLS';
  constructor(readonly remote: string, message: string, options?: { cause?: unknown; code?: 'OVSDB_CONNECT' | 'OVSDB_TLS' }) {
    super(options?.code ?? 'OVSDB_CONNECT', `cannot connect to ${remote}: ${message}`, options);
  }
}

/** What was wrong with a TLS connection: the stable reason behind an OvsdbTlsError. */
export type TlsProblem =
  /** A CA, certificate or key file could not be read, or holds no PEM of that kind. */
  | 'ca-file' | 'cert-file' | 'key-file'
  /** The client key does not belong to the client certificate, or only one of the two was given. */
  | 'key-mismatch'
  /** The client certificate is expired or not valid yet. */
  | 'cert-expired'
  /** The server's certificate does not chain to our CA (or is expired, or self-signed). */
  | 'server-untrusted'
  /** The server's certificate does not name the host (see `checkServerName`). */
  | 'server-name'
  /** The server refused our client certificate, or asked for one and none was given. */
  | 'client-refused'
  /** Any other failure of the TLS handshake. */
  | 'handshake';

/** A TLS connection could not be made: a one-line reason (naming the file where one is at fault). */
export class OvsdbTlsError extends OvsdbConnectError {
  constructor(remote: string, readonly problem: TlsProblem, reason: string, readonly file?: string, options?: { cause?: unknown }) {
    super(remote, reason, { ...options, code: 'OVSDB_TLS' });
  }
}

/** The connection ended while the call was pending: its outcome is unknown. */
export class OvsdbConnectionClosedError extends OvsdbError {
  constructor(readonly method: string | undefined, reason: string, options?: { cause?: unknown }) {
    super('OVSDB_CONNECTION_CLOSED', method ? `connection closed while "${method}" was pending: ${reason}`
      : `connection closed: ${reason}`, options);
  }
}

/**
 * A transaction whose outcome cannot be known: the connection ended (or the reply did not come in time) after the
 * request was written, or the server answered "canceled" (it stops tracking a transaction when the member leaves
 * its cluster or the server exits; the transaction may still commit). The server may or may not have committed it, so it is never resent silently; the caller
 * decides (re-read the replica, or make the transaction idempotent and run it again). Only transactions that
 * write get it: a read-only one has nothing unknown and gets the plain OvsdbConnectionClosedError.
 */
export class OvsdbOutcomeUnknownError extends OvsdbConnectionClosedError {
  constructor(readonly remote: string, cause: Error) {
    // Wrapped again by a layer that knows the remote better: say the reason once.
    const reason = cause instanceof OvsdbOutcomeUnknownError && cause.cause instanceof Error ? cause.cause.message : cause.message;
    super('transact', `the outcome of the transaction sent to ${remote} is unknown (${reason})`, { cause });
  }
}

/**
 * The peer stopped reading what we send: more than `maxWriteBacklogBytes` waited to be written, or bytes waited
 * and none was taken for a whole probe interval. The connection ends (what is queued is dropped, memory stays
 * bounded); pending calls reject with OvsdbConnectionClosedError (OvsdbOutcomeUnknownError for a write) whose
 * cause is this error.
 */
export class OvsdbPeerNotReadingError extends OvsdbError {
  constructor(readonly queuedBytes: number, readonly why: 'backlog' | 'stalled', detail: string) {
    super('OVSDB_PEER_NOT_READING', `the peer does not read: ${queuedBytes} bytes waiting to be sent, ${detail}`);
  }
}

/** A request's params cannot be written as JSON (a cycle, say): nothing was sent and the session goes on. */
export class OvsdbUnencodableRequestError extends OvsdbError {
  constructor(readonly method: string, cause: unknown) {
    super('OVSDB_UNENCODABLE_REQUEST', `"${method}" was not sent: its params cannot be written as JSON (${cause instanceof Error ? cause.message : String(cause)})`, { cause });
  }
}

/** The server did not answer a call within its timeout. */
export class OvsdbCallTimeoutError extends OvsdbError {
  constructor(readonly method: string, readonly timeoutMs: number) {
    super('OVSDB_CALL_TIMEOUT', `"${method}" got no reply within ${timeoutMs} ms`);
  }
}

function describeRpcError(error: Json): { text: string; details?: string } {
  if (typeof error === 'string') return { text: error };
  if (error !== null && typeof error === 'object' && !Array.isArray(error)) {
    const text = typeof error.error === 'string' ? error.error : JSON.stringify(error);
    const details = typeof error.details === 'string' ? error.details : undefined;
    return { text, details };
  }
  return { text: String(error) };
}

/** The server answered a JSON-RPC request with an `error` member (e.g. "unknown method", "unknown database"). */
export class OvsdbRpcError extends OvsdbError {
  /** The server's error string, e.g. "unknown method". */
  readonly error: string;
  readonly details: string | undefined;
  constructor(readonly method: string, readonly raw: Json, code: 'OVSDB_RPC_ERROR' | 'OVSDB_CANCELED' = 'OVSDB_RPC_ERROR') {
    const { text, details } = describeRpcError(raw);
    super(code, `"${method}" failed: ${text}${details ? ` (${details})` : ''}`);
    this.error = text;
    this.details = details;
  }
}

/** A pending request was canceled (the server answered it with the error "canceled"). */
export class OvsdbCanceledError extends OvsdbRpcError {
  constructor(method: string, raw: Json) {
    super(method, raw, 'OVSDB_CANCELED');
  }
}

/** Every server of the remote list answered `list_dbs` without the database: none will ever serve it as configured. */
export class OvsdbUnknownDatabaseError extends OvsdbError {
  constructor(readonly database: string, readonly served: ReadonlyMap<string, readonly string[]>) {
    const what = [...served].map(([remote, names]) => `${remote} serves ${names.filter((n) => !n.startsWith('_')).join(', ') || 'no database'}`);
    super('OVSDB_UNKNOWN_DATABASE', `no server serves database ${database}: ${what.join('; ')}`);
  }
}

/**
 * Relays (`_Server` model "relay") whose row has said `connected: false` for `waitedMs`: they cannot replicate
 * from their source (pointed at a wrong remote, or the source is down). A relay never tells its clients why; its
 * own log does. `relays` are the remotes of the replica's list concerned.
 */
export class OvsdbRelayNotConnectedError extends OvsdbError {
  constructor(readonly database: string, readonly relays: readonly string[], readonly waitedMs: number) {
    super('OVSDB_RELAY_NOT_CONNECTED', `${relays.length > 1 ? `relays ${relays.join(', ')} have` : `relay ${relays[0]} has`} not been connected to `
      + `${relays.length > 1 ? 'their sources' : 'its source'} of ${database} for ${waitedMs} ms (a relay pointed at a wrong source, or its source is down; `
      + 'the relay\'s log says which)');
  }
}

/** A schema document is malformed, or names a table/column that does not exist. */
export class OvsdbSchemaError extends OvsdbError {
  constructor(message: string) {
    super('OVSDB_SCHEMA', message);
  }
}

/** A value does not fit its column's type; nothing was sent. */
export class OvsdbValidationError extends OvsdbError {
  constructor(readonly table: string, readonly column: string, readonly value: unknown, reason: string) {
    super('OVSDB_VALIDATION', `${table}.${column}: ${reason} (value: ${showValue(value)})`);
  }
}

export function showValue(value: unknown): string {
  try {
    const text = JSON.stringify(value, (_k, v: unknown) => {
      if (typeof v === 'bigint') return `${v}n`;
      if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), x]));
      if (v instanceof Set) return [...v];
      if (v === undefined) return 'undefined';
      return v;
    });
    if (text === undefined) return String(value);
    return text.length > 200 ? `${text.slice(0, 200)}...` : text;
  } catch {
    return String(value);
  }
}

export type OperationErrorCode = 'OVSDB_OPERATION' | 'OVSDB_CONSTRAINT_VIOLATION' | 'OVSDB_REFERENTIAL_INTEGRITY'
  | 'OVSDB_TIMED_OUT' | 'OVSDB_NOT_OWNER' | 'OVSDB_PERMISSION' | 'OVSDB_ABORTED';

/**
 * A transaction failed: the first failing operation (`index` < number of operations) or the commit itself
 * (`index` === number of operations, `op` undefined) reported `error`.
 */
export class OvsdbOperationError extends OvsdbError {
  declare readonly code: OperationErrorCode;
  constructor(
    /** The server's error string, e.g. "constraint violation". */
    readonly error: string,
    readonly details: string | undefined,
    readonly syntax: string | undefined,
    /** Index of the failing operation; equals the number of operations for a commit failure. */
    readonly index: number,
    /** The failing operation's name ("insert", ...), undefined for a commit failure. */
    readonly op: string | undefined,
    /** The raw results array as the server sent it. */
    readonly results: readonly Json[],
    code: OperationErrorCode = 'OVSDB_OPERATION',
  ) {
    const where = op === undefined ? 'commit' : `operation ${index} (${op})`;
    super(code, `transaction failed at ${where}: ${error}${details ? `: ${details}` : ''}${syntax ? ` [syntax: ${syntax}]` : ''}`);
  }
}

/** The constructor arguments every OvsdbOperationError subclass takes (error, details, syntax, index, op, results). */
export type OperationErrorArgs = [string, string | undefined, string | undefined, number, string | undefined, readonly Json[]];

export class OvsdbConstraintViolationError extends OvsdbOperationError {
  constructor(...a: OperationErrorArgs) { super(...a, 'OVSDB_CONSTRAINT_VIOLATION'); }
}
export class OvsdbReferentialIntegrityError extends OvsdbOperationError {
  constructor(...a: OperationErrorArgs) { super(...a, 'OVSDB_REFERENTIAL_INTEGRITY'); }
}
export class OvsdbTimedOutError extends OvsdbOperationError {
  constructor(...a: OperationErrorArgs) { super(...a, 'OVSDB_TIMED_OUT'); }
}
export class OvsdbNotOwnerError extends OvsdbOperationError {
  constructor(...a: OperationErrorArgs) { super(...a, 'OVSDB_NOT_OWNER'); }
}
export class OvsdbPermissionError extends OvsdbOperationError {
  constructor(...a: OperationErrorArgs) { super(...a, 'OVSDB_PERMISSION'); }
}
export class OvsdbAbortedError extends OvsdbOperationError {
  constructor(...a: OperationErrorArgs) { super(...a, 'OVSDB_ABORTED'); }
}

/** Builds the typed error for a failed operation from the server's error string. */
export function operationError(...a: OperationErrorArgs): OvsdbOperationError {
  switch (a[0]) {
    case 'constraint violation': return new OvsdbConstraintViolationError(...a);
    case 'referential integrity violation': return new OvsdbReferentialIntegrityError(...a);
    case 'timed out': return new OvsdbTimedOutError(...a);
    case 'not owner': return new OvsdbNotOwnerError(...a);
    case 'permission error': return new OvsdbPermissionError(...a);
    case 'aborted': return new OvsdbAbortedError(...a);
    default: return new OvsdbOperationError(...a);
  }
}
