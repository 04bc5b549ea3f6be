// A networking.k8s.io/v1 NetworkPolicy resolved against the cache into the NetworkPolicySpec src/ovn writes
// (port group, ACLs, address sets), with the API's semantics:
//  - podSelector selects pods of the policy's namespace ({} all of them); only pods with a network count (scheduled,
//    not hostNetwork, not finished);
//  - policyTypes as given; when absent, Ingress, plus Egress when the policy has egress rules (the API's default);
//    a type without rules isolates the selected pods (default deny);
//  - a rule without peers allows every peer; peers are ORed: podSelector alone selects pods of the policy's
//    namespace, namespaceSelector alone every pod of the selected namespaces, both together the pods selected in
//    those namespaces; a namespace's labels include `kubernetes.io/metadata.name` (the API sets it on every
//    namespace; a namespace the cache does not hold has only that one); ipBlock with except;
//  - a rule without ports allows every port; a port without a number every port of its protocol (TCP by
//    default); endPort makes a range; a named port is resolved per pod, into one port per number the name has, each
//    limited to the pods that have it: the selected pods' container ports for ingress, the peers' for egress (every
//    pod's when the rule has no selector peer). A rule whose ports all resolve to nothing allows nothing.
// Peer addresses are the pods' addresses as OVN holds them (the ports the Pod controller allocated).
import type { V1NetworkPolicy, V1NetworkPolicyPeer, V1NetworkPolicyPort, V1Pod } from '@kubernetes/client-node';
import type { ObjectCache } from '../cache.js';
import { labelSelectorMatcher, type LabelMatcher, type Labels } from '../label-selector.js';
import type { IpBlock, L4Protocol, PolicyDirection, PolicyPort } from '../../ovn/acl-match.js';
import type { NamespacedKey } from '../../ovn/kind.js';
import type { NetworkPolicySpec, PolicyRule } from '../../ovn/network-policy.js';
import { podKey, podWantsPort } from './pod-controller.js';

/** The label the API puts on every namespace, with the namespace's name. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/** A namespace's labels as selectors see them: its own, and its name under NAMESPACE_NAME_LABEL. */
export function namespaceLabels(cache: ObjectCache, namespace: string): Labels {
  const labels = cache.get('Namespace', namespace)?.metadata?.labels;
  return { ...labels, [NAMESPACE_NAME_LABEL]: namespace };
}

/** What the resolution reads besides the cache: a pod's addresses in OVN (no prefix length), none without a port. */
export type PodAddresses = (pod: NamespacedKey) => readonly string[];

/** One peer of a rule, compiled: which namespaces (undefined: the policy's own) and which pods in them. */
export interface CompiledPeer {
  readonly namespaces: LabelMatcher | undefined;
  readonly pods: LabelMatcher;
}

/** Which pods a policy selects and which it names as peers: what its precise watches are computed from. */
export interface CompiledPolicy {
  readonly key: string;
  readonly namespace: string;
  readonly selects: LabelMatcher;
  readonly peers: readonly CompiledPeer[];
  /** A peer has a namespaceSelector: pods and namespaces of every namespace may concern it. */
  readonly crossNamespace: boolean;
  /** A rule names a port: container ports of the selected pods (ingress) or of the peers (egress) matter. */
  readonly namedPorts: boolean;
  /** An egress rule without selector peers names a port: every pod with named ports may be a destination. */
  readonly namedPortsOfAnyPod: boolean;
}

const matchAll: LabelMatcher = () => true;

function compilePeer(peer: V1NetworkPolicyPeer): CompiledPeer | undefined {
  if (peer.ipBlock) return undefined;
  return {
    namespaces: peer.namespaceSelector ? labelSelectorMatcher(peer.namespaceSelector) : undefined,
    pods: peer.podSelector ? labelSelectorMatcher(peer.podSelector) : matchAll,
  };
}

function hasNamedPort(ports: readonly V1NetworkPolicyPort[] | undefined): boolean {
  return (ports ?? []).some((p) => typeof p.port === 'string');
}

export function compilePolicy(key: string, policy: V1NetworkPolicy): CompiledPolicy {
  const spec = policy.spec;
  const peers: CompiledPeer[] = [];
  for (const rule of spec?.ingress ?? []) for (const peer of rule._from ?? []) { const c = compilePeer(peer); if (c) peers.push(c); }
  for (const rule of spec?.egress ?? []) for (const peer of rule.to ?? []) { const c = compilePeer(peer); if (c) peers.push(c); }
  return {
    key, namespace: policy.metadata?.namespace ?? '', selects: labelSelectorMatcher(spec?.podSelector ?? {}), peers,
    crossNamespace: peers.some((p) => p.namespaces !== undefined),
    namedPorts: (spec?.ingress ?? []).some((r) => hasNamedPort(r.ports)) || (spec?.egress ?? []).some((r) => hasNamedPort(r.ports)),
    namedPortsOfAnyPod: (spec?.egress ?? []).some((r) => hasNamedPort(r.ports) && !(r.to ?? []).some((peer) => compilePeer(peer) !== undefined)),
  };
}

/** The policy types of a policy, defaulted as the API defaults them. */
export function policyTypes(policy: V1NetworkPolicy): PolicyDirection[] {
  const given = policy.spec?.policyTypes;
  if (given && given.length > 0) return given.map((t) => (t === 'Egress' ? 'egress' : 'ingress'));
  return (policy.spec?.egress?.length ?? 0) > 0 ? ['ingress', 'egress'] : ['ingress'];
}

