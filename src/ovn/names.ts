// The one home of the names and `external_ids` keys this project writes and reads: the names ovn-kubernetes gives
// to the logical entities of a cluster (go-controller/pkg/types/const.go), so that an operator who knows
// ovn-kubernetes recognises what `ovn-nbctl show` lists; the ownership keys of its DbObjectIDs
// (go-controller/pkg/libovsdb/ops/db_object_ids.go, db_object_types.go); and the keys ovn-controller reads from
// the node's Open_vSwitch database. No other file spells one of these keys (test/ovn/names.test.ts checks).

/** The distributed router every node switch hangs off. */
export const CLUSTER_ROUTER = 'ovn_cluster_router';
/** The switch joining the cluster router to every node's gateway router. */
export const JOIN_SWITCH = 'join';
/** The join subnet ovn-kubernetes uses by default. */
export const DEFAULT_JOIN_SUBNET = '100.64.0.0/16';
/** ovn-kubernetes' default IPv6 join subnet (`--gateway-v6-join-subnet`). */
export const DEFAULT_JOIN_SUBNET_V6 = 'fd98::/64';
/** The load balancer group every node switch and gateway router uses (ovn-kubernetes' clusterLBGroup). */
export const CLUSTER_LB_GROUP = 'clusterLBGroup';

/** Prefix of a node's gateway router (`GR_<node>`). */
export const GATEWAY_ROUTER_PREFIX = 'GR_';
/** Prefix of the cluster-router port facing a node switch (`rtos-<node>`). */
export const ROUTER_TO_SWITCH_PREFIX = 'rtos-';
/** Prefix of the node-switch port facing the cluster router (`stor-<node>`). */
export const SWITCH_TO_ROUTER_PREFIX = 'stor-';
/** Prefix of a node's management port (`k8s-<node>`). */
export const MANAGEMENT_PORT_PREFIX = 'k8s-';
/** Prefix of a router's port on the join switch (`rtoj-<router>`). */
export const ROUTER_TO_JOIN_PREFIX = 'rtoj-';
/** Prefix of the join switch's port facing a router (`jtor-<router>`). */
export const JOIN_TO_ROUTER_PREFIX = 'jtor-';
/** Prefix of a node's external switch (`ext_<node>`, ovn-kubernetes' ExternalSwitchPrefix). */
export const EXTERNAL_SWITCH_PREFIX = 'ext_';
/** Prefix of the gateway router's port on the external switch (`rtoe-GR_<node>`, GWRouterToExtSwitchPrefix). */
export const ROUTER_TO_EXTERNAL_PREFIX = 'rtoe-';
/** Prefix of the external switch's port facing the gateway router (`etor-GR_<node>`, EXTSwitchToGWRouterPrefix). */
export const EXTERNAL_TO_ROUTER_PREFIX = 'etor-';
/** The physical network the external switches' localnet ports name (ovn-kubernetes' PhysicalNetworkName). */
export const PHYSICAL_NETWORK = 'physnet';
/** The node's external bridge holding its physical port (the bridge configure-ovs.sh / ovnkube-node set up). */
export const EXTERNAL_BRIDGE = 'br-ex';
/** The management port's interface on the node (ovn-kubernetes' K8sMgmtIntfName). */
export const MANAGEMENT_INTERFACE = 'ovn-k8s-mp0';

// ---- Interconnect (ovn-kubernetes' zone interconnect: go-controller/pkg/types/const.go, zone_ic_handler.go) -----

/** The switch every zone's cluster router meets the others' on (ovn-kubernetes' TransitSwitch). */
export const TRANSIT_SWITCH = 'transit_switch';
/** Prefix of the cluster-router port on the transit switch (`rtots-<node>`). */
export const ROUTER_TO_TRANSIT_PREFIX = 'rtots-';
/** Prefix of the transit switch's port of a node (`tstor-<node>`: type router for a local node, remote otherwise). */
export const TRANSIT_TO_ROUTER_PREFIX = 'tstor-';
/** BaseTransitSwitchTunnelKey: the transit switch's datapath key in every zone is this plus the network id (0: default). */
export const TRANSIT_SWITCH_TUNNEL_KEY = 16_711_683;
/** The transit switch subnet ovn-kubernetes uses by default; a node's transit address is it plus the node id. */
export const DEFAULT_TRANSIT_SUBNET = '100.88.0.0/16';

