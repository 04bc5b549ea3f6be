// A core/v1 Service and its discovery.k8s.io/v1 EndpointSlices as the ServiceSpec OvnServices writes: src/ovn's
// mapping of every kind (serviceSpecFromKubernetes: cluster IPs, NodePorts, externalIPs, ingress IPs, UDP/SCTP,
// traffic policies, session affinity, IP families; endpoints as ovn-kubernetes chooses them), over the cluster's
// nodes whose switch exists (NodePorts and the traffic policies Local are load balanced per node).
import type { V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import { SERVICE_NAME_LABEL } from '../../ovn/names.js';
import { serviceNodeFromKubernetes, serviceSpecFromKubernetes } from '../../ovn/kubernetes-service.js';
import type { ServiceNode, ServiceSpec } from '../../ovn/service-spec.js';

export { SERVICE_NAME_LABEL };

/** The Service a slice belongs to (`namespace/name`), or undefined. */
export function serviceKeyOfSlice(slice: V1EndpointSlice): string | undefined {
  const name = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
  return name ? `${slice.metadata?.namespace ?? ''}/${name}` : undefined;
}

/** True for a Service that has load balancers (not ExternalName, not headless, with a cluster IP). */
export function serviceIsBalanced(service: V1Service): boolean {
  const spec = service.spec;
  if (!spec || spec.type === 'ExternalName') return false;
  const ips = spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : [];
  return ips.length > 0 && !ips.includes('None');
}

/** True for a Service whose load balancers are built per node: it must be ensured again when the nodes change. */
export function serviceUsesNodes(service: V1Service): boolean {
  const spec = service.spec;
  return (spec?.ports ?? []).some((p) => p.nodePort !== undefined && p.nodePort !== 0)
    || spec?.externalTrafficPolicy === 'Local' || spec?.internalTrafficPolicy === 'Local';
}

/**
 * The nodes load balancers can be built on: those whose switch `hasSwitch` says exists, with their host addresses
 * (a node whose addresses cannot be read is left out; the Node controller reports it).
 */
export function serviceNodes(nodes: readonly V1Node[], hasSwitch: (node: string) => boolean): ServiceNode[] {
  const out: ServiceNode[] = [];
  for (const node of nodes) {
    const name = node.metadata?.name;
    if (!name || !hasSwitch(name)) continue;
    try { out.push(serviceNodeFromKubernetes(node)); } catch { /* reported by the Node controller */ }
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The ServiceSpec of a Service and its slices over the given nodes (see the file comment). */
export function serviceSpecOf(service: V1Service, slices: readonly V1EndpointSlice[], nodes: readonly ServiceNode[]): ServiceSpec {
  return serviceSpecFromKubernetes(service, slices, { nodes });
}
