// The OVN load balancers of a Service, computed the way ovn-kubernetes' services controller computes them
// (go-controller pkg/ovn/controller/services/lb_config.go buildServiceLBConfigs, buildClusterLBs,
// buildPerNodeLBs, mergeLBs; loadbalancer.go buildLB), from a ServiceSpec and the nodes. Pure: no database.
//
// Per Service port, three configurations:
//   - NodePort (`nodePort` set): the VIP is every node's host address, so it is per node. Router targets are the
//     node's own endpoints under externalTrafficPolicy Local, all endpoints otherwise; switch targets are all.
//   - external VIPs (externalIPs, ingress IPs): with externalTrafficPolicy Local per node like NodePort (but
//     without the masquerade switch VIP); otherwise they join the cluster IPs.
//   - cluster IPs: cluster-wide (one load balancer per protocol in the cluster group), unless
//     internalTrafficPolicy Local, then per node with only the node's endpoints on the node switch.
// Per node and protocol the rules go on GR_<node> (`node_router_<node>`; `node_local_router_<node>` with
// skip_snat for externalTrafficPolicy Local with local endpoints) and on the node switch (`node_switch_<node>`),
// one `node_router+switch_<node>` when both have the same rules; load balancers that end up identical on several
// nodes are merged into one (`<first name>_merged`) attached to all of them.
//
// Every load balancer carries ovn-kubernetes' options: reject (event when the Service is idled), skip_snat,
// neighbor_responder=none, hairpin_snat_ip (the hairpin masquerade addresses), affinity_timeout for ClientIP
// affinity (selection_fields ip_src,ip_dst at Kubernetes' maximum, a day, which OVN's 16-bit timeout cannot hold).
import { CLUSTER_LB_GROUP } from './names.js';
import type { L4Protocol } from './acl-match.js';
import { parseAddress, type IpFamily } from './ip.js';
import { serviceLoadBalancerName, type LoadBalancerScope } from './load-balancer-vips.js';
import { HOST_ETP_LOCAL_MASQUERADE_IP, SERVICE_HAIRPIN_MASQUERADE_IP } from './masquerade.js';
import { backendsOf, backendsOfFamily, eligibleEndpoints, type Backend, type Backends } from './service-endpoints.js';
import {
  DEFAULT_AFFINITY_TIMEOUT_SECONDS, MAX_AFFINITY_TIMEOUT_SECONDS, portProtocol, serviceObject,
  type ServiceEndpointSpec, type ServiceSpec,
} from './service-spec.js';
import { healthCheckTargets, loadBalancerHealthChecks, type LoadBalancerHealthCheck } from './service-health-check.js';
import { OvnInvalidFieldError } from './errors.js';

/** `Load_Balancer.selection_fields` values ovn-kubernetes writes. */
export type SelectionField = 'ip_src' | 'ip_dst';

/** One Load_Balancer row as a Service wants it, and where it is attached (by name). */
export interface ServiceLoadBalancer {
  readonly name: string;
  readonly protocol: L4Protocol;
  /** `vips`: "VIP:port" -> "backend:port,..." ("" when the VIP has no backend: rejected, or an event if idled). */
  readonly vips: ReadonlyMap<string, string>;
  readonly options: ReadonlyMap<string, string>;
  readonly selectionFields: readonly SelectionField[];
  /** `ip_port_mappings`: backend address -> "<logical port>:<source address>" (health checks only). */
  readonly ipPortMappings: ReadonlyMap<string, string>;
  /** One Load_Balancer_Health_Check per VIP with checked backends. */
  readonly healthChecks: readonly LoadBalancerHealthCheck[];
  readonly groups: readonly string[];
  readonly switches: readonly string[];
  readonly routers: readonly string[];
}

