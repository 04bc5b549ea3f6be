// A core/v1 Service and its discovery.k8s.io/v1 EndpointSlices as the ServiceSpec OvnServices writes, for ClusterIP
// load balancing (the stand-in until the Service engineer's mapping of every Service kind -- NodePort, externalIPs,
// ingress IPs, traffic policies, affinity -- lands in src/ovn; the controller calls this one function):
//  - one VIP per cluster IP (spec.clusterIPs, else spec.clusterIP) and Service port, with the port's protocol
//    (TCP by default); headless (`None`) and ExternalName Services have none, so their load balancers go;
//  - a VIP's endpoints are the addresses of the slices of the VIP's family (FQDN slices skipped), at the slice port
//    matched to the Service port by name and protocol (the slice port's number is the resolved targetPort: a named
//    targetPort can be a different number in each slice);
//  - which endpoints count, as ovn-kubernetes chooses them (EndpointSlice conditions, KEP-1669): the ready ones
//    (`ready` unset counts as ready); when a port has none, the ones that are serving and terminating; every one
//    with spec.publishNotReadyAddresses.
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import type { L4Protocol } from '../../ovn/acl-match.js';
import { tryParseAddress } from '../../ovn/ip.js';
import type { ServiceEndpoint, ServiceVip } from '../../ovn/load-balancer-vips.js';
import type { ServiceSpec } from '../../ovn/services.js';

/** The EndpointSlice label naming its Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** The Service a slice belongs to (`namespace/name`), or undefined. */
export function serviceKeyOfSlice(slice: V1EndpointSlice): string | undefined {
  const name = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
  return name ? `${slice.metadata?.namespace ?? ''}/${name}` : undefined;
}

/** True for a Service that has cluster load balancers (not ExternalName, not headless, with a cluster IP). */
export function serviceIsBalanced(service: V1Service): boolean {
  const spec = service.spec;
  if (!spec || spec.type === 'ExternalName') return false;
  const ips = spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : [];
  return ips.length > 0 && !ips.includes('None');
}

type Endpoint = V1EndpointSlice['endpoints'][number];
const ready = (e: Endpoint): boolean => e.conditions?.ready ?? true;
const serving = (e: Endpoint): boolean => e.conditions?.serving ?? ready(e);
const terminating = (e: Endpoint): boolean => e.conditions?.terminating ?? false;

/** The ServiceSpec of a Service and its slices (see the file comment). */
export function clusterIpServiceSpec(service: V1Service, slices: readonly V1EndpointSlice[]): ServiceSpec & { readonly vips: readonly ServiceVip[] } {
  const namespace = service.metadata?.namespace ?? '';
  const name = service.metadata?.name ?? '';
  if (!serviceIsBalanced(service)) return { namespace, name, vips: [] };
  const spec = service.spec!;
  const clusterIPs = spec.clusterIPs?.length ? spec.clusterIPs : [spec.clusterIP!];
  const everyEndpoint = spec.publishNotReadyAddresses === true;
  const vips: ServiceVip[] = [];
  for (const port of spec.ports ?? []) {
    const protocol = port.protocol ?? 'TCP';
    for (const ip of clusterIPs) {
      const family = tryParseAddress(ip)?.family;
      const candidates: { endpoint: Endpoint; port: number }[] = [];
      for (const slice of slices) {
        if (slice.addressType !== `IPv${family}`) continue;
        const slicePort = (slice.ports ?? []).find((p) => (p.protocol ?? 'TCP') === protocol && (p.name ?? '') === (port.name ?? ''));
        if (slicePort?.port === undefined) continue;
        for (const endpoint of slice.endpoints ?? []) candidates.push({ endpoint, port: slicePort.port });
      }
      const readyOnes = candidates.filter((c) => everyEndpoint || ready(c.endpoint));
      const chosen = readyOnes.length > 0 ? readyOnes : candidates.filter((c) => serving(c.endpoint) && terminating(c.endpoint));
      const endpoints: ServiceEndpoint[] = chosen.flatMap((c) => c.endpoint.addresses.map((address) => ({ ip: address, port: c.port })));
      vips.push({ ip, port: port.port, protocol: protocol.toLowerCase() as L4Protocol, endpoints });
    }
  }
  return { namespace, name, vips };
}
