// The names ovn-kubernetes gives to the logical entities of a cluster (go-controller/pkg/types/const.go), so that
// an operator who knows ovn-kubernetes recognises what `ovn-nbctl show` lists.

/** The distributed router every node switch hangs off. */
export const CLUSTER_ROUTER = 'ovn_cluster_router';
/** The switch joining the cluster router to every node's gateway router. */
export const JOIN_SWITCH = 'join';
/** The join subnet ovn-kubernetes uses by default. */
export const DEFAULT_JOIN_SUBNET = '100.64.0.0/16';

export const GATEWAY_ROUTER_PREFIX = 'GR_';
export const ROUTER_TO_SWITCH_PREFIX = 'rtos-';
export const SWITCH_TO_ROUTER_PREFIX = 'stor-';
export const MANAGEMENT_PORT_PREFIX = 'k8s-';
export const ROUTER_TO_JOIN_PREFIX = 'rtoj-';
export const JOIN_TO_ROUTER_PREFIX = 'jtor-';

/** Key under which every row this library writes records who owns it (external_ids). */
export const OWNER_KEY = 'k8s.ovn.org/owner-controller';
/** The owner value of rows written by this library. */
export const OWNER = 'ovn-overlay';
/** external_ids key naming the node a row belongs to. */
export const NODE_KEY = 'k8s.ovn.org/node';

/** The logical switch of a node is named after the node. */
export function nodeSwitchName(node: string): string { return node; }
/** Cluster-router port facing the node switch. */
export function routerToSwitchPort(node: string): string { return ROUTER_TO_SWITCH_PREFIX + node; }
/** Node-switch port (type router) facing the cluster router. */
export function switchToRouterPort(node: string): string { return SWITCH_TO_ROUTER_PREFIX + node; }
/** The node's management port (ovn-k8s-mp0 on the host). */
export function managementPort(node: string): string { return MANAGEMENT_PORT_PREFIX + node; }
/** The node's gateway router. */
export function gatewayRouterName(node: string): string { return GATEWAY_ROUTER_PREFIX + node; }
/** A router's port on the join switch (`rtoj-GR_<node>`, `rtoj-ovn_cluster_router`). */
export function routerToJoinPort(router: string): string { return ROUTER_TO_JOIN_PREFIX + router; }
/** The join switch's port facing a router (`jtor-GR_<node>`, `jtor-ovn_cluster_router`). */
export function joinToRouterPort(router: string): string { return JOIN_TO_ROUTER_PREFIX + router; }
/** The logical switch port of a pod, as ovn-kubernetes names it. */
export function podPortName(namespace: string, pod: string): string { return `${namespace}_${pod}`; }

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