// ---- Ownership: ovn-kubernetes' DbObjectIDs keys ----------------------------------------------------------------

/** external_ids key: the controller that manages the row (ovn-kubernetes' OwnerControllerKey). */
export const OWNER_CONTROLLER_KEY = 'k8s.ovn.org/owner-controller';
/** external_ids key: the kind of object that owns the row (OwnerTypeKey), one of OWNER_TYPES. */
export const OWNER_TYPE_KEY = 'k8s.ovn.org/owner-type';
/** external_ids key: the owning object's name, `<namespace>:<name>` for namespaced objects (ObjectNameKey). */
export const OBJECT_NAME_KEY = 'k8s.ovn.org/name';
/** external_ids key: the row's unique id `<controller>:<owner type>:<ids...>` (PrimaryIDKey), where ovn-kubernetes writes one. */
export const PRIMARY_ID_KEY = 'k8s.ovn.org/id';
/** The controller name this library writes unless told another (ClusterNetwork's `controller` option). */
export const DEFAULT_CONTROLLER = 'ovn-overlay';

/**
 * The owner types this library writes: ovn-kubernetes' values where it has one (NetworkPolicy, NetpolNamespace,
 * Cluster), the Kubernetes kind otherwise. #14 adds EgressIP, EgressFirewall, MulticastNS... here.
 */
export const OWNER_TYPES = [
  'Cluster', 'Node', 'Pod', 'Service', 'NetworkPolicy', 'NetpolNamespace',
  // Issue 14: a node's gateway (ours: ovn-kubernetes marks none of those rows), EgressIP, EgressFirewall (and its DNS
  // address sets), per-namespace and cluster multicast, the namespace's port group and address set (ovn-kubernetes'
  // EgressIPOwnerType, EgressFirewallOwnerType, EgressFirewallDNSOwnerType, MulticastNamespaceOwnerType,
  // MulticastClusterOwnerType, NamespaceOwnerType).
  'Gateway', 'EgressIP', 'EgressFirewall', 'EgressFirewallDNS', 'MulticastNS', 'MulticastCluster', 'Namespace',
] as const;
/** The value of `k8s.ovn.org/owner-type`. */
export type OwnerType = (typeof OWNER_TYPES)[number];

/** DbObjectIDs extra key: `Ingress` / `Egress` (PolicyDirectionKey). */
export const POLICY_DIRECTION_KEY = 'direction';
/** DbObjectIDs extra key: index of the ingress/egress rule in the policy (GressIdxKey). */
export const GRESS_INDEX_KEY = 'gress-index';
/** DbObjectIDs extra key: `ipv4` / `ipv6` (IPFamilyKey). */
export const IP_FAMILY_KEY = 'ip-family';
/** DbObjectIDs extra key: what a shared ACL is for, `defaultDeny` / `arpAllow` (TypeKey). */
export const TYPE_KEY = 'type';
/** DbObjectIDs extra key: index of the ipBlock of a rule an ACL matches, -1 for the pod peers (IpBlockIndexKey). */
export const IP_BLOCK_INDEX_KEY = 'ip-block-index';
/** DbObjectIDs extra key: the protocol(s) of the rule's ports an ACL matches, `None` for all (PortPolicyProtocolKey). */
export const PORT_POLICY_PROTOCOL_KEY = 'port-policy-protocol';
/** DbObjectIDs extra key: the priority of a Logical_Router_Policy (PriorityKey). */
export const PRIORITY_KEY = 'priority';
/** DbObjectIDs extra key: the network of an EgressIP row, `default` (NetworkKey). */
export const NETWORK_KEY = 'network';
/** DbObjectIDs extra key: index of the EgressFirewall rule an ACL is for (RuleIndex). */
export const RULE_INDEX_KEY = 'rule-index';
/** Ours (no ovn-kubernetes equivalent): on a policy's port group, the policy types it has, `ingress,egress`. */
export const POLICY_TYPES_KEY = 'k8s.ovn.org/policy-types';