/** A node as the builder needs it: names of its switch and (when it has one) gateway router, host addresses. */
export interface LoadBalancerNode {
  readonly name: string;
  readonly switchName: string;
  /** Absent: the node has no gateway router (yet): router rules are left out, as ovn-kubernetes does. */
  readonly gatewayRouter?: string;
  /** Canonical host addresses (the NodePort VIPs). */
  readonly addresses: readonly string[];
}

// Load_Balancer options ovn-kubernetes writes (ovn-nb(5) "Load_Balancer options").
const REJECT_OPTION = 'reject';
const EVENT_OPTION = 'event';
const SKIP_SNAT_OPTION = 'skip_snat';
const NEIGHBOR_RESPONDER_OPTION = 'neighbor_responder';
const HAIRPIN_SNAT_IP_OPTION = 'hairpin_snat_ip';
const AFFINITY_TIMEOUT_OPTION = 'affinity_timeout';
/** OVN keeps affinity_timeout in 16 bits and clamps larger values to this (lib/lb.c). */
export const OVN_MAX_AFFINITY_TIMEOUT_SECONDS = 65535;

const HAIRPIN_SNAT_IPS = `${SERVICE_HAIRPIN_MASQUERADE_IP[4]} ${SERVICE_HAIRPIN_MASQUERADE_IP[6]}`;

/** The placeholder VIP of a NodePort configuration: the node's host addresses (ovn-kubernetes' "node"). */
const NODE_ADDRESSES = Symbol('node addresses');

interface LbConfig {
  readonly protocol: L4Protocol;
  readonly inport: number;
  readonly vips: readonly (string | typeof NODE_ADDRESSES)[];
  readonly cluster: Backends;
  readonly local: (node: string) => Backends;
  readonly externalTrafficLocal: boolean;
  readonly internalTrafficLocal: boolean;
  readonly hasNodePort: boolean;
}

interface Rule {
  readonly vip: string; readonly family: IpFamily; readonly port: number; readonly targets: readonly Backend[];
  /** The rule as `vips` holds it: "VIP:port" and the targets' "ip:port" joined by commas (put together once). */
  readonly key: string; readonly value: string;
}

interface Draft {
  name: string;
  readonly protocol: L4Protocol;
  readonly skipSnat: boolean;
  readonly rules: readonly Rule[];
  readonly switches: string[];
  readonly routers: string[];
  readonly groups: string[];
}

const PROTOCOL_ORDER: readonly L4Protocol[] = ['tcp', 'udp', 'sctp'];

/** True when the spec has load balancers that are built per node (and so needs `nodes`). */
export function needsNodes(spec: ServiceSpec): boolean {
  const etpLocal = spec.externalTrafficPolicy === 'Local';
  const hasExternal = (spec.externalIPs?.length ?? 0) + (spec.loadBalancerIPs?.length ?? 0) > 0;
  return (spec.ports ?? []).some((p) => p.nodePort !== undefined)
    || (etpLocal && hasExternal && (spec.ports?.length ?? 0) > 0)
    || (spec.internalTrafficPolicy === 'Local' && (spec.clusterIPs?.length ?? 0) > 0 && (spec.ports?.length ?? 0) > 0);
}