const namespacedKey = (pod: V1Pod): NamespacedKey => ({ namespace: pod.metadata!.namespace!, name: pod.metadata!.name! });

/** The pods a peer selects (with a network), for a policy in `namespace`. */
function peerPods(cache: ObjectCache, namespace: string, peer: CompiledPeer): V1Pod[] {
  const pods = cache.store('Pod');
  if (!peer.namespaces) return pods.select(peer.pods, namespace).filter(podWantsPort);
  const out: V1Pod[] = [];
  const namespaces = new Set<string>();
  for (const ns of cache.store('Namespace').keys()) namespaces.add(ns);
  for (const pod of pods.list()) namespaces.add(pod.metadata?.namespace ?? '');
  for (const ns of namespaces) {
    if (!peer.namespaces(namespaceLabels(cache, ns))) continue;
    for (const pod of pods.select(peer.pods, ns)) if (podWantsPort(pod)) out.push(pod);
  }
  return out;
}

/** The numbers a named port has in `pods`, each with the addresses of the pods that have it. */
function resolveNamedPort(name: string, protocol: string, pods: readonly V1Pod[], addresses: PodAddresses): Map<number, string[]> {
  const byNumber = new Map<number, string[]>();
  for (const pod of pods) {
    const containerPort = (pod.spec?.containers ?? []).flatMap((c) => c.ports ?? []).find((p) => p.name === name && (p.protocol ?? 'TCP') === protocol);
    if (!containerPort) continue;
    const ips = addresses(namespacedKey(pod));
    if (ips.length === 0) continue;
    const list = byNumber.get(containerPort.containerPort) ?? [];
    list.push(...ips);
    byNumber.set(containerPort.containerPort, list);
  }
  return byNumber;
}

function protocolOf(port: V1NetworkPolicyPort): { api: string; ovn: L4Protocol } {
  const api = port.protocol ?? 'TCP';
  return { api, ovn: api.toLowerCase() as L4Protocol };
}

/** Nothing is allowed: an empty address set matches no packet. */
const NOTHING: PolicyRule = { peerAddresses: [] };

function resolveRule(cache: ObjectCache, namespace: string, direction: PolicyDirection, peers: readonly V1NetworkPolicyPeer[] | undefined,
  ports: readonly V1NetworkPolicyPort[] | undefined, selected: readonly V1Pod[], addresses: PodAddresses): PolicyRule {
  let peerAddresses: string[] | undefined;
  let ipBlocks: IpBlock[] | undefined;
  let selectorPods: V1Pod[] | undefined;
  if (peers && peers.length > 0) {
    const compiled = peers.map(compilePeer).filter((p): p is CompiledPeer => p !== undefined);
    if (compiled.length > 0) {
      const seen = new Map<string, V1Pod>();
      for (const peer of compiled) for (const pod of peerPods(cache, namespace, peer)) seen.set(podKey(pod), pod);
      selectorPods = [...seen.values()];
      peerAddresses = [...new Set(selectorPods.flatMap((pod) => addresses(namespacedKey(pod))))].sort();
    }
    const blocks = peers.filter((p) => p.ipBlock).map((p) => ({ cidr: p.ipBlock!.cidr, ...(p.ipBlock!.except?.length ? { except: [...p.ipBlock!.except] } : {}) }));
    if (blocks.length > 0) ipBlocks = blocks;
  }
  const rule = { ...(peerAddresses ? { peerAddresses } : {}), ...(ipBlocks ? { ipBlocks } : {}) };
  if (!ports || ports.length === 0) return rule;
  const resolved: PolicyPort[] = [];
  for (const port of ports) {
    const protocol = protocolOf(port);
    if (typeof port.port === 'string') {
      // The pods that are the traffic's destination: the selected pods, or the peers (every pod for a rule without
      // selector peers).
      const targets = direction === 'ingress' ? selected : selectorPods ?? cache.store('Pod').list().filter(podWantsPort);
      const byNumber = resolveNamedPort(port.port, protocol.api, targets, addresses);
      for (const [number, destinations] of [...byNumber].sort(([a], [b]) => a - b)) {
        resolved.push({ protocol: protocol.ovn, port: number, destinations: [...new Set(destinations)].sort() });
      }
      continue;
    }
    resolved.push({
      protocol: protocol.ovn,
      ...(port.port !== undefined ? { port: port.port } : {}),
      ...(port.endPort !== undefined && port.port !== undefined ? { endPort: port.endPort } : {}),
    });
  }
  if (resolved.length === 0) return NOTHING;
  return { ...rule, ports: resolved };
}

/** The NetworkPolicySpec of a policy (see the file comment). */
export function networkPolicySpecFromKubernetes(policy: V1NetworkPolicy, cache: ObjectCache, addresses: PodAddresses): NetworkPolicySpec {
  const namespace = policy.metadata?.namespace ?? '';
  const name = policy.metadata?.name ?? '';
  const selected = cache.store('Pod').select(policy.spec?.podSelector ?? {}, namespace).filter(podWantsPort);
  const types = policyTypes(policy);
  const spec: { -readonly [K in keyof NetworkPolicySpec]: NetworkPolicySpec[K] } = {
    namespace, name, pods: selected.map(namespacedKey).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  };
  if (types.includes('ingress')) {
    spec.ingress = (policy.spec?.ingress ?? []).map((r) => resolveRule(cache, namespace, 'ingress', r._from, r.ports, selected, addresses));
  }
  if (types.includes('egress')) {
    spec.egress = (policy.spec?.egress ?? []).map((r) => resolveRule(cache, namespace, 'egress', r.to, r.ports, selected, addresses));
  }
  return spec;
}
