// A node's gateway as ovn-kubernetes' node side publishes it: the `k8s.ovn.org/l3-gateway-config` annotation
// (go-controller pkg/util/node_annotations.go, l3GatewayConfigJSON), read into the GatewaySpec that
// OvnGateways.ensure takes. The annotation holds one entry per network; the cluster's default network is "default":
//
//   {"default": {"mode": "shared", "interface-id": "br-ex_node1", "mac-address": "02:42:ac:12:00:02",
//                "ip-addresses": ["172.18.0.2/16"], "next-hops": ["172.18.0.1"], "node-port-enable": "true",
//                "vlan-id": "0"}}
//
// The single-value fields of old annotations ("ip-address", "next-hop") are read when the lists are absent.
import { OvnInvalidFieldError } from './errors.js';
import type { GatewaySpec } from './gateway.js';
import { DEFAULT_NETWORK, L3_GATEWAY_CONFIG_ANNOTATION } from './names.js';

/** The cluster-wide settings a gateway needs besides the node's annotation. */
export interface GatewayClusterSettings {
  readonly clusterSubnets: readonly string[];
  readonly disableSnatMultipleGws?: boolean;
  readonly physicalNetwork?: string;
}

/** What the reader needs of a Kubernetes Node (a V1Node fits). */
export interface AnnotatedNode {
  readonly metadata?: { readonly name?: string; readonly annotations?: Readonly<Record<string, string>> };
}

interface L3GatewayConfigJson {
  mode?: unknown; 'interface-id'?: unknown; 'mac-address'?: unknown; 'ip-addresses'?: unknown; 'ip-address'?: unknown;
  'next-hops'?: unknown; 'next-hop'?: unknown; 'vlan-id'?: unknown;
}

const strings = (v: unknown): string[] | undefined => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? v as string[] : undefined);

/**
 * The node's gateway spec from its `k8s.ovn.org/l3-gateway-config`, or undefined when the node has no gateway
 * (no annotation, or mode `disabled`).
 * @throws OvnInvalidFieldError naming the node and the annotation's field: not JSON, no "default" entry, mode
 *   `local` (egress through the host is not built here), a missing or mistyped field.
 */
export function gatewaySpecFromNode(node: AnnotatedNode, cluster: GatewayClusterSettings): GatewaySpec | undefined {
  const name = node.metadata?.name ?? '';
  const text = node.metadata?.annotations?.[L3_GATEWAY_CONFIG_ANNOTATION];
  if (text === undefined) return undefined;
  const object = `node ${name}`;
  const field = (f: string): string => `metadata.annotations[${L3_GATEWAY_CONFIG_ANNOTATION}].${DEFAULT_NETWORK}.${f}`;
  let parsed: unknown;
  try { parsed = JSON.parse(text); } catch (err) {
    throw new OvnInvalidFieldError(object, `metadata.annotations[${L3_GATEWAY_CONFIG_ANNOTATION}]`, text, `not JSON: ${(err as Error).message}`);
  }
  const config = (parsed as Record<string, L3GatewayConfigJson> | null)?.[DEFAULT_NETWORK];
  if (config === undefined || config === null || typeof config !== 'object') {
    throw new OvnInvalidFieldError(object, `metadata.annotations[${L3_GATEWAY_CONFIG_ANNOTATION}]`, text, `no "${DEFAULT_NETWORK}" network entry`);
  }
  if (config.mode === 'disabled') return undefined;
  if (config.mode !== 'shared') {
    throw new OvnInvalidFieldError(object, field('mode'), config.mode,
      config.mode === 'local' ? 'local gateway mode (egress through the host\'s management port) is not built here; use shared' : 'must be shared (or disabled)');
  }
  const interfaceId = config['interface-id'];
  if (typeof interfaceId !== 'string') throw new OvnInvalidFieldError(object, field('interface-id'), interfaceId, 'missing');
  const macAddress = config['mac-address'];
  if (typeof macAddress !== 'string') throw new OvnInvalidFieldError(object, field('mac-address'), macAddress, 'missing');
  const ipAddresses = strings(config['ip-addresses']) ?? (typeof config['ip-address'] === 'string' ? [config['ip-address']] : undefined);
  if (!ipAddresses) throw new OvnInvalidFieldError(object, field('ip-addresses'), config['ip-addresses'], 'missing, or not a list of strings');
  const nextHops = strings(config['next-hops']) ?? (typeof config['next-hop'] === 'string' ? [config['next-hop']] : []);
  let vlanId: number | undefined;
  if (config['vlan-id'] !== undefined) {
    vlanId = Number(config['vlan-id']);
    if (typeof config['vlan-id'] !== 'string' || !/^\d+$/.test(config['vlan-id'])) throw new OvnInvalidFieldError(object, field('vlan-id'), config['vlan-id'], 'a decimal string');
  }
  return {
    name, interfaceId, macAddress, ipAddresses, nextHops, clusterSubnets: cluster.clusterSubnets,
    ...(vlanId !== undefined ? { vlanId } : {}),
    ...(cluster.disableSnatMultipleGws !== undefined ? { disableSnatMultipleGws: cluster.disableSnatMultipleGws } : {}),
    ...(cluster.physicalNetwork !== undefined ? { physicalNetwork: cluster.physicalNetwork } : {}),
  };
}
