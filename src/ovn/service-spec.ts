// What a Kubernetes Service is to OVN, in the shape of the Service itself: a V1Service's spec (ports, clusterIPs,
// externalIPs, traffic policies, session affinity, IP families) and status (load balancer ingress IPs), with the
// endpoints of its EndpointSlices under each port (address, resolved target port, node, conditions, pod). An agent
// fills it field by field (kubernetes-service.ts does it from plain V1Service/V1EndpointSlice data); the load
// balancers are computed from it the way ovn-kubernetes' services controller computes them
// (service-load-balancers.ts). validateServiceSpec refuses what OVN cannot express before anything is read or
// written, naming the service and the field.
import { checkPort, L4_PROTOCOLS, type L4Protocol } from './acl-match.js';
import { addressFamily, tryParseAddress, type IpFamily } from './ip.js';
import { OvnInvalidFieldError } from './errors.js';
import { checkKubernetesName, checkNamespacedName } from './kubernetes-names.js';
import type { ServiceVip } from './load-balancer-vips.js';
import type { NamespacedKey } from './kind.js';

/** A Service port's protocol, spelled as Kubernetes spells it. */
export type ServiceProtocol = 'TCP' | 'UDP' | 'SCTP';
/** The protocols a Service port may have: those OVN load balancers take. */
export const SERVICE_PROTOCOLS: readonly ServiceProtocol[] = ['TCP', 'UDP', 'SCTP'];
/** `externalTrafficPolicy` / `internalTrafficPolicy`. */
export type TrafficPolicy = 'Cluster' | 'Local';
/** `ipFamilies` entries. */
export type ServiceIpFamily = 'IPv4' | 'IPv6';
/** `ipFamilyPolicy`. */
export type IpFamilyPolicy = 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';
/** `sessionAffinity`. */
export type SessionAffinity = 'None' | 'ClientIP';

/** Kubernetes' default `sessionAffinityConfig.clientIP.timeoutSeconds` (3 hours). */
export const DEFAULT_AFFINITY_TIMEOUT_SECONDS = 10800;
/** Kubernetes' largest affinity timeout (a day): ovn-kubernetes then hashes on the addresses instead of timing out. */
export const MAX_AFFINITY_TIMEOUT_SECONDS = 86400;

/**
 * One address of an EndpointSlice endpoint, for one Service port: `ip` from `endpoints[].addresses`, `port` the
 * slice's port matched to the Service port (the resolved target port), and the endpoint's node, conditions and
 * pod. Conditions left out read as Kubernetes says to read them: ready unknown is ready, serving unknown is ready.
 */
export interface ServiceEndpointSpec {
  readonly ip: string;
  readonly port: number;
  /** `nodeName`: needed for the traffic policies `Local` (only this node's endpoints) and for health checks. */
  readonly node?: string;
  readonly ready?: boolean;
  readonly serving?: boolean;
  readonly terminating?: boolean;
  /** `targetRef` when it is a Pod: its logical switch port (`<namespace>_<pod>`) is where health checks probe. */
  readonly pod?: NamespacedKey;
}

/** A Service port (`spec.ports[]`) with the endpoints its EndpointSlices give it. */
export interface ServicePortSpec {
  readonly name?: string;
  /** Default TCP. */
  readonly protocol?: ServiceProtocol;
  readonly port: number;
  /** Set for NodePort and LoadBalancer Services: load balanced on every node's addresses. */
  readonly nodePort?: number;
  readonly endpoints: readonly ServiceEndpointSpec[];
}

/** A node as the Service load balancers see it: its name (switch `<name>`, router `GR_<name>`) and host addresses. */
export interface ServiceNode {
  readonly name: string;
  /** The node's host addresses: the VIPs of its NodePorts (ovn-kubernetes' host addresses of the node). */
  readonly addresses: readonly string[];
}

/**
 * OVN load-balancer health checks (`Load_Balancer_Health_Check`) for the Service's pod endpoints: ovn-controller
 * on the endpoint's chassis probes it through its logical switch port (a TCP SYN, or a UDP datagram) from
 * `sourceIps[node]` and the Northbound's `svc_monitor_mac`; an endpoint that stops answering leaves the VIPs.
 * SCTP cannot be checked (OVN does not). Endpoints without a pod (no port to probe through) are not checked.
 */
