// A Kubernetes Service and its EndpointSlices as a ServiceSpec, field for field, the way ovn-kubernetes' services
// controller reads them (go-controller pkg/ovn/controller/services lb_config.go getEndpointsForService,
// pkg/util/kube.go GetClusterIPs, GetExternalAndLBIPs). The inputs are plain data in the shapes of the Kubernetes
// API (core/v1 Service and Node, discovery.k8s.io/v1 EndpointSlice): @kubernetes/client-node's V1Service,
// V1EndpointSlice and V1Node objects fit them as they are, and src/ovn never imports the Kubernetes client.
//
//   const spec = serviceSpecFromKubernetes(service, slicesOfService, { nodes: nodes.map(serviceNodeFromKubernetes) });
//   await net.services.ensure(spec);   // headless and ExternalName Services compute to no load balancer: deleted
import { IDLED_AT_ANNOTATION, NODE_HOST_CIDRS_ANNOTATION } from './names.js';
import { parsePrefix, tryParseAddress } from './ip.js';
import { OvnInvalidFieldError } from './errors.js';
import {
  SERVICE_PROTOCOLS, serviceObject,
  type IpFamilyPolicy, type ServiceEndpointSpec, type ServiceHealthCheckSpec, type ServiceIpFamily, type ServiceNode,
  type ServicePortSpec, type ServiceProtocol, type ServiceSpec, type SessionAffinity, type TrafficPolicy,
} from './service-spec.js';

/** `metadata` as far as the mapping reads it. */
export interface KubernetesObjectMeta {
  readonly name?: string;
  readonly namespace?: string;
  readonly annotations?: { readonly [key: string]: string };
}

/** A core/v1 Service as far as the mapping reads it (a V1Service fits). */
export interface KubernetesService {
  readonly metadata?: KubernetesObjectMeta;
  readonly spec?: {
    readonly type?: string;
    readonly clusterIP?: string;
    readonly clusterIPs?: readonly string[];
    readonly externalIPs?: readonly string[];
    readonly ports?: readonly { readonly name?: string; readonly protocol?: string; readonly port: number; readonly nodePort?: number }[];
    readonly sessionAffinity?: string;
    readonly sessionAffinityConfig?: { readonly clientIP?: { readonly timeoutSeconds?: number } };
    readonly externalTrafficPolicy?: string;
    readonly internalTrafficPolicy?: string;
    readonly ipFamilies?: readonly string[];
    readonly ipFamilyPolicy?: string;
    readonly publishNotReadyAddresses?: boolean;
  };
  readonly status?: { readonly loadBalancer?: { readonly ingress?: readonly { readonly ip?: string }[] } };
}

/** A discovery.k8s.io/v1 EndpointSlice as far as the mapping reads it (a V1EndpointSlice fits). */
export interface KubernetesEndpointSlice {
  readonly addressType: string;
  readonly endpoints: readonly {
    readonly addresses: readonly string[];
    readonly conditions?: { readonly ready?: boolean; readonly serving?: boolean; readonly terminating?: boolean };
    readonly nodeName?: string;
    readonly targetRef?: { readonly kind?: string; readonly name?: string; readonly namespace?: string };
  }[];
  readonly ports?: readonly { readonly name?: string; readonly port?: number; readonly protocol?: string }[];
}

/** A core/v1 Node as far as the mapping reads it (a V1Node fits). */
export interface KubernetesNode {
  readonly metadata?: KubernetesObjectMeta;
  readonly status?: { readonly addresses?: readonly { readonly address: string; readonly type: string }[] };
}

/** What the Kubernetes objects do not say. */
export interface ServiceMappingOptions {
  /** The cluster's nodes (serviceNodeFromKubernetes), for NodePorts and the traffic policies Local. */
  readonly nodes?: readonly ServiceNode[];
  /** Health checks for the Service's pod endpoints (OVN's, not Kubernetes'). */
  readonly healthCheck?: ServiceHealthCheckSpec;
  /**
   * ovn-kubernetes' `--ovn-empty-lb-events`: a Service annotated `k8s.ovn.org/idled-at` raises an event for its
   * VIPs without endpoints instead of rejecting (default false, as ovn-kubernetes).
   */
  readonly emptyLbEvents?: boolean;
}

/** The types whose Services have load balancers (ExternalName has none). */
const BALANCED_TYPES = new Set(['ClusterIP', 'NodePort', 'LoadBalancer']);
const NO_CLUSTER_IP = 'None';

