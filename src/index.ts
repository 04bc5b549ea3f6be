// The package entry `ovn-overlay`: the main objects of every layer (others append theirs in a block of their own).
// Low-level pieces live in subpaths: `ovn-overlay/ovsdb` (the whole protocol layer), `ovn-overlay/models`,
// `ovn-overlay/codecs`, `ovn-overlay/lab`, `ovn-overlay/k8s`. test/package/exports.test.ts holds the list.
//
// OVSDB: the client, the replica, operations, typed errors (the rest of src/ovsdb is `ovn-overlay/ovsdb`).
export { OvsdbClient } from './ovsdb/client.js';
export type { ClientOptions, ConnectOptions, ConnectionState, OvsdbClientEvents } from './ovsdb/client.js';
export type { Monitor, PendingTransaction } from './ovsdb/protocol.js';
export { OvsdbDatabase } from './ovsdb/database.js';
export type {
  OvsdbDatabaseOptions, TableOptions, MonitorTables, ChangeOf, DatabaseEvents, DatabaseStats, ConnectionState as DatabaseConnectionState,
  ReplicaTableView, DatabaseLock, IndexNames,
} from './ovsdb/database.js';
export type { StateDetail } from './ovsdb/connection-loop.js';
export type { ReplicaTransaction, RetryOptions, RetryResult, RetryableReplica } from './ovsdb/transaction-retry.js';
export { waitForReplica, ReplicaWaitTimeoutError } from './ovsdb/replica-wait.js';
export type { ReplicaWaitOptions } from './ovsdb/replica-wait.js';
export { NamedUuid } from './ovsdb/datum.js';
export type { Uuid, Row, WriteRow, TableOf, SchemaIndexOf } from './ovsdb/datum.js';
export { rowToJson } from './ovsdb/row-json.js';
export type { JsonSafe } from './ovsdb/row-json.js';
export { insert, select, update, mutate, del, wait, commit, abort, comment, assert, ops } from './ovsdb/operations.js';
export type { OperationBase, Results, Condition, ConditionFunction, Mutation, Mutator } from './ovsdb/operations.js';
export {
  OvsdbError, OvsdbProtocolError, OvsdbRemoteError, OvsdbConnectError, OvsdbTlsError, OvsdbConnectionClosedError, OvsdbOutcomeUnknownError,
  OvsdbCallTimeoutError, OvsdbRpcError, OvsdbCanceledError, OvsdbSchemaError, OvsdbUnknownDatabaseError, OvsdbValidationError, OvsdbOperationError,
  OvsdbConstraintViolationError, OvsdbReferentialIntegrityError, OvsdbTimedOutError, OvsdbNotOwnerError, OvsdbPermissionError, OvsdbAbortedError,
  OvsdbImpossibleUpdateError, OvsdbPeerNotReadingError, OvsdbUnencodableRequestError,
} from './ovsdb/errors.js';
export type { OvsdbErrorCode, OperationErrorCode, TlsProblem } from './ovsdb/errors.js';
export type { TlsOptions } from './ovsdb/remote.js';
// OVN (src/ovn): the cluster network as one controller sees it (ClusterNetwork and its kinds), names and
// external_ids keys, typed errors, and the building blocks under them.
export { ClusterNetwork } from './ovn/cluster-network.js';
export type { ClusterNetworkOptions } from './ovn/cluster-network.js';
export type { OvnKind, KindOptions, Changed, ClusterKey, NamespacedKey, NamespaceFilter } from './ovn/kind.js';
export { OvnNodes } from './ovn/nodes.js';
export type { NodeSpec, NodeInfo, OvnNodesOptions } from './ovn/nodes.js';
export { OvnPods } from './ovn/pods.js';
export type { PodSpec, PodNetwork, PodFilter, OvnPodsOptions } from './ovn/pods.js';
export { OvnServices } from './ovn/services.js';
export type { ServiceInfo, OvnServicesOptions } from './ovn/services.js';
export { validateServiceSpec, SERVICE_PROTOCOLS, DEFAULT_AFFINITY_TIMEOUT_SECONDS, MAX_AFFINITY_TIMEOUT_SECONDS } from './ovn/service-spec.js';
export type {
  ServiceSpec, ServicePortSpec, ServiceEndpointSpec, ServiceNode, ServiceHealthCheckSpec, ServiceProtocol, TrafficPolicy, ServiceIpFamily,
  IpFamilyPolicy, SessionAffinity,
} from './ovn/service-spec.js';
export { buildServiceLoadBalancers, OVN_MAX_AFFINITY_TIMEOUT_SECONDS } from './ovn/service-load-balancers.js';
export type { ServiceLoadBalancer, LoadBalancerNode, SelectionField } from './ovn/service-load-balancers.js';
export { serviceMonitorMac, setServiceMonitorMac } from './ovn/service-health-check.js';
export type { LoadBalancerHealthCheck } from './ovn/service-health-check.js';
export { serviceSpecFromKubernetes, serviceNodeFromKubernetes } from './ovn/kubernetes-service.js';
export type { KubernetesService, KubernetesEndpointSlice, KubernetesNode, KubernetesObjectMeta, ServiceMappingOptions } from './ovn/kubernetes-service.js';
export { SERVICE_HAIRPIN_MASQUERADE_IP, HOST_ETP_LOCAL_MASQUERADE_IP, MASQUERADE_SUBNETS } from './ovn/masquerade.js';
export { OvnNetworkPolicies } from './ovn/network-policy.js';
export type { NetworkPolicySpec, NetworkPolicyInfo, NetworkPolicyEnsured, PolicyRule } from './ovn/network-policy.js';
export { nodeAddressing } from './ovn/topology.js';
export type { ClusterOptions } from './ovn/topology.js';
export {
  OvnError, OvnInvalidNameError, OvnInvalidFieldError, OvnInvalidAddressError, OvnSubnetOverlapError, OvnSubnetExhaustedError, OvnNotFoundError,
  OvnNotOwnedError, OvnConflictRetriesExhaustedError, OvnSyncTimeoutError, OvnWrongDatabaseError, OvnPortBindingNotFoundError, OvnTunnelKeyRangeError,
} from './ovn/errors.js';
export type { OvnErrorCode, KubernetesNameRule } from './ovn/errors.js';
export { checkKubernetesName, kubernetesNameProblem, NAME_RULES } from './ovn/kubernetes-names.js';
export type { NamedKind } from './ovn/kubernetes-names.js';
export { ownerIds, isOwned, ownerOf } from './ovn/ownership.js';
export type { Owner } from './ovn/ownership.js';
export {
  CLUSTER_ROUTER, JOIN_SWITCH, DEFAULT_JOIN_SUBNET, CLUSTER_LB_GROUP, DEFAULT_CONTROLLER, OWNER_TYPES,
  OWNER_CONTROLLER_KEY, OWNER_TYPE_KEY, OBJECT_NAME_KEY, PRIMARY_ID_KEY, POLICY_DIRECTION_KEY, GRESS_INDEX_KEY, IP_FAMILY_KEY, TYPE_KEY,
  IP_BLOCK_INDEX_KEY, PORT_POLICY_PROTOCOL_KEY, POLICY_TYPES_KEY, LOAD_BALANCER_KIND_KEY, LOAD_BALANCER_OWNER_KEY, POD_NAMESPACE_KEY, POD_KEY,
  CLUSTER_ROUTER_KEY, POD_NETWORKS_ANNOTATION, NODE_HOST_CIDRS_ANNOTATION, IDLED_AT_ANNOTATION, SERVICE_NAME_LABEL, DEFAULT_NETWORK, IFACE_ID_KEY, IFACE_ID_VER_KEY, ATTACHED_MAC_KEY, IP_ADDRESSES_KEY, SANDBOX_KEY,
  nodeSwitchName, routerToSwitchPort, switchToRouterPort, managementPort, gatewayRouterName, routerToJoinPort, joinToRouterPort, podPortName,
  namespacedObjectName, parseNamespacedObjectName, serviceOwnerValue, hashForOvn,
} from './ovn/names.js';
export type { OwnerType } from './ovn/names.js';
export { parseAddress, tryParseAddress, parsePrefix, formatAddress, prefixContains, prefixSize, addressAt, withLength } from './ovn/ip.js';
export type { IpAddress, IpPrefix, IpFamily } from './ovn/ip.js';
export { macFromAddress, isUnicastMac } from './ovn/mac.js';
export { allocatePodAddresses, podAddressesAt, offsetsInUse, offsetOf, parseExcludeIps, gatewayAddress, managementAddress, lspAddressOf, FIRST_POD_OFFSET } from './ovn/ipam.js';
export type { NodeAddressing, PodAddresses, AddressRange, OffsetSet } from './ovn/ipam.js';
export { podNetworksAnnotation, formatPodNetworksAnnotation } from './ovn/pod-annotation.js';
export type { PodNetworksAnnotation, PodNetworkEntry, PodRoute } from './ovn/pod-annotation.js';
export { DEFAULT_DENY_PRIORITY, DEFAULT_ALLOW_PRIORITY, IPBLOCK_EXCEPT_PRIORITY, L4_PROTOCOLS, defaultDenyPortGroupName, policyPortGroupName, peerAddressSetName, portGroupMatch, arpAllowMatch, l4Match, ipBlockMatch, addressSetMatch } from './ovn/acl-match.js';
export type { PolicyDirection, PolicyPort, IpBlock, L4Protocol } from './ovn/acl-match.js';
export { loadBalancerName, serviceLoadBalancerName, vipsMap, parseVips, hostPort } from './ovn/load-balancer-vips.js';
export type { ServiceVip, ServiceEndpoint, LoadBalancerScope } from './ovn/load-balancer-vips.js';
export { tunnelMetadataFromKeys, geneveMetadata, sttContext, vxlanVni, keysFromGeneve, keysFromStt } from './ovn/tunnel-metadata.js';
export type { LogicalTunnelKeys, TunnelMetadata, GeneveMetadata } from './ovn/tunnel-metadata.js';
export type { DatabaseTarget, ReplicaOptions, ReplicaSpec } from './ovn/connect.js';
export { DesiredState, commitDesired, changedColumns, sameValue } from './ovn/desired-state.js';
export type { RowRef } from './ovn/desired-state.js';
export { openNorthbound, byName, NORTHBOUND, NORTHBOUND_TABLES } from './ovn/northbound.js';
export type { Northbound, NorthboundOptions, NamedTable } from './ovn/northbound.js';
export { openSouthbound, SouthboundReader, SOUTHBOUND } from './ovn/southbound.js';
export type { Southbound, SouthboundOptions, ChassisInfo, TunnelPath } from './ovn/southbound.js';
export { waitForPortsUp } from './ovn/wait-ports-up.js';
export type { PortsUpOptions } from './ovn/wait-ports-up.js';
export { waitForHypervisors } from './ovn/wait-hypervisors.js';
export type { HypervisorSyncOptions } from './ovn/wait-hypervisors.js';
// OVN interconnect (src/ovn/interconnect.ts): the pod API's zone interconnect as ovn-kubernetes builds it.
export { ZoneInterconnect, MAX_NODE_ID } from './ovn/interconnect.js';
export { TRANSIT_SWITCH, ROUTER_TO_TRANSIT_PREFIX, TRANSIT_TO_ROUTER_PREFIX, TRANSIT_SWITCH_TUNNEL_KEY, DEFAULT_TRANSIT_SUBNET } from './ovn/names.js';
export type { ZoneInterconnectOptions, ZoneNodeSpec, ZoneNodeInfo, RemoteNode } from './ovn/interconnect.js';
// The generated models (also `ovn-overlay/models`): the table maps flat, each database's row interfaces, schema
// metadata and names under a namespace (table names repeat across databases: `northbound.LoadBalancer`).
export type { VSwitchTables } from './models/open-vswitch.js';
export type { NorthboundTables } from './models/ovn-northbound.js';
export type { SouthboundTables } from './models/ovn-southbound.js';
export type { ServerTables } from './ovsdb/server-db.js';
export type { IcNorthboundTables } from './models/ovn-ic-northbound.js';
export type { IcSouthboundTables } from './models/ovn-ic-southbound.js';
export { vswitch, northbound, southbound, icNorthbound, icSouthbound, server, databaseSchemas } from './models/index.js';
export type { DatabaseName } from './models/index.js';
export { compareSchemas, describeSchemaSkew, SchemaSkewFilter, SchemaSkewError } from './models/schema-skew.js';
export type { SchemaSkew, SkewColumn, SkewEnumValues, SkewTypeMismatch, DroppedItem } from './models/schema-skew.js';
export { configureNode, configureNodeAt, nodeExternalIds, formatBridgeMappings, ENCAP_TYPES, ensureBridge, INTEGRATION_BRIDGE, bindPod, unbindPod, podInterfaceNames, waitForOfport, BINDING_KEYS, linuxHostVethName, InterfaceStatsMonitor, interfaceCounters, podInterfaceStats, criPodStats, selectInterfaceStats, OvsError, nodeDatabaseOf } from './ovs/index.js';
export type { NodeSettings, EncapType, ConfigureNodeOptions, ConfigureNodeResult, BridgeOptions, BridgeResult, PodBindingSpec, PodBinding, PodUnbindSpec, PodUnbinding, NodePlatform, WindowsHostOptions, InterfaceStatsRow, InterfaceCountersView, InterfaceStatsSource, CriPodIdentity, NodeDatabase, ReplicatedDatabase, OvsErrorCode } from './ovs/index.js';
export { windowsPodNames, windowsBindCommands, windowsUnbindCommands, windowsScript, HYPERV_PORT_NAME_MAX } from './ovs/windows.js';
export type { WindowsPodNames, WindowsCommand, WindowsBindOptions, WindowsUnbindOptions } from './ovs/windows.js';
export { windowsBindPlan, windowsUnbindPlan, runWindowsPlan, ovsdbExecutor, commandExecutor, WindowsPlanError, OVSDB_STEP_KINDS } from './ovs/windows-plan.js';
export type { WindowsPlan, WindowsPlanStep, WindowsPlanStepKind, WindowsStepOutcome, WindowsStepExecutor, WindowsPlanRun } from './ovs/windows-plan.js';
export {
  podNetworkStatsFromInterfaces, encodePodSandboxStats, decodePodSandboxStats, encodeListPodSandboxStatsResponse, decodeListPodSandboxStatsResponse,
  podSandboxStatsType, nowNanoseconds, CriStatsError,
} from './stats/cri.js';
export type { PodSandboxStats, PodSandboxAttributes, PodSandboxMetadata, NetworkUsage, NetworkInterfaceUsage, WindowsNetworkUsage, WindowsNetworkInterfaceUsage, PodIdentity, InterfaceCounters, PodStatsOptions, Counter, Platform } from './stats/cri.js';
// Gateways, egress and multicast (issue 14, docs/gateway.md): the OVN kinds, the node side, and their names.
export { OvnGateways, GATEWAY_ROUTER_OPTIONS } from './ovn/gateway.js';
export type { GatewaySpec, GatewayInfo } from './ovn/gateway.js';
export { gatewaySpecFromNode } from './ovn/gateway-annotation.js';
export type { GatewayClusterSettings, AnnotatedNode } from './ovn/gateway-annotation.js';
export { OvnPodSnats } from './ovn/pod-snat.js';
export type { PodSnatSpec, PodSnatInfo } from './ovn/pod-snat.js';
export { OvnEgressIPs, EGRESS_IP_REROUTE_PRIORITY, EGRESS_IP_NO_REROUTE_PRIORITY, NO_REROUTE_POD_TO_POD, NO_REROUTE_POD_TO_JOIN } from './ovn/egress-ip.js';
export type { EgressIPSpec, EgressIPInfo, EgressIPPod, OvnEgressIPsOptions } from './ovn/egress-ip.js';
export { assignEgressIPs, egressNodeOf } from './ovn/egress-ip-assignment.js';
export { OvnEgressFirewalls, egressFirewallPortsMatch, EGRESS_FIREWALL_START_PRIORITY, EGRESS_FIREWALL_MIN_PRIORITY, EGRESS_FIREWALL_MAX_RULES, EGRESS_FIREWALL_NAME } from './ovn/egress-firewall.js';
export type { EgressFirewallSpec, EgressFirewallInfo, OvnEgressFirewallsOptions, EgressDnsResolver } from './ovn/egress-firewall.js';
export { namespacePortGroupName } from './ovn/namespace-port-group.js';
export { OvnMulticast, multicastEnabled, MCAST_ALLOW_PRIORITY, MCAST_DENY_PRIORITY, CLUSTER_PORT_GROUP, CLUSTER_ROUTER_PORT_GROUP } from './ovn/multicast.js';
export type { MulticastNamespaceInfo, OvnMulticastOptions } from './ovn/multicast.js';
export type { EgressNode, EgressNodeObject } from './ovn/egress-ip-assignment.js';
export type { EgressIP, EgressIPStatusItem, EgressFirewall, EgressFirewallRule, CrdLabelSelector, CrdObjectMeta } from './ovn/egress-crds.js';
export {
  EXTERNAL_SWITCH_PREFIX, ROUTER_TO_EXTERNAL_PREFIX, EXTERNAL_TO_ROUTER_PREFIX, PHYSICAL_NETWORK, EXTERNAL_BRIDGE, MANAGEMENT_INTERFACE,
  GATEWAY_PHYSICAL_IP_KEY, BRIDGE_ID_KEY, BRIDGE_UPLINK_KEY, PRIORITY_KEY, NETWORK_KEY, RULE_INDEX_KEY,
  L3_GATEWAY_CONFIG_ANNOTATION, NODE_PRIMARY_IFADDR_ANNOTATION, EGRESS_ASSIGNABLE_LABEL, MULTICAST_ENABLED_ANNOTATION,
  externalSwitchName, routerToExternalPort, externalToRouterPort, gatewayInterfaceId,
} from './ovn/names.js';
export { ensureGatewayBridge, parseBridgeMappings } from './ovs/gateway-bridge.js';
export type { GatewayBridgeSpec, GatewayBridge, UplinkPort } from './ovs/gateway-bridge.js';
export { ensureManagementPort, removeManagementPort, managementPortHostPlan, runHostPlan, HostPlanError } from './ovs/management-port.js';
export type { ManagementPortSpec, ManagementPortResult, ManagementPortHostSpec, HostStep } from './ovs/management-port.js';