export interface ServiceHealthCheckSpec {
  /** Per node, the address (one per family) probes come from: an unused address of the node's pod subnet. */
  readonly sourceIps: Readonly<Record<string, readonly string[]>>;
  /** Seconds between probes (OVN's default 5). */
  readonly intervalSeconds?: number;
  /** Seconds without an answer that count as a failure (OVN's default 3). */
  readonly timeoutSeconds?: number;
  /** Successes that make an endpoint online (OVN's default 1). */
  readonly successCount?: number;
  /** Failures that make an endpoint offline (OVN's default 1). */
  readonly failureCount?: number;
}

/**
 * What a Service is in OVN (see the file comment). The Kubernetes fields say which load balancers exist and what
 * they balance to; `vips` are VIPs given directly (for callers without Kubernetes objects), balanced on the
 * cluster-wide load balancers to exactly the endpoints listed.
 */
export interface ServiceSpec extends NamespacedKey {
  /** `spec.clusterIPs` (one per family; empty or absent for a headless Service: no cluster VIPs). */
  readonly clusterIPs?: readonly string[];
  /** `spec.externalIPs`. */
  readonly externalIPs?: readonly string[];
  /** `status.loadBalancer.ingress[].ip` (type LoadBalancer). */
  readonly loadBalancerIPs?: readonly string[];
  readonly ports?: readonly ServicePortSpec[];
  readonly ipFamilies?: readonly ServiceIpFamily[];
  readonly ipFamilyPolicy?: IpFamilyPolicy;
  readonly sessionAffinity?: SessionAffinity;
  /** `sessionAffinityConfig.clientIP.timeoutSeconds` (default 10800 with ClientIP). */
  readonly sessionAffinityTimeoutSeconds?: number;
  /** Default Cluster. Local: NodePorts, externalIPs and ingress IPs reach only the node's own endpoints, unSNATed. */
  readonly externalTrafficPolicy?: TrafficPolicy;
  /** Default Cluster. Local: pods reach only the endpoints on their own node through the cluster IPs. */
  readonly internalTrafficPolicy?: TrafficPolicy;
  /** Every endpoint counts as ready (`spec.publishNotReadyAddresses`). */
  readonly publishNotReadyAddresses?: boolean;
  /**
   * The Service is idled (ovn-kubernetes' unidling): a VIP without endpoints raises an `empty_lb_backends` event
   * in the Southbound for the agent to wake it, instead of rejecting.
   */
  readonly idled?: boolean;
  /**
   * The nodes to build per-node load balancers for: NodePorts, and the traffic policies Local. A node's switch
   * must exist; its gateway router is used when it exists. Not needed (and unused) by cluster-wide load balancers.
   */
  readonly nodes?: readonly ServiceNode[];
  readonly healthCheck?: ServiceHealthCheckSpec;
  /** VIPs given directly, balanced on the cluster-wide load balancers to exactly the endpoints listed. */
  readonly vips?: readonly ServiceVip[];
  /** Load balancer groups the cluster-wide load balancers are in (default: the cluster group, i.e. every node). */
  readonly groups?: readonly string[];
  /** Switches and routers to attach the cluster-wide load balancers to directly, by name. */
  readonly switches?: readonly string[];
  readonly routers?: readonly string[];
}

/** `service <namespace>/<name>`: the object errors name. */
export function serviceObject(key: NamespacedKey): string {
  return `service ${key.namespace}/${key.name}`;
}

/** The OVN protocol of a Service port. */
export function portProtocol(port: ServicePortSpec): L4Protocol {
  return (port.protocol ?? 'TCP').toLowerCase() as L4Protocol;
}

const FAMILY_OF: Record<ServiceIpFamily, IpFamily> = { IPv4: 4, IPv6: 6 };
const TRAFFIC_POLICIES: readonly TrafficPolicy[] = ['Cluster', 'Local'];
const IP_FAMILY_POLICIES: readonly IpFamilyPolicy[] = ['SingleStack', 'PreferDualStack', 'RequireDualStack'];
const SESSION_AFFINITIES: readonly SessionAffinity[] = ['None', 'ClientIP'];

