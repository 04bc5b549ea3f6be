// The package entry `ovn-overlay`: a plain list of re-exports (others append theirs).
export { OvsdbClient, Monitor, ZERO_UUID, decodeUpdates, decodeUpdates2 } from './ovsdb/client.js';
export type { ConnectOptions, ConnectionState, MonitorRequest, MonitorRequests, MonitorCondChangeRequests, RowUpdate, RowUpdate2, TableUpdates, MonitorMethod, MonitorEvents, OvsdbClientEvents, PendingTransaction } from './ovsdb/client.js';
export { RpcSession } from './ovsdb/rpc.js';
export type { RpcSessionOptions, CallOptions, PendingCall, RpcSessionEvents } from './ovsdb/rpc.js';
export { NamedUuid, isUuid, encodeValue, decodeValue, decodeDiff, applyDiff } from './ovsdb/datum.js';
export type { Uuid, Value, Row, WriteRow, WriteValue } from './ovsdb/datum.js';
export { insert, select, update, mutate, del, wait, commit, abort, comment, assert, ops, encodeOperations, decodeResults, decodeRow } from './ovsdb/operations.js';
export type { Operation, OperationBase, Results, ResultOf, InsertResult, SelectResult, CountResult, EmptyResult, Condition, ConditionFunction, Mutation, Mutator, InsertOperation, SelectOperation, UpdateOperation, MutateOperation, DeleteOperation, WaitOperation, CommitOperation, AbortOperation, CommentOperation, AssertOperation } from './ovsdb/operations.js';
export { parseSchema, getTable, getColumn } from './ovsdb/schema.js';
export type { DatabaseSchema, TableSchema, ColumnSchema, ColumnType, BaseType, AtomicType, AtomValue, ColumnKind } from './ovsdb/schema.js';
export { parseRemote, parseRemotes, windowsPipeName, connectRemote, DEFAULT_OVSDB_PORT } from './ovsdb/remote.js';
export type { Remote, TlsOptions, ConnectRemoteOptions } from './ovsdb/remote.js';
export { JsonFramer, JsonSplitter, DEFAULT_MAX_MESSAGE_BYTES } from './ovsdb/framing.js';
export { parseJson, stringifyJson } from './ovsdb/json.js';
export type { Json, JsonObject } from './ovsdb/json.js';
export { OvsdbError, OvsdbProtocolError, OvsdbMessageTooLargeError, OvsdbRemoteError, OvsdbConnectError, OvsdbConnectionClosedError, OvsdbCallTimeoutError, OvsdbRpcError, OvsdbCanceledError, OvsdbSchemaError, OvsdbValidationError, OvsdbOperationError, OvsdbConstraintViolationError, OvsdbReferentialIntegrityError, OvsdbTimedOutError, OvsdbNotOwnerError, OvsdbPermissionError, OvsdbAbortedError } from './ovsdb/errors.js';
export type { OvsdbErrorCode, OperationErrorCode } from './ovsdb/errors.js';
