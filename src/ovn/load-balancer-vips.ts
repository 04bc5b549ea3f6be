// Load_Balancer rows for Kubernetes Services, named and keyed as ovn-kubernetes does: one row per service and
// protocol and scope (`Service_<namespace>/<name>_<PROTO>_cluster`, `..._node_router_<node>`, ...), `vips` mapping
// "VIP:port" to "endpoint:port,...".
import { parseAddress } from './ip.js';
import { checkPort, type L4Protocol } from './acl-match.js';
import { OvnInvalidFieldError } from './errors.js';

/** A backend of a VIP. */
export interface ServiceEndpoint { readonly ip: string; readonly port: number }

/** One VIP of a Service: address, port, protocol and the endpoints it balances to. */
export interface ServiceVip {
  /** The cluster IP (or any VIP), IPv4 or IPv6. */
  readonly ip: string;
  readonly port: number;
  /** Default tcp. */
  readonly protocol?: L4Protocol;
  readonly endpoints: readonly ServiceEndpoint[];
}

/**
 * Where a Service load balancer applies, the last part of its name (ovn-kubernetes' scopes): `cluster` (every node,
 * through the cluster load balancer group); per node `node_router_<node>` (GR_<node>), `node_switch_<node>` (the
 * node switch), `node_router+switch_<node>` (both, when their rules are the same) and `node_local_router_<node>`
 * (GR_<node>, externalTrafficPolicy Local, skip_snat).
 */
export type LoadBalancerScope = 'cluster' | `node_router_${string}` | `node_switch_${string}` | `node_router+switch_${string}` | `node_local_router_${string}`;

/** `Service_<namespace>/<name>_<PROTO>_<scope>`, ovn-kubernetes' name of a Service's load balancer (makeLBName). */
export function serviceLoadBalancerName(namespace: string, service: string, protocol: L4Protocol, scope: LoadBalancerScope): string {
  return `Service_${namespace}/${service}_${protocol.toUpperCase()}_${scope}`;
}

/** `Service_<namespace>/<name>_<PROTO>_cluster`, ovn-kubernetes' name of a Service's cluster-wide load balancer. */
export function loadBalancerName(namespace: string, service: string, protocol: L4Protocol): string {
  return serviceLoadBalancerName(namespace, service, protocol, 'cluster');
}

/** "10.96.0.10:53", "[fd00::10]:53" (IPv6 in brackets, as OVN expects). */
export function hostPort(ip: string, port: number): string {
  checkPort(port);
  const address = parseAddress(ip);
  return address.family === 6 ? `[${address.text}]:${port}` : `${address.text}:${port}`;
}

/** The `vips` map: key "VIP:port", value the endpoints "ip:port" joined by commas (sorted, deduplicated). */
export function vipsMap(vips: readonly ServiceVip[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const vip of vips) {
    const key = hostPort(vip.ip, vip.port);
    const vipFamily = parseAddress(vip.ip).family;
    const endpoints = new Set<string>();
    for (const e of vip.endpoints) {
      if (parseAddress(e.ip).family !== vipFamily) throw new OvnInvalidFieldError(`VIP ${vip.ip}`, 'endpoints', e.ip, `endpoint ${e.ip} is not of the family of VIP ${vip.ip}`);
      endpoints.add(hostPort(e.ip, e.port));
    }
    const previous = out.get(key);
    if (previous !== undefined) for (const e of previous.split(',')) if (e) endpoints.add(e);
    out.set(key, [...endpoints].sort().join(','));
  }
  return out;
}

/** Splits "10.96.0.10:80" / "[fd00::10]:80" into address and port (undefined when it is neither). */
export function parseHostPort(text: string): ServiceEndpoint | undefined {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  return m ? { ip: m[1], port: Number(m[2]) } : undefined;
}

/** The VIPs of a `vips` map as written by vipsMap (protocol left to the row's `protocol` column). */
export function parseVips(vips: ReadonlyMap<string, string>): ServiceVip[] {
  const out: ServiceVip[] = [];
  for (const [key, value] of vips) {
    const vip = parseHostPort(key);
    if (!vip) continue;
    const endpoints = value.split(',').map(parseHostPort).filter((e): e is ServiceEndpoint => e !== undefined);
    out.push({ ip: vip.ip, port: vip.port, endpoints });
  }
  return out;
}