function isArray(value: unknown): value is readonly unknown[] { return Array.isArray(value); }

// The checks below run for every Service of every resync: field names and the service's name for an error are
// only put together when one is thrown.

function fieldError(spec: NamespacedKey, field: string, value: unknown, reason: string): never {
  throw new OvnInvalidFieldError(serviceObject(spec), field, value, reason);
}

/** The family of an address, or undefined for anything that is not one. */
function familyOf(ip: unknown): IpFamily | undefined {
  return typeof ip === 'string' ? addressFamily(ip) : undefined;
}

/** An optional list: [] when absent, the list itself when an array. */
function listOf(spec: NamespacedKey, field: string, value: unknown): readonly unknown[] {
  if (value === undefined) return [];
  return isArray(value) ? value : fieldError(spec, field, value, 'must be an array');
}

function isEntry(value: unknown): value is object { return typeof value === 'object' && value !== null; }
function isPort(port: unknown): boolean { return Number.isInteger(port) && (port as number) >= 1 && (port as number) <= 65535; }

function checkOneOf<T>(spec: NamespacedKey, field: string, value: T | undefined, allowed: readonly T[]): void {
  if (value !== undefined && !allowed.includes(value)) fieldError(spec, field, value, `must be one of ${allowed.join(', ')}`);
}

/** At most one entry per family in `families` (the list `field` holds). */
function checkFamiliesOnce(spec: NamespacedKey, field: string, value: unknown, families: readonly unknown[], reason: string): void {
  if (families.length > 1 && new Set(families).size !== families.length) fieldError(spec, field, value, reason);
}

/**
 * Checks a ServiceSpec against what OVN load balancers can express and what the Kubernetes API guarantees.
 * @throws OvnInvalidNameError / OvnInvalidFieldError naming the service and the field (nothing was sent).
 */
