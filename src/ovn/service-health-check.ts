// OVN load-balancer health checks for a Service's pod endpoints (ovn-nb(5) "Health Checks"): a
// Load_Balancer_Health_Check row per VIP (`vip` "VIP:port" exactly as the `vips` key, the probe options) and, per
// backend address, `ip_port_mappings` "<logical port>:<source address>" (IPv6 in brackets on both sides). ovn-northd
// then writes a Service_Monitor per backend to the Southbound; the ovn-controller of the chassis the port is bound on
// sends the probes out of that port (TCP: a SYN, online on a SYN-ACK, offline on a RST or no answer within the
// timeout; UDP: a datagram, offline on an ICMP port unreachable) from the source address and NB_Global's
// `options:svc_monitor_mac`, answers ARP/ND for the source address on the backend's switch, and ovn-northd leaves
// offline backends out of the VIP's ct_lb_mark. ovn-northd also leaves out every backend of a checked VIP that has
// no mapping, so only VIPs whose backends can all be probed are checked. ovn-kubernetes itself does not use health
// checks; the rows are owned like the Service's load balancers.
import type { NBGlobal } from '../models/ovn-northbound.js';
import { mutate, select } from '../ovsdb/operations.js';
import { parseAddress, type IpFamily } from './ip.js';
import { isUnicastMac } from './mac.js';
import { podPortName } from './names.js';
import { OvnInvalidFieldError, OvnNotFoundError } from './errors.js';
import type { Northbound } from './northbound.js';
import type { Backend } from './service-endpoints.js';
import type { ServiceEndpointSpec, ServiceHealthCheckSpec, ServiceSpec } from './service-spec.js';

/** One Load_Balancer_Health_Check row: the VIP it checks the backends of, and the probe options. */
export interface LoadBalancerHealthCheck {
  /** "VIP:port", as the key in the load balancer's `vips`. */
  readonly vip: string;
  readonly options: ReadonlyMap<string, string>;
}

/** Where a backend address is probed: its logical switch port and the source address of its node's family. */
export interface HealthCheckTarget { readonly port: string; readonly source: string }

/** NB_Global `options` key: the MAC probes are sent from and answered to (ovn-northd picks one when unset). */
const SVC_MONITOR_MAC_OPTION = 'svc_monitor_mac';

const PROBE_OPTIONS: readonly (readonly [keyof ServiceHealthCheckSpec, string])[] = [
  ['intervalSeconds', 'interval'], ['timeoutSeconds', 'timeout'], ['successCount', 'success_count'], ['failureCount', 'failure_count'],
];

/** `ip` or `[ip]`: how ip_port_mappings spells an address (IPv6 in brackets). */
function mappingAddress(ip: string, family: IpFamily): string {
  return family === 6 ? `[${ip}]` : ip;
}

/**
 * Per backend address (canonical), the pod port and source address it is probed through (validated spec). An
 * endpoint without a pod, or whose pod has no logical switch port (`hasPort`: a host-network pod), has none.
 */
export function healthCheckTargets(spec: ServiceSpec, endpoints: readonly ServiceEndpointSpec[], hasPort: (port: string) => boolean = () => true): Map<string, HealthCheckTarget> {
  const out = new Map<string, HealthCheckTarget>();
  const sources = spec.healthCheck?.sourceIps ?? {};
  for (const e of endpoints) {
    if (!e.pod || e.node === undefined) continue;
    const port = podPortName(e.pod.namespace, e.pod.name);
    if (!hasPort(port)) continue;
    const address = parseAddress(e.ip);
    const source = (sources[e.node] ?? []).map((s) => parseAddress(s)).find((s) => s.family === address.family);
    if (source) out.set(address.text, { port, source: source.text });
  }
  return out;
}

/**
 * The health checks and ip_port_mappings of one load balancer: a check per VIP whose backends can all be probed.
 * ovn-northd balances a checked VIP only to its mapped backends, so a VIP with one backend that cannot be probed
 * stays unchecked rather than losing that backend; a VIP without backends has nothing to check.
 */
export function loadBalancerHealthChecks(spec: ServiceHealthCheckSpec, rules: readonly { vip: string; backends: readonly Backend[] }[],
  targets: ReadonlyMap<string, HealthCheckTarget>): { healthChecks: LoadBalancerHealthCheck[]; ipPortMappings: Map<string, string> } {
  const options = new Map<string, string>();
  for (const [field, key] of PROBE_OPTIONS) if (spec[field] !== undefined) options.set(key, String(spec[field]));
  const healthChecks: LoadBalancerHealthCheck[] = [];
  const ipPortMappings = new Map<string, string>();
  for (const r of rules) {
    if (r.backends.length === 0 || !r.backends.every((b) => targets.has(b.ip))) continue;
    for (const b of r.backends) {
      const target = targets.get(b.ip) as HealthCheckTarget;
      ipPortMappings.set(mappingAddress(b.ip, b.family), `${target.port}:${mappingAddress(target.source, b.family)}`);
    }
    healthChecks.push({ vip: r.vip, options });
  }
  return { healthChecks, ipPortMappings };
}

/** NB_Global `options:svc_monitor_mac` (ovn-northd writes a random one at start when none is set), or undefined. */
export async function serviceMonitorMac(nb: Northbound): Promise<string | undefined> {
  const [sel] = await nb.transact([select<NBGlobal, 'options'>('NB_Global', [], ['options'])]);
  const row = sel.rows[0];
  if (!row) throw new OvnNotFoundError('NB_Global', 'row', 'ovn-northd creates it');
  return row.options.get(SVC_MONITOR_MAC_OPTION);
}

/**
 * Sets NB_Global `options:svc_monitor_mac`, the source MAC of every health-check probe (and the MAC backends
 * answer to), e.g. to one the operator's captures recognise. One transaction.
 * @throws OvnInvalidFieldError for a MAC that is not a unicast one (nothing sent); OvnNotFoundError without NB_Global.
 */
export async function setServiceMonitorMac(nb: Northbound, mac: string): Promise<void> {
  const canonical = typeof mac === 'string' ? mac.toLowerCase() : mac;
  if (!isUnicastMac(canonical)) throw new OvnInvalidFieldError('NB_Global', `options:${SVC_MONITOR_MAC_OPTION}`, mac, 'not a unicast MAC (xx:xx:xx:xx:xx:xx)');
  const [, sel] = await nb.transact([
    mutate<NBGlobal>('NB_Global', [], [['options', 'delete', [SVC_MONITOR_MAC_OPTION]], ['options', 'insert', new Map([[SVC_MONITOR_MAC_OPTION, canonical]])]]),
    select<NBGlobal, 'options'>('NB_Global', [], ['options']),
  ]);
  if (sel.rows.length === 0) throw new OvnNotFoundError('NB_Global', 'row', 'ovn-northd creates it');
}
