// ovn-overlay/k8s: the agent's inputs and machinery. Sources of Kubernetes objects (client-node informers, kubectl
// watch-event streams, manifests) into an ObjectCache of client-node model objects; controllers plugged in through
// ControllerRunner on a WorkQueue with ovn-kubernetes-style retries; leveled logs; Prometheus metrics.
export { KINDS, KIND_INFO, isKindName, objectKey, splitKey, describeObject } from './kinds.js';
export type { KindName, KindObjects, KubeObject, KindInfo } from './kinds.js';
export { K8sError } from './errors.js';
export type { K8sErrorCode } from './errors.js';
export { LOG_LEVELS, parseLogLevel, createLogger, formatLogLine, silentLogger } from './logger.js';
export type { Logger, LogLevel, RecordLevel, LogFields, LogValue, LoggerOptions } from './logger.js';
export { systemClock, ManualClock } from './clock.js';
export type { Clock, TimerHandle } from './clock.js';
export { AgentMetrics, RECONCILE_BUCKETS } from './metrics.js';
export { STREAM_PROBLEMS } from './events.js';
export type { ObjectEvent, ObjectEventType, InputProblem, StreamProblem, SourceItem, ObjectSink } from './events.js';
export { REJECT_REASONS, validateObject } from './validation.js';
export type { RejectReason, ValidationProblem } from './validation.js';
export { labelSelectorMatcher, labelSelectorProblem, labelKeyProblem, labelValueProblem, formatLabelSelector, SELECTOR_OPERATORS } from './label-selector.js';
export type { Labels, LabelMatcher } from './label-selector.js';
export { toModel } from './model.js';
export { ObjectStore } from './store.js';
export { ObjectCache } from './cache.js';
export type { ObjectCacheOptions, ObjectListener, ProblemListener, CacheCounts } from './cache.js';
export { startSources } from './source.js';
export type { ObjectSource } from './source.js';
export { InformerSource } from './informer-source.js';
export type { InformerSourceOptions } from './informer-source.js';
export { WatchStreamSource, watchStreamInputs, WATCH_EVENT_TYPES, INITIAL_EVENTS_END_ANNOTATION } from './watch-stream-source.js';
export type { WatchStreamInput, WatchStreamSourceOptions, WatchEventType } from './watch-stream-source.js';
export { JsonStreamReader } from './json-stream.js';
export type { JsonStreamItem, JsonStreamFault, JsonStreamOptions } from './json-stream.js';
export { ManifestSource, manifestFiles, applyManifestText, MANIFEST_EXTENSIONS } from './manifest-source.js';
export type { ManifestSourceOptions } from './manifest-source.js';
export { upsertDocument, isListDocument } from './documents.js';
export { WorkQueue, retryDelayMs, DEFAULT_RETRY_POLICY, DEFAULT_SWEEP_INTERVAL_MS } from './work-queue.js';
export type { WorkQueueOptions, RetryPolicy, QueueStats, RetryState, Reconcile } from './work-queue.js';
export { ControllerRunner } from './controller.js';
export type { Controller, ControllerRunnerOptions, KeysFor } from './controller.js';