function configsOf(spec: ServiceSpec): { cluster: LbConfig[]; perNode: LbConfig[] } {
  const cluster: LbConfig[] = [];
  const perNode: LbConfig[] = [];
  const publish = spec.publishNotReadyAddresses ?? false;
  const externalTrafficLocal = spec.externalTrafficPolicy === 'Local';
  const internalTrafficLocal = spec.internalTrafficPolicy === 'Local';
  const clusterIPs = (spec.clusterIPs ?? []).map((ip) => parseAddress(ip).text);
  const externalVips = [...(spec.externalIPs ?? []), ...(spec.loadBalancerIPs ?? [])].map((ip) => parseAddress(ip).text);
  for (const port of spec.ports ?? []) {
    const protocol = portProtocol(port);
    const clusterBackends = backendsOf(eligibleEndpoints(port.endpoints, publish));
    const localCache = new Map<string, Backends>();
    const local = (node: string): Backends => {
      let b = localCache.get(node);
      if (!b) { b = backendsOf(eligibleEndpoints(port.endpoints, publish, node)); localCache.set(node, b); }
      return b;
    };
    const base = { protocol, cluster: clusterBackends, local };
    if (port.nodePort !== undefined) {
      perNode.push({ ...base, inport: port.nodePort, vips: [NODE_ADDRESSES], externalTrafficLocal, internalTrafficLocal: false, hasNodePort: true });
    }
    const vips: string[] = [...clusterIPs];
    if (externalTrafficLocal && externalVips.length > 0) {
      perNode.push({ ...base, inport: port.port, vips: externalVips, externalTrafficLocal: true, internalTrafficLocal: false, hasNodePort: false });
    } else vips.push(...externalVips);
    if (vips.length === 0) continue;
    const clusterIpConfig = { ...base, inport: port.port, vips, externalTrafficLocal: false, internalTrafficLocal, hasNodePort: false };
    if (internalTrafficLocal && clusterIPs.length > 0) perNode.push(clusterIpConfig);
    else cluster.push(clusterIpConfig);
  }
  return { cluster, perNode };
}

