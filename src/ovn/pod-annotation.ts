// The `k8s.ovn.org/pod-networks` annotation ovn-kubernetes writes on a pod (util/pod_annotation.go): a map from
// network name ("default") to the pod's addresses/prefixes, MAC, gateways and extra routes. The single-stack
// fields `ip_address` / `gateway_ip` are only present when the pod has exactly one address.
import { DEFAULT_NETWORK } from './names.js';

/** An extra route of a pod (annotation `routes`). */
export interface PodRoute { readonly dest: string; readonly nextHop: string }

/** One network's entry of the annotation, field names as ovn-kubernetes marshals them. */
export interface PodNetworkEntry {
  /** "10.244.1.5/24", "fd00:10:244:1::5/64" */
  ip_addresses: string[];
  mac_address: string;
  gateway_ips?: string[];
  routes?: PodRoute[];
  ip_address?: string;
  gateway_ip?: string;
  role: 'primary';
}

/** The annotation's value, decoded: network name -> pod network. */
export type PodNetworksAnnotation = Record<string, PodNetworkEntry>;

/** What podNetworksAnnotation builds the annotation from. */
export interface PodNetworkInput {
  /** Address/prefix-length strings in family order. */
  readonly ipAddresses: readonly string[];
  readonly mac: string;
  readonly gateways: readonly string[];
  readonly routes?: readonly PodRoute[];
}

/** Builds the annotation object for the default network. */
export function podNetworksAnnotation(input: PodNetworkInput): PodNetworksAnnotation {
  // Field order as ovn-kubernetes marshals it.
  const network = { ip_addresses: [...input.ipAddresses], mac_address: input.mac } as PodNetworkEntry;
  if (input.gateways.length > 0) network.gateway_ips = [...input.gateways];
  if (input.routes && input.routes.length > 0) network.routes = input.routes.map((r) => ({ dest: r.dest, nextHop: r.nextHop }));
  if (input.ipAddresses.length === 1) {
    network.ip_address = input.ipAddresses[0];
    if (input.gateways.length === 1) network.gateway_ip = input.gateways[0];
  }
  network.role = 'primary';
  return { [DEFAULT_NETWORK]: network };
}

/** The annotation as the string stored in `metadata.annotations["k8s.ovn.org/pod-networks"]`. */
export function formatPodNetworksAnnotation(annotation: PodNetworksAnnotation): string {
  return JSON.stringify(annotation);
}