/** Load balancers of Services: `Service` (ovn-kubernetes' LoadBalancerKindExternalID). */
export const LOAD_BALANCER_KIND_KEY = 'k8s.ovn.org/kind';
/** Load balancers of Services: `<namespace>/<name>` of the Service (LoadBalancerOwnerExternalID). */
export const LOAD_BALANCER_OWNER_KEY = 'k8s.ovn.org/owner';

/** Pod logical switch ports: the pod's namespace (as ovn-kubernetes writes it). */
export const POD_NAMESPACE_KEY = 'namespace';
/** Pod logical switch ports: `true` (as ovn-kubernetes writes it). */
export const POD_KEY = 'pod';
/** The cluster router's marker (`k8s-cluster-router=yes`, as ovn-kubernetes writes it). */
export const CLUSTER_ROUTER_KEY = 'k8s-cluster-router';
/** Transit switch ports and the routes to a remote node's subnets: the node they are for (ovn-kubernetes' `node`). */
export const NODE_KEY = 'node';

// Options and other_config keys OVN itself reads (ovn-nb(5), ovn-sb(5)).
/** Logical_Switch_Port options: the chassis that may bind the port (a pod's node; a remote port's node). */
export const REQUESTED_CHASSIS_KEY = 'requested-chassis';
/** Logical_Switch_Port and Logical_Switch other_config/options: the tunnel key to use (the same in every zone). */
export const REQUESTED_TNL_KEY_KEY = 'requested-tnl-key';
/** Logical_Switch other_config: the transit switch's name, marking it an interconnect switch. */
export const INTERCONN_TS_KEY = 'interconn-ts';
/** Southbound Chassis other_config: `true` on a chassis of another zone. */
export const IS_REMOTE_KEY = 'is-remote';
/** The gateway router's port on the external switch: `yes` (as ovn-kubernetes writes it). */
export const GATEWAY_PHYSICAL_IP_KEY = 'gateway-physical-ip';

/** The pod annotation ovn-kubernetes writes with the pod's addresses (util/pod_annotation.go). */
export const POD_NETWORKS_ANNOTATION = 'k8s.ovn.org/pod-networks';
/** The node annotation ovn-kubernetes' node agent writes with the node's host addresses (CIDRs): the NodePort VIPs. */
export const NODE_HOST_CIDRS_ANNOTATION = 'k8s.ovn.org/host-cidrs';
/** The Service annotation of an idled Service (ovn-kubernetes' unidling: empty VIPs raise an event, not a reject). */
export const IDLED_AT_ANNOTATION = 'k8s.ovn.org/idled-at';
/** The EndpointSlice label naming the Service it belongs to (discovery.k8s.io/v1). */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** The node annotation with its gateway (`{"default": {"mode", "interface-id", "mac-address", "ip-addresses", "next-hops", ...}}`). */
export const L3_GATEWAY_CONFIG_ANNOTATION = 'k8s.ovn.org/l3-gateway-config';
/** The node annotation with its primary interface's addresses, `{"ipv4":"172.18.0.2/16","ipv6":...}`: the networks it can host egress IPs in. */
export const NODE_PRIMARY_IFADDR_ANNOTATION = 'k8s.ovn.org/node-primary-ifaddr';
/** The node label that makes it a candidate to host egress IPs (any value). */
export const EGRESS_ASSIGNABLE_LABEL = 'k8s.ovn.org/egress-assignable';
/** The namespace annotation that allows multicast in it (`"true"`). */
export const MULTICAST_ENABLED_ANNOTATION = 'k8s.ovn.org/multicast-enabled';
/** The cluster's default network's name in ovn-kubernetes' per-network annotations (pod-networks, l3-gateway-config). */
export const DEFAULT_NETWORK = 'default';