export function validateServiceSpec(spec: ServiceSpec): void {
  checkNamespacedName('service', spec);

  // Addresses and families.
  const clusterIPs = listOf(spec, 'clusterIPs', spec.clusterIPs);
  const clusterFamilies: IpFamily[] = [];
  for (let i = 0; i < clusterIPs.length; i++) clusterFamilies.push(familyOf(clusterIPs[i]) ?? fieldError(spec, `clusterIPs[${i}]`, clusterIPs[i], 'not an IP address'));
  checkFamiliesOnce(spec, 'clusterIPs', spec.clusterIPs, clusterFamilies, 'at most one cluster IP per family');
  for (const field of ['externalIPs', 'loadBalancerIPs'] as const) {
    const ips = listOf(spec, field, spec[field]);
    for (let i = 0; i < ips.length; i++) if (familyOf(ips[i]) === undefined) fieldError(spec, `${field}[${i}]`, ips[i], 'not an IP address');
  }
  const families = listOf(spec, 'ipFamilies', spec.ipFamilies);
  for (let i = 0; i < families.length; i++) checkOneOf(spec, `ipFamilies[${i}]`, families[i] as ServiceIpFamily, ['IPv4', 'IPv6']);
  checkFamiliesOnce(spec, 'ipFamilies', spec.ipFamilies, families, 'a family appears twice');
  checkOneOf(spec, 'ipFamilyPolicy', spec.ipFamilyPolicy, IP_FAMILY_POLICIES);
  if (spec.ipFamilyPolicy === 'SingleStack' && (families.length > 1 || clusterFamilies.length > 1)) {
    fieldError(spec, 'ipFamilyPolicy', spec.ipFamilyPolicy, 'SingleStack with addresses of two families');
  }
  if (spec.ipFamilyPolicy === 'RequireDualStack' && clusterFamilies.length === 1) {
    fieldError(spec, 'clusterIPs', spec.clusterIPs, 'RequireDualStack needs a cluster IP of each family');
  }
  if (families.length > 0) {
    clusterFamilies.forEach((f, i) => {
      if (families[i] !== undefined && FAMILY_OF[families[i] as ServiceIpFamily] !== f) fieldError(spec, `clusterIPs[${i}]`, spec.clusterIPs?.[i], `not of ipFamilies[${i}] (${String(families[i])})`);
    });
  }

  // Policies and affinity.
  checkOneOf(spec, 'externalTrafficPolicy', spec.externalTrafficPolicy, TRAFFIC_POLICIES);
  checkOneOf(spec, 'internalTrafficPolicy', spec.internalTrafficPolicy, TRAFFIC_POLICIES);
  checkOneOf(spec, 'sessionAffinity', spec.sessionAffinity, SESSION_AFFINITIES);
  const timeout = spec.sessionAffinityTimeoutSeconds;
  if (timeout !== undefined && (!Number.isInteger(timeout) || timeout < 1 || timeout > MAX_AFFINITY_TIMEOUT_SECONDS)) {
    fieldError(spec, 'sessionAffinityTimeoutSeconds', timeout, `must be an integer in 1..${MAX_AFFINITY_TIMEOUT_SECONDS}`);
  }

  // Ports and endpoints.
  const ports = listOf(spec, 'ports', spec.ports);
  const seen = ports.length > 0 ? new Set<string>() : undefined;
  for (let i = 0; i < ports.length; i++) {
    const p = ports[i];
    if (!isEntry(p)) fieldError(spec, `ports[${i}]`, p, 'must be an object');
    const port = p as ServicePortSpec;
    checkOneOf(spec, `ports[${i}].protocol`, port.protocol, SERVICE_PROTOCOLS);
    if (!isPort(port.port)) checkPort(port.port, serviceObject(spec), `ports[${i}].port`);
    if (port.nodePort !== undefined && !isPort(port.nodePort)) checkPort(port.nodePort, serviceObject(spec), `ports[${i}].nodePort`);
    const key = `${port.protocol ?? 'TCP'}/${port.port}`;
    if (seen?.has(key)) fieldError(spec, `ports[${i}].port`, port.port, `port ${port.port}/${port.protocol ?? 'TCP'} appears twice`);
    seen?.add(key);
    const nodePortKey = `${port.protocol ?? 'TCP'}/node/${port.nodePort}`;
    if (port.nodePort !== undefined && seen?.has(nodePortKey)) fieldError(spec, `ports[${i}].nodePort`, port.nodePort, `node port ${port.nodePort}/${port.protocol ?? 'TCP'} appears twice`);
    seen?.add(nodePortKey);
    const endpoints = port.endpoints as unknown;
    if (!isArray(endpoints)) fieldError(spec, `ports[${i}].endpoints`, endpoints, 'must be an array');
    for (let j = 0; j < endpoints.length; j++) {
      const e = endpoints[j];
      if (!isEntry(e)) fieldError(spec, `ports[${i}].endpoints[${j}]`, e, 'must be an object');
      const ep = e as ServiceEndpointSpec;
      if (familyOf(ep.ip) === undefined) fieldError(spec, `ports[${i}].endpoints[${j}].ip`, ep.ip, 'not an IP address');
      if (!isPort(ep.port)) checkPort(ep.port, serviceObject(spec), `ports[${i}].endpoints[${j}].port`);
      if (ep.node !== undefined) checkKubernetesName('node', ep.node);
      if (ep.pod !== undefined) checkNamespacedName('pod', ep.pod);
    }
  }

  // Nodes.
  const nodes = listOf(spec, 'nodes', spec.nodes);
  const nodeNames = nodes.length > 0 ? new Set<string>() : undefined;
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    if (!isEntry(n)) fieldError(spec, `nodes[${i}]`, n, 'must be an object');
    const node = n as ServiceNode;
    checkKubernetesName('node', node.name);
    if (nodeNames?.has(node.name)) fieldError(spec, `nodes[${i}].name`, node.name, `node ${node.name} appears twice`);
    nodeNames?.add(node.name);
    const addresses = listOf(spec, `nodes[${i}].addresses`, node.addresses);
    for (let j = 0; j < addresses.length; j++) if (familyOf(addresses[j]) === undefined) fieldError(spec, `nodes[${i}].addresses[${j}]`, addresses[j], 'not an IP address');
  }

  // Raw VIPs.
  const vips = listOf(spec, 'vips', spec.vips);
  for (let i = 0; i < vips.length; i++) {
    const v = vips[i];
    if (!isEntry(v)) fieldError(spec, `vips[${i}]`, v, 'must be an object');
    const vip = v as ServiceVip;
    if (vip.protocol !== undefined && !L4_PROTOCOLS.includes(vip.protocol)) fieldError(spec, `vips[${i}].protocol`, vip.protocol, `OVN load balancers take ${L4_PROTOCOLS.join(', ')}`);
    const vipFamily = familyOf(vip.ip) ?? fieldError(spec, `vips[${i}].ip`, vip.ip, 'not an IP address');
    if (!isPort(vip.port)) checkPort(vip.port, serviceObject(spec), `vips[${i}].port`);
    const endpoints = vip.endpoints as unknown;
    if (!isArray(endpoints)) fieldError(spec, `vips[${i}].endpoints`, endpoints, 'must be an array');
    for (let j = 0; j < endpoints.length; j++) {
      const e = endpoints[j];
      if (!isEntry(e)) fieldError(spec, `vips[${i}].endpoints[${j}]`, e, 'must be an object');
      const ep = e as ServiceVip['endpoints'][number];
      const epFamily = familyOf(ep.ip) ?? fieldError(spec, `vips[${i}].endpoints[${j}].ip`, ep.ip, 'not an IP address');
      if (epFamily !== vipFamily) fieldError(spec, `vips[${i}].endpoints[${j}].ip`, ep.ip, `not of the family of VIP ${vip.ip}`);
      if (!isPort(ep.port)) checkPort(ep.port, serviceObject(spec), `vips[${i}].endpoints[${j}].port`);
    }
  }

  if (spec.healthCheck !== undefined) {
    const object = serviceObject(spec);
    const fail = (field: string, value: unknown, reason: string): never => { throw new OvnInvalidFieldError(object, field, value, reason); };
    const family = (field: string, ip: unknown): IpFamily => familyOf(ip) ?? fail(field, ip, 'not an IP address');
    validateHealthCheck(spec, fail, family);
  }
}

