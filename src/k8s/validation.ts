// Checks an object of a kind before it enters the cache: the fields the agent reads must be there and make sense
// (names, addresses, CIDRs, selectors, protocols, ports). It runs on the JSON shape (what a stream, a manifest or
// the API sent), so a wrong type is caught before client-node's ObjectSerializer would turn it into a silently
// empty field. The first problem found is reported with the field's path; the object is then rejected
// (rejection.ts), nothing else.
import { isRecord } from './json-record.js';
import { labelKeyProblem, labelSelectorProblem } from './label-selector.js';
import { KIND_INFO, type KindName } from './kinds.js';
import type { KubernetesNameRule } from '../ovn/errors.js';
import { tryParseAddress, parsePrefix, prefixContains, type IpFamily, type IpPrefix } from '../ovn/ip.js';
import { kubernetesNameProblem } from '../ovn/kubernetes-names.js';

/** Stable reason codes of a rejected object (metric label and log field). */
export const REJECT_REASONS = [
  'not-an-object', 'unsupported-api-version', 'missing-field', 'invalid-field', 'invalid-name', 'invalid-address',
  'invalid-cidr', 'invalid-selector', 'invalid-protocol', 'invalid-port',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export interface ValidationProblem {
  readonly reason: RejectReason;
  /** The field and what is wrong with it: `status.podIP "10.0.0.300" is not an IP address`. */
  readonly message: string;
}

class Invalid {
  constructor(readonly reason: RejectReason, readonly message: string) {}
}

function fail(reason: RejectReason, message: string): never {
  throw new Invalid(reason, message);
}

type JsonRecord = Record<string, unknown>;

function record(value: unknown, path: string, required = false): JsonRecord | undefined {
  if (value === undefined || value === null) return required ? fail('missing-field', `${path} is missing`) : undefined;
  return isRecord(value) ? value : fail('invalid-field', `${path} is not an object`);
}

function list(value: unknown, path: string, required = false): unknown[] {
  if (value === undefined || value === null) return required ? fail('missing-field', `${path} is missing`) : [];
  return Array.isArray(value) ? value : fail('invalid-field', `${path} is not a list`);
}

function string(value: unknown, path: string, required = false): string | undefined {
  if (value === undefined || value === null) return required ? fail('missing-field', `${path} is missing`) : undefined;
  return typeof value === 'string' ? value : fail('invalid-field', `${path} is not a string`);
}

function boolean(value: unknown, path: string): void {
  if (value !== undefined && value !== null && typeof value !== 'boolean') fail('invalid-field', `${path} is not a boolean`);
}

function oneOf(value: unknown, path: string, allowed: readonly string[], reason: RejectReason = 'invalid-field'): string | undefined {
  const text = string(value, path);
  if (text !== undefined && !allowed.includes(text)) fail(reason, `${path} ${JSON.stringify(text)} is not one of ${allowed.join(', ')}`);
  return text;
}

function stringMap(value: unknown, path: string): JsonRecord | undefined {
  const map = record(value, path);
  for (const [key, v] of Object.entries(map ?? {})) {
    if (typeof v !== 'string') fail('invalid-field', `${path}["${key}"] is not a string`);
  }
  return map;
}

const IANA_SVC_NAME = /^(?=.*[a-z])[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** The API's name rules, from src/ovn/kubernetes-names.ts (the one home of those rules). */
function checkName(value: string, path: string, rule: KubernetesNameRule): void {
  const problem = kubernetesNameProblem(rule, value);
  if (problem) fail('invalid-name', `${path} ${JSON.stringify(value)} is not a ${rule} name (${problem})`);
}

function address(value: unknown, path: string, family?: IpFamily): void {
  const text = string(value, path);
  if (text === undefined || text === '') return;
  const parsed = tryParseAddress(text);
  if (!parsed) fail('invalid-address', `${path} ${JSON.stringify(text)} is not an IP address`);
  if (family !== undefined && parsed.family !== family) fail('invalid-address', `${path} ${JSON.stringify(text)} is not an IPv${family} address`);
}

function cidr(value: unknown, path: string, required = false): IpPrefix | undefined {
  const text = string(value, path, required);
  if (text === undefined) return undefined;
  // The API accepts host bits in a CIDR and uses the network (net.ParseCIDR), so does this.
  try { return parsePrefix(text, true); } catch { return fail('invalid-cidr', `${path} ${JSON.stringify(text)} is not a CIDR`); }
}

function port(value: unknown, path: string, { allowZero = false, required = false } = {}): number | undefined {
  if (value === undefined || value === null) return required ? fail('missing-field', `${path} is missing`) : undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < (allowZero ? 0 : 1) || value > 65535) {
    fail('invalid-port', `${path} ${JSON.stringify(value)} is not a port number (${allowZero ? 0 : 1}..65535)`);
  }
  return value;
}

/** A port given as a number or as the name of a container port (IntOrString). */
function portOrName(value: unknown, path: string): void {
  if (typeof value === 'string') {
    if (value.length > 15 || !IANA_SVC_NAME.test(value)) fail('invalid-port', `${path} ${JSON.stringify(value)} is neither a port number nor a port name`);
    return;
  }
  port(value, path);
}

const PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;

function protocol(value: unknown, path: string): void {
  oneOf(value, path, PROTOCOLS, 'invalid-protocol');
}

function labelSelector(value: unknown, path: string, required = false): void {
  if (value === undefined || value === null) {
    if (required) fail('missing-field', `${path} is missing`);
    return;
  }
  const problem = labelSelectorProblem(value, path);
  if (problem) fail('invalid-selector', problem);
}

function checkMetadata(kind: KindName, value: JsonRecord): void {
  const metadata = record(value.metadata, 'metadata', true)!;
  const name = string(metadata.name, 'metadata.name', true)!;
  checkName(name, 'metadata.name', kind === 'Namespace' ? 'dns-1123-label' : kind === 'Service' ? 'dns-1035-label' : 'dns-1123-subdomain');
  if (KIND_INFO[kind].namespaced) {
    const namespace = string(metadata.namespace, 'metadata.namespace', true)!;
    checkName(namespace, 'metadata.namespace', 'dns-1123-label');
  }
  string(metadata.resourceVersion, 'metadata.resourceVersion');
  string(metadata.uid, 'metadata.uid');
  const labels = stringMap(metadata.labels, 'metadata.labels');
  for (const key of Object.keys(labels ?? {})) {
    const problem = labelKeyProblem(key);
    if (problem) fail('invalid-field', `metadata.labels: ${problem}`);
  }
  stringMap(metadata.annotations, 'metadata.annotations');
}

function checkNode(value: JsonRecord): void {
  const spec = record(value.spec, 'spec');
  if (spec) {
    cidr(spec.podCIDR, 'spec.podCIDR');
    for (const [i, c] of list(spec.podCIDRs, 'spec.podCIDRs').entries()) cidr(c, `spec.podCIDRs[${i}]`, true);
  }
  const status = record(value.status, 'status');
  for (const [i, entry] of list(status?.addresses, 'status.addresses').entries()) {
    const at = `status.addresses[${i}]`;
    const item = record(entry, at, true)!;
    const type = string(item.type, `${at}.type`, true);
    string(item.address, `${at}.address`, true);
    if (type === 'InternalIP' || type === 'ExternalIP') address(item.address, `${at}.address`);
  }
}

function checkPod(value: JsonRecord): void {
  const spec = record(value.spec, 'spec', true)!;
  string(spec.nodeName, 'spec.nodeName');
  boolean(spec.hostNetwork, 'spec.hostNetwork');
  for (const group of ['initContainers', 'containers'] as const) {
    for (const [i, entry] of list(spec[group], `spec.${group}`, group === 'containers').entries()) {
      const at = `spec.${group}[${i}]`;
      const container = record(entry, at, true)!;
      string(container.name, `${at}.name`, true);
      for (const [j, p] of list(container.ports, `${at}.ports`).entries()) {
        const portAt = `${at}.ports[${j}]`;
        const item = record(p, portAt, true)!;
        port(item.containerPort, `${portAt}.containerPort`, { required: true });
        protocol(item.protocol, `${portAt}.protocol`);
        const name = string(item.name, `${portAt}.name`);
        if (name !== undefined) portOrName(name, `${portAt}.name`);
      }
    }
  }
  const status = record(value.status, 'status');
  if (status) {
    string(status.phase, 'status.phase');
    address(status.podIP, 'status.podIP');
    for (const [i, entry] of list(status.podIPs, 'status.podIPs').entries()) {
      address(record(entry, `status.podIPs[${i}]`, true)!.ip, `status.podIPs[${i}].ip`);
    }
    address(status.hostIP, 'status.hostIP');
  }
}

function checkService(value: JsonRecord): void {
  const spec = record(value.spec, 'spec', true)!;
  const type = oneOf(spec.type, 'spec.type', ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']);
  for (const field of ['clusterIP', 'loadBalancerIP'] as const) {
    if (spec[field] !== 'None') address(spec[field], `spec.${field}`);
  }
  for (const [i, ip] of list(spec.clusterIPs, 'spec.clusterIPs').entries()) {
    if (ip !== 'None') address(ip, `spec.clusterIPs[${i}]`);
  }
  for (const [i, ip] of list(spec.externalIPs, 'spec.externalIPs').entries()) address(ip, `spec.externalIPs[${i}]`);
  for (const [i, family] of list(spec.ipFamilies, 'spec.ipFamilies').entries()) oneOf(family, `spec.ipFamilies[${i}]`, ['IPv4', 'IPv6']);
  oneOf(spec.ipFamilyPolicy, 'spec.ipFamilyPolicy', ['SingleStack', 'PreferDualStack', 'RequireDualStack']);
  oneOf(spec.sessionAffinity, 'spec.sessionAffinity', ['ClientIP', 'None']);
  oneOf(spec.externalTrafficPolicy, 'spec.externalTrafficPolicy', ['Cluster', 'Local']);
  oneOf(spec.internalTrafficPolicy, 'spec.internalTrafficPolicy', ['Cluster', 'Local']);
  const selector = stringMap(spec.selector, 'spec.selector');
  for (const key of Object.keys(selector ?? {})) {
    const problem = labelKeyProblem(key);
    if (problem) fail('invalid-selector', `spec.selector: ${problem}`);
  }
  for (const [i, entry] of list(spec.ports, 'spec.ports').entries()) {
    const at = `spec.ports[${i}]`;
    const item = record(entry, at, true)!;
    port(item.port, `${at}.port`, { required: type !== 'ExternalName' });
    protocol(item.protocol, `${at}.protocol`);
    if (item.targetPort !== undefined && item.targetPort !== null) portOrName(item.targetPort, `${at}.targetPort`);
    port(item.nodePort, `${at}.nodePort`, { allowZero: true });
    string(item.name, `${at}.name`);
  }
}

function checkEndpointSlice(value: JsonRecord): void {
  const addressType = oneOf(value.addressType, 'addressType', ['IPv4', 'IPv6', 'FQDN']);
  if (addressType === undefined) fail('missing-field', 'addressType is missing');
  const family: IpFamily | undefined = addressType === 'IPv4' ? 4 : addressType === 'IPv6' ? 6 : undefined;
  // The API writes `"endpoints": null` for a slice without endpoints.
  for (const [i, entry] of list(value.endpoints, 'endpoints').entries()) {
    const at = `endpoints[${i}]`;
    const endpoint = record(entry, at, true)!;
    const addresses = list(endpoint.addresses, `${at}.addresses`, true);
    if (addresses.length === 0) fail('missing-field', `${at}.addresses is empty`);
    for (const [j, a] of addresses.entries()) {
      if (family) address(a, `${at}.addresses[${j}]`, family);
      else string(a, `${at}.addresses[${j}]`, true);
    }
    const conditions = record(endpoint.conditions, `${at}.conditions`);
    for (const c of ['ready', 'serving', 'terminating'] as const) boolean(conditions?.[c], `${at}.conditions.${c}`);
    string(endpoint.nodeName, `${at}.nodeName`);
  }
  for (const [i, entry] of list(value.ports, 'ports').entries()) {
    const at = `ports[${i}]`;
    const item = record(entry, at, true)!;
    port(item.port, `${at}.port`);
    protocol(item.protocol, `${at}.protocol`);
    string(item.name, `${at}.name`);
  }
}

function checkIpBlock(value: unknown, path: string): void {
  const block = record(value, path, true)!;
  const network = cidr(block.cidr, `${path}.cidr`, true)!;
  for (const [i, e] of list(block.except, `${path}.except`).entries()) {
    const inner = cidr(e, `${path}.except[${i}]`, true)!;
    // The API requires each except to be a strict subset of the cidr.
    const inside = inner.family === network.family && inner.length > network.length
      && prefixContains(network, { family: inner.family, value: inner.network, text: '' });
    if (!inside) fail('invalid-cidr', `${path}.except[${i}] ${inner.text} is not inside ${path}.cidr ${network.text}`);
  }
}

function checkPolicyRules(value: unknown, direction: 'ingress' | 'egress'): void {
  const peersField = direction === 'ingress' ? 'from' : 'to';
  for (const [i, entry] of list(value, `spec.${direction}`).entries()) {
    const at = `spec.${direction}[${i}]`;
    const rule = record(entry, at, true)!;
    for (const [j, p] of list(rule.ports, `${at}.ports`).entries()) {
      const portAt = `${at}.ports[${j}]`;
      const item = record(p, portAt, true)!;
      protocol(item.protocol, `${portAt}.protocol`);
      if (item.port !== undefined && item.port !== null) portOrName(item.port, `${portAt}.port`);
      const endPort = port(item.endPort, `${portAt}.endPort`);
      if (endPort !== undefined) {
        if (typeof item.port !== 'number') fail('invalid-port', `${portAt}.endPort needs a numeric port`);
        if (endPort < item.port) fail('invalid-port', `${portAt}.endPort ${endPort} is below port ${item.port}`);
      }
    }
    for (const [j, p] of list(rule[peersField], `${at}.${peersField}`).entries()) {
      const peerAt = `${at}.${peersField}[${j}]`;
      const peer = record(p, peerAt, true)!;
      const hasSelector = peer.podSelector !== undefined && peer.podSelector !== null
        || peer.namespaceSelector !== undefined && peer.namespaceSelector !== null;
      const hasBlock = peer.ipBlock !== undefined && peer.ipBlock !== null;
      if (hasBlock && hasSelector) fail('invalid-field', `${peerAt} has both an ipBlock and a selector`);
      if (!hasBlock && !hasSelector) fail('missing-field', `${peerAt} has neither a selector nor an ipBlock`);
      labelSelector(peer.podSelector, `${peerAt}.podSelector`);
      labelSelector(peer.namespaceSelector, `${peerAt}.namespaceSelector`);
      if (hasBlock) checkIpBlock(peer.ipBlock, `${peerAt}.ipBlock`);
    }
  }
}

function checkNetworkPolicy(value: JsonRecord): void {
  const spec = record(value.spec, 'spec', true)!;
  labelSelector(spec.podSelector, 'spec.podSelector', true);
  for (const [i, t] of list(spec.policyTypes, 'spec.policyTypes').entries()) oneOf(t, `spec.policyTypes[${i}]`, ['Ingress', 'Egress']);
  checkPolicyRules(spec.ingress, 'ingress');
  checkPolicyRules(spec.egress, 'egress');
}

const CHECKS: { [K in KindName]: (value: JsonRecord) => void } = {
  Namespace: () => {},
  Node: checkNode,
  Pod: checkPod,
  Service: checkService,
  EndpointSlice: checkEndpointSlice,
  NetworkPolicy: checkNetworkPolicy,
};

/** The first problem of `value` as an object of `kind`, or undefined when the agent can use it. */
export function validateObject(kind: KindName, value: unknown): ValidationProblem | undefined {
  try {
    if (!isRecord(value)) fail('not-an-object', `a ${kind} must be a JSON object, not ${Array.isArray(value) ? 'a list' : typeof value}`);
    const apiVersion = value.apiVersion;
    // List items from the API carry no apiVersion/kind; when they are there they must be the version we read.
    if (apiVersion !== undefined && apiVersion !== KIND_INFO[kind].apiVersion) {
      fail('unsupported-api-version', `apiVersion ${JSON.stringify(apiVersion)} of ${kind} is not supported (${KIND_INFO[kind].apiVersion} is)`);
    }
    checkMetadata(kind, value);
    CHECKS[kind](value);
    return undefined;
  } catch (err) {
    if (err instanceof Invalid) return { reason: err.reason, message: err.message };
    throw err;
  }
}