function slicePortKey(protocol: string, name: string): string { return `${protocol}/${name}`; }

/**
 * The ServiceSpec of a Service and its EndpointSlices (the slices labelled `kubernetes.io/service-name` with it),
 * field for field:
 * - `clusterIPs` from spec.clusterIPs (spec.clusterIP for older objects), none for headless (`None`) and
 *   ExternalName Services, which therefore get no load balancer;
 * - `externalIPs`; `loadBalancerIPs` from status.loadBalancer.ingress[].ip of type LoadBalancer (hostnames skipped);
 * - `ports` with `protocol` (default TCP), `port`, `nodePort`, and under each the endpoints of every IPv4/IPv6
 *   slice (FQDN slices skipped) whose port matches it by protocol and name (both unnamed for a Service's one
 *   unnamed port): one per address, with the slice port's number, `nodeName`, the conditions as given, and the pod
 *   of a Pod `targetRef`;
 * - `sessionAffinity` and `sessionAffinityConfig.clientIP.timeoutSeconds`, the traffic policies, `ipFamilies`,
 *   `ipFamilyPolicy`, `publishNotReadyAddresses`; `idled` from the `k8s.ovn.org/idled-at` annotation with
 *   `emptyLbEvents`; `nodes` and `healthCheck` from the options.
 * @throws OvnInvalidFieldError naming the service and the field for a missing name, an unknown type, protocol,
 *   traffic policy, affinity or family (the rest is checked by services.ensure()).
 */
export function serviceSpecFromKubernetes(service: KubernetesService, slices: readonly KubernetesEndpointSlice[], options: ServiceMappingOptions = {}): ServiceSpec {
  const namespace = service.metadata?.namespace ?? '';
  const name = service.metadata?.name ?? '';
  const object = serviceObject({ namespace, name });
  const fail = (field: string, value: unknown, reason: string): never => { throw new OvnInvalidFieldError(object, field, value, reason); };
  if (!name) fail('metadata.name', service.metadata?.name, 'a Service needs a name');
  if (!namespace) fail('metadata.namespace', service.metadata?.namespace, 'a Service needs a namespace');
  const spec = service.spec ?? {};
  const oneOf = <T extends string>(field: string, value: string | undefined, allowed: readonly T[]): T | undefined => {
    if (value === undefined) return undefined;
    return allowed.includes(value as T) ? value as T : fail(field, value, `must be one of ${allowed.join(', ')}`);
  };
  const type = spec.type ?? 'ClusterIP';
  if (!BALANCED_TYPES.has(type) && type !== 'ExternalName') fail('spec.type', type, 'must be ClusterIP, NodePort, LoadBalancer or ExternalName');
  const clusterIPs = spec.clusterIPs && spec.clusterIPs.length > 0 ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : [];
  const balanced = BALANCED_TYPES.has(type) && clusterIPs.length > 0 && !clusterIPs.includes(NO_CLUSTER_IP);

  const ports: ServicePortSpec[] = (spec.ports ?? []).map((p, i) => ({
    ...(p.name ? { name: p.name } : {}),
    protocol: oneOf(`spec.ports[${i}].protocol`, p.protocol ?? 'TCP', SERVICE_PROTOCOLS) as ServiceProtocol,
    port: p.port,
    ...(p.nodePort !== undefined && p.nodePort !== 0 ? { nodePort: p.nodePort } : {}),
    endpoints: [] as ServiceEndpointSpec[],
  }));
  const portByKey = new Map<string, ServicePortSpec & { endpoints: ServiceEndpointSpec[] }>();
  for (const p of ports) portByKey.set(slicePortKey(p.protocol ?? 'TCP', p.name ?? ''), p as ServicePortSpec & { endpoints: ServiceEndpointSpec[] });
  for (const slice of slices) {
    if (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') continue;
    for (const sp of slice.ports ?? []) {
      if (sp.port === undefined) continue;
      const protocol = sp.protocol ?? 'TCP';
      const target = portByKey.get(slicePortKey(protocol, sp.name ?? ''));
      if (!target) continue;
      for (const e of slice.endpoints) {
        const pod = e.targetRef?.kind === 'Pod' && e.targetRef.name ? { namespace: e.targetRef.namespace ?? namespace, name: e.targetRef.name } : undefined;
        for (const ip of e.addresses) {
          target.endpoints.push({
            ip, port: sp.port,
            ...(e.nodeName !== undefined ? { node: e.nodeName } : {}),
            ...(e.conditions?.ready !== undefined ? { ready: e.conditions.ready } : {}),
            ...(e.conditions?.serving !== undefined ? { serving: e.conditions.serving } : {}),
            ...(e.conditions?.terminating !== undefined ? { terminating: e.conditions.terminating } : {}),
            ...(pod ? { pod } : {}),
          });
        }
      }
    }
  }

  const affinity = oneOf<SessionAffinity>('spec.sessionAffinity', spec.sessionAffinity, ['None', 'ClientIP']);
  const timeout = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
  const idled = (options.emptyLbEvents ?? false) && service.metadata?.annotations?.[IDLED_AT_ANNOTATION] !== undefined;
  const optional = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } => (value === undefined ? {} : { [key]: value } as { [P in K]?: V });
  return {
    namespace, name,
    clusterIPs: balanced ? clusterIPs : [],
    externalIPs: balanced ? spec.externalIPs ?? [] : [],
    loadBalancerIPs: balanced && type === 'LoadBalancer'
      ? (service.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).filter((ip): ip is string => ip !== undefined && ip !== '') : [],
    ports: balanced ? ports : [],
    ...optional('ipFamilies', spec.ipFamilies?.map((f, i) => oneOf<ServiceIpFamily>(`spec.ipFamilies[${i}]`, f, ['IPv4', 'IPv6']) as ServiceIpFamily)),
    ...optional('ipFamilyPolicy', oneOf<IpFamilyPolicy>('spec.ipFamilyPolicy', spec.ipFamilyPolicy, ['SingleStack', 'PreferDualStack', 'RequireDualStack'])),
    ...optional('sessionAffinity', affinity),
    ...optional('sessionAffinityTimeoutSeconds', affinity === 'ClientIP' ? timeout : undefined),
    ...optional('externalTrafficPolicy', oneOf<TrafficPolicy>('spec.externalTrafficPolicy', spec.externalTrafficPolicy, ['Cluster', 'Local'])),
    ...optional('internalTrafficPolicy', oneOf<TrafficPolicy>('spec.internalTrafficPolicy', spec.internalTrafficPolicy, ['Cluster', 'Local'])),
    ...optional('publishNotReadyAddresses', spec.publishNotReadyAddresses),
    ...(idled ? { idled } : {}),
    ...optional('nodes', options.nodes),
    ...optional('healthCheck', options.healthCheck),
  };
}

