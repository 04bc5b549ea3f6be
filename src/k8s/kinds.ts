// The Kubernetes kinds the agent reads, with the model types of @kubernetes/client-node (not copies of them), where
// each lives in the API (group, version, resource path) and how a cached object is keyed.
import type { V1EndpointSlice, V1Namespace, V1NetworkPolicy, V1Node, V1Pod, V1Service } from '@kubernetes/client-node';

/** Kinds in the order a starting state is best applied (namespaces and nodes before what lives in them). */
export const KINDS = ['Namespace', 'Node', 'Pod', 'Service', 'EndpointSlice', 'NetworkPolicy'] as const;
export type KindName = (typeof KINDS)[number];

/** The client-node model type of each kind. */
export interface KindObjects {
  Namespace: V1Namespace;
  Node: V1Node;
  Pod: V1Pod;
  Service: V1Service;
  EndpointSlice: V1EndpointSlice;
  NetworkPolicy: V1NetworkPolicy;
}
export type KubeObject<K extends KindName = KindName> = KindObjects[K];

export interface KindInfo {
  readonly kind: KindName;
  /** "v1", "discovery.k8s.io/v1", "networking.k8s.io/v1". */
  readonly apiVersion: string;
  /** Plural resource name in URLs and kubectl ("pods", "endpointslices"). */
  readonly resource: string;
  readonly namespaced: boolean;
  /** Collection path across all namespaces ("/api/v1/pods"). */
  readonly path: string;
  /** The model's name in client-node's ObjectSerializer ("V1Pod"). */
  readonly modelType: string;
}

function info(kind: KindName, apiVersion: string, resource: string, namespaced: boolean, modelType: string): KindInfo {
  const path = apiVersion === 'v1' ? `/api/v1/${resource}` : `/apis/${apiVersion}/${resource}`;
  return { kind, apiVersion, resource, namespaced, path, modelType };
}

export const KIND_INFO: { readonly [K in KindName]: KindInfo } = {
  Namespace: info('Namespace', 'v1', 'namespaces', false, 'V1Namespace'),
  Node: info('Node', 'v1', 'nodes', false, 'V1Node'),
  Pod: info('Pod', 'v1', 'pods', true, 'V1Pod'),
  Service: info('Service', 'v1', 'services', true, 'V1Service'),
  EndpointSlice: info('EndpointSlice', 'discovery.k8s.io/v1', 'endpointslices', true, 'V1EndpointSlice'),
  NetworkPolicy: info('NetworkPolicy', 'networking.k8s.io/v1', 'networkpolicies', true, 'V1NetworkPolicy'),
};

export function isKindName(kind: unknown): kind is KindName {
  return typeof kind === 'string' && (KINDS as readonly string[]).includes(kind);
}

/** The cache key, as client-go's MetaNamespaceKeyFunc makes it: "namespace/name", or "name" for cluster objects. */
export function objectKey(kind: KindName, namespace: string | undefined, name: string): string {
  return KIND_INFO[kind].namespaced ? `${namespace ?? ''}/${name}` : name;
}

/** Splits a key made by objectKey. */
export function splitKey(key: string): { namespace?: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** "Pod frontend/web-1", "Node node-a": how logs and rejections name an object. */
export function describeObject(kind: string, key: string | undefined): string {
  return key ? `${kind} ${key}` : kind;
}
