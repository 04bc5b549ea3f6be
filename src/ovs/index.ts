// The node side in the Open_vSwitch database: OVN settings and br-int, pod interface binding (Linux veth,
// Windows HNS/Hyper-V naming), per-pod interface statistics, and degradation on older schemas.
export { configureNode, configureNodeAt, nodeExternalIds, formatBridgeMappings, ENCAP_TYPES } from './node-config.js';
export type { NodeSettings, EncapType, ConfigureNodeOptions, ConfigureNodeResult } from './node-config.js';
export { ensureBridge, planBridge, bridgeSelect, validateBridgeName, validateDatapathType, INTEGRATION_BRIDGE } from './bridge.js';
export type { BridgeOptions, BridgeResult, BridgePlan } from './bridge.js';
export { bindPod, unbindPod, podInterfaceNames, waitForOfport, BINDING_KEYS } from './pod-binding.js';
export type { PodBindingSpec, PodBinding, PodUnbindSpec, PodUnbinding, NodePlatform, WindowsHostOptions } from './pod-binding.js';
export { linuxHostVethName, validateLinuxInterfaceName, validateSandboxId, LINUX_IFNAME_MAX } from './linux.js';
export {
  InterfaceStatsMonitor, interfaceCounters, podInterfaceRows, podInterfaceStats, criPodStats, selectInterfaceStats, STATS_COLUMNS,
} from './interface-stats.js';
export type { InterfaceStatsRow, InterfaceCountersView, InterfaceStatsSource, CriPodIdentity } from './interface-stats.js';
export { nodeDatabaseOf, vswitchSkew, guarded, MAX_ATTEMPTS } from './node-db.js';
export type { NodeDatabase, ReplicatedDatabase } from './node-db.js';
export { OvsError } from './errors.js';
export type { OvsErrorCode } from './errors.js';
export * from './windows.js';
export * from './windows-plan.js';
