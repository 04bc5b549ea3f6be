// Load_Balancer rows for Kubernetes Services, named and keyed as ovn-kubernetes does: one row per service and
// protocol (`Service_<namespace>/<name>_<PROTO>_cluster`), `vips` mapping "VIP:port" to "endpoint:port,...".
import { parseAddress } from './ip.js';
import type { L4Protocol } from './acl-match.js';

export interface ServiceEndpoint { readonly ip: string; readonly port: number }

export interface ServiceVip {
  /** The cluster IP (or any VIP), IPv4 or IPv6. */
  readonly ip: string;
  readonly port: number;
  readonly endpoints: readonly ServiceEndpoint[];
}

export function loadBalancerName(namespace: string, service: string, protocol: L4Protocol): string {
  return `Service_${namespace}/${service}_${protocol.toUpperCase()}_cluster`;
}

function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`port ${port} is outside 1..65535`);
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
      if (parseAddress(e.ip).family !== vipFamily) throw new RangeError(`endpoint ${e.ip} is not of the family of VIP ${vip.ip}`);
      endpoints.add(hostPort(e.ip, e.port));
    }
    const previous = out.get(key);
    if (previous !== undefined) for (const e of previous.split(',')) if (e) endpoints.add(e);
    out.set(key, [...endpoints].sort().join(','));
  }
  return out;
}