// Node annotations ovn-kubernetes' cluster manager and node agent write, read by the agent's Node controller.
/** The node's pod subnets per network: `{"default":["10.244.1.0/24"]}` (older: `{"default":"10.244.1.0/24"}`). */
export const NODE_SUBNETS_ANNOTATION = 'k8s.ovn.org/node-subnets';
/** The node's chassis (Open_vSwitch `external_ids:system-id`): its gateway router is bound there. */
export const NODE_CHASSIS_ID_ANNOTATION = 'k8s.ovn.org/node-chassis-id';
/** The MAC of the node's management port (ovn-k8s-mp0). */
export const NODE_MGMT_PORT_MAC_ANNOTATION = 'k8s.ovn.org/node-mgmt-port-mac-address';

/** Southbound Datapath_Binding external_ids key ovn-northd writes with the logical datapath's name. */
export const DATAPATH_NAME_KEY = 'name';

// ---- The node's Open_vSwitch database ---------------------------------------------------------------------------

// Interface external_ids of a pod binding (ovn-kubernetes' CNI, helper_linux.go ConfigureOVS).
/** The logical switch port the Interface is (`<namespace>_<pod>`): ovn-controller binds that port here. */
export const IFACE_ID_KEY = 'iface-id';
/** The pod UID on the Interface; also the logical switch port's `options` key of the same name. */
export const IFACE_ID_VER_KEY = 'iface-id-ver';
/** The pod's MAC on its Interface. */
export const ATTACHED_MAC_KEY = 'attached_mac';
/** The pod's addresses with prefix length, comma-separated, on its Interface. */
export const IP_ADDRESSES_KEY = 'ip_addresses';
/** The CRI pod sandbox id on the pod's Interface. */
export const SANDBOX_KEY = 'sandbox';

// Open_vSwitch external_ids ovn-controller reads (ovn-controller(8)).
/** The chassis name. */
export const SYSTEM_ID_KEY = 'system-id';
/** Chassis.hostname. */
export const HOSTNAME_KEY = 'hostname';
/** The Southbound database remote(s). */
export const OVN_REMOTE_KEY = 'ovn-remote';
/** geneve | stt | vxlan, comma-separated. */
export const OVN_ENCAP_TYPE_KEY = 'ovn-encap-type';
/** The node's tunnel endpoint address(es). */
export const OVN_ENCAP_IP_KEY = 'ovn-encap-ip';
/** `physnet:bridge` pairs, comma-separated. */
export const OVN_BRIDGE_MAPPINGS_KEY = 'ovn-bridge-mappings';
/** UDP checksums on Geneve/VXLAN: `true` | `false`. */
export const OVN_ENCAP_CSUM_KEY = 'ovn-encap-csum';
/** datapath_type of the bridges ovn-controller creates. */
export const OVN_BRIDGE_DATAPATH_TYPE_KEY = 'ovn-bridge-datapath-type';
/** The integration bridge, when it is not br-int. */
export const OVN_BRIDGE_KEY = 'ovn-bridge';
// Bridge external_ids ovn-kubernetes writes on the external bridge (util.BridgeToNic).
/** The bridge's own name. */
export const BRIDGE_ID_KEY = 'bridge-id';
/** The physical port the bridge was made for. */
export const BRIDGE_UPLINK_KEY = 'bridge-uplink';

// ---- Names of rows ----------------------------------------------------------------------------------------------