function validateHealthCheck(spec: ServiceSpec, fail: (field: string, value: unknown, reason: string) => never, family: (field: string, ip: unknown) => IpFamily): void {
  const hc = spec.healthCheck as ServiceHealthCheckSpec;
  for (const [field, max] of [['intervalSeconds', 2 ** 31 / 1000], ['timeoutSeconds', 2 ** 31 / 1000], ['successCount', 2 ** 31 - 1], ['failureCount', 2 ** 31 - 1]] as const) {
    const value = hc[field];
    if (value !== undefined && (!Number.isInteger(value) || value < 1 || value > max)) fail(`healthCheck.${field}`, value, `must be an integer in 1..${Math.floor(max)}`);
  }
  if (hc.sourceIps === null || typeof hc.sourceIps !== 'object') fail('healthCheck.sourceIps', hc.sourceIps, 'must map node names to addresses');
  for (const [node, ips] of Object.entries(hc.sourceIps)) {
    if (!isArray(ips)) fail(`healthCheck.sourceIps.${node}`, ips, 'must be an array of addresses');
    const fams = ips.map((ip, i) => family(`healthCheck.sourceIps.${node}[${i}]`, ip));
    if (new Set(fams).size !== fams.length) fail(`healthCheck.sourceIps.${node}`, ips, 'at most one address per family');
  }
  (spec.ports ?? []).forEach((port, i) => {
    if (port.protocol === 'SCTP') fail(`ports[${i}].protocol`, port.protocol, 'OVN cannot health-check SCTP load balancers');
    port.endpoints.forEach((ep, j) => {
      if (ep.pod === undefined) return;
      const at = `ports[${i}].endpoints[${j}]`;
      if (ep.node === undefined) fail(`${at}.node`, ep.node, 'a health-checked pod endpoint needs its node (the source address is per node)');
      const sources = hc.sourceIps[ep.node];
      const want = family(`${at}.ip`, ep.ip);
      if (!sources?.some((s) => tryParseAddress(s)?.family === want)) fail(`healthCheck.sourceIps.${ep.node}`, sources, `no IPv${want} source address for the endpoint ${ep.ip} on node ${ep.node}`);
    });
  });
  (spec.vips ?? []).forEach((vip, i) => {
    if (vip.protocol === 'sctp') fail(`vips[${i}].protocol`, vip.protocol, 'OVN cannot health-check SCTP load balancers');
  });
}