/**
 * A node's name and host addresses (its NodePort VIPs): the `k8s.ovn.org/host-cidrs` annotation without the
 * prefix lengths, as ovn-kubernetes reads it, or, on a node without ovn-kubernetes' node agent, its InternalIP
 * addresses.
 * @throws OvnInvalidFieldError for a node without a name or with a host-cidrs annotation that is not a JSON list
 *   of CIDRs.
 */
export function serviceNodeFromKubernetes(node: KubernetesNode): ServiceNode {
  const name = node.metadata?.name ?? '';
  const object = `node ${name}`;
  if (!name) throw new OvnInvalidFieldError(object, 'metadata.name', node.metadata?.name, 'a Node needs a name');
  const annotation = node.metadata?.annotations?.[NODE_HOST_CIDRS_ANNOTATION];
  if (annotation !== undefined) {
    const field = `metadata.annotations["${NODE_HOST_CIDRS_ANNOTATION}"]`;
    let cidrs: unknown;
    try { cidrs = JSON.parse(annotation); } catch { throw new OvnInvalidFieldError(object, field, annotation, 'not JSON'); }
    if (!Array.isArray(cidrs)) throw new OvnInvalidFieldError(object, field, annotation, 'not a JSON list of CIDRs');
    const addresses = cidrs.map((c) => {
      try { return parsePrefix(String(c), true).address.text; } catch (err) { throw new OvnInvalidFieldError(object, field, c, (err as Error).message); }
    });
    return { name, addresses: [...new Set(addresses)].sort() };
  }
  const internal = (node.status?.addresses ?? []).filter((a) => a.type === 'InternalIP').map((a) => tryParseAddress(a.address)?.text)
    .filter((a): a is string => a !== undefined);
  return { name, addresses: [...new Set(internal)] };
}