/** The logical switch of a node is named after the node. */
export function nodeSwitchName(node: string): string { return node; }
/** Cluster-router port facing the node switch. */
export function routerToSwitchPort(node: string): string { return ROUTER_TO_SWITCH_PREFIX + node; }
/** Node-switch port (type router) facing the cluster router. */
export function switchToRouterPort(node: string): string { return SWITCH_TO_ROUTER_PREFIX + node; }
/** The node's management port (ovn-k8s-mp0 on the host). */
export function managementPort(node: string): string { return MANAGEMENT_PORT_PREFIX + node; }
/** The cluster-router port on the transit switch (interconnect, local node). */
export function routerToTransitPort(node: string): string { return ROUTER_TO_TRANSIT_PREFIX + node; }
/** The transit switch's port of a node (interconnect: type router for a local node, remote for another zone's). */
export function transitToRouterPort(node: string): string { return TRANSIT_TO_ROUTER_PREFIX + node; }
/** The node's gateway router. */
export function gatewayRouterName(node: string): string { return GATEWAY_ROUTER_PREFIX + node; }
/** The node's external switch (`ext_<node>`). */
export function externalSwitchName(node: string): string { return EXTERNAL_SWITCH_PREFIX + node; }
/** The gateway router's port on the external switch (`rtoe-GR_<node>`). */
export function routerToExternalPort(node: string): string { return ROUTER_TO_EXTERNAL_PREFIX + gatewayRouterName(node); }
/** The external switch's router port (`etor-GR_<node>`). */
export function externalToRouterPort(node: string): string { return EXTERNAL_TO_ROUTER_PREFIX + gatewayRouterName(node); }
/**
 * The localnet port of a node's external switch, `<bridge>_<node>` (`br-ex_node1`): ovn-kubernetes' node side
 * names it so and publishes it as `interface-id` in `k8s.ovn.org/l3-gateway-config`.
 */
export function gatewayInterfaceId(bridge: string, node: string): string { return `${bridge}_${node}`; }
/** A router's port on the join switch (`rtoj-GR_<node>`, `rtoj-ovn_cluster_router`). */
export function routerToJoinPort(router: string): string { return ROUTER_TO_JOIN_PREFIX + router; }
/** The join switch's port facing a router (`jtor-GR_<node>`, `jtor-ovn_cluster_router`). */
export function joinToRouterPort(router: string): string { return JOIN_TO_ROUTER_PREFIX + router; }
/**
 * The logical switch port of a pod, as ovn-kubernetes names it: `<namespace>_<pod>`; also the OVS Interface's
 * `external_ids:iface-id`. Unambiguous because Kubernetes names cannot contain `_`.
 */
export function podPortName(namespace: string, pod: string): string { return `${namespace}_${pod}`; }
/** `k8s.ovn.org/name` of a namespaced object: `<namespace>:<name>` (ovn-kubernetes' BuildNamespaceNameKey). */
export function namespacedObjectName(namespace: string, name: string): string { return `${namespace}:${name}`; }
/** The namespace and name back from a `k8s.ovn.org/name` of a namespaced object. */
export function parseNamespacedObjectName(objectName: string): { namespace: string; name: string } {
  const colon = objectName.indexOf(':');
  return { namespace: objectName.slice(0, colon), name: objectName.slice(colon + 1) };
}
/** The `k8s.ovn.org/owner` value of a Service's load balancers: `<namespace>/<name>`. */
export function serviceOwnerValue(namespace: string, name: string): string { return `${namespace}/${name}`; }

const FNV64_OFFSET = 0xcbf29ce484222325n;
const FNV64_PRIME = 0x100000001b3n;
const MASK64 = (1n << 64n) - 1n;

/**
 * ovn-kubernetes' HashForOVN: "a" + the decimal FNV-1a 64-bit hash of the UTF-8 bytes, which turns any
 * Kubernetes name into a valid Port_Group / Address_Set name (these must be identifiers in ACL matches).
 */
export function hashForOvn(text: string): string {
  let hash = FNV64_OFFSET;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * FNV64_PRIME) & MASK64;
  }
  return `a${hash.toString(10)}`;
}
