// The package entry `ovn-overlay/ovsdb`: the whole OVSDB protocol layer, for code that works below the client and
// the replica (its own transport, raw JSON-RPC, monitors by hand, the wire formats, the reconnect pieces). The
// main objects (OvsdbClient, OvsdbDatabase, operations, errors) are at the package root too.
export { OvsdbClient } from './client.js';
export type { ClientOptions, ConnectOptions, ConnectionState, OvsdbClientEvents } from './client.js';
export { OvsdbProtocol, Monitor } from './protocol.js';
export type { ProtocolEvents, MonitorEvents, MonitorOptions, PendingTransaction } from './protocol.js';
export { decodeUpdates, decodeUpdates2, encodeMonitorRequests, encodeConditionChange } from './monitor-format.js';
export type { MonitorRequest, MonitorRequests, MonitorCondChangeRequests, RowUpdate, RowUpdate2, TableUpdates, MonitorMethod, UpdateVersion } from './monitor-format.js';
export { RpcSession, DEFAULT_MAX_WRITE_BACKLOG_BYTES } from './rpc.js';
export type { RpcSessionOptions, CallOptions, PendingCall, RpcSessionEvents } from './rpc.js';
export { openRpcChannel, channelFromStream, splitRemotes, SessionChannel } from './rpc-channel.js';
export type { RpcChannel, RpcChannelOptions } from './rpc-channel.js';
export { NamedUuid, ZERO_UUID, isUuid, encodeValue, decodeValue, decodeDiff, applyDiff } from './datum.js';
export type { Uuid, Value, Row, WriteRow, WriteValue, EncodeSite, EncodeOptions, TableOf, SchemaIndexOf, RowTable } from './datum.js';
export type { ROW_TABLE } from './datum.js';
export { rowToJson } from './row-json.js';
export type { JsonSafe } from './row-json.js';
export { insert, select, update, mutate, del, wait, commit, abort, comment, assert, ops, encodeOperations, decodeResults, decodeRow, isReadOnly } from './operations.js';
export type {
  Operation, OperationBase, Results, ResultOf, InsertResult, SelectResult, CountResult, EmptyResult, Condition, ConditionFunction, Mutation, Mutator,
  InsertOperation, SelectOperation, UpdateOperation, MutateOperation, DeleteOperation, WaitOperation, CommitOperation, AbortOperation, CommentOperation,
  AssertOperation, ElementOf, KeysOf,
} from './operations.js';
export { parseSchema, getTable, getColumn } from './schema.js';
export type {
  DatabaseSchema, TableSchema, ColumnSchema, ColumnType, BaseType, AtomicType, AtomValue, ColumnKind, DatabaseSchemaJson, TableSchemaJson,
  ColumnSchemaJson, ColumnTypeJson, BaseTypeJson, EnumJson, BaseTypeConstraints,
} from './schema.js';
export { parseRemote, parseRemotes, windowsPipeName, connectRemote, DEFAULT_OVSDB_PORT } from './remote.js';
export type { Remote, TlsOptions, ConnectRemoteOptions } from './remote.js';
export { JsonFramer, JsonSplitter, DEFAULT_MAX_MESSAGE_BYTES } from './framing.js';
export { DEFAULT_MESSAGE_LIMITS } from './message-limits.js';
export type { MessageLimits } from './message-limits.js';
export { parseJson, stringifyJson } from './json.js';
export type { Json, JsonObject } from './json.js';
export {
  OvsdbError, OvsdbProtocolError, OvsdbMessageTooLargeError, OvsdbRemoteError, OvsdbConnectError, OvsdbConnectionClosedError, OvsdbCallTimeoutError,
  OvsdbRpcError, OvsdbCanceledError, OvsdbSchemaError, OvsdbUnknownDatabaseError, OvsdbRelayNotConnectedError, OvsdbOutcomeUnknownError, OvsdbValidationError, OvsdbOperationError,
  OvsdbConstraintViolationError, OvsdbReferentialIntegrityError, OvsdbTimedOutError, OvsdbNotOwnerError, OvsdbPermissionError, OvsdbAbortedError,
  OvsdbMessageLimitError, OvsdbMessageTooDeepError, OvsdbMessageTooManyValuesError, OvsdbNumberTooLongError, OvsdbNumberOutOfRangeError,
  OvsdbInvalidUtf8Error, OvsdbTlsError, OvsdbImpossibleUpdateError, OvsdbPeerNotReadingError, OvsdbUnencodableRequestError,
} from './errors.js';
export type { OvsdbErrorCode, OperationErrorCode, OperationErrorArgs, ProtocolErrorCode, TlsProblem } from './errors.js';
export { OvsdbDatabase, ReplicaTableView, DatabaseLock } from './database.js';
export type {
  OvsdbDatabaseOptions, TableOptions, MonitorTables, ChangeOf, DatabaseEvents, DatabaseStats, ConnectionState as DatabaseConnectionState,
  IndexNames, DeclaredIndex,
} from './database.js';
export type { StateDetail } from './connection-loop.js';
export { Replica, TableState } from './replica.js';
export type { RowChange, StoredRow, IndexSpec, ReplicaTableConfig, ColumnInfo } from './replica.js';
export { ReplicaIndex } from './replica-index.js';
export type { MonitorResume } from './replica-monitor.js';
export { ReplicaTransaction, transactWithRetry } from './transaction-retry.js';
export type { RetryOptions, RetryResult, RetryableReplica } from './transaction-retry.js';
export { retryOnConflict, isConflict } from './conflict-retry.js';
export type { ConflictRetryPolicy } from './conflict-retry.js';
export { waitForReplica, ReplicaWaitTimeoutError, DEFAULT_REPLICA_WAIT_MS } from './replica-wait.js';
export type { ReplicaWaitOptions } from './replica-wait.js';
export { ClusterMemberChooser } from './cluster-member.js';
export type { MemberVerdict, MemberRole, ServerDatabaseRow } from './cluster-member.js';
export { Backoff, RemoteRotation } from './reconnect.js';
export type { BackoffOptions } from './reconnect.js';
export { InactivityProbe, probeConnection, DEFAULT_PROBE_INTERVAL_MS, defaultProbeIntervalMs } from './probe.js';
export type { ProbeTarget, ProbedConnection } from './probe.js';
export type { ServerTables } from './server-db.js';