/** "10.96.0.10:53", "[fd00::10]:53": hostPort() of an address already in canonical text (validated port). */
function canonicalHostPort(ip: string, family: IpFamily, port: number): string {
  return family === 6 ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function targetsText(targets: readonly Backend[]): string {
  if (targets.length === 1) return canonicalHostPort(targets[0].ip, targets[0].family, targets[0].port);
  let out = '';
  for (let i = 0; i < targets.length; i++) out += (i > 0 ? ',' : '') + canonicalHostPort(targets[i].ip, targets[i].family, targets[i].port);
  return out;
}

/** A rule of a VIP (canonical text) of a known family. */
function rule(vip: string, family: IpFamily, port: number, targets: readonly Backend[]): Rule {
  return { vip, family, port, targets, key: canonicalHostPort(vip, family, port), value: targetsText(targets) };
}

function byProtocol<T extends { protocol: L4Protocol }>(items: readonly T[]): [L4Protocol, T[]][] {
  return PROTOCOL_ORDER.map((p) => [p, items.filter((i) => i.protocol === p)] as [L4Protocol, T[]]).filter(([, list]) => list.length > 0);
}

function clusterDrafts(spec: ServiceSpec, configs: readonly LbConfig[]): Draft[] {
  const raw = (spec.vips ?? []).map((v) => {
    const vip = parseAddress(v.ip);
    return { protocol: v.protocol ?? 'tcp', rule: rule(vip.text, vip.family, v.port, backendsOfFamily(backendsOf(v.endpoints), vip.family)) };
  });
  const drafts: Draft[] = [];
  for (const protocol of PROTOCOL_ORDER) {
    const rules: Rule[] = [];
    for (const c of configs) {
      if (c.protocol !== protocol) continue;
      for (const vip of c.vips as readonly string[]) {
        const address = parseAddress(vip);
        rules.push(rule(address.text, address.family, c.inport, backendsOfFamily(c.cluster, address.family)));
      }
    }
    for (const r of raw) if (r.protocol === protocol) rules.push(r.rule);
    if (rules.length === 0) continue;
    drafts.push({
      name: serviceLoadBalancerName(spec.namespace, spec.name, protocol, 'cluster'), protocol, skipSnat: false, rules,
      groups: [...(spec.groups ?? [CLUSTER_LB_GROUP])], switches: [...(spec.switches ?? [])], routers: [...(spec.routers ?? [])],
    });
  }
  return drafts;
}

function perNodeDrafts(spec: ServiceSpec, configs: readonly LbConfig[], nodes: readonly LoadBalancerNode[]): Draft[] {
  if (configs.length === 0) return [];
  const clusterIPs = new Set((spec.clusterIPs ?? []).map((ip) => parseAddress(ip).text));
  const out: Draft[] = [];
  const name = (protocol: L4Protocol, scope: LoadBalancerScope): string => serviceLoadBalancerName(spec.namespace, spec.name, protocol, scope);
  for (const node of nodes) {
    for (const [protocol, cfgs] of byProtocol(configs)) {
      const routerRules: Rule[] = [];
      const noSnatRouterRules: Rule[] = [];
      const switchRules: Rule[] = [];
      for (const c of cfgs) {
        const localOnly = c.local(node.name);
        const switchTargets = c.externalTrafficLocal || c.internalTrafficLocal ? localOnly : c.cluster;
        const routerTargets = c.externalTrafficLocal ? localOnly : c.cluster;
        const vips = c.vips.flatMap((v) => (v === NODE_ADDRESSES ? node.addresses : [v]));
        for (const vip of vips) {
          const address = parseAddress(vip);
          const family = address.family;
          if (c.externalTrafficLocal && c.hasNodePort) {
            switchRules.push(rule(HOST_ETP_LOCAL_MASQUERADE_IP[family], family, c.inport, backendsOfFamily(switchTargets, family)));
          }
          const switchFor = c.internalTrafficLocal && clusterIPs.has(vip) ? switchTargets : c.cluster;
          switchRules.push(rule(address.text, family, c.inport, backendsOfFamily(switchFor, family)));
          const r = rule(address.text, family, c.inport, backendsOfFamily(routerTargets, family));
          if (c.externalTrafficLocal && r.targets.length > 0) noSnatRouterRules.push(r);
          else routerRules.push(r);
        }
      }
      const router = node.gatewayRouter;
      if (router !== undefined && switchRules.length > 0 && sameRules(switchRules, routerRules) && noSnatRouterRules.length === 0) {
        out.push({ name: name(protocol, `node_router+switch_${node.name}`), protocol, skipSnat: false, rules: routerRules, routers: [router], switches: [node.switchName], groups: [] });
        continue;
      }
      if (router !== undefined && routerRules.length > 0) {
        out.push({ name: name(protocol, `node_router_${node.name}`), protocol, skipSnat: false, rules: routerRules, routers: [router], switches: [], groups: [] });
      }
      if (router !== undefined && noSnatRouterRules.length > 0) {
        out.push({ name: name(protocol, `node_local_router_${node.name}`), protocol, skipSnat: true, rules: noSnatRouterRules, routers: [router], switches: [], groups: [] });
      }
      if (switchRules.length > 0) {
        out.push({ name: name(protocol, `node_switch_${node.name}`), protocol, skipSnat: false, rules: switchRules, routers: [], switches: [node.switchName], groups: [] });
      }
    }
  }
  return mergeDrafts(out);
}

function rulesKey(rules: readonly Rule[]): string {
  return rules.map((r) => `${r.key}=${r.value}`).join(';');
}

function sameRules(a: readonly Rule[], b: readonly Rule[]): boolean {
  return rulesKey(a) === rulesKey(b);
}

/** ovn-kubernetes' mergeLBs: same protocol, options and rules -> one load balancer attached to all their places. */
function mergeDrafts(drafts: readonly Draft[]): Draft[] {
  const out: Draft[] = [];
  const keys: string[] = [];
  for (const d of drafts) {
    const key = `${d.protocol}|${d.skipSnat}|${rulesKey(d.rules)}`;
    const i = keys.indexOf(key);
    if (i < 0) { out.push({ ...d, switches: [...d.switches], routers: [...d.routers], groups: [...d.groups] }); keys.push(key); continue; }
    const into = out[i];
    into.switches.push(...d.switches);
    into.routers.push(...d.routers);
    into.groups.push(...d.groups);
    if (!into.name.endsWith('_merged')) into.name += '_merged';
  }
  return out;
}

/** The options ovn-kubernetes writes on every load balancer of the service (lbOpts + buildLB). */
function loadBalancerOptions(spec: ServiceSpec, skipSnat: boolean): { options: Map<string, string>; selectionFields: SelectionField[] } {
  const idled = spec.idled ?? false;
  // Set in key order (the order OVSDB returns them), so sortedMap has nothing to sort.
  const options = new Map<string, string>();
  const selectionFields: SelectionField[] = [];
  if (spec.sessionAffinity === 'ClientIP') {
    const timeout = spec.sessionAffinityTimeoutSeconds ?? DEFAULT_AFFINITY_TIMEOUT_SECONDS;
    if (timeout === MAX_AFFINITY_TIMEOUT_SECONDS) selectionFields.push('ip_src', 'ip_dst');
    else options.set(AFFINITY_TIMEOUT_OPTION, String(Math.min(timeout, OVN_MAX_AFFINITY_TIMEOUT_SECONDS)));
  }
  options.set(EVENT_OPTION, String(idled));
  options.set(HAIRPIN_SNAT_IP_OPTION, HAIRPIN_SNAT_IPS);
  options.set(NEIGHBOR_RESPONDER_OPTION, 'none');
  options.set(REJECT_OPTION, String(!idled));
  options.set(SKIP_SNAT_OPTION, String(skipSnat));
  return { options, selectionFields };
}

/**
 * The load balancers of a validated spec over the given nodes (see the file comment), in a stable order: the
 * cluster-wide ones by protocol, then the per-node ones by node and protocol. `hasPort` says whether a pod's logical
 * switch port exists (health checks probe through it; default: every pod has one).
 * @throws OvnInvalidFieldError when the spec needs per-node load balancers and has no `nodes`.
 */
export function buildServiceLoadBalancers(spec: ServiceSpec, nodes: readonly LoadBalancerNode[], hasPort?: (port: string) => boolean): ServiceLoadBalancer[] {
  const { cluster, perNode } = configsOf(spec);
  if (perNode.length > 0 && spec.nodes === undefined) {
    throw new OvnInvalidFieldError(serviceObject(spec), 'nodes', undefined, 'NodePorts and the traffic policies Local are load balanced per node: the spec must list the nodes');
  }
  const drafts = [...clusterDrafts(spec, cluster), ...perNodeDrafts(spec, perNode, nodes)];
  const targets = spec.healthCheck ? healthCheckTargets(spec, allEndpoints(spec), hasPort) : new Map();
  return drafts.map((d) => {
    const { options, selectionFields } = loadBalancerOptions(spec, d.skipSnat);
    const vips = new Map<string, string>();
    for (const r of d.rules) vips.set(r.key, r.value);
    const checks = spec.healthCheck && d.protocol !== 'sctp'
      ? loadBalancerHealthChecks(spec.healthCheck, d.rules.map((r) => ({ vip: r.key, backends: r.targets })), targets)
      : { healthChecks: [], ipPortMappings: new Map<string, string>() };
    return {
      name: d.name, protocol: d.protocol, vips: sortedMap(vips), options: sortedMap(options), selectionFields,
      ipPortMappings: sortedMap(checks.ipPortMappings),
      healthChecks: checks.healthChecks.map((hc) => ({ vip: hc.vip, options: sortedMap(new Map(hc.options)) })),
      groups: d.groups, switches: d.switches, routers: d.routers,
    };
  });
}

/**
 * The map with its keys in order, as OVSDB returns maps (so computed and stored rows compare equal). `map` is one
 * this file just built: when its keys are already in order (one VIP, the options as loadBalancerOptions builds
 * them) it is returned as it is.
 */
function sortedMap(map: Map<string, string>): Map<string, string> {
  let previous: string | undefined;
  let inOrder = true;
  for (const k of map.keys()) {
    if (previous !== undefined && !(previous < k)) { inOrder = false; break; }
    previous = k;
  }
  return inOrder ? map : new Map([...map].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
}

function allEndpoints(spec: ServiceSpec): ServiceEndpointSpec[] {
  return (spec.ports ?? []).flatMap((p) => p.endpoints);
}
